import Foundation
import NIOCore
import Synchronization

/// The threads every SQLite read runs on (`SQLiteStore.readerThreads`): a
/// fixed set of threads taking work from one queue, which wait briefly for
/// the next read before they sleep.
///
/// A read is synchronous SQLite work, so it must not run on the cooperative
/// pool or an event loop; handing it to a thread and back is most of what a
/// short read costs. A thread that has gone to sleep must be woken (a futex
/// call, then the scheduler), and under a steady stream of requests the next
/// read usually arrives within a few microseconds of the last one ending. So
/// an idle thread first polls for `spin` (yielding the core to any other
/// thread that wants it on each turn) and only then sleeps. Issue 17
/// measured, against NIO's thread pool with the same number of threads and
/// no polling (A/B of one build, interleaved rounds, both orders): uncached
/// `GET /v1/customers/{id}` +20–27 %, the customer list +7–10 %, the event list
/// +5–7 %; 20, 100 and 200 µs were within noise of 50 µs. An idle server
/// pays for the polling only in the 50 µs after its last read.
final class ReaderThreads: @unchecked Sendable {  // `work` and `sleeping` are only touched under `condition`
    private let condition = NSCondition()
    private var work = CircularBuffer<@Sendable () -> Void>()
    private var sleeping = 0
    /// Work queued and not yet taken: what the polling threads watch, without the lock.
    private let queued = Atomic<Int>(0)
    private let spin: Duration

    init(threads: Int, spin: Duration = .microseconds(50)) {
        self.spin = spin
        for index in 0..<threads {
            let thread = Thread { [self] in
                // Named from inside: on Linux a name set before `start` never reaches the kernel,
                // which shows (in `ps`, `perf`) the name of the thread that made it. At most 15 bytes.
                Thread.current.name = "portico-read-\(index)"
                run()
            }
            thread.stackSize = 8 << 20  // as a pthread's default: SQLite's parser recurses
            thread.start()
        }
    }

    /// Runs `body` on one of the threads, in the order submitted.
    func submit(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        work.append(body)
        queued.add(1, ordering: .releasing)
        let wake = sleeping > 0
        condition.unlock()
        if wake { condition.signal() }
    }

    private func run() {
        let clock = ContinuousClock()
        while true {
            if queued.load(ordering: .acquiring) == 0 {
                let deadline = clock.now.advanced(by: spin)
                while queued.load(ordering: .acquiring) == 0, clock.now < deadline { sched_yield() }
            }
            condition.lock()
            while work.isEmpty {
                sleeping += 1
                condition.wait()
                sleeping -= 1
            }
            let body = work.removeFirst()
            queued.subtract(1, ordering: .releasing)
            condition.unlock()
            body()
        }
    }
}
