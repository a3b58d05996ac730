// SPDX-License-Identifier: MIT
import Glibc
import WeirOutput

/// The latest counters of each live-capture worker, published by the worker itself (about once a second
/// and when it stops) and read by whoever reports them: the periodic stats record, stats.log, and callers
/// of ``snapshot()`` such as a control socket or a metrics endpoint. Thread-safe; a reader never touches a
/// worker's state.
public final class CounterBoard: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var threads: [(name: String, counters: [EngineCounter])]
    private var global: [EngineCounter] = []
    /// Counters of state the workers share (read when a snapshot is taken, under that state's own lock).
    private let shared: @Sendable () -> [(String, UInt64)]

    /// A board with one empty slot per thread name (Suricata's worker names, `W#01-eth0`); `shared` gives
    /// the counters of state no one worker owns, added to the totals of every snapshot.
    public init(threadNames: [String], shared: @escaping @Sendable () -> [(String, UInt64)] = { [] }) {
        self.shared = shared
        self.mutex = .allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(self.mutex, nil)
        self.threads = threadNames.map { ($0, []) }
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    /// Replaces worker `index`'s counters.
    public func publish(_ index: Int, _ counters: [EngineCounter]) {
        pthread_mutex_lock(self.mutex)
        if index < self.threads.count { self.threads[index].counters = counters }
        pthread_mutex_unlock(self.mutex)
    }

    /// Sets counters that belong to no worker (the kernel plane's), added to the totals as they are.
    public func publishGlobal(_ counters: [EngineCounter]) {
        pthread_mutex_lock(self.mutex)
        self.global = counters
        pthread_mutex_unlock(self.mutex)
    }

    /// Every worker's latest counters and their totals (the workers' sum, then the global counters).
    public func snapshot() -> (totals: [EngineCounter], threads: [(name: String, counters: [EngineCounter])]) {
        pthread_mutex_lock(self.mutex)
        let threads = self.threads
        let global = self.global
        pthread_mutex_unlock(self.mutex)
        var totals = EngineCounters.sum(threads.map(\.counters))
        totals += global
        totals += EngineCounters.make(self.shared())
        return (totals, threads)
    }
}
