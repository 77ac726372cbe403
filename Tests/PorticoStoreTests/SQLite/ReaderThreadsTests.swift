import Foundation
import Synchronization
import Testing

@testable import PorticoStore

/// The threads reads run on: every item submitted runs exactly once, on
/// one of its own threads, whether they were polling or asleep.
struct ReaderThreadsTests {
    /// What the items saw: how often each ran, and on which threads.
    final class Runs: Sendable {
        let counts = Mutex<[Int: Int]>([:])
        let threadNames = Mutex<Set<String>>([])

        func run(_ id: Int, on threads: ReaderThreads) async {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                threads.submit { [self] in
                    counts.withLock { $0[id, default: 0] += 1 }
                    threadNames.withLock { _ = $0.insert(ReaderThreadsTests.currentThreadName()) }
                    continuation.resume()
                }
            }
        }
    }

    /// The kernel's name for the calling thread (what `ps` and `perf` show).
    static func currentThreadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    @Test func everyItemRunsOnceFromManySubmittersAndAfterTheThreadsSlept() async throws {
        let threads = ReaderThreads(threads: 2, spin: .microseconds(50))
        let runs = Runs()
        // Eight submitters at once, 500 items each: the threads hardly get to sleep.
        await withTaskGroup(of: Void.self) { group in
            for submitter in 0..<8 {
                group.addTask { for item in 0..<500 { await runs.run(submitter * 1_000 + item, on: threads) } }
            }
        }
        // Long past the polling: both threads are asleep, and each new item must wake one.
        for id in 10_000..<10_020 {
            try await Task.sleep(for: .milliseconds(5))
            await runs.run(id, on: threads)
        }
        let counts = runs.counts.withLock { $0 }
        #expect(counts.count == 8 * 500 + 20)
        #expect(counts.values.allSatisfy { $0 == 1 })
        let names = runs.threadNames.withLock { $0 }
        #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("portico-read-") }, "ran on \(names)")
    }
}
