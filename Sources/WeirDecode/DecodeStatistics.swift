// SPDX-License-Identifier: MIT

/// The decoder counters Suricata prints under `decoder.*` in `stats.log` and EVE `stats` records.
///
/// One value per ``PacketDecoder``; several decoders' statistics combine with ``merge(_:)``. The per-event table
/// is allocated once, at ``init()``, and only incremented afterwards.
public struct DecodeStatistics: Sendable, Equatable {
    /// `decoder.pkts`: frames handed to the decoder.
    public var packets: UInt64 = 0
    /// `decoder.bytes`: captured bytes of those frames.
    public var bytes: UInt64 = 0
    /// `decoder.invalid`: packets that carried an event that makes them unusable.
    public var invalid: UInt64 = 0
    /// `decoder.ipv4`: IPv4 headers seen (valid or not).
    public var ipv4: UInt64 = 0
    /// `decoder.ipv6`: IPv6 headers seen.
    public var ipv6: UInt64 = 0
    /// `decoder.ethernet`: Ethernet frames.
    public var ethernet: UInt64 = 0
    /// `decoder.sll`: Linux cooked frames, v1 and v2.
    public var sll: UInt64 = 0
    /// `decoder.null`: BSD loopback (NULL and LOOP) frames.
    public var null: UInt64 = 0
    /// `decoder.raw`: raw-IP frames.
    public var raw: UInt64 = 0
    /// `decoder.tcp`: TCP headers seen.
    public var tcp: UInt64 = 0
    /// `decoder.udp`: UDP headers seen.
    public var udp: UInt64 = 0
    /// `decoder.icmpv4`: ICMPv4 headers seen.
    public var icmpv4: UInt64 = 0
    /// `decoder.sctp`: SCTP headers seen.
    public var sctp: UInt64 = 0
    /// `decoder.esp`: ESP headers seen.
    public var esp: UInt64 = 0
    /// `decoder.icmpv6`: ICMPv6 headers seen.
    public var icmpv6: UInt64 = 0
    /// `decoder.vlan`: frames with at least one VLAN tag.
    public var vlan: UInt64 = 0
    /// `decoder.vlan_qinq`: frames with a second VLAN tag.
    public var vlanQinQ: UInt64 = 0
    /// `decoder.vlan_qinqinq`: frames with a third VLAN tag (Suricata 8).
    public var vlanQinQinQ: UInt64 = 0
    /// `decoder.unknown_ethertype`: frames whose ethertype no decoder handles.
    public var unknownEthertype: UInt64 = 0
    /// `decoder.max_pkt_size`: the largest captured frame.
    public var maxPacketSize: UInt64 = 0
    /// `decoder.sll2`: Linux cooked v2 frames.
    public var sll2: UInt64 = 0
    /// `decoder.gre`.
    public var gre: UInt64 = 0
    /// `decoder.vxlan`.
    public var vxlan: UInt64 = 0
    /// `decoder.geneve`.
    public var geneve: UInt64 = 0
    /// `decoder.teredo`.
    public var teredo: UInt64 = 0
    /// `decoder.erspan`.
    public var erspan: UInt64 = 0
    /// `decoder.mpls`.
    public var mpls: UInt64 = 0
    /// `decoder.pppoe`.
    public var pppoe: UInt64 = 0
    /// `decoder.ppp`.
    public var ppp: UInt64 = 0
    /// `decoder.nsh`.
    public var nsh: UInt64 = 0
    /// `decoder.vntag`.
    public var vntag: UInt64 = 0
    /// `decoder.etag`.
    public var etag: UInt64 = 0
    /// `decoder.chdlc`.
    public var chdlc: UInt64 = 0
    /// `decoder.arp`.
    public var arp: UInt64 = 0
    /// `decoder.ieee8021ah`.
    public var ieee8021ah: UInt64 = 0
    /// `decoder.ipv4_in_ipv4`.
    public var ipv4InIPv4: UInt64 = 0
    /// `decoder.ipv6_in_ipv4`.
    public var ipv6InIPv4: UInt64 = 0
    /// `decoder.ipv4_in_ipv6`.
    public var ipv4InIPv6: UInt64 = 0
    /// `decoder.ipv6_in_ipv6`.
    public var ipv6InIPv6: UInt64 = 0
    /// `decoder.event.<name>` counters, indexed by ``DecodeEvent/rawValue``.
    public private(set) var eventCounts: [UInt64]

    /// Zeroed counters.
    public init() {
        self.eventCounts = [UInt64](repeating: 0, count: DecodeEvent.tableSize)
    }

    /// `decoder.avg_pkt_size`: mean captured frame size, rounded down (0 before any packet).
    public var averagePacketSize: UInt64 { self.packets == 0 ? 0 : self.bytes / self.packets }

    /// How many packets raised `event`.
    public func count(of event: DecodeEvent) -> UInt64 { self.eventCounts[Int(event.rawValue)] }

    /// Adds one packet's events to the per-event counters.
    @inline(__always)
    mutating func record(_ events: DecodeEventSet) {
        if events.isEmpty { return }
        self.recordWord(events.words.0, base: 0)
        self.recordWord(events.words.1, base: 64)
        self.recordWord(events.words.2, base: 128)
        self.recordWord(events.words.3, base: 192)
    }

    @inline(__always)
    private mutating func recordWord(_ word: UInt64, base: Int) {
        var bits = word
        while bits != 0 {
            let index = base + bits.trailingZeroBitCount
            if index < self.eventCounts.count { self.eventCounts[index] &+= 1 }
            bits &= bits &- 1
        }
    }

    /// Adds every counter of `other` to this one (`max_pkt_size` takes the larger).
    public mutating func merge(_ other: DecodeStatistics) {
        self.packets &+= other.packets
        self.bytes &+= other.bytes
        self.invalid &+= other.invalid
        self.ipv4 &+= other.ipv4
        self.ipv6 &+= other.ipv6
        self.ethernet &+= other.ethernet
        self.sll &+= other.sll
        self.null &+= other.null
        self.raw &+= other.raw
        self.tcp &+= other.tcp
        self.udp &+= other.udp
        self.sctp &+= other.sctp
        self.esp &+= other.esp
        self.icmpv4 &+= other.icmpv4
        self.icmpv6 &+= other.icmpv6
        self.vlan &+= other.vlan
        self.vlanQinQ &+= other.vlanQinQ
        self.vlanQinQinQ &+= other.vlanQinQinQ
        self.unknownEthertype &+= other.unknownEthertype
        self.sll2 &+= other.sll2
        self.gre &+= other.gre
        self.vxlan &+= other.vxlan
        self.geneve &+= other.geneve
        self.teredo &+= other.teredo
        self.erspan &+= other.erspan
        self.mpls &+= other.mpls
        self.pppoe &+= other.pppoe
        self.ppp &+= other.ppp
        self.nsh &+= other.nsh
        self.vntag &+= other.vntag
        self.etag &+= other.etag
        self.chdlc &+= other.chdlc
        self.arp &+= other.arp
        self.ieee8021ah &+= other.ieee8021ah
        self.ipv4InIPv4 &+= other.ipv4InIPv4
        self.ipv6InIPv4 &+= other.ipv6InIPv4
        self.ipv4InIPv6 &+= other.ipv4InIPv6
        self.ipv6InIPv6 &+= other.ipv6InIPv6
        self.maxPacketSize = max(self.maxPacketSize, other.maxPacketSize)
        for index in 0..<min(self.eventCounts.count, other.eventCounts.count) {
            self.eventCounts[index] &+= other.eventCounts[index]
        }
    }

    /// Calls `body` with every counter as Suricata names it in EVE `stats` (`decoder.pkts`,
    /// `decoder.event.ipv4.trunc_pkt`, …), zeros included, in a stable order.
    public func forEachCounter(_ body: (_ name: String, _ value: UInt64) -> Void) {
        body("decoder.pkts", self.packets)
        body("decoder.bytes", self.bytes)
        body("decoder.invalid", self.invalid)
        body("decoder.ipv4", self.ipv4)
        body("decoder.ipv6", self.ipv6)
        body("decoder.ethernet", self.ethernet)
        body("decoder.sll", self.sll)
        body("decoder.raw", self.raw)
        body("decoder.null", self.null)
        body("decoder.tcp", self.tcp)
        body("decoder.udp", self.udp)
        body("decoder.sctp", self.sctp)
        body("decoder.esp", self.esp)
        body("decoder.icmpv4", self.icmpv4)
        body("decoder.icmpv6", self.icmpv6)
        body("decoder.vlan", self.vlan)
        body("decoder.vlan_qinq", self.vlanQinQ)
        body("decoder.vlan_qinqinq", self.vlanQinQinQ)
        body("decoder.unknown_ethertype", self.unknownEthertype)
        body("decoder.sll2", self.sll2)
        body("decoder.gre", self.gre)
        body("decoder.vxlan", self.vxlan)
        body("decoder.geneve", self.geneve)
        body("decoder.teredo", self.teredo)
        body("decoder.erspan", self.erspan)
        body("decoder.mpls", self.mpls)
        body("decoder.pppoe", self.pppoe)
        body("decoder.ppp", self.ppp)
        body("decoder.nsh", self.nsh)
        body("decoder.vntag", self.vntag)
        body("decoder.etag", self.etag)
        body("decoder.chdlc", self.chdlc)
        body("decoder.arp", self.arp)
        body("decoder.ieee8021ah", self.ieee8021ah)
        body("decoder.ipv4_in_ipv4", self.ipv4InIPv4)
        body("decoder.ipv6_in_ipv4", self.ipv6InIPv4)
        body("decoder.ipv4_in_ipv6", self.ipv4InIPv6)
        body("decoder.ipv6_in_ipv6", self.ipv6InIPv6)
        body("decoder.avg_pkt_size", self.averagePacketSize)
        body("decoder.max_pkt_size", self.maxPacketSize)
        for event in DecodeEvent.allCases {
            body(event.statsName, self.eventCounts[Int(event.rawValue)])
        }
    }

    /// Every counter as (dotted name, value) pairs, in the order of ``forEachCounter(_:)``.
    public var counters: [(name: String, value: UInt64)] {
        var out: [(name: String, value: UInt64)] = []
        self.forEachCounter { out.append(($0, $1)) }
        return out
    }

    /// The value of a counter by its dotted name (`decoder.ipv4`, `decoder.event.udp.len_invalid`), or `nil`.
    public func value(named name: String) -> UInt64? {
        var found: UInt64? = nil
        self.forEachCounter { counter, value in if counter == name { found = value } }
        return found
    }
}

extension DecodeEvent {
    /// The event's counter in Suricata's stats: `decoder.event.<name>`, except the generic layer limit, which
    /// Suricata's EVE schema has as `decoder.too_many_layers`.
    public var statsName: String {
        self == .tooManyLayers ? "decoder.too_many_layers" : "decoder.event." + self.name
    }
}
