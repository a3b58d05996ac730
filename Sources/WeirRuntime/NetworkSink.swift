// SPDX-License-Identifier: MIT
import Glibc
import WeirOutput

/// What a network EVE output has done so far. Weir-only counters (Suricata keeps none for its eve-log
/// transports).
public struct NetworkSinkCounters: Sendable, Equatable {
    /// Records the peer accepted (a Redis reply, or every byte of the record sent on a socket).
    public var written: UInt64 = 0
    /// Records lost: the queue was full, the peer refused the record, or the run ended with them still queued.
    public var dropped: UInt64 = 0
    /// Connections made again after one was lost, or after SIGHUP.
    public var reconnects: UInt64 = 0
    /// Bytes of records waiting in the queue now.
    public var queuedBytes: UInt64 = 0

    public init() {}
}

/// Why a transport stopped: how many of the records it was given went through first, and the reason.
struct TransportFailure: Error {
    /// Records of the batch the peer accepted before the failure.
    var delivered: Int
    /// Records of the batch the peer refused for good (they follow the delivered ones; dropped, never resent).
    var refused: Int = 0
    var message: String
}

/// Moves records to one peer. Only the sink's writer thread calls it.
protocol EVETransport: AnyObject {
    /// `redis 127.0.0.1:6379 lpush suricata`, for messages and the summary.
    var label: String { get }
    /// How many records one ``send(_:)`` takes at most.
    var batchLimit: Int { get }
    /// Opens the connection.
    func connect() throws(TransportFailure)
    /// Sends the records in order; returns how many were refused for good (the rest were delivered). A
    /// lost connection throws, saying how far it got.
    func send(_ records: ArraySlice<[UInt8]>) throws(TransportFailure) -> Int
    /// Closes the connection (if any).
    func disconnect()
}

/// An ``OutputSink`` for the EVE transports that talk to another process: a bounded queue filled by the
/// packet path, and a writer thread that drains it into a ``EVETransport``.
///
/// The packet path never blocks here: ``write(_:)`` copies each record into the queue, or drops and counts
/// it when the queue holds `capacity` bytes already. The writer connects, sends in batches, and when the peer
/// is down or fails it backs off (100 ms doubling to 5 s) and connects again; the records not yet accepted stay
/// queued and are sent again on the next connection. Several live-capture workers may share one sink.
public final class NetworkSink: OutputSink, @unchecked Sendable {
    /// First and largest pause between connection attempts, in seconds.
    static let firstBackoff = 0.1
    static let maxBackoff = 5.0

    private let transport: EVETransport
    private let capacity: Int
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `lock`.
    private var queue: [[UInt8]] = []
    private var head = 0
    private var queuedBytes = 0
    private var tally = NetworkSinkCounters()
    private var stopping = false
    private var stopDeadline = 0.0
    private var reconnectRequested = false
    private var lastProblem: String?
    private var thread: pthread_t?
    /// Messages for the operator (connection lost and back), written from the writer thread.
    private let messages: MessageOutput?

    /// The transport's description (`redis 127.0.0.1:6379 lpush suricata`).
    public var label: String { self.transport.label }

    init(transport: EVETransport, capacity: UInt64, messages: MessageOutput?) {
        self.transport = transport
        self.capacity = Int(clamping: capacity)
        self.messages = messages
        pthread_mutex_init(self.lock, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(self.wake, &attributes)
        pthread_condattr_destroy(&attributes)
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        // The writer thread starts with every signal blocked (it inherits this thread's mask), so SIGINT and
        // SIGTERM stay with the threads that read them through a signalfd, and SIGHUP with the workers.
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let started = pthread_create(
            &handle, nil,
            { raw in
                let sink = Unmanaged<NetworkSink>.fromOpaque(raw!).takeRetainedValue()
                sink.drain()
                return nil
            }, box.toOpaque())
        if started == 0 {
            self.thread = handle
        } else {
            box.release()
            self.lastProblem = "cannot start the writer thread: \(String(cString: strerror(started)))"
        }
    }

    deinit {
        pthread_cond_destroy(self.wake)
        pthread_mutex_destroy(self.lock)
        self.wake.deallocate()
        self.lock.deallocate()
    }

    /// The counters now.
    public var counters: NetworkSinkCounters {
        self.locked {
            var now = self.tally
            now.queuedBytes = UInt64(self.queuedBytes)
            return now
        }
    }

    /// The counters under Weir-only stats names, `<prefix>.records_written` and so on.
    public func namedCounters(prefix: String) -> [(String, UInt64)] {
        let c = self.counters
        return [
            (prefix + ".records_written", c.written), (prefix + ".records_dropped", c.dropped),
            (prefix + ".reconnects", c.reconnects),
        ]
    }

    /// Queues each line of `bytes` (complete lines ending in `\n`) as one record, without its newline.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // Copied outside the lock; lines found with memchr (this runs on the packet path).
        var records: [[UInt8]] = []
        var cursor = base
        let end = base + bytes.count
        while cursor < end {
            let newline = memchr(cursor, 0x0A, end - cursor).map { UnsafeRawPointer($0) } ?? end
            if newline > cursor { records.append(Array(UnsafeRawBufferPointer(start: cursor, count: newline - cursor))) }
            cursor = newline + 1
        }
        self.locked {
            for record in records {
                if self.stopping || self.queuedBytes + record.count > self.capacity {
                    self.tally.dropped += 1
                    continue
                }
                self.queuedBytes += record.count
                self.queue.append(record)
            }
            pthread_cond_signal(self.wake)
        }
    }

    /// The writer thread sends as soon as records arrive; nothing to push here.
    public func flush() {}

    /// SIGHUP: drop the connection and open a new one (the queue is kept).
    public func reconnect() {
        self.locked {
            self.reconnectRequested = true
            pthread_cond_signal(self.wake)
        }
    }

    /// Ends the output: the writer sends what is queued for up to `timeout` seconds (connecting again if it
    /// must), then stops; records still queued are counted as dropped. Later writes are dropped and counted.
    public func close(timeout: Double = 5) {
        let thread: pthread_t? = self.locked {
            guard !self.stopping else { return nil }
            self.stopping = true
            self.stopDeadline = monotonicSeconds() + timeout
            pthread_cond_signal(self.wake)
            return self.thread
        }
        if let thread { pthread_join(thread, nil) }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(self.lock)
        defer { pthread_mutex_unlock(self.lock) }
        return body()
    }

    /// Waits on the condition for at most `seconds` (the lock is held).
    private func wait(seconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let whole = Int(seconds)
        var until = timespec(tv_sec: now.tv_sec + whole, tv_nsec: now.tv_nsec + Int((seconds - Double(whole)) * 1e9))
        if until.tv_nsec >= 1_000_000_000 {
            until.tv_sec += 1
            until.tv_nsec -= 1_000_000_000
        }
        pthread_cond_timedwait(self.wake, self.lock, &until)
    }

    private func note(_ text: String) {
        self.messages?.write("weir: eve-log \(self.transport.label): \(text)\n")
    }

    /// The writer thread: connect, send, back off; ends when closed and the queue is empty or time is up.
    private func drain() {
        var connected = false
        var everConnected = false
        var backoff = Self.firstBackoff
        var retryAt = 0.0
        var reported = false
        // The first connection is made at start-up, so an unreachable peer is reported before any record.
        var firstAttempt = true
        while true {
            // Under the lock: wait for work, take the next batch (it stays queued until accepted).
            pthread_mutex_lock(self.lock)
            while !firstAttempt {
                let now = monotonicSeconds()
                if self.stopping && (self.head == self.queue.count || now >= self.stopDeadline) { break }
                if self.reconnectRequested { break }
                if self.head < self.queue.count && (connected || now >= retryAt) { break }
                // Nothing to send: sleep until a write signals. Records but no connection: until the next try.
                let hasWork = self.head < self.queue.count
                let until = !hasWork ? now + 1 : (self.stopping ? min(self.stopDeadline, retryAt) : retryAt)
                self.wait(seconds: max(0.001, min(1, until - now)))
            }
            if self.stopping && (self.head == self.queue.count || monotonicSeconds() >= self.stopDeadline) {
                self.tally.dropped += UInt64(self.queue.count - self.head)
                self.queue.removeAll()
                self.head = 0
                self.queuedBytes = 0
                pthread_mutex_unlock(self.lock)
                break
            }
            firstAttempt = false
            let reconnect = self.reconnectRequested
            self.reconnectRequested = false
            let end = min(self.queue.count, self.head + self.transport.batchLimit)
            let batch = self.queue[self.head..<end]
            pthread_mutex_unlock(self.lock)

            if reconnect && connected {
                self.transport.disconnect()
                connected = false
                retryAt = 0
            }
            if !connected {
                do throws(TransportFailure) {
                    try self.transport.connect()
                    connected = true
                    backoff = Self.firstBackoff
                    if everConnected {
                        self.locked { self.tally.reconnects += 1 }
                        if reported { self.note("connected again") }
                    }
                    everConnected = true
                    reported = false
                } catch {
                    if !reported { self.note("\(error.message); records are queued (and dropped when the queue is full) while retrying") }
                    reported = true
                    retryAt = monotonicSeconds() + backoff
                    backoff = min(Self.maxBackoff, backoff * 2)
                    continue
                }
            }
            guard !batch.isEmpty else { continue }
            var accepted = batch.count
            var refused = 0
            var failure: TransportFailure?
            do throws(TransportFailure) {
                refused = try self.transport.send(batch)
                accepted -= refused
            } catch {
                failure = error
                accepted = error.delivered
                refused = error.refused
            }
            self.locked {
                let done = accepted + refused
                for index in self.head..<(self.head + done) { self.queuedBytes -= self.queue[index].count }
                self.head += done
                self.tally.written += UInt64(accepted)
                self.tally.dropped += UInt64(refused)
                // Compact once the consumed part dominates.
                if self.head > 4096 && self.head * 2 > self.queue.count {
                    self.queue.removeFirst(self.head)
                    self.head = 0
                } else if self.head == self.queue.count {
                    self.queue.removeAll(keepingCapacity: true)
                    self.head = 0
                }
            }
            if let failure {
                self.transport.disconnect()
                connected = false
                if !reported { self.note("\(failure.message); reconnecting") }
                reported = true
                retryAt = monotonicSeconds() + backoff
                backoff = min(Self.maxBackoff, backoff * 2)
            }
        }
        if connected { self.transport.disconnect() }
    }
}
