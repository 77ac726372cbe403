import Dispatch
import Foundation
import Synchronization
import Testing

@testable import PorticoStore

/// The threads reads run on: every item submitted runs exactly once, on one
/// of their own threads, whether a thread was polling, busy or asleep.
///
/// Items are counted on the reader threads and only the last one resumes the
/// test, so the test does not wait on thousands of round trips through a
/// cooperative pool the rest of the suite keeps busy. The time limit only
/// stops a lost item from hanging the run: in a full run, tests wait their
/// turn for over a minute.
@Suite(.timeLimit(.minutes(5)))
struct ReaderThreadsTests {
    /// How often each item ran; resumes `done` once `expected` distinct items ran.
    final class Runs: Sendable {
        private let state = Mutex<(counts: [Int: Int], done: CheckedContinuation<Void, Never>?)>(([:], nil))
        private let expected: Int

        init(expected: Int) { self.expected = expected }

        var counts: [Int: Int] { state.withLock { $0.counts } }

        func ran(_ id: Int) {
            let done = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.counts[id, default: 0] += 1
                guard state.counts.count == expected else { return nil }
                defer { state.done = nil }
                return state.done
            }
            done?.resume()
        }

        func waitForAll() async {
            await withCheckedContinuation { continuation in
                let already = state.withLock { state -> Bool in
                    if state.counts.count >= expected { return true }
                    state.done = continuation
                    return false
                }
                if already { continuation.resume() }
            }
        }
    }

    /// The kernel's name for the calling thread (what `ps` and `perf` show).
    static func currentThreadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    @Test(arguments: [Duration.zero, .microseconds(50)])
    func everyItemRunsOnceFromManySubmittersAndAfterTheThreadsSlept(spin: Duration) async throws {
        let threads = ReaderThreads(threads: 2, spin: spin)
        // Four submitters at once, 500 items each: the threads hardly get to sleep.
        let runs = Runs(expected: 4 * 500)
        DispatchQueue.global().async {
            DispatchQueue.concurrentPerform(iterations: 4) { submitter in
                for item in 0..<500 {
                    let id = submitter * 1_000 + item
                    threads.submit { runs.ran(id) }
                }
            }
        }
        await runs.waitForAll()
        #expect(runs.counts.count == 2_000)
        #expect(runs.counts.values.allSatisfy { $0 == 1 })

        // Long past any polling: both threads are asleep, and each new item must wake one.
        var names = Set<String>()
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(5))
            names.insert(
                await withCheckedContinuation { continuation in threads.submit { continuation.resume(returning: Self.currentThreadName()) } }
            )
        }
        #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("portico-read-") }, "ran on \(names)")
    }

    /// Two items at once while one thread polls: the second wakes the sleeping thread rather than
    /// waiting for the first to finish (the first blocks until the second has run).
    @Test func aSecondItemWakesTheSleeperWhileThePollerIsBusy() async throws {
        let threads = ReaderThreads(threads: 2, spin: .milliseconds(300))
        try await Task.sleep(for: .milliseconds(20))  // both asleep
        // One item soon after: the thread that ran it saw a short sleep, so it polls when idle again.
        await withCheckedContinuation { continuation in threads.submit { continuation.resume() } }
        try await Task.sleep(for: .milliseconds(20))  // one thread polls, the other sleeps
        let second = DispatchSemaphore(value: 0)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threads.submit {
                second.wait()
                continuation.resume()
            }
            threads.submit { second.signal() }
        }
    }
}
