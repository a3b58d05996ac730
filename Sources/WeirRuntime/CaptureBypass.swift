// SPDX-License-Identifier: MIT
import Glibc
import WeirBypass
import WeirCore
import WeirFlow

/// A mutex for state that worker threads share.
final class WorkerLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        self.mutex = .allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(self.mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return body()
    }
}

/// The kernel side of capture bypass, shared by every worker of an interface (or inline pair): the loaded
/// data planes (one, or one per interface of an inline pair, each redirecting to the other), their flow
/// tables (written under a lock: a table's probe-then-write must not interleave between workers), the XDP
/// attachments (kept for the capture's lifetime; a bpf_link detaches with the process), and the action
/// bypassed flows get (`bypass`, or `fastForward` inline).
final class KernelBypass: @unchecked Sendable {
    let planes: [BypassDataPlane]
    let attachments: [XDPAttachment]
    let action: BypassAction
    private let tables: [BypassTable]
    private let lock = WorkerLock()
    /// Entries found in reused tables at start (left by a run that was killed): no flow of this run owns
    /// them. Each is adopted by the flow its next packet in user space creates, or removed once the kernel
    /// has not seen it for the protocol's bypassed-flow timeout. Guarded by `lock`.
    private var orphans: [FlowKey: BypassEntry] = [:]
    private var orphansChecked: UInt64 = 0
    /// Orphans adopted by a flow, and orphans removed as idle (or at exit).
    private(set) var adopted: UInt64 = 0
    private(set) var expired: UInt64 = 0
    /// Idle time after which an orphan is removed, by IP protocol number (nanoseconds).
    var orphanTimeout: (UInt8) -> UInt64 = { _ in 100_000_000_000 }

    init(planes: [BypassDataPlane], attachments: [XDPAttachment] = [], action: BypassAction = .bypass) {
        self.planes = planes
        self.tables = planes.map { $0.table() }
        self.attachments = attachments
        self.action = action
        // Reconcile reused tables: whatever is in them now belongs to no flow of this run.
        if planes.contains(where: \.reusedPins) {
            for table in self.tables {
                for entry in table.entries() where self.orphans[entry.key] == nil { self.orphans[entry.key] = entry }
            }
        }
    }

    /// The counters of the shared tables (not of one worker): orphans adopted and expired.
    var counters: [(String, UInt64)] {
        self.lock.withLock {
            [("flow_bypassed.capture_adopted", self.adopted), ("flow_bypassed.capture_orphans_expired", self.expired)]
        }
    }

    /// Entries left by an earlier run that are still waiting for adoption or expiry.
    var orphanCount: Int { self.lock.withLock { self.orphans.count } }

    /// Takes the orphan entry of `key`, if there is one: the flow that owns it now continues it. Returns the
    /// entry's counters (summed over the tables) and recorded direction.
    func adopt(_ key: FlowKey) -> (entry: BypassEntry, packets: UInt64)? {
        self.lock.withLock { () -> (BypassEntry, UInt64)? in
            // Orphans are keyed as the kernel table holds them (an ICMPv4 flow's types are not in the kernel key).
            guard !self.orphans.isEmpty, let orphan = self.orphans.removeValue(forKey: key.kernelForm) else {
                return nil
            }
            self.adopted += 1
            let entries = self.tables.compactMap { $0.entry(for: key) }
            let packets = entries.reduce(0) { $0 + $1.packetsFirstToSecond + $1.packetsSecondToFirst }
            return (orphan, packets)
        }
    }

    /// Removes orphans the kernel has not seen for their timeout (checked at most once a second), or all of
    /// them (`all`, at the end of the capture: nothing would manage them any more).
    func expireOrphans(now: UInt64 = monotonicNanoseconds(), all: Bool = false) {
        self.lock.withLock {
            guard !self.orphans.isEmpty, all || now >= self.orphansChecked + 1_000_000_000 else { return }
            self.orphansChecked = now
            for (key, _) in self.orphans {
                let entries = self.tables.compactMap { $0.entry(for: key) }
                guard !entries.isEmpty else {
                    self.orphans[key] = nil  // removed by someone else (`weir bypass flush`)
                    continue
                }
                let last = entries.map(\.lastActivityNanoseconds).max() ?? 0
                guard all || (now > last && now - last > self.orphanTimeout(key.proto)) else { continue }
                for table in self.tables { _ = try? table.remove(key) }
                self.orphans[key] = nil
                self.expired += 1
            }
        }
    }

    /// A start that failed after loading: detaches the programs and removes the pin directories this start
    /// created (reused ones, with their flows, stay).
    func abandon() {
        for attachment in self.attachments { attachment.detach() }
        for plane in self.planes where plane.createdPinDirectory {
            if let directory = plane.pinDirectory { try? BypassDataPlane.unpin(directory: directory) }
        }
    }

    /// Runs `body` with the tables, one worker at a time.
    func withTables<T>(_ body: ([BypassTable]) -> T) -> T {
        self.lock.withLock { body(self.tables) }
    }
}

/// One worker's capture bypass (`af-packet` `bypass: yes`): the flows it handed to the kernel table.
///
/// Closed loop, where Suricata's bypass is open (its weaknesses 1-3 in the bypass study): a flow is offered
/// only when the kernel can match its key; its entry is removed when the flow ends, and the kernel's
/// counters come back into the flow's EVE record; a flow the kernel never hit is counted; and while the
/// kernel keeps seeing a flow, the worker's copy of it does not time out.
final class CaptureBypass {
    let kernel: KernelBypass
    /// A flow in the kernel table.
    private struct Active {
        /// Its flow-table slot.
        var slot: Int32
        /// The kernel's packet total last seen.
        var kernelPackets: UInt64
        /// Frames in the worker's rings not yet read right after the table write (nil for an adopted flow,
        /// written by an earlier run): the most frames of the flow user space can still see.
        var backlogAtWrite: UInt64?
        /// Frames of the flow user space read after the write (its FIN/RST, passed up on purpose, aside).
        var late: UInt64 = 0
        /// Microseconds from the deciding frame's arrival (its ring timestamp) to the write; nil when unknown.
        var delay: Int64? = nil
    }

    /// Flows in the kernel table, by flow id.
    private var active: [UInt64: Active] = [:]
    /// The frames in the worker's rings not yet read (set by a live worker), sampled right after each table
    /// write.
    var ringBacklog: (() -> UInt64)?
    /// Where a flow that user space still saw after its table write is logged: at most one line a second
    /// (per worker), which names how many such flows went unlogged since the previous line.
    var log: ((String) -> Void)?
    private var loggedAt = -Double.infinity
    private var unlogged: UInt64 = 0

    /// Flows put into the kernel table.
    private(set) var offered: UInt64 = 0
    /// Bypass decisions the kernel could not take (key it cannot match, table write failed): bypassed
    /// locally instead.
    private(set) var fellBack: UInt64 = 0
    /// Entries removed at flow end.
    private(set) var removed: UInt64 = 0
    /// Flows whose kernel entry saw no packet before the flow ended.
    private(set) var neverHit: UInt64 = 0
    /// Packets and bytes the kernel kept from user space, over ended flows.
    private(set) var kernelPackets: UInt64 = 0
    private(set) var kernelBytes: UInt64 = 0
    /// Frames of flows already in the kernel table that user space read anyway (they were in the ring when
    /// the entry was written), over ended flows; the flows that had any; and flows that had more of them than
    /// the ring held at the write and ``framesInFlight`` together (none, unless the kernel missed the entry).
    private(set) var lateFrames: UInt64 = 0
    private(set) var lateFlows: UInt64 = 0
    private(set) var lateBeyondBacklog: UInt64 = 0
    /// Ring backlog right after each table write, summed over the writes.
    private(set) var backlogAtWrites: UInt64 = 0
    /// Frames that may have passed the kernel's check before the write yet not be in the ring (nor in its
    /// counters) when the backlog is sampled: XDP runs in the driver's NAPI poll, and the frames it passes
    /// reach the packet socket at the end of that poll (GRO holds them), at most one poll budget
    /// (NAPI_POLL_WEIGHT, 64) per receive queue; the socket filter runs inside the socket's receive path,
    /// one frame per CPU at a time. A flow's late frames beyond its backlog plus this are the kernel's miss.
    static let framesInFlight: UInt64 = 64
    /// TCP FIN/RST frames of capture-bypassed flows, which the kernel passes up so a flow's end is seen.
    private(set) var flowEndFrames: UInt64 = 0
    /// Microseconds from each deciding frame's capture to its table write, summed over the writes (divided by
    /// `capture_offered`, the mean time the kernel had to wait for the worker).
    private(set) var writeDelayMicroseconds: UInt64 = 0

    init(kernel: KernelBypass) {
        self.kernel = kernel
    }

    /// Puts the flow in the kernel table; false when it must be bypassed locally instead. `decidedOn`: the
    /// capture time of the frame that decided it, for the delay logged with late frames.
    func offer(_ flow: Flow, slot: Int32, decidedOn: Timestamp? = nil) -> Bool {
        let action = self.kernel.action
        // No kernel key for frames with more VLAN tags than the kernel parses: bypassed locally.
        let key = flow.kernelKey
        let inserted = key.map { key in
            self.kernel.withTables { tables -> Bool in
                // All or nothing: an inline flow must be forwarded by both interfaces' programs.
                for (done, table) in tables.enumerated() {
                    do {
                        try table.insert(key, action: action, clientIsFirst: flow.clientIsFirst)
                    } catch {
                        for earlier in tables.prefix(done) { _ = try? earlier.remove(key) }
                        return false
                    }
                }
                return true
            }
        } ?? false
        guard inserted else {
            self.fellBack += 1
            return false
        }
        self.offered += 1
        // Whatever reaches the rings from now on passed the kernel's check with the entry in place; what is
        // still unread was written before, so it bounds the flow's late frames.
        let backlog = self.ringBacklog?() ?? 0
        self.backlogAtWrites += backlog
        let delay = decidedOn.map { LiveCapture.wallClock().microseconds - $0.microseconds }
        if let delay, delay > 0 { self.writeDelayMicroseconds += UInt64(delay) }
        self.active[flow.flowID] = Active(slot: slot, kernelPackets: 0, backlogAtWrite: backlog, delay: delay)
        return true
    }

    /// User space read a frame of a capture-bypassed flow. `flowEnd`: a TCP FIN or RST, which the kernel
    /// passes up on purpose so the flow's end is seen; any other frame was in the ring before the write.
    func sawFrame(of flowID: UInt64, flowEnd: Bool) {
        if flowEnd {
            self.flowEndFrames += 1
        } else {
            self.active[flowID]?.late += 1
        }
    }

    /// Ticks the kernel's clock (it stamps last-seen times with the manager's tick) and keeps alive every
    /// capture-bypassed flow the kernel saw since the last refresh, by moving its `last` to `now`.
    func refresh(_ flows: inout FlowTable, now: Timestamp) {
        for plane in self.kernel.planes { try? plane.heartbeat() }
        self.kernel.expireOrphans()
        for (flowID, state) in self.active {
            let flow = flows[state.slot]
            guard flow.flowID == flowID, let key = flow.kernelKey else { continue }
            let entries = self.kernel.withTables { tables in tables.compactMap { $0.entry(for: key) } }
            let total = entries.reduce(0) { $0 + $1.packetsFirstToSecond + $1.packetsSecondToFirst }
            if total > state.kernelPackets {
                self.active[flowID]?.kernelPackets = total
                if now > flow.last { flows[state.slot].last = now }
            }
        }
    }

    /// A new flow whose key has an entry left by a killed run takes it over: it is capture-bypassed from
    /// here on, keeps the direction the earlier run recorded, and gets the kernel's counters at its end.
    /// True when the flow was adopted (the caller then treats the packet as bypassed).
    func adopt(_ flow: inout Flow, slot: Int32) -> Bool {
        guard let key = flow.kernelKey, let (entry, packets) = self.kernel.adopt(key) else { return false }
        if let clientIsFirst = entry.clientIsFirst, clientIsFirst != flow.clientIsFirst {
            flow.clientIsFirst = clientIsFirst
            swap(&flow.packetsToServer, &flow.packetsToClient)
            swap(&flow.bytesToServer, &flow.bytesToClient)
        }
        flow.state = .bypassed
        flow.bypass = .capture
        self.offered += 1
        self.active[flow.flowID] = Active(slot: slot, kernelPackets: packets, backlogAtWrite: nil)
        return true
    }

    /// The flow ended: removes its kernel entry and adds what the kernel counted to the flow.
    func finish(_ flow: inout Flow) {
        if let state = self.active.removeValue(forKey: flow.flowID), state.late > 0 {
            self.lateFrames += state.late
            self.lateFlows += 1
            let backlog = state.backlogAtWrite.map(String.init) ?? "unknown (adopted)"
            if let written = state.backlogAtWrite, state.late > written + Self.framesInFlight {
                self.lateBeyondBacklog += 1
            }
            let now = monotonicSeconds()
            if let log = self.log, now - self.loggedAt >= 1 {
                let delay = state.delay.map { "; written \($0) µs after the deciding frame arrived" } ?? ""
                let others = self.unlogged > 0 ? " (\(self.unlogged) more such flows since the last line)" : ""
                log(
                    "weir: bypass: flow \(flow.key.firstAddress):\(flow.key.firstPort) - \(flow.key.secondAddress):\(flow.key.secondPort): \(state.late) frames read after its kernel table write (ring backlog at the write: \(backlog)\(delay))\(others)\n"
                )
                self.loggedAt = now
                self.unlogged = 0
            } else {
                self.unlogged += 1
            }
        }
        guard let key = flow.kernelKey else { return }
        let entries = self.kernel.withTables { tables -> [BypassEntry] in
            tables.compactMap { table in
                do {
                    return try table.remove(key)
                } catch {
                    return nil
                }
            }
        }
        guard !entries.isEmpty else { return }
        self.removed += 1
        // Inline, each interface's program counted the direction that arrived on it: the sum is the flow.
        let firstToSecond = entries.reduce((UInt64(0), UInt64(0))) { ($0.0 + $1.packetsFirstToSecond, $0.1 + $1.bytesFirstToSecond) }
        let secondToFirst = entries.reduce((UInt64(0), UInt64(0))) { ($0.0 + $1.packetsSecondToFirst, $0.1 + $1.bytesSecondToFirst) }
        let toServerIsFirst = flow.clientIsFirst
        flow.bypassedPacketsToServer = toServerIsFirst ? firstToSecond.0 : secondToFirst.0
        flow.bypassedPacketsToClient = toServerIsFirst ? secondToFirst.0 : firstToSecond.0
        flow.bypassedBytesToServer = toServerIsFirst ? firstToSecond.1 : secondToFirst.1
        flow.bypassedBytesToClient = toServerIsFirst ? secondToFirst.1 : firstToSecond.1
        let packets = flow.bypassedPacketsToServer + flow.bypassedPacketsToClient
        if packets == 0 { self.neverHit += 1 }
        self.kernelPackets += packets
        self.kernelBytes += flow.bypassedBytesToServer + flow.bypassedBytesToClient
    }

    /// This worker's counters for the stats record (Suricata's `flow_bypassed.*` names where it has them); the
    /// shared tables' own are ``KernelBypass/counters``.
    var counters: [(String, UInt64)] {
        [
            ("flow_bypassed.capture_offered", self.offered),
            ("flow_bypassed.capture_fallback_local", self.fellBack),
            ("flow_bypassed.capture_removed", self.removed),
            ("flow_bypassed.capture_never_hit", self.neverHit),
            ("flow_bypassed.pkts", self.kernelPackets),
            ("flow_bypassed.bytes", self.kernelBytes),
            ("flow_bypassed.capture_late_pkts", self.lateFrames),
            ("flow_bypassed.capture_late_flows", self.lateFlows),
            ("flow_bypassed.capture_late_beyond_backlog", self.lateBeyondBacklog),
            ("flow_bypassed.capture_ring_backlog", self.backlogAtWrites),
            ("flow_bypassed.capture_flow_end_pkts", self.flowEndFrames),
            ("flow_bypassed.capture_write_delay_us", self.writeDelayMicroseconds),
        ]
    }
}
