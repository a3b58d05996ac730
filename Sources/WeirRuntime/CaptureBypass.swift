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

/// The kernel side of capture bypass, shared by every worker of an interface: the loaded data plane, its
/// flow table (written under a lock: the table's probe-then-write must not interleave between workers) and,
/// for XDP, the attachment (kept for the capture's lifetime; a bpf_link detaches with the process).
final class KernelBypass: @unchecked Sendable {
    let plane: BypassDataPlane
    let attachment: XDPAttachment?
    private let table: BypassTable
    private let lock = WorkerLock()

    init(plane: BypassDataPlane, attachment: XDPAttachment? = nil) {
        self.plane = plane
        self.table = plane.table()
        self.attachment = attachment
    }

    /// Runs `body` with the table, one worker at a time.
    func withTable<T>(_ body: (BypassTable) -> T) -> T {
        self.lock.withLock { body(self.table) }
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
    /// Flows in the kernel table, by flow id: their flow-table slot and the kernel's packet total last seen.
    private var active: [UInt64: (slot: Int32, kernelPackets: UInt64)] = [:]

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

    init(kernel: KernelBypass) {
        self.kernel = kernel
    }

    /// Puts the flow in the kernel table; false when it must be bypassed locally instead.
    func offer(_ flow: Flow, slot: Int32) -> Bool {
        let inserted = self.kernel.withTable { table -> Bool in
            do {
                try table.insert(flow.key, action: .bypass)
                return true
            } catch {
                return false
            }
        }
        guard inserted else {
            self.fellBack += 1
            return false
        }
        self.offered += 1
        self.active[flow.flowID] = (slot, 0)
        return true
    }

    /// Ticks the kernel's clock (it stamps last-seen times with the manager's tick) and keeps alive every
    /// capture-bypassed flow the kernel saw since the last refresh, by moving its `last` to `now`.
    func refresh(_ flows: inout FlowTable, now: Timestamp) {
        try? self.kernel.plane.heartbeat()
        for (flowID, state) in self.active {
            let flow = flows[state.slot]
            guard flow.flowID == flowID,
                let entry = self.kernel.withTable({ $0.entry(for: flow.key) })
            else { continue }
            let total = entry.packetsFirstToSecond + entry.packetsSecondToFirst
            if total > state.kernelPackets {
                self.active[flowID] = (state.slot, total)
                if now > flow.last { flows[state.slot].last = now }
            }
        }
    }

    /// The flow ended: removes its kernel entry and adds what the kernel counted to the flow.
    func finish(_ flow: inout Flow) {
        self.active[flow.flowID] = nil
        let key = flow.key
        let last = self.kernel.withTable { table -> BypassEntry? in
            do {
                return try table.remove(key)
            } catch {
                return nil
            }
        }
        guard let last else { return }
        self.removed += 1
        let toServerIsFirst = flow.clientIsFirst
        flow.bypassedPacketsToServer = toServerIsFirst ? last.packetsFirstToSecond : last.packetsSecondToFirst
        flow.bypassedPacketsToClient = toServerIsFirst ? last.packetsSecondToFirst : last.packetsFirstToSecond
        flow.bypassedBytesToServer = toServerIsFirst ? last.bytesFirstToSecond : last.bytesSecondToFirst
        flow.bypassedBytesToClient = toServerIsFirst ? last.bytesSecondToFirst : last.bytesFirstToSecond
        let packets = flow.bypassedPacketsToServer + flow.bypassedPacketsToClient
        if packets == 0 { self.neverHit += 1 }
        self.kernelPackets += packets
        self.kernelBytes += flow.bypassedBytesToServer + flow.bypassedBytesToClient
    }

    /// Counters for the stats record (Suricata's `flow_bypassed.*` names where it has them).
    var counters: [(String, UInt64)] {
        [
            ("flow_bypassed.capture_offered", self.offered),
            ("flow_bypassed.capture_fallback_local", self.fellBack),
            ("flow_bypassed.capture_removed", self.removed),
            ("flow_bypassed.capture_never_hit", self.neverHit),
            ("flow_bypassed.pkts", self.kernelPackets),
            ("flow_bypassed.bytes", self.kernelBytes),
        ]
    }
}
