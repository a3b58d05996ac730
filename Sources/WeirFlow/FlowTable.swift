// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode

/// Counters the flow table keeps, printed under `flow.*` and `tcp.*` in EVE stats.
public struct FlowStatistics: Sendable, Equatable {
    public var total: UInt64 = 0
    public var tcp: UInt64 = 0
    public var udp: UInt64 = 0
    public var icmpv4: UInt64 = 0
    public var icmpv6: UInt64 = 0
    public var other: UInt64 = 0
    /// Flows ended by timeout, per state at expiry.
    public var timeoutNew: UInt64 = 0
    public var timeoutEstablished: UInt64 = 0
    public var timeoutClosed: UInt64 = 0
    /// Times the table reached its cap and entered emergency mode.
    public var emergencyModeEntered: UInt64 = 0
    /// Times it left emergency mode again (`flow.emergency-recovery` percent of the cap free).
    public var emergencyModeOver: UInt64 = 0
    /// Times a new flow found the table at its cap (Suricata's `flow.memcap` counter).
    public var memcapReached: UInt64 = 0
    /// Packets of new flows that got none: the table was at its cap and nothing could be evicted.
    public var noFlow: UInt64 = 0
    /// Flows evicted early to make room (written with reason `forced`; Suricata's `flow.get_used`).
    public var evicted: UInt64 = 0
    /// Bytes the table holds for its live flows, as charged against `flow.memcap`.
    public var memoryInUse: UInt64 = 0
    /// Flows alive now (Suricata's `flow.active`).
    public var active: UInt64 = 0
    /// Most flows alive at once.
    public var peakActive: UInt64 = 0
    /// TCP session counters.
    public var tcpSessions: UInt64 = 0
    public var tcpSyn: UInt64 = 0
    public var tcpSynAck: UInt64 = 0
    public var tcpRst: UInt64 = 0
    public var tcpMidstreamPickups: UInt64 = 0
    /// TCP packets of flows that are not tracked (no handshake seen and `stream.midstream` off).
    public var tcpNoSession: UInt64 = 0

    public init() {}

    /// The counters as (dotted stats name, value) pairs: Suricata's names where Suricata has the counter,
    /// Weir's own otherwise (`flow.other`, `flow.evicted`, `flow.peak_active`, `flow.mgr.*_pruned`,
    /// `tcp.no_session`; see docs/counters.md), which stay out of EVE.
    public var namedValues: [(String, UInt64)] {
        [
            ("flow.total", self.total), ("flow.tcp", self.tcp), ("flow.udp", self.udp),
            ("flow.icmpv4", self.icmpv4), ("flow.icmpv6", self.icmpv6), ("flow.other", self.other),
            ("flow.active", self.active),
            ("flow.emerg_mode_entered", self.emergencyModeEntered), ("flow.emerg_mode_over", self.emergencyModeOver),
            ("flow.memcap", self.memcapReached), ("flow.get_used", self.evicted), ("flow.memuse", self.memoryInUse),
            ("flow.evicted", self.evicted), ("flow.no_flow", self.noFlow),
            ("flow.peak_active", self.peakActive),
            ("flow.mgr.flows_timeout", self.timeoutNew &+ self.timeoutEstablished &+ self.timeoutClosed),
            ("flow.mgr.new_pruned", self.timeoutNew), ("flow.mgr.est_pruned", self.timeoutEstablished),
            ("flow.mgr.closed_pruned", self.timeoutClosed),
            ("tcp.sessions", self.tcpSessions), ("tcp.syn", self.tcpSyn), ("tcp.synack", self.tcpSynAck),
            ("tcp.rst", self.tcpRst), ("tcp.midstream_pickups", self.tcpMidstreamPickups),
            ("tcp.no_session", self.tcpNoSession),
        ]
    }
}

/// A flow's slot in the table and the packet's direction within it.
public struct FlowHandle: Sendable, Equatable {
    /// Index into ``FlowTable`` storage; valid until the flow is removed.
    public var slot: Int32
    /// True when the packet travels client → server.
    public var toServer: Bool

    /// A handle to the flow in `slot`, for a packet in the given direction (pseudo packets of later stages).
    public init(slot: Int32, toServer: Bool) {
        self.slot = slot
        self.toServer = toServer
    }
}

/// Bidirectional flows keyed by ``FlowKey``: an open-addressed hash index over preallocated slots.
///
/// A lookup reads the index (each bucket holds the slot and 32 bits of the key's hash, so a probe past another
/// flow's bucket does not touch that flow), then the one slot whose hash matches.
///
/// The table runs on packet time: ``expire(now:emit:)`` ends idle flows, ``flush(emit:)`` ends the rest.
/// Expiry scans nothing: a timer wheel of one-second buckets holds every live flow in the bucket of the second
/// its timeout would end it, computed when the flow is created or changes state (a packet costs nothing more).
/// A sweep reads only the buckets of the seconds that passed; a flow found there that saw packets since is moved
/// to the bucket of its new deadline, the others end, in slot order (the order a full scan ended them in).
///
/// When ``FlowSettings/maxFlows`` flows are alive (the cap `flow.memcap` allows), a new flow puts the table in
/// emergency mode, as Suricata's: one sweep over the table ends the flows idle past their *emergency* timeouts
/// (and files the rest under those), and from then on, while the table is still full, each new flow evicts the
/// least recently seen one (reason `forced`, or `timeout` when it was already idle past its emergency timeout).
/// A doubly linked list of slots in the order their flows last saw a packet makes that eviction O(1), so a SYN
/// flood costs the same per packet as any other traffic. The table leaves emergency mode once
/// `flow.emergency-recovery` percent of the cap is free. Everything is counted. Storage is reserved for the cap
/// up front (untouched pages cost no memory), so the arrays never double and copy at a bad moment.
public struct FlowTable {
    public private(set) var settings: FlowSettings
    public private(set) var statistics = FlowStatistics()
    /// Live flows are in `storage[slot]` where `occupied[slot]` is true.
    @usableFromInline var storage: [Flow] = []
    @usableFromInline var occupied: [Bool] = []
    @usableFromInline var freeSlots: [Int32] = []
    /// Linear-probing index: each bucket is `hash32 << 32 | slot`, or ``emptyBucket``; its count is a power
    /// of two ≥ 2 × live flows. The low 32 bits of the hash also give an entry's home bucket.
    @usableFromInline var buckets: [UInt64]
    @usableFromInline var bucketMask: Int
    public private(set) var activeCount = 0
    /// Emergency mode: the table reached its cap and has not yet recovered.
    public private(set) var emergency = false
    /// Recency list: `newer[slot]` and `older[slot]` link the live flows from ``oldestSlot`` (least recently
    /// seen) to ``newestSlot``; -1 ends the list.
    @usableFromInline var newer: [Int32] = []
    @usableFromInline var older: [Int32] = []
    @usableFromInline var oldestSlot: Int32 = -1
    @usableFromInline var newestSlot: Int32 = -1
    /// Timer wheel: `wheelHeads[second & wheelMask]` starts a list of the flows due in that second, linked by
    /// `wheelNext`/`wheelPrevious` (-1 ends); `wheelBucket[slot]` is the flow's bucket and `wheelState[slot]`
    /// the state its deadline was computed for. A deadline past the wheel's span is checked once per turn.
    @usableFromInline var wheelHeads: [Int32]
    @usableFromInline var wheelNext: [Int32] = []
    @usableFromInline var wheelPrevious: [Int32] = []
    @usableFromInline var wheelBucket: [Int32] = []
    @usableFromInline var wheelState: [FlowState] = []
    /// The last second the wheel has swept; deadlines at or before it go to the next second's bucket.
    @usableFromInline var sweptSecond: Int64 = .min
    /// Slots a sweep found idle, ended in slot order (scratch, reused).
    var expiredScratch: [Int32] = []

    @usableFromInline static let emptyBucket = UInt64.max
    /// 4,096 one-second buckets: more than any default timeout (TCP established: 3,600 s).
    @usableFromInline static let wheelSize = 4096
    @usableFromInline static let wheelMask = Int64(wheelSize - 1)

    /// Bytes charged against `flow.memcap` per flow: the ``Flow`` record, its index, recency and free-list
    /// entries, and the per-slot state the stream engine and detection keep beside each flow (their session
    /// and flowbit storage is charged to their own memcaps).
    public static let bytesPerFlow = MemoryLayout<Flow>.stride + 24 + 112

    public init(settings: FlowSettings = FlowSettings()) {
        self.settings = settings
        var size = 1024
        while size < max(settings.hashSize, 16) * 2 && size < (1 << 26) { size <<= 1 }
        self.buckets = [UInt64](repeating: Self.emptyBucket, count: size)
        self.bucketMask = size - 1
        self.wheelHeads = [Int32](repeating: -1, count: Self.wheelSize)
        let reserve = min(settings.maxFlows, 1 << 23)
        self.storage.reserveCapacity(reserve)
        self.occupied.reserveCapacity(reserve)
        self.freeSlots.reserveCapacity(reserve)
        self.newer.reserveCapacity(reserve)
        self.older.reserveCapacity(reserve)
        self.wheelNext.reserveCapacity(reserve)
        self.wheelPrevious.reserveCapacity(reserve)
        self.wheelBucket.reserveCapacity(reserve)
        self.wheelState.reserveCapacity(reserve)
    }

    /// The flow in `slot`. A change of its state (a bypass) files it under its new state's timeout.
    @inlinable
    public subscript(slot: Int32) -> Flow {
        get { self.storage[Int(slot)] }
        _modify {
            yield &self.storage[Int(slot)]
            let s = Int(slot)
            if s < self.wheelState.count, self.occupied[s], self.wheelState[s] != self.storage[s].state {
                self.refile(slot)
            }
        }
    }

    @inlinable
    static func hash(_ k: FlowKey) -> UInt64 {
        var h = k.firstAddress.low &* 0x9E37_79B9_7F4A_7C15
        h ^= k.firstAddress.high &+ (h >> 29)
        h = (h ^ k.secondAddress.low) &* 0xBF58_476D_1CE4_E5B9
        h ^= k.secondAddress.high &+ (h >> 31)
        h = (h ^ (UInt64(k.firstPort) << 32 | UInt64(k.secondPort) << 16 | UInt64(k.proto))) &* 0x94D0_49BB_1331_11EB
        h ^= UInt64(k.vlan0) << 12 | UInt64(k.vlan2) << 28 | UInt64(k.vlan1) << 40 | UInt64(k.depth) << 56
        return h ^ (h >> 32)
    }

    /// Finds the bucket holding `key`, or the empty bucket where it would go. Only a bucket whose stored hash
    /// bits match leads to the flow itself.
    ///
    /// `mutating` though it changes nothing: every caller is a mutating method, and a non-mutating call there
    /// copied the whole table value (about 600 bytes, retaining its arrays) on every packet.
    @inlinable
    mutating func findBucket(_ key: FlowKey, hash: UInt64) -> (bucket: Int, found: Bool) {
        let tag = hash & 0xFFFF_FFFF
        return self.buckets.withUnsafeBufferPointer { index in
            self.storage.withUnsafeBufferPointer { flows in
                var b = Int(truncatingIfNeeded: hash) & self.bucketMask
                while true {
                    let entry = index[b]
                    if entry == Self.emptyBucket { return (b, false) }
                    if entry >> 32 == tag && flows[Int(entry & 0xFFFF_FFFF)].key == key { return (b, true) }
                    b = (b + 1) & self.bucketMask
                }
            }
        }
    }

    /// The slot a bucket entry names.
    @inline(__always)
    static func slot(_ entry: UInt64) -> Int32 { Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) }

    /// Looks up the packet's flow, creating it when new, and accounts the packet to it (counters, TCP state).
    ///
    /// - Returns: the flow's handle, or `nil` for packets without an IP layer and for a new flow at a cap where
    ///   nothing can be evicted (counted in ``FlowStatistics/noFlow``).
    ///   ICMPv4 error messages never start a flow: a destination unreachable quoting TCP or UDP joins the quoted
    ///   packet's flow when it exists (Suricata's flow lookup for them); any other error gets `nil`.
    public mutating func process(_ packet: Packet, emit: (inout Flow, FlowEndReason) -> Void) -> FlowHandle? {
        guard packet.ipVersion != 0 else { return nil }
        if packet.l4Protocol == IPProtocol.icmp && packet.hasL4 && FlowKey.isICMPv4Error(packet.icmpType) {
            return self.processICMPv4Error(packet)
        }
        let made = FlowKey.make(for: packet)
        let key = self.trackingKey(made.key)
        let sourceIsFirst = made.sourceIsFirst
        let h = FlowTable.hash(key)
        var (bucket, found) = self.findBucket(key, hash: h)
        let slot: Int32
        if found {
            slot = Self.slot(self.buckets[bucket])
            if slot != self.newestSlot { self.moveToNewest(slot) }
        } else {
            if self.activeCount >= self.settings.maxFlows {
                self.makeRoom(now: packet.timestamp, emit: emit)
                if self.activeCount >= self.settings.maxFlows {
                    // Nothing could be freed (a cap that holds no flow): the packet goes without one, Suricata's
                    // flow memcap exception (`flow.memcap-policy`).
                    self.statistics.noFlow += 1
                    return nil
                }
                bucket = self.findBucket(key, hash: h).bucket
            }
            slot = self.insert(key: key, packet: packet, sourceIsFirst: sourceIsFirst, hash: h, bucket: bucket)
            self.linkNewest(slot)
        }
        let toServer = self.storage[Int(slot)].clientIsFirst == sourceIsFirst
        self.account(packet, slot: slot, toServer: toServer)
        // A new flow, or a state change (another timeout), files the flow under its deadline; any other packet
        // only moves `last`, which the sweep reads when the filed deadline comes.
        if !found {
            self.file(slot)
        } else if self.wheelState[Int(slot)] != self.storage[Int(slot)].state {
            self.refile(slot)
        }
        return FlowHandle(slot: slot, toServer: toServer)
    }

    /// The key the table files a packet's flow under: without VLAN ids or tunnel depth when those are not used
    /// for tracking.
    @inline(__always)
    private func trackingKey(_ key: FlowKey) -> FlowKey {
        var key = self.settings.vlanTracking ? key : key.withoutVLANs
        if !self.settings.recursionTracking { key.depth = 0 }
        return key
    }

    /// An ICMPv4 error: the flow of the packet it quotes, if that flow exists (never a new one). The error
    /// travels to the server when its sender is the flow's client, else to the client (an error from a router
    /// in between goes to the client), as Suricata decides the direction of ICMP packets by address.
    private mutating func processICMPv4Error(_ packet: Packet) -> FlowHandle? {
        guard let quoted = packet.icmpUnreachableFlow, !packet.isInvalid else { return nil }
        let quotedKey = FlowKey.make(quoted: quoted, of: packet).key
        let key = self.trackingKey(quotedKey)
        let (bucket, found) = self.findBucket(key, hash: FlowTable.hash(key))
        guard found else { return nil }
        let slot = Self.slot(self.buckets[bucket])
        if slot != self.newestSlot { self.moveToNewest(slot) }
        let toServer = packet.source == self.storage[Int(slot)].clientAddress
        self.account(packet, slot: slot, toServer: toServer)
        if self.wheelState[Int(slot)] != self.storage[Int(slot)].state { self.refile(slot) }
        return FlowHandle(slot: slot, toServer: toServer)
    }

    private mutating func insert(key: FlowKey, packet: Packet, sourceIsFirst: Bool, hash: UInt64, bucket: Int)
        -> Int32
    {
        // The client is the SYN's sender; a SYN/ACK seen first means its receiver is the client.
        var sourceIsClient = true
        if packet.isTCP && packet.tcpFlags & 0x12 == 0x12 { sourceIsClient = false }
        var flow = Flow(
            key: key,
            flowID: FlowTable.flowID(hash: hash, start: packet.timestamp),
            start: packet.timestamp,
            last: packet.timestamp,
            clientIsFirst: sourceIsClient == sourceIsFirst
        )
        // The tags of the first packet, whatever the key holds (Suricata's FlowInit copies them).
        flow.vlanIDs = packet.vlanIDs
        flow.vlanCount = packet.vlanCount
        if key.proto == IPProtocol.icmp || key.proto == IPProtocol.icmpv6 {
            flow.icmpType = packet.icmpType
            flow.icmpCode = packet.icmpCode
        }
        let slot: Int32
        if let reused = self.freeSlots.popLast() {
            slot = reused
            self.storage[Int(slot)] = flow
            self.occupied[Int(slot)] = true
        } else {
            slot = Int32(self.storage.count)
            self.storage.append(flow)
            self.occupied.append(true)
            self.newer.append(-1)
            self.older.append(-1)
            self.wheelNext.append(-1)
            self.wheelPrevious.append(-1)
            self.wheelBucket.append(-1)
            self.wheelState.append(.new)
        }
        self.storage[Int(slot)].slot = slot
        self.buckets[bucket] = (hash & 0xFFFF_FFFF) << 32 | UInt64(UInt32(bitPattern: slot))
        self.activeCount += 1
        self.statistics.memoryInUse = UInt64(self.activeCount) * UInt64(Self.bytesPerFlow)
        self.statistics.active = UInt64(self.activeCount)
        if UInt64(self.activeCount) > self.statistics.peakActive { self.statistics.peakActive = UInt64(self.activeCount) }
        self.statistics.total += 1
        switch key.proto {
        case IPProtocol.tcp: self.statistics.tcp += 1
        case IPProtocol.udp: self.statistics.udp += 1
        case IPProtocol.icmp: self.statistics.icmpv4 += 1
        case IPProtocol.icmpv6: self.statistics.icmpv6 += 1
        default: self.statistics.other += 1
        }
        if self.activeCount * 2 > self.buckets.count { self.growIndex() }
        return slot
    }

    /// A 51-bit id (small enough for JSON tools that read numbers as doubles), never zero.
    @inlinable
    static func flowID(hash: UInt64, start: Timestamp) -> UInt64 {
        var x = hash ^ UInt64(bitPattern: start.microseconds) &* 0xD6E8_FEB8_6659_FD93
        x ^= x >> 32
        x = x &* 0xD6E8_FEB8_6659_FD93
        x ^= x >> 29
        let id = x & ((1 << 51) - 1)
        return id == 0 ? 1 : id
    }

    private mutating func growIndex() {
        let old = self.buckets
        let size = old.count * 2
        self.buckets = [UInt64](repeating: Self.emptyBucket, count: size)
        self.bucketMask = size - 1
        for entry in old where entry != Self.emptyBucket {
            var b = Int(truncatingIfNeeded: entry >> 32) & self.bucketMask
            while self.buckets[b] != Self.emptyBucket { b = (b + 1) & self.bucketMask }
            self.buckets[b] = entry
        }
    }

    /// Counts the packet in its flow and moves the flow's state on, through one access to the flow's slot and one
    /// to the counters: written field by field as `self.storage[s]…`, each write checked the array's uniqueness
    /// again (about ten checks per packet).
    private mutating func account(_ packet: Packet, slot: Int32, toServer: Bool) {
        let midstream = self.settings.midstream
        let asyncOneside = self.settings.asyncOneside
        Self.account(
            packet, flow: &self.storage[Int(slot)], statistics: &self.statistics, toServer: toServer,
            midstream: midstream, asyncOneside: asyncOneside)
    }

    private static func account(
        _ packet: Packet, flow: inout Flow, statistics: inout FlowStatistics, toServer: Bool, midstream: Bool,
        asyncOneside: Bool
    ) {
        if packet.timestamp > flow.last { flow.last = packet.timestamp }
        let bytes = UInt64(packet.wireLength)
        if toServer {
            flow.packetsToServer += 1
            flow.bytesToServer += bytes
        } else {
            flow.packetsToClient += 1
            flow.bytesToClient += bytes
        }
        if packet.isTCP {
            Self.trackTCP(
                packet, flow: &flow, statistics: &statistics, toServer: toServer, midstream: midstream,
                asyncOneside: asyncOneside)
        } else if flow.key.proto != IPProtocol.tcp && flow.state == .new && flow.isBidirectional {
            // Not for an ICMP error in a TCP flow: TCP flows change state by their own segments only.
            flow.state = .established
        }
    }

    /// A compact TCP state machine after RFC 9293 §3.3.2, enough to classify flows and pick timeouts; the stream
    /// engine refines sequence tracking on top of it.
    private static func trackTCP(
        _ packet: Packet, flow: inout Flow, statistics: inout FlowStatistics, toServer: Bool, midstream: Bool,
        asyncOneside: Bool
    ) {
        let flags = packet.tcpFlags
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        let fin = flags & 0x01 != 0
        let rst = flags & 0x04 != 0
        if toServer {
            flow.tcpFlagsToServer |= flags
        } else {
            flow.tcpFlagsToClient |= flags
        }
        if syn && !ack { statistics.tcpSyn += 1 }
        if syn && ack { statistics.tcpSynAck += 1 }
        if rst { statistics.tcpRst += 1 }

        var state = flow.tcpState
        switch state {
        case .none:
            if syn && !ack && toServer {
                state = .synSent
                statistics.tcpSessions += 1
            } else if syn && ack && !toServer && midstream {
                // Handshake's first packet missed: pick up from the SYN/ACK.
                state = .synReceived
                flow.isMidstream = true
                statistics.tcpSessions += 1
                statistics.tcpMidstreamPickups += 1
            } else if !syn && !rst && midstream {
                state = .established
                flow.isMidstream = true
                statistics.tcpSessions += 1
                statistics.tcpMidstreamPickups += 1
            } else {
                statistics.tcpNoSession += 1
                // No session: the flow record's flags are those of the packets a session saw (Suricata's
                // `tcp_packet_flags`), so a flow that never had one logs "00".
                flow.tcpFlagsToServer = 0
                flow.tcpFlagsToClient = 0
            }
        case .synSent:
            if syn && ack && !toServer {
                state = .synReceived
            } else if asyncOneside && ack && !syn && toServer {
                state = .established
            }
        case .synReceived:
            if ack && !syn && toServer { state = .established }
            if ack && !syn && !toServer && asyncOneside { state = .established }
        case .established:
            if fin { state = toServer ? .finWait1 : .closeWait }
        case .finWait1:
            if fin && !toServer {
                state = ack ? .timeWait : .closing
            } else if ack && !toServer {
                state = .finWait2
            }
        case .finWait2:
            if fin && !toServer { state = .timeWait }
        case .closeWait:
            if fin && toServer { state = .lastAck }
        case .closing:
            if ack { state = .timeWait }
        case .lastAck:
            if ack && !toServer { state = .closed }
        case .timeWait:
            if ack { state = .closed }
        case .closed:
            break
        }
        if rst && state != .none { state = .closed }
        if fin {
            if toServer { flow.finFromClient = true } else { flow.finFromServer = true }
        }
        flow.tcpState = state
        if flow.state != .bypassed {
            switch state {
            case .none, .synSent, .synReceived: break
            case .established, .finWait1, .finWait2, .closeWait, .closing, .lastAck:
                flow.state = .established
            case .timeWait, .closed:
                flow.state = .closed
            }
        }
    }

    /// Ends every flow idle past its timeout at packet time `now`, in slot order. Reads only the wheel buckets
    /// of the seconds since the last sweep; no scan over the table.
    public mutating func expire(now: Timestamp, emit: (inout Flow, FlowEndReason) -> Void) {
        self.expiredScratch.removeAllKeepingCapacity()
        let second = now.seconds
        if self.sweptSecond == .min || second < self.sweptSecond {
            // Nothing swept yet (or time went back): start from the oldest second a flow can be filed under.
            self.sweptSecond = min(second, self.sweptSecond == .min ? second : self.sweptSecond) - Int64(Self.wheelSize)
        }
        // Seconds since the last sweep, at most one turn of the wheel.
        let first = max(self.sweptSecond + 1, second - Self.wheelMask)
        var due = first
        while due <= second {
            let index = Int(due & Self.wheelMask)
            var slot = self.wheelHeads[index]
            // Flows moved on are filed under later seconds (or, past the span, this bucket's next turn).
            self.wheelHeads[index] = -1
            var recheck: Int32 = -1
            while slot >= 0 {
                let next = self.wheelNext[Int(slot)]
                self.wheelNext[Int(slot)] = -1
                self.wheelPrevious[Int(slot)] = -1
                self.wheelBucket[Int(slot)] = -1
                let timeout = self.timeout(proto: self.storage[Int(slot)].key.proto, state: self.storage[Int(slot)].state)
                let last = self.storage[Int(slot)].last
                if now.microseconds.saturatingSubtract(last.microseconds) > .microseconds(fromSeconds: timeout) {
                    self.expiredScratch.append(slot)
                } else {
                    // Not idle yet: refiled below, once this bucket is done.
                    self.wheelNext[Int(slot)] = recheck
                    recheck = slot
                }
                slot = next
            }
            self.sweptSecond = due
            while recheck >= 0 {
                let next = self.wheelNext[Int(recheck)]
                self.wheelNext[Int(recheck)] = -1
                self.file(recheck)
                recheck = next
            }
            due += 1
        }
        self.sweptSecond = max(self.sweptSecond, second)
        self.endExpired(emit: emit)
        self.recoverIfRoom()
    }

    /// Ends the flows of `expiredScratch` as timeouts, in slot order.
    private mutating func endExpired(emit: (inout Flow, FlowEndReason) -> Void) {
        guard !self.expiredScratch.isEmpty else { return }
        self.expiredScratch.sort()
        for slot in self.expiredScratch {
            switch self.storage[Int(slot)].state {
            case .new: self.statistics.timeoutNew += 1
            case .established, .bypassed: self.statistics.timeoutEstablished += 1
            case .closed: self.statistics.timeoutClosed += 1
            }
            self.remove(slot: slot, reason: .timeout, emit: emit)
        }
        self.expiredScratch.removeAll(keepingCapacity: true)
    }

    /// The sweep of entering emergency mode: every flow is checked against its emergency timeout (they are all
    /// shorter), the idle ones end, and the rest are filed again under their emergency deadlines.
    private mutating func sweepForEmergency(now: Timestamp, emit: (inout Flow, FlowEndReason) -> Void) {
        self.expiredScratch.removeAll(keepingCapacity: true)
        for slot in 0..<self.storage.count where self.occupied[slot] {
            let flow = self.storage[slot]
            let timeout = self.settings.timeouts(for: flow.key.proto).seconds(for: flow.state, emergency: true)
            if now.microseconds.saturatingSubtract(flow.last.microseconds) > .microseconds(fromSeconds: timeout) {
                self.expiredScratch.append(Int32(slot))
            } else {
                self.refile(Int32(slot))
            }
        }
        self.endExpired(emit: emit)
        self.recoverIfRoom()
    }

    /// Files `slot` in the wheel bucket of the second its current state's timeout ends it (never a second
    /// already swept).
    @usableFromInline
    mutating func file(_ slot: Int32) {
        let s = Int(slot)
        // Three fields, not a copy of the whole flow.
        let state = self.storage[s].state
        let timeout = self.timeout(proto: self.storage[s].key.proto, state: state)
        let deadline = self.storage[s].last.microseconds.saturatingAdd(.microseconds(fromSeconds: timeout))
        // The second in which `now - last > timeout` first holds for a sweep.
        var second = deadline / 1_000_000
        if deadline < 0 && deadline % 1_000_000 != 0 { second -= 1 }
        if self.sweptSecond != .min && second <= self.sweptSecond { second = self.sweptSecond &+ 1 }
        let index = Int(second & Self.wheelMask)
        let head = self.wheelHeads[index]
        self.wheelNext[s] = head
        self.wheelPrevious[s] = -1
        if head >= 0 { self.wheelPrevious[Int(head)] = slot }
        self.wheelHeads[index] = slot
        self.wheelBucket[s] = Int32(index)
        self.wheelState[s] = state
    }

    /// The idle timeout of a flow of protocol `proto` in `state`, in the current mode.
    @inline(__always)
    func timeout(proto: UInt8, state: FlowState) -> Int64 {
        self.settings.timeouts(for: proto).seconds(for: state, emergency: self.emergency)
    }

    /// Takes `slot` out of its wheel bucket.
    @usableFromInline
    mutating func unfile(_ slot: Int32) {
        let s = Int(slot)
        let index = Int(self.wheelBucket[s])
        guard index >= 0 else { return }
        let before = self.wheelPrevious[s]
        let after = self.wheelNext[s]
        if before >= 0 { self.wheelNext[Int(before)] = after } else { self.wheelHeads[index] = after }
        if after >= 0 { self.wheelPrevious[Int(after)] = before }
        self.wheelNext[s] = -1
        self.wheelPrevious[s] = -1
        self.wheelBucket[s] = -1
    }

    /// Files a flow again after a change of state (its timeout changed).
    @usableFromInline
    mutating func refile(_ slot: Int32) {
        self.unfile(slot)
        self.file(slot)
    }

    /// Leaves emergency mode once `flow.emergency-recovery` percent of the cap is free again.
    private mutating func recoverIfRoom() {
        guard self.emergency else { return }
        let free = self.settings.maxFlows - self.activeCount
        if free * 100 >= self.settings.maxFlows * self.settings.emergencyRecovery {
            self.emergency = false
            self.statistics.emergencyModeOver += 1
        }
    }

    /// Ends every flow still alive (end of input or shutdown).
    public mutating func flush(emit: (inout Flow, FlowEndReason) -> Void) {
        for slot in 0..<self.storage.count where self.occupied[slot] {
            self.remove(slot: Int32(slot), reason: .shutdown, emit: emit)
        }
    }

    /// Frees one slot for a new flow at the cap. Entering emergency mode costs one sweep with the emergency
    /// timeouts; after that, each call is O(1): the least recently seen flow makes way.
    private mutating func makeRoom(now: Timestamp, emit: (inout Flow, FlowEndReason) -> Void) {
        self.statistics.memcapReached += 1
        if !self.emergency {
            self.emergency = true
            self.statistics.emergencyModeEntered += 1
            self.sweepForEmergency(now: now, emit: emit)
            // A sweep that freed enough ends emergency mode at once; the table keeps its emergency timeouts
            // only while it stays short of room.
            if self.activeCount < self.settings.maxFlows { return }
        }
        let oldest = self.oldestSlot
        guard oldest >= 0 else { return }
        let flow = self.storage[Int(oldest)]
        let timeout = self.settings.timeouts(for: flow.key.proto).seconds(for: flow.state, emergency: true)
        if now.microseconds.saturatingSubtract(flow.last.microseconds) > .microseconds(fromSeconds: timeout) {
            switch flow.state {
            case .new: self.statistics.timeoutNew += 1
            case .established, .bypassed: self.statistics.timeoutEstablished += 1
            case .closed: self.statistics.timeoutClosed += 1
            }
            self.remove(slot: oldest, reason: .timeout, emit: emit)
        } else {
            self.statistics.evicted += 1
            self.remove(slot: oldest, reason: .forced, emit: emit)
        }
    }

    /// Puts `slot` at the newest end of the recency list.
    @inline(__always)
    private mutating func linkNewest(_ slot: Int32) {
        self.editRecency { $0.linkNewest(slot) }
    }

    /// Moves a listed `slot` to the newest end of the recency list, as most packets do.
    @inline(__always)
    private mutating func moveToNewest(_ slot: Int32) {
        self.editRecency { list in
            list.unlink(slot)
            list.linkNewest(slot)
        }
    }

    /// Takes `slot` out of the recency list.
    @inline(__always)
    private mutating func unlink(_ slot: Int32) {
        self.editRecency { $0.unlink(slot) }
    }

    /// Runs `edit` over the recency list. Each link array is made unique once for all of the edit's writes:
    /// written as `self.newer[i] = …`, every write checked the array's uniqueness again.
    @inline(__always)
    private mutating func editRecency(_ edit: (inout RecencyList) -> Void) {
        Self.editRecency(
            newer: &self.newer, older: &self.older, newest: &self.newestSlot, oldest: &self.oldestSlot, edit)
    }

    @inline(__always)
    private static func editRecency(
        newer: inout [Int32], older: inout [Int32], newest: inout Int32, oldest: inout Int32,
        _ edit: (inout RecencyList) -> Void
    ) {
        newer.withUnsafeMutableBufferPointer { newer in
            older.withUnsafeMutableBufferPointer { older in
                var list = RecencyList(newer: newer, older: older, newest: newest, oldest: oldest)
                edit(&list)
                newest = list.newest
                oldest = list.oldest
            }
        }
    }

    /// The doubly linked recency list over the slots (`newer`/`older` hold neighbours' slots, -1 at the ends),
    /// edited in place. Every index is checked against the arrays, as their own subscripts would.
    struct RecencyList {
        let newer: UnsafeMutableBufferPointer<Int32>
        let older: UnsafeMutableBufferPointer<Int32>
        var newest: Int32
        var oldest: Int32

        @inline(__always)
        private func index(_ slot: Int32) -> Int {
            let i = Int(slot)
            precondition(i >= 0 && i < self.newer.count && i < self.older.count, "a recency link outside the table")
            return i
        }

        /// Takes `slot` out of the list.
        @inline(__always)
        mutating func unlink(_ slot: Int32) {
            let s = self.index(slot)
            let before = self.older[s]
            let after = self.newer[s]
            if before >= 0 { self.newer[self.index(before)] = after } else { self.oldest = after }
            if after >= 0 { self.older[self.index(after)] = before } else { self.newest = before }
            self.older[s] = -1
            self.newer[s] = -1
        }

        /// Puts `slot` at the newest end.
        @inline(__always)
        mutating func linkNewest(_ slot: Int32) {
            let s = self.index(slot)
            self.older[s] = self.newest
            self.newer[s] = -1
            if self.newest >= 0 { self.newer[self.index(self.newest)] = slot } else { self.oldest = slot }
            self.newest = slot
        }
    }

    /// Removes the flow in `slot`, handing it to `emit` first.
    public mutating func remove(slot: Int32, reason: FlowEndReason, emit: (inout Flow, FlowEndReason) -> Void) {
        let s = Int(slot)
        guard s < self.occupied.count, self.occupied[s] else { return }
        emit(&self.storage[s], reason)
        let (bucket, found) = self.findBucket(self.storage[s].key, hash: FlowTable.hash(self.storage[s].key))
        if found { self.deleteBucket(bucket) }
        self.unlink(slot)
        self.unfile(slot)
        self.occupied[s] = false
        self.freeSlots.append(slot)
        self.activeCount -= 1
        self.statistics.memoryInUse = UInt64(self.activeCount) * UInt64(Self.bytesPerFlow)
        self.statistics.active = UInt64(self.activeCount)
    }

    /// Backward-shift deletion keeps linear probing correct without tombstones.
    private mutating func deleteBucket(_ start: Int) {
        var hole = start
        var b = (start + 1) & self.bucketMask
        self.buckets[hole] = Self.emptyBucket
        while self.buckets[b] != Self.emptyBucket {
            let entry = self.buckets[b]
            let home = Int(truncatingIfNeeded: entry >> 32) & self.bucketMask
            // Move the entry into the hole if its home position does not lie cyclically in (hole, b].
            let distanceToB = (b - home) & self.bucketMask
            let distanceToHole = (hole - home) & self.bucketMask
            if distanceToHole < distanceToB {
                self.buckets[hole] = entry
                self.buckets[b] = Self.emptyBucket
                hole = b
            }
            b = (b + 1) & self.bucketMask
        }
    }

    /// Calls `body` for each live flow.
    public func forEach(_ body: (Flow) -> Void) {
        for slot in 0..<self.storage.count where self.occupied[slot] { body(self.storage[slot]) }
    }
}
