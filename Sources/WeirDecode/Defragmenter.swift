// SPDX-License-Identifier: MIT
import WeirCore

/// How a host puts overlapping fragments together (Suricata's defrag policies, after Novak's "Target-Based
/// Fragmentation Reassembly").
public enum DefragPolicy: UInt8, Sendable, CaseIterable {
    /// BSD, HP-UX 10, IRIX: data already held wins, except where a new fragment starts earlier.
    case bsd
    /// BSD-right: no overlap handling at all; fragments are laid down in offset order, later ones on top.
    case bsdRight
    /// Linux: like BSD, but a fragment that starts at the same offset as an earlier one and covers it wins.
    case linux
    /// Windows: the earlier data wins, unless the new fragment both starts before and ends after it.
    case windows
    /// Solaris: like BSD, except that a new fragment starting before and covering an earlier one replaces it.
    case solaris
    /// The first data received wins (old Solaris, HP-UX 11, macOS).
    case first
    /// The last data received wins.
    case last

    /// The policy for a `host-os-policy` name, as Suricata's DefragGetOsPolicy maps them.
    public init?(hostOS name: String) {
        switch name.lowercased() {
        case "bsd", "hpux10", "irix": self = .bsd
        case "bsd-right": self = .bsdRight
        case "old-linux", "linux": self = .linux
        case "old-solaris", "hpux11", "macos", "first": self = .first
        case "solaris": self = .solaris
        case "windows", "vista", "windows2k3": self = .windows
        case "last": self = .last
        default: return nil
        }
    }
}

/// `defrag.*` and the per-host policies.
public struct DefragSettings: Sendable {
    /// `memcap`: bytes of fragment data held at once.
    public var memcap: Int = 32 << 20
    /// `trackers`: datagrams being put together at once.
    public var trackers: Int = 65_535
    /// `max-frags`: fragments held at once.
    public var maxFrags: Int = 65_535
    /// `timeout`: seconds a datagram may take since its latest fragment.
    public var timeoutSeconds: Int64 = 60
    /// The policy for destinations no `host-os-policy` entry covers (Suricata's default, BSD).
    public var defaultPolicy: DefragPolicy = .bsd
    /// `host-os-policy` entries: network, prefix length, policy; the longest matching prefix wins.
    public var hostPolicies: [(network: IPAddress, prefixLength: Int, policy: DefragPolicy)] = []

    /// Suricata's defaults.
    public init() {}

    /// The policy of the host at `destination`.
    public func policy(for destination: IPAddress) -> DefragPolicy {
        var best = -1
        var policy = self.defaultPolicy
        for entry in self.hostPolicies where entry.prefixLength > best
            && Self.contains(entry.network, entry.prefixLength, destination)
        {
            best = entry.prefixLength
            policy = entry.policy
        }
        return policy
    }

    static func contains(_ network: IPAddress, _ bits: Int, _ address: IPAddress) -> Bool {
        guard network.isIPv4 == address.isIPv4 else { return false }
        if address.isIPv4 {
            if bits <= 0 { return true }
            let mask = UInt32.max << UInt32(32 - min(bits, 32))
            return network.v4Value & mask == address.v4Value & mask
        }
        let high = min(bits, 64)
        let low = max(0, bits - 64)
        let highMask: UInt64 = high == 0 ? 0 : UInt64.max << UInt64(64 - high)
        let lowMask: UInt64 = low == 0 ? 0 : UInt64.max << UInt64(64 - low)
        return network.high & highMask == address.high & highMask && network.low & lowMask == address.low & lowMask
    }
}

/// The `defrag.*` counters.
public struct DefragStatistics: Sendable, Equatable {
    public var ipv4Fragments: UInt64 = 0
    public var ipv4Reassembled: UInt64 = 0
    public var ipv4Timeouts: UInt64 = 0
    public var ipv6Fragments: UInt64 = 0
    public var ipv6Reassembled: UInt64 = 0
    public var ipv6Timeouts: UInt64 = 0
    public var maxFragsReached: UInt64 = 0
    public var maxTrackersReached: UInt64 = 0
    /// Bytes of fragment data held now.
    public var memuse: UInt64 = 0

    public init() {}

    /// Suricata's counter names and values.
    public var namedValues: [(String, UInt64)] {
        [
            ("defrag.ipv4.fragments", self.ipv4Fragments), ("defrag.ipv4.reassembled", self.ipv4Reassembled),
            ("defrag.ipv4.timeouts", self.ipv4Timeouts), ("defrag.ipv6.fragments", self.ipv6Fragments),
            ("defrag.ipv6.reassembled", self.ipv6Reassembled), ("defrag.ipv6.timeouts", self.ipv6Timeouts),
            ("defrag.max_frags_reached", self.maxFragsReached),
            ("defrag.max_trackers_reached", self.maxTrackersReached), ("defrag.memuse", self.memuse),
            ("defrag.mgr.tracker_timeout", self.ipv4Timeouts &+ self.ipv6Timeouts),
        ]
    }
}

/// IPv4 and IPv6 fragment reassembly, as Suricata's defrag.c: fragments are held per datagram (a *tracker*, keyed
/// by both addresses, the IP id, the protocol, the VLAN ids and the tunnel depth) in offset order; overlaps are
/// resolved at insertion by the destination host's ``DefragPolicy``; once the last fragment is in and the data
/// has no hole, the datagram is rebuilt (header of the offset-0 fragment, lengths and offset fixed, IPv4 checksum
/// recomputed) and handed back for decoding like a captured packet.
///
/// Limits: `trackers` datagrams, `max-frags` fragments and `memcap` bytes at once; a datagram whose latest fragment
/// is older than `timeout` seconds is dropped by ``expire(now:)``.
public struct Defragmenter: Sendable {
    /// The last ``insert(_:frame:)`` found no tracker for a new datagram (all `trackers` in use and none timed
    /// out): Suricata's defrag memcap exception, whose policy (`defrag.memcap-policy`) applies to that fragment.
    public private(set) var trackerRefused = false
    struct Key: Hashable, Sendable {
        var a: IPAddress
        var b: IPAddress
        var id: UInt32
        var proto: UInt8
        /// The three VLAN ids, outermost first (Suricata's tracker compares all three, whatever
        /// `vlan.use-for-tracking` says).
        var vlan0: UInt16
        var vlan1: UInt16
        var vlan2: UInt16
        var depth: UInt8
        var ipv6: Bool
    }

    struct Fragment: Sendable {
        /// Offset of `data[0]` in the datagram's payload.
        var offset: Int
        var data: [UInt8]
        /// Bytes at the start of `data` that later fragments replaced.
        var ltrim: Int = 0
        /// Entirely replaced by a later fragment.
        var skip: Bool = false
        var moreFragments: Bool
        /// For offset 0: the IPv4 header, or the IPv6 header and unfragmentable extension headers (with the
        /// next-header field that named the fragment header already rewritten).
        var header: [UInt8] = []
        /// For IPv6 offset 0: the fragment header's next header.
        var fragmentNextHeader: UInt8 = 0
        /// For offset 0: the frame's bytes in front of the IP header (see ``ReassembledLink``).
        var linkHeader: [UInt8] = []
        var dataLength: Int { self.data.count }
    }

    struct Tracker: Sendable {
        var fragments: [Fragment] = []
        var seenLast = false
        var policy: DefragPolicy
        var timeout: Int64
        var ipv6: Bool
        /// The data link type of the fragment that opened the tracker: the rebuilt packet's (Suricata keeps the
        /// tracker's datalink for it).
        var linkType: LinkType
    }

    /// The link layer of the datagram the last ``insert(_:frame:)`` returned: the bytes in front of the IP header
    /// of its offset-0 fragment (an Ethernet header with its VLAN tags, a PPP header, nothing for raw IP) and
    /// the data link type of its tracker. Suricata rebuilds a datagram behind that header, so the packet it
    /// logs (`packet`, `packet_info.linktype`) is a frame of the capture's own link type.
    public struct ReassembledLink: Sendable {
        /// The link-layer bytes to put in front of the datagram.
        public var header: [UInt8] = []
        /// The data link type of the rebuilt frame.
        public var linkType: LinkType = .rawDLT12
    }

    /// See ``ReassembledLink``; valid after an ``insert(_:frame:)`` that returned a datagram.
    public private(set) var lastLink = ReassembledLink()

    public let settings: DefragSettings
    public private(set) var statistics = DefragStatistics()
    var trackers: [Key: Tracker] = [:]
    var fragmentCount = 0
    var bytesHeld = 0

    /// A reassembler with `settings`.
    public init(settings: DefragSettings) {
        self.settings = settings
    }

    /// Datagrams being reassembled now.
    public var activeTrackers: Int { self.trackers.count }

    /// Takes the fragment `packet` (decoded from `frame`, ``Packet/isFragment`` set). Events it causes
    /// (`ipv4.frag_overlap`, `ipv6.frag_pkt_too_large`, `ipv4.frag_ignored`, …) are added to `packet.events`
    /// and returned.
    ///
    /// - Returns: the rebuilt datagram (from its IP header on) when this fragment completed one, else nil.
    public mutating func insert(_ packet: inout Packet, frame: UnsafeRawBufferPointer) -> (
        datagram: [UInt8]?, events: DecodeEventSet
    ) {
        var events = DecodeEventSet()
        self.trackerRefused = false
        let ipv6 = packet.ipVersion == 6
        guard packet.ipVersion == 4 || ipv6, packet.l3Offset >= 0 else { return (nil, events) }
        let moreFragments = packet.ipFlags & 0x1 != 0
        let fragmentOffset = packet.fragmentOffset
        let dataOffset = packet.payloadOffset
        let dataLength = max(0, min(packet.payloadLength, frame.count - dataOffset))
        if ipv6 { self.statistics.ipv6Fragments &+= 1 } else { self.statistics.ipv4Fragments &+= 1 }

        let sourceFirst = packet.source < packet.destination
        let key = Key(
            a: sourceFirst ? packet.source : packet.destination, b: sourceFirst ? packet.destination : packet.source,
            id: packet.ipID, proto: packet.l4Protocol, vlan0: packet.vlanIDs.0, vlan1: packet.vlanIDs.1,
            vlan2: packet.vlanIDs.2, depth: packet.tunnelDepth, ipv6: ipv6)
        let now = packet.timestamp.seconds

        var tracker: Tracker
        // Taken out of the table while it changes, so that its fragment array is not copied on write.
        let found = self.trackers.removeValue(forKey: key)
        if let existing = found, existing.timeout >= now {
            tracker = existing
        } else {
            if let stale = found { self.release(stale, timedOut: true) }
            if self.trackers.count >= self.settings.trackers {
                self.expire(now: packet.timestamp)
                if self.trackers.count >= self.settings.trackers {
                    self.statistics.maxTrackersReached &+= 1
                    self.trackerRefused = true
                    return (nil, events)
                }
            }
            tracker = Tracker(
                policy: self.settings.policy(for: packet.destination), timeout: now, ipv6: ipv6,
                linkType: packet.linkType)
        }

        // The largest datagram IP can describe.
        if (ipv6 ? 0 : 20) + fragmentOffset + dataLength > 65_535 {
            events.insert(ipv6 ? .ipv6FragPktTooLarge : .ipv4FragPktTooLarge)
            packet.events.insert(ipv6 ? .ipv6FragPktTooLarge : .ipv4FragPktTooLarge)
            self.trackers[key] = tracker
            return (nil, events)
        }
        tracker.timeout = now + self.settings.timeoutSeconds
        let fragmentEnd = fragmentOffset + dataLength

        var ltrim = 0
        var overlap = false
        var discard = false
        var fragments = tracker.fragments
        tracker.fragments = []
        if !fragments.isEmpty {
            // Where Suricata's RB_NFIND(offset - 1) starts: the fragment before the first one at or after this
            // offset; from the beginning for offset 0 (its unsigned key wraps) or when none is at or after.
            var start = 0
            if fragmentOffset > 0, let atOrAfter = fragments.firstIndex(where: { $0.offset >= fragmentOffset }) {
                start = max(0, atOrAfter - 1)
            }
            var index = start
            scan: while index < fragments.count {
                let nextIndex = index + 1 < fragments.count ? index + 1 : nil
                if fragments[index].skip {
                    index += 1
                    continue
                }
                let prevOffset = fragments[index].offset
                let prevLength = fragments[index].dataLength
                let prevEnd = prevOffset + prevLength
                let prevLtrim = fragments[index].ltrim
                if fragmentOffset < prevEnd && prevOffset < fragmentEnd { overlap = true }
                var insertNow = false
                switch tracker.policy {
                case .bsd:
                    if fragmentOffset < prevEnd {
                        if prevOffset <= fragmentOffset {
                            if prevEnd > fragmentEnd {
                                discard = true
                                break scan
                            }
                            ltrim = prevEnd - fragmentOffset
                            if let n = nextIndex, fragmentEnd > fragments[n].offset {
                                fragments[n].ltrim = fragmentEnd - fragments[n].offset
                            }
                            insertNow = true
                        } else {
                            if fragmentOffset <= prevOffset && fragmentEnd > prevOffset + prevLtrim {
                                let newTrim = fragmentEnd - prevOffset
                                if newTrim > prevLtrim { fragments[index].ltrim = newTrim }
                            }
                            if let n = nextIndex, fragmentEnd > fragments[n].offset {
                                fragments[n].ltrim = fragmentEnd - fragments[n].offset
                            }
                            insertNow = true
                        }
                    }
                case .linux:
                    if prevOffset + prevLtrim < fragmentOffset + ltrim && prevEnd > fragmentOffset + ltrim {
                        ltrim += prevEnd - fragmentOffset
                    }
                    if fragmentOffset + ltrim < prevOffset + prevLtrim && fragmentEnd > prevOffset + prevLtrim {
                        fragments[index].ltrim += fragmentEnd - (prevOffset + prevLtrim)
                        insertNow = true
                    } else if fragmentOffset + ltrim <= prevOffset + prevLtrim && fragmentEnd >= prevEnd {
                        fragments[index].skip = true
                        insertNow = true
                    }
                case .windows:
                    if fragmentOffset + ltrim >= prevOffset + ltrim && fragmentEnd <= prevEnd {
                        discard = true
                        break scan
                    }
                    if fragmentOffset + ltrim < prevOffset + ltrim && fragmentEnd > prevEnd {
                        fragments[index].skip = true
                        insertNow = true
                    } else if fragmentOffset + ltrim > prevOffset + prevLtrim && fragmentOffset + ltrim < prevEnd {
                        ltrim += prevEnd - fragmentOffset
                        insertNow = true
                    } else if fragmentOffset + ltrim == prevOffset + ltrim && fragmentEnd > prevEnd {
                        ltrim += prevEnd - fragmentOffset
                        insertNow = true
                    }
                case .solaris:
                    if fragmentOffset < prevEnd {
                        if fragmentOffset >= prevOffset { ltrim = prevEnd - fragmentOffset }
                        if fragmentOffset < prevOffset && fragmentEnd >= prevEnd { fragments[index].skip = true }
                        insertNow = true
                    }
                case .first:
                    if fragmentOffset >= prevOffset && fragmentEnd <= prevEnd {
                        discard = true
                        break scan
                    }
                    if fragmentOffset < prevOffset {
                        insertNow = true
                    } else if fragmentOffset < prevEnd {
                        ltrim = prevEnd - fragmentOffset
                        insertNow = true
                    }
                case .last:
                    if fragmentOffset <= prevOffset {
                        if fragmentEnd > prevOffset { fragments[index].ltrim = fragmentEnd - prevOffset }
                        insertNow = true
                    }
                case .bsdRight:
                    break
                }
                if insertNow {
                    let replaced = fragments[index]
                    if replaced.skip || replaced.ltrim >= replaced.dataLength {
                        fragments.remove(at: index)
                        self.fragmentCount -= 1
                        self.bytesHeld -= replaced.dataLength
                    }
                    break scan
                }
                index += 1
            }
        }

        var datagram: [UInt8]? = nil
        if !discard && ltrim < dataLength {
            if self.fragmentCount >= self.settings.maxFrags || self.bytesHeld + dataLength > self.settings.memcap {
                events.insert(ipv6 ? .ipv6FragIgnored : .ipv4FragIgnored)
                packet.events.insert(ipv6 ? .ipv6FragIgnored : .ipv4FragIgnored)
                if self.fragmentCount >= self.settings.maxFrags { self.statistics.maxFragsReached &+= 1 }
                tracker.fragments = fragments
                self.release(tracker, timedOut: false)
                self.trackers[key] = nil
                self.statistics.memuse = UInt64(max(0, self.bytesHeld))
                return (nil, events)
            }
            var fragment = Fragment(
                offset: fragmentOffset + ltrim,
                data: Array(UnsafeRawBufferPointer(rebasing: frame[(dataOffset + ltrim)..<(dataOffset + dataLength)])),
                moreFragments: moreFragments)
            if fragmentOffset == 0 && ltrim == 0 {
                fragment.header = Self.header(of: packet, frame: frame, ipv6: ipv6)
                let linkStart = min(max(0, packet.frameStart), packet.l3Offset)
                fragment.linkHeader = Array(UnsafeRawBufferPointer(rebasing: frame[linkStart..<packet.l3Offset]))
                if ipv6 { fragment.fragmentNextHeader = frame.u8(dataOffset - 8) }
            }
            // After every fragment of the same offset, as Suricata's tree orders equal offsets.
            let position = fragments.firstIndex(where: { $0.offset > fragment.offset }) ?? fragments.count
            fragments.insert(fragment, at: position)
            self.fragmentCount += 1
            self.bytesHeld += fragment.dataLength
            if !moreFragments { tracker.seenLast = true }
            tracker.fragments = fragments
            if tracker.seenLast, let rebuilt = Self.reassemble(tracker) {
                datagram = rebuilt
                // The offset-0 fragment whose IP header the datagram got (the last one kept, as in reassemble).
                let headerFragment = tracker.fragments.last {
                    $0.offset == 0 && !$0.skip && $0.ltrim < $0.dataLength
                }
                self.lastLink = ReassembledLink(header: headerFragment?.linkHeader ?? [], linkType: tracker.linkType)
                if ipv6 { self.statistics.ipv6Reassembled &+= 1 } else { self.statistics.ipv4Reassembled &+= 1 }
            }
        } else {
            tracker.fragments = fragments
        }
        if let datagram, !datagram.isEmpty {
            self.release(tracker, timedOut: false)
            self.trackers[key] = nil
        } else if datagram != nil {
            // A datagram that cannot be rebuilt (no room for its header): dropped, as Suricata's error path.
            self.release(tracker, timedOut: false)
            self.trackers[key] = nil
            datagram = nil
        } else {
            self.trackers[key] = tracker
        }
        if overlap {
            events.insert(ipv6 ? .ipv6FragOverlap : .ipv4FragOverlap)
            packet.events.insert(ipv6 ? .ipv6FragOverlap : .ipv4FragOverlap)
        }
        self.statistics.memuse = UInt64(max(0, self.bytesHeld))
        return (datagram, events)
    }

    /// Drops every datagram whose latest fragment is more than `timeout` seconds older than `now`.
    public mutating func expire(now: Timestamp) {
        let seconds = now.seconds
        var stale: [Key] = []
        for (key, tracker) in self.trackers where tracker.timeout < seconds { stale.append(key) }
        for key in stale {
            if let tracker = self.trackers.removeValue(forKey: key) { self.release(tracker, timedOut: true) }
        }
        self.statistics.memuse = UInt64(max(0, self.bytesHeld))
    }

    private mutating func release(_ tracker: Tracker, timedOut: Bool) {
        self.fragmentCount -= tracker.fragments.count
        for fragment in tracker.fragments { self.bytesHeld -= fragment.dataLength }
        if timedOut && !tracker.fragments.isEmpty {
            if tracker.ipv6 { self.statistics.ipv6Timeouts &+= 1 } else { self.statistics.ipv4Timeouts &+= 1 }
        }
    }

    /// The offset-0 fragment's header: the IPv4 header, or the IPv6 header with the unfragmentable extension
    /// headers, their next-header field that named the fragment header set to what follows it.
    static func header(of packet: Packet, frame: UnsafeRawBufferPointer, ipv6: Bool) -> [UInt8] {
        let l3 = packet.l3Offset
        if !ipv6 {
            return Array(UnsafeRawBufferPointer(rebasing: frame[l3..<(l3 + packet.ipHeaderLength)]))
        }
        let fragmentHeader = packet.payloadOffset - 8
        var header = Array(UnsafeRawBufferPointer(rebasing: frame[l3..<fragmentHeader]))
        // Walk the unfragmentable headers to the field that says 44.
        var field = 6
        var cursor = 40
        while cursor < header.count {
            let type = header[field]
            guard type != 44, cursor + 1 < header.count else { break }
            field = cursor
            let length: Int
            switch type {
            case 51: length = (Int(header[cursor + 1]) + 2) * 4
            default: length = (Int(header[cursor + 1]) + 1) * 8
            }
            cursor += length
        }
        if field < header.count { header[field] = frame.u8(fragmentHeader) }
        return header
    }

    /// Defrag4Reassemble / Defrag6Reassemble: nil while the data has a hole or the last fragment is missing.
    static func reassemble(_ tracker: Tracker) -> [UInt8]? {
        guard tracker.seenLast, let first = tracker.fragments.first, first.offset == 0 else { return nil }
        var length = 0
        for fragment in tracker.fragments {
            if tracker.ipv6 && fragment.skip { continue }
            if fragment.offset > length { return nil }
            length = max(length, fragment.offset + fragment.dataLength)
        }
        // The datagram is built in place: the offset-0 fragment's header, then the payload at its offsets.
        var out: [UInt8] = []
        var headerLength = 0
        var fragmentNextHeader: UInt8 = 0
        var fragmentableLength = 0
        var moreFragments = true
        var previousOffset = 0
        for fragment in tracker.fragments {
            if !moreFragments && fragment.offset > previousOffset { break }
            if fragment.skip { continue }
            if fragment.ltrim >= fragment.dataLength { continue }
            if fragment.offset == 0 {
                headerLength = fragment.header.count
                fragmentNextHeader = fragment.fragmentNextHeader
                out.removeAll(keepingCapacity: true)
                out.reserveCapacity(headerLength + length)
                out.append(contentsOf: fragment.header)
                out.append(contentsOf: fragment.data)
                fragmentableLength = fragment.dataLength
            } else {
                guard headerLength > 0 else { continue }
                let start = headerLength + fragment.offset + fragment.ltrim
                let end = headerLength + fragment.offset + fragment.dataLength
                if out.count < end { out.append(contentsOf: repeatElement(0, count: end - out.count)) }
                out.replaceSubrange(start..<end, with: fragment.data[fragment.ltrim...])
                fragmentableLength = max(fragmentableLength, fragment.offset + fragment.dataLength)
            }
            moreFragments = fragment.moreFragments
            previousOffset = fragment.offset
        }
        guard headerLength > 0 else { return [] }
        let total = headerLength + fragmentableLength
        if out.count < total { out.append(contentsOf: repeatElement(0, count: total - out.count)) }
        if out.count > total { out.removeLast(out.count - total) }
        if tracker.ipv6 {
            let unfragmentable = headerLength - 40
            let payloadLength = fragmentableLength + unfragmentable
            guard payloadLength <= 65_535 else { return [] }
            out[4] = UInt8(payloadLength >> 8)
            out[5] = UInt8(payloadLength & 0xff)
            if unfragmentable == 0 { out[6] = fragmentNextHeader }
        } else {
            guard total <= 65_535 else { return [] }
            out[2] = UInt8(total >> 8)
            out[3] = UInt8(total & 0xff)
            out[6] = 0
            out[7] = 0
            out[10] = 0
            out[11] = 0
            var sum: UInt32 = 0
            var i = 0
            while i + 1 < headerLength {
                sum &+= UInt32(out[i]) << 8 | UInt32(out[i + 1])
                i += 2
            }
            while sum > 0xffff { sum = (sum & 0xffff) &+ (sum >> 16) }
            let checksum = ~UInt16(sum)
            out[10] = UInt8(checksum >> 8)
            out[11] = UInt8(checksum & 0xff)
        }
        return out
    }
}

extension PacketDecoder {
    /// Decodes a datagram the ``Defragmenter`` rebuilt (raw IP from byte 0) into `packet`, which the caller
    /// prepared (capture metadata, VLAN ids and tunnel fields of the fragment that completed it).
    public mutating func decodeReassembled(
        _ datagram: UnsafeRawBufferPointer, ipOffset: Int = 0, into packet: inout Packet
    ) {
        guard ipOffset >= 0, datagram.count >= ipOffset + 1 else { return }
        packet.isReassembled = true
        if datagram.u8(ipOffset) >> 4 == 6 {
            self.decodeIPv6(datagram, offset: ipOffset, length: datagram.count - ipOffset, into: &packet)
        } else {
            self.decodeIPv4(datagram, offset: ipOffset, length: datagram.count - ipOffset, into: &packet)
        }
        // As for tunnel packets, decoder.invalid is left to captured packets.
        self.statistics.record(packet.events)
    }

    /// Counts events raised on a packet after it was decoded (by defragmentation).
    public mutating func recordLateEvents(_ events: DecodeEventSet) {
        self.statistics.record(events)
    }
}
