// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Synchronization
import WeirBypass
import WeirCapture
import WeirCore
import WeirDecode
import WeirFlow
import WeirOutput

/// What one live worker reports when asked: its counters (Suricata's names and Weir's), and the kernel's
/// counters of its rings, per interface.
struct WorkerSnapshot: Sendable {
    var counters: [EVEStatsCounter]
    var statistics: AFPacketStatistics
    var perInterface: [(name: String, statistics: AFPacketStatistics)]
    var forwarded: UInt64 = 0
    var forwardErrors: UInt64 = 0
    var rejects: UInt64 = 0
    var lastTimestamp: Timestamp
    var uptime: UInt64
}

/// The counters of a live capture as the stats record carries them: every worker's summed under one name,
/// then the kernel's capture counters and any extra counters (bypass plane). The one place the stats
/// record, `dump-counters` and `/metrics` take their figures from.
enum LiveCounters {
    static func totals(
        _ snapshots: [WorkerSnapshot],
        inline: Bool,
        extra: [(String, UInt64)]
    ) -> [EVEStatsCounter] {
        var totals: [(String, UInt64)] = []
        var position: [String: Int] = [:]
        var statistics = AFPacketStatistics()
        for snapshot in snapshots {
            statistics.add(snapshot.statistics)
            for counter in snapshot.counters {
                if let at = position[counter.name] {
                    totals[at].1 += counter.value
                } else {
                    position[counter.name] = totals.count
                    totals.append((counter.name, counter.value))
                }
            }
        }
        var capture = [
            ("capture.kernel_packets", statistics.packets), ("capture.kernel_drops", statistics.drops),
            ("capture.kernel_freezes", statistics.freezes),
        ]
        if inline {
            let rejects = snapshots.reduce(0) { $0 + $1.rejects }
            capture.append(("capture.forwarded", snapshots.reduce(0) { $0 + $1.forwarded } - rejects))
            capture.append(("capture.forward_errors", snapshots.reduce(0) { $0 + $1.forwardErrors }))
            capture.append(("capture.rejects_sent", rejects))
        }
        capture += extra
        for (name, value) in capture {
            if let at = position[name] { totals[at].1 = value } else { totals.append((name, value)) }
        }
        return totals.map { EVEStatsCounter($0.0, $0.1) }
    }
}

/// The control side of a live capture, shared by the workers, the control thread and the socket's clients:
/// rule reload, a mailbox through which the workers answer counter requests at packet boundaries, and what
/// the control commands report. Workers never wait on it: per loop they load two atomics.
final class ControlPlane: @unchecked Sendable {
    let reloader: RuleReloader
    let interfaces: [String]
    let runningMode: String
    /// What `version` answers.
    let version: String
    let inline: Bool
    let extraCounters: [(String, UInt64)]
    let kernel: KernelBypass?
    /// Wall-clock second the capture started (`uptime`).
    let started: Int
    /// Set by `shutdown`: every worker stops at its next packet boundary, as on SIGTERM.
    let stopRequested = Atomic<Bool>(false)

    /// Counter requests: the control side bumps ``requested``; each worker, at its next packet boundary,
    /// posts a snapshot tagged with the request it answers.
    let requested = Atomic<Int>(0)
    private let replies: Mutex<[(request: Int, snapshot: WorkerSnapshot)?]>
    /// Per worker: stopped (its final snapshot stays posted and answers every later request).
    private let stopped: Mutex<[Bool]>
    /// One counter request at a time.
    private let asking = Mutex<Void>(())

    init(
        reloader: RuleReloader,
        workers: Int,
        interfaces: [String],
        runningMode: String,
        version: String,
        inline: Bool,
        extraCounters: [(String, UInt64)],
        kernel: KernelBypass?
    ) {
        self.reloader = reloader
        self.interfaces = interfaces
        self.runningMode = runningMode
        self.version = version
        self.inline = inline
        self.extraCounters = extraCounters
        self.kernel = kernel
        self.started = time(nil)
        self.replies = Mutex([(request: Int, snapshot: WorkerSnapshot)?](repeating: nil, count: workers))
        self.stopped = Mutex([Bool](repeating: false, count: workers))
    }

    /// A worker answers request `request`.
    func post(worker: Int, request: Int, snapshot: WorkerSnapshot, final: Bool = false) {
        self.replies.withLock { if worker < $0.count { $0[worker] = (request, snapshot) } }
        if final { self.stopped.withLock { if worker < $0.count { $0[worker] = true } } }
    }

    /// Every worker's snapshot, taken at a packet boundary after this call; nil when a running worker did
    /// not answer within `timeout` seconds.
    func snapshots(timeout: Double = 5) -> [WorkerSnapshot]? {
        self.asking.withLock { (_: inout Void) -> [WorkerSnapshot]? in
            let request = self.requested.add(1, ordering: .acquiringAndReleasing).newValue
            let deadline = monotonicSeconds() + timeout
            while true {
                let answer = self.replies.withLock { replies -> [WorkerSnapshot]? in
                    let stopped = self.stopped.withLock { $0 }
                    var out: [WorkerSnapshot] = []
                    for (index, reply) in replies.enumerated() {
                        guard let reply, reply.request >= request || (index < stopped.count && stopped[index])
                        else { return nil }
                        out.append(reply.snapshot)
                    }
                    return out
                }
                if let answer { return answer }
                if monotonicSeconds() >= deadline { return nil }
                usleep(1000)
            }
        }
    }

    /// The stats record of the capture now: the same counters, names and shape as the one written at exit.
    func statsRecord() -> EVEStatsRecord? {
        guard let snapshots = self.snapshots() else { return nil }
        let counters = LiveCounters.totals(snapshots, inline: self.inline, extra: self.extraCounters)
        let last = snapshots.map(\.lastTimestamp).max() ?? LiveCapture.wallClock()
        let uptime = UInt64(max(0, time(nil) - self.started))
        var record = EVEStatsRecord(timestamp: last, uptime: uptime, counters: counters)
        record.detectEngines = [self.reloader.engine.statsEntry]
        return record
    }
}

extension LiveWorker {
    /// This worker's counters now (called on its own thread, between ring reads, or after it stopped).
    func snapshot() -> WorkerSnapshot {
        let view = self.pipeline
        let counters = view.allCounters(decoders: self.decodersMerged ? [] : self.decoders, capture: self.captureCounters)
        var perInterface: [(name: String, statistics: AFPacketStatistics)] = []
        var sum = AFPacketStatistics()
        if let pcap = self.pcap {
            let statistics = pcap.statistics()
            perInterface.append((pcap.interface, statistics))
            sum = statistics
        } else {
            for ring in self.rings {
                let statistics = ring.statistics()
                perInterface.append((ring.settings.interface, statistics))
                sum.add(statistics)
            }
        }
        var snapshot = WorkerSnapshot(
            counters: counters.map { EVEStatsCounter($0.name, $0.value) },
            statistics: sum,
            perInterface: perInterface,
            lastTimestamp: view.lastTimestamp,
            uptime: view.uptimeSeconds
        )
        if let sender = self.forwarding?.sender {
            snapshot.forwarded = sender.sent
            snapshot.forwardErrors = sender.failures
        }
        snapshot.rejects = self.rejectsSent
        return snapshot
    }

    /// Folds the worker's decoders (one per ring) into the pipeline's per-link-type table.
    static func merge(_ decoders: [PacketDecoder], into pipeline: inout ReplayPipeline) {
        for decoder in decoders {
            let type = decoder.linkType.rawValue
            if var existing = pipeline.decoders[type] {
                existing.statistics.merge(decoder.statistics)
                pipeline.decoders[type] = existing
            } else {
                pipeline.decoders[type] = decoder
            }
        }
    }

    /// Between two ring reads: takes a reloaded engine, answers a counter request.
    func serviceControl(_ control: ControlPlane) {
        let generation = control.reloader.published.load(ordering: .acquiring)
        if generation != self.engineGeneration {
            let loaded = control.reloader.engine
            control.reloader.retire(self.pipeline.adopt(loaded, prepared: loaded.context(for: self.index)))
            self.engineGeneration = loaded.generation
            control.reloader.acknowledge(worker: self.index, generation: loaded.generation)
        }
        let request = control.requested.load(ordering: .acquiring)
        if request != self.answeredRequest {
            self.answeredRequest = request
            control.post(worker: self.index, request: request, snapshot: self.snapshot())
        }
    }
}
