// SPDX-License-Identifier: MIT
import Glibc
import WeirCapture
import WeirConfig
import WeirCore
import WeirDecode
import WeirOutput

/// Offline replay with several workers (`runmode: autofp`, Suricata's auto flow pinning): this thread reads the
/// capture files and hands each frame to a worker chosen by a symmetric hash of its outer IP addresses; each
/// worker runs a pipeline of its own (flows, stream, app layer, detection context, outputs) on its own thread.
///
/// The hash covers the outermost addresses only, never the ports: an IP fragment carries no ports, so hashing
/// them would send a datagram's fragments and its unfragmented packets to different workers, and a tunnel's
/// inner flows follow their outer packets. Both directions hash alike. So every packet of a flow, its
/// fragments and its tunnel are seen by one worker, in capture order: each flow's alerts and records are the
/// ones a single worker writes, in the same order. Workers append whole records to the same EVE file.
enum ReplayWorkers {
    /// How many workers `-r` runs: `--runmode autofp` (or `runmode: autofp`) runs
    /// `threading.cpu-affinity.worker-cpu-set.threads`, or else `threading.detect-thread-ratio` × the online CPUs
    /// (at least one), as Suricata sizes its detect threads;
    /// any other runmode runs the pipeline on the reading thread.
    static func count(_ setup: RunSetup) -> Int {
        guard setup.configuration.runMode == .autofp else { return 1 }
        // `worker-cpu-set.threads` says how many, as in Suricata.
        if let threads = setup.configuration.threading.sets[.worker]?.threads { return threads }
        let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        return max(1, Int((Double(cpus) * setup.configuration.detectThreadRatio).rounded(.down)))
    }

    /// Replays `files` through `count` workers; returns the pipeline of worker 0 holding the run's file
    /// bookkeeping, and every worker's pipeline for the summary.
    static func run(
        files: [String], setup: RunSetup, options: RunOptions, count: Int, stop: ReplayStop,
        progress: inout ProgressLine
    ) throws(RuntimeError) -> [ReplayPipeline] {
        var workers: [ReplayWorker] = []
        for index in 0..<count {
            let outputs =
                index == 0
                ? setup.outputs
                : try ReplayOutputs(
                    directory: setup.logDirectory, settings: setup.configuration.outputs,
                    stats: Self.noStats, sensorName: setup.configuration.sensorName, append: true,
                    network: setup.outputs.networkSinks, fileStore: setup.outputs.fileStore,
                    messages: options.messageOutput)
            var pipeline = setup.pipeline(options, outputs: outputs)
            // The run writes the stats: one record for all workers at the end.
            pipeline.writesPeriodicStats = false
            workers.append(ReplayWorker(pipeline: pipeline))
        }
        // With `set-cpu-affinity`, this reading thread takes the receive set, the workers the worker set.
        let placement = ThreadPlacement(setup.configuration.threading, options: options)
        placement.place(.receive, index: 0, name: "RX#01")
        var threads: [pthread_t] = []
        for (index, worker) in workers.enumerated() {
            let name = "W#" + (index < 9 ? "0" : "") + String(index + 1)
            guard
                let thread = spawnThread(detached: false, {
                    placement.place(.worker, index: index, name: name)
                    worker.run()
                })
            else {
                for channel in workers.map(\.channel) { channel.end() }
                for thread in threads { pthread_join(thread, nil) }
                throw RuntimeError("cannot start a replay worker thread: \(String(cString: strerror(errno)))")
            }
            threads.append(thread)
        }
        var reader = BatchReader(channels: workers.map(\.channel))
        var damaged: [InputDamage] = []
        var unreadable: [(String, String)] = []
        var filesRead: UInt64 = 0
        var stoppedEarly: (reason: String, filesNotRead: Int)?
        let err = options.messageOutput
        let report = !options.quiet || options.messages != nil
        files: for (index, path) in files.enumerated() {
            if index > 0 && stop.requested(setup.outputs) {
                stoppedEarly = (stop.reason ?? "a stop request", files.count - index)
                break
            }
            let file: PcapFile
            do {
                file = try PcapFile(path: path)
            } catch {
                unreadable.append((path, error.message))
                if report { err.write("weir: skipping \(error)\n") }
                continue
            }
            guard let linkType = LinkType(rawValue: file.linkType) else {
                unreadable.append((path, "unsupported link type \(file.linkType)"))
                if report { err.write("weir: skipping \(path): unsupported link type \(file.linkType)\n") }
                continue
            }
            filesRead += 1
            reader.start(linkType: linkType)
            var packetsInFile: UInt64 = 0
            loop: while true {
                switch file.next() {
                case .record(let record):
                    packetsInFile += 1
                    reader.dispatch(record)
                    if packetsInFile & 63 == 0, stop.requested(setup.outputs) { break files }
                    if reader.packets & 0xfff == 0 {
                        progress.update(fileBytesDone: file.position, packets: reader.packets, alerts: reader.alerts)
                    }
                case .end:
                    break loop
                case .damaged(let message):
                    let damage = InputDamage(path: path, packetsBefore: packetsInFile, message: message)
                    damaged.append(damage)
                    progress.clear()
                    if report { err.write(damage.line(readOn: false)) }
                    break loop
                }
            }
            if let damage = InputDamage(skippedIn: file, path: path) {
                damaged.append(damage)
                if report {
                    progress.clear()
                    err.write(damage.line(readOn: true))
                }
            }
            progress.finishFile(size: file.fileSize)
        }
        if stoppedEarly == nil, let reason = stop.reason { stoppedEarly = (reason, 0) }
        reader.finish()
        for thread in threads { pthread_join(thread, nil) }
        var pipelines = workers.map(\.pipeline)
        pipelines[0].damaged = damaged
        pipelines[0].unreadable = unreadable
        pipelines[0].filesRead = filesRead
        pipelines[0].stoppedEarly = stoppedEarly
        return pipelines
    }

    /// Stats settings for workers after the first: their outputs write no stats (the run writes them).
    static var noStats: StatsSettings {
        var settings = StatsSettings()
        settings.enabled = false
        return settings
    }
}

/// The symmetric hash that pins a frame to a worker: the outermost IPv4 or IPv6 source and destination
/// addresses, in either order; for an ICMPv4 destination unreachable, the addresses of the packet it quotes,
/// whose flow it joins. Frames without an IP layer it can find (ARP, MPLS, PPPoE …) hash to 0.
enum DispatchHash {
    static func of(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> UInt64 {
        var at: Int
        switch linkType {
        case .ethernet:
            guard frame.count >= 14 else { return 0 }
            at = 12
            var type = Self.be16(frame, at)
            // 802.1Q, 802.1ad and the old QinQ tags.
            while type == 0x8100 || type == 0x88A8 || type == 0x9100, frame.count >= at + 6 {
                at += 4
                type = Self.be16(frame, at)
            }
            guard type == 0x0800 || type == 0x86DD else { return 0 }
            at += 2
        case .linuxSLL:
            at = 16
        case .linuxSLL2:
            at = 20
        case .null, .loop:
            at = 4
        case .raw, .rawDLT12, .rawDLT14, .ipv4, .ipv6, .greOverIP:
            at = 0
        case .ppp, .ciscoHDLC:
            return 0
        }
        guard frame.count > at else { return 0 }
        switch frame[at] >> 4 {
        case 4:
            guard frame.count >= at + 20 else { return 0 }
            // A destination unreachable joins the flow it quotes: hashed by the quoted addresses, it meets
            // that flow's worker (an error from a router in between would otherwise go elsewhere).
            let headerLength = Int(frame[at] & 0x0f) * 4
            let icmp = at + headerLength
            let quoted = icmp + 8
            if frame[at + 9] == 1, headerLength >= 20, Self.be16(frame, at + 6) & 0x3fff == 0,
                frame.count >= quoted + 20, frame[icmp] == 3, frame[quoted] >> 4 == 4
            {
                return Self.pair(Self.word(frame, quoted + 12, 4), Self.word(frame, quoted + 16, 4))
            }
            return Self.pair(Self.word(frame, at + 12, 4), Self.word(frame, at + 16, 4))
        case 6:
            guard frame.count >= at + 40 else { return 0 }
            let a = Self.word(frame, at + 8, 16)
            let b = Self.word(frame, at + 24, 16)
            return Self.pair(a, b)
        default:
            return 0
        }
    }

    /// The worker of `hash` among `count`.
    @inline(__always)
    static func worker(_ hash: UInt64, count: Int) -> Int {
        // Shifts bind tighter than multiplication in Swift: the product is taken first on purpose.
        Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(count)) >> 32)
    }

    @inline(__always)
    private static func be16(_ frame: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(frame[at]) << 8 | UInt16(frame[at + 1])
    }

    /// `count` bytes at `at` folded into 64 bits (FNV-1a).
    @inline(__always)
    private static func word(_ frame: UnsafeRawBufferPointer, _ at: Int, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in at..<at + count {
            h = (h ^ UInt64(frame[i])) &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The two addresses' hashes combined the same way in either order, then mixed (splitmix64's finaliser).
    @inline(__always)
    private static func pair(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var x = min(a, b) &* 0x9E37_79B9_7F4A_7C15 ^ max(a, b)
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}

/// Frames copied out of the capture file for one worker: their bytes packed in one buffer, with the offset,
/// length, original length and time of each. Allocated once and recycled between the reader and its worker.
final class PacketBatch {
    static let byteCapacity = 1 << 20
    static let recordCapacity = 2048

    struct Entry {
        var offset: Int
        var length: Int
        var wireLength: Int
        var timestamp: Timestamp
        /// The frame's number in the whole input (EVE `pcap_cnt`), as one worker would count it.
        var number: UInt64
    }

    let bytes: UnsafeMutableRawPointer
    let entries: UnsafeMutablePointer<Entry>
    var used = 0
    var count = 0
    var linkType = LinkType.ethernet
    /// The newest packet time the reader had seen when it sent the batch: the worker's flow clock may move on
    /// to it once the batch is done (its own later packets can only be newer).
    var clock = Timestamp(microseconds: 0)

    init() {
        self.bytes = UnsafeMutableRawPointer.allocate(byteCount: Self.byteCapacity, alignment: 64)
        self.entries = UnsafeMutablePointer<Entry>.allocate(capacity: Self.recordCapacity)
    }

    deinit {
        self.bytes.deallocate()
        self.entries.deallocate()
    }

    /// Whether a frame of `length` bytes still fits.
    @inline(__always)
    func fits(_ length: Int) -> Bool {
        self.count < Self.recordCapacity && self.used + length <= Self.byteCapacity
    }

    @inline(__always)
    func append(_ record: PcapRecord, number: UInt64) {
        let length = min(record.bytes.count, Self.byteCapacity)
        if length > 0, let base = record.bytes.baseAddress {
            (self.bytes + self.used).copyMemory(from: base, byteCount: length)
        }
        self.entries[self.count] = Entry(
            offset: self.used, length: length, wireLength: record.wireLength, timestamp: record.timestamp,
            number: number)
        self.used += length
        self.count += 1
    }

    @inline(__always)
    func record(_ index: Int) -> PcapRecord {
        let entry = self.entries[index]
        return PcapRecord(
            timestamp: entry.timestamp,
            bytes: UnsafeRawBufferPointer(start: self.bytes + entry.offset, count: entry.length),
            wireLength: entry.wireLength)
    }

    func reset() {
        self.used = 0
        self.count = 0
    }
}

/// The queue between the reader and one worker: full batches one way, empty ones back, a bounded number in
/// flight (the reader waits when the worker is that far behind). One mutex and one condition per direction.
final class BatchChannel: @unchecked Sendable {
    static let batchesInFlight = 8

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let filled: UnsafeMutablePointer<pthread_cond_t>
    private let emptied: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [PacketBatch] = []
    private var head = 0
    private var spare: [PacketBatch] = []
    private var made = 0
    private var ended = false
    /// Alerts the worker has written so far (for the progress line).
    private var alertsSoFar: UInt64 = 0

    init() {
        self.mutex = .allocate(capacity: 1)
        self.filled = .allocate(capacity: 1)
        self.emptied = .allocate(capacity: 1)
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.filled, nil)
        pthread_cond_init(self.emptied, nil)
        self.queue.reserveCapacity(Self.batchesInFlight)
        self.spare.reserveCapacity(Self.batchesInFlight)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        pthread_cond_destroy(self.filled)
        pthread_cond_destroy(self.emptied)
        self.mutex.deallocate()
        self.filled.deallocate()
        self.emptied.deallocate()
    }

    /// Reader: an empty batch, waiting for the worker to hand one back when all are in flight.
    func emptyBatch() -> PacketBatch {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        while self.spare.isEmpty {
            if self.made < Self.batchesInFlight {
                self.made += 1
                return PacketBatch()
            }
            pthread_cond_wait(self.emptied, self.mutex)
        }
        return self.spare.removeLast()
    }

    /// Reader: hands a filled batch to the worker.
    func send(_ batch: PacketBatch) {
        pthread_mutex_lock(self.mutex)
        self.queue.append(batch)
        pthread_cond_signal(self.filled)
        pthread_mutex_unlock(self.mutex)
    }

    /// Reader: no more batches; the worker ends once it has done the ones sent.
    func end() {
        pthread_mutex_lock(self.mutex)
        self.ended = true
        pthread_cond_signal(self.filled)
        pthread_mutex_unlock(self.mutex)
    }

    /// Worker: the next batch, or nil when the reader is done and every batch has been taken.
    func receive() -> PacketBatch? {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        while self.head == self.queue.count {
            if self.ended { return nil }
            pthread_cond_wait(self.filled, self.mutex)
        }
        let batch = self.queue[self.head]
        self.head += 1
        if self.head == self.queue.count {
            self.queue.removeAll(keepingCapacity: true)
            self.head = 0
        }
        return batch
    }

    /// Worker: gives a processed batch back, with the worker's alert count so far.
    func recycle(_ batch: PacketBatch, alerts: UInt64) {
        batch.reset()
        pthread_mutex_lock(self.mutex)
        self.spare.append(batch)
        self.alertsSoFar = alerts
        pthread_cond_signal(self.emptied)
        pthread_mutex_unlock(self.mutex)
    }

    var alerts: UInt64 {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return self.alertsSoFar
    }
}

/// The reader's side: one batch being filled per worker, sent when full, when the link type changes, and
/// every few thousand frames (so a quiet worker's flows and clock do not lag far behind the others').
struct BatchReader {
    static let sendEvery: UInt64 = 4096

    let channels: [BatchChannel]
    var current: [PacketBatch?]
    var linkType = LinkType.ethernet
    var clock = Timestamp(microseconds: 0)
    var packets: UInt64 = 0

    init(channels: [BatchChannel]) {
        self.channels = channels
        self.current = Array(repeating: nil, count: channels.count)
    }

    /// A new file: batches of the previous link type go out first.
    mutating func start(linkType: LinkType) {
        if linkType != self.linkType { self.sendAll() }
        self.linkType = linkType
    }

    @inline(__always)
    mutating func dispatch(_ record: PcapRecord) {
        self.packets += 1
        if record.timestamp > self.clock { self.clock = record.timestamp }
        let index =
            self.channels.count == 1
            ? 0 : DispatchHash.worker(DispatchHash.of(record.bytes, linkType: self.linkType), count: self.channels.count)
        let length = min(record.bytes.count, PacketBatch.byteCapacity)
        if let batch = self.current[index], !batch.fits(length) { self.send(index) }
        let batch: PacketBatch
        if let open = self.current[index] {
            batch = open
        } else {
            batch = self.channels[index].emptyBatch()
            batch.linkType = self.linkType
            self.current[index] = batch
        }
        batch.append(record, number: self.packets)
        if self.packets % Self.sendEvery == 0 { self.sendAll() }
    }

    /// Alerts written so far by all workers.
    var alerts: UInt64 { self.channels.reduce(0) { $0 + $1.alerts } }

    private mutating func send(_ index: Int) {
        guard let batch = self.current[index] else { return }
        batch.clock = self.clock
        self.channels[index].send(batch)
        self.current[index] = nil
    }

    private mutating func sendAll() {
        for index in self.channels.indices { self.send(index) }
    }

    /// Sends what is left and tells every worker the input is done.
    mutating func finish() {
        self.sendAll()
        for channel in self.channels { channel.end() }
    }
}

/// One replay worker: a pipeline of its own fed by a ``BatchChannel``.
final class ReplayWorker {
    var pipeline: ReplayPipeline
    let channel = BatchChannel()

    init(pipeline: ReplayPipeline) {
        self.pipeline = pipeline
    }

    func run() {
        let emit = self.pipeline.flowEndHandler()
        var processed: UInt64 = 0
        while let batch = self.channel.receive() {
            let type = batch.linkType
            // Taken out of the table while in use, so updating it copies nothing.
            var decoder =
                self.pipeline.decoders.removeValue(forKey: type.rawValue)
                ?? PacketDecoder(
                    linkType: type, checksums: self.pipeline.configuration.fileChecksumValidation,
                    settings: self.pipeline.configuration.decoderSettings)
            for index in 0..<batch.count {
                // The pipeline numbers the packet one past this: the input's numbering, not the worker's.
                self.pipeline.packetNumber = batch.entries[index].number - 1
                self.pipeline.process(batch.record(index), decoder: &decoder, emit: emit)
            }
            processed += UInt64(batch.count)
            self.pipeline.decoders[type.rawValue] = decoder
            self.pipeline.advanceClock(to: batch.clock, emit: emit)
            self.channel.recycle(batch, alerts: self.pipeline.outputs.alertRecords)
        }
        // From here on the worker's packet count, which the summary adds up.
        self.pipeline.packetNumber = processed
        self.pipeline.finish(writeStats: false)
    }
}
