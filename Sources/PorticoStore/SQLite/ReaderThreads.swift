import Foundation
import NIOCore
import Synchronization

/// The threads every SQLite read runs on (`SQLiteStore.readerThreads`): a
/// fixed set of threads taking work from one queue, one of which waits
/// briefly for the next read before it sleeps.
///
/// A read is synchronous SQLite work, so it must not run on the cooperative
/// pool or an event loop; handing it to a thread and back is most of what a
/// short read costs. A thread that has gone to sleep must be woken (a futex
/// call, then the scheduler), and under a steady stream of requests the next
/// read usually arrives within microseconds of the last one ending. So,
/// while reads come in such a stream, the first thread to go idle polls for
/// `spin`, yielding the core to any other thread that wants it on each turn,
/// and only then sleeps; the others sleep at once, and a submitter leaves them
/// asleep while a polling thread is there to take its item. Issue 17 measured
/// 15 % more uncached retrieves a second than with NIO's thread pool of the
/// same threads (Benchmarks/RESULTS.md). An idle server never polls.
///
/// At most one thread polls, and only in a stream: an earlier version let
/// every idle thread poll after every read, which on a machine already short
/// of cores (a test suite's many servers) took cores from the threads that had
/// work, and a browser test's webhook delivery missed its 15 s twice.
final class ReaderThreads: @unchecked Sendable {  // `work`, `sleeping` and `polling` change only under `condition`
    private let condition = NSCondition()
    private var work = CircularBuffer<@Sendable () -> Void>(initialCapacity: 64)
    private var sleeping = 0
    private var polling = 0
    /// Work queued and not yet taken: what the polling thread watches, without the lock.
    private let queued = Atomic<Int>(0)
    private let spin: Duration
    /// A sleep shorter than this means reads come in a stream: 20 `spin`s (1 ms), as waking
    /// takes a while on a busy machine (issue 17 measured no gain at four).
    private let streamGap: Duration

    init(threads: Int, spin: Duration = .microseconds(50)) {
        self.spin = spin
        self.streamGap = spin * 20
        for index in 0..<threads {
            let thread = Thread { [self] in
                Self.name(thisThread: "portico-read-\(index)")
                run()
            }
            thread.stackSize = 8 << 20  // as a pthread's default: SQLite's parser recurses
            thread.start()
        }
    }

    /// Names the calling thread as `ps` and `perf` show it (at most 15 bytes).
    ///
    /// From inside the thread, and on Linux through `/proc`: a Foundation
    /// `Thread`'s name set before `start` never reaches the kernel, one set
    /// through `Thread.current` inside missed it once in a test run (the
    /// thread then shows its creator's name, `oot.default-qos`), and glibc's
    /// `pthread_setname_np` is not visible to Swift.
    private static func name(thisThread name: String) {
        #if os(Linux)
        try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        #else
        Thread.current.name = name
        #endif
    }

    /// Runs `body` on one of the threads, in the order submitted.
    func submit(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        work.append(body)
        queued.add(1, ordering: .releasing)
        // A polling thread takes the first items; a sleeper is woken only for more than it can take.
        let wake = sleeping > 0 && work.count > polling
        condition.unlock()
        if wake { condition.signal() }
    }

    private func run() {
        let clock = ContinuousClock()
        // Whether reads arrive in a stream: the last poll found work, or the last sleep was
        // under `streamGap`. Only then does polling pay; a server read now and then never polls.
        var streaming = false
        condition.lock()
        while true {
            if work.isEmpty, polling == 0, streaming {
                polling = 1
                condition.unlock()
                let deadline = clock.now.advanced(by: spin)
                while queued.load(ordering: .acquiring) == 0, clock.now < deadline { sched_yield() }
                condition.lock()
                polling = 0
                streaming = !work.isEmpty
            }
            if work.isEmpty {
                let asleep = clock.now
                repeat {
                    sleeping += 1
                    condition.wait()
                    sleeping -= 1
                } while work.isEmpty
                streaming = clock.now - asleep < streamGap
            }
            let body = work.removeFirst()
            queued.subtract(1, ordering: .releasing)
            condition.unlock()
            body()
            condition.lock()
        }
    }
}
