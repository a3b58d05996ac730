// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirDecode

/// One damaged frame and the event it must raise.
struct EventCase: CustomTestStringConvertible, Sendable {
    let event: DecodeEvent
    let invalid: Bool
    let link: LinkType
    let frame: [UInt8]
    let note: String

    init(_ event: DecodeEvent, invalid: Bool, _ note: String, _ frame: [UInt8]) {
        self.init(event, invalid: invalid, .ethernet, note, frame)
    }

    init(_ event: DecodeEvent, invalid: Bool, _ link: LinkType, _ note: String, _ frame: [UInt8]) {
        self.event = event
        self.invalid = invalid
        self.link = link
        self.frame = frame
        self.note = note
    }

    var testDescription: String { "\(self.event.name): \(self.note)" }
}

let tcpData = Fixtures.ethIPv4TCPData
let tcpSyn = Fixtures.ethIPv4TCPSyn
let vlanUDP = Fixtures.vlanIPv4UDP
let qinqICMP = Fixtures.qinqIPv4ICMPEcho
let ipv4Options = Fixtures.ethIPv4OptionsUDP
let icmp4Unreach = Fixtures.ethIPv4ICMPUnreach
let icmp6Echo = Fixtures.ethIPv6ICMPv6Echo
let icmp6Unreach = Fixtures.ethIPv6ICMPv6Unreach
let mld = Fixtures.ethIPv6MLD
let padOnly: [UInt8] = [1, 4, 0, 0, 0, 0]

/// Every event Weir raises, each from a well-formed fixture with one thing broken.
let eventCases: [EventCase] = [
    // Link layers.
    EventCase(.ethernetPktTooSmall, invalid: true, "13-byte frame", tcpData.prefix(bytes: 13)),
    EventCase(.ethernetUnknownEthertype, invalid: false, "ethertype 0x1234", tcpData.setting16(12, 0x1234)),
    EventCase(.vlanHeaderTooSmall, invalid: true, "tag cut after 2 bytes", vlanUDP.prefix(bytes: 16)),
    EventCase(.vlanUnknownType, invalid: true, "ethertype 0x1234 inside the tag", vlanUDP.setting16(16, 0x1234)),
    EventCase(.vlanTooManyLayers, invalid: false, "fourth tag", taggedIPv4UDP(ids: [5, 6, 7, 8])),
    EventCase(.sllPktTooSmall, invalid: true, .linuxSLL, "15-byte SLL", Fixtures.sllIPv4UDP.prefix(bytes: 15)),
    EventCase(.sllPktTooSmall, invalid: true, .linuxSLL2, "19-byte SLL2", Fixtures.sll2IPv6ICMPv6.prefix(bytes: 19)),
    EventCase(.ltnullPktTooSmall, invalid: true, .null, "3-byte NULL", Fixtures.nullLEIPv4TCP.prefix(bytes: 3)),
    EventCase(.ltnullUnsupportedType, invalid: false, .null, "family 7", Fixtures.nullLEIPv4TCP.setting(0, 7)),
    EventCase(.ltnullUnsupportedType, invalid: false, .loop, "LOOP family 7", Fixtures.loopIPv4UDP.setting(3, 7)),
    EventCase(.iprawInvalidIPVersion, invalid: false, .raw, "version 5", Fixtures.rawIPv4UDP.setting(0, 0x55)),
    EventCase(.ipv4PktTooSmall, invalid: true, .raw, "raw 19 bytes", Fixtures.rawIPv4UDP.prefix(bytes: 19)),
    EventCase(.ipv6PktTooSmall, invalid: true, .raw, "raw IPv6 39 bytes", Fixtures.rawIPv6TCP.prefix(bytes: 39)),

    // IPv4.
    EventCase(.ipv4PktTooSmall, invalid: true, "19-byte header", tcpData.prefix(bytes: 33)),
    EventCase(.ipv4WrongIPVersion, invalid: true, "version 6 under 0x0800", tcpData.setting(14, 0x65)),
    EventCase(.ipv4HlenTooSmall, invalid: true, "IHL 4", tcpData.setting(14, 0x44)),
    EventCase(.ipv4IplenSmallerThanHlen, invalid: true, "total length 19", tcpData.setting16(16, 19)),
    EventCase(.ipv4TruncPkt, invalid: true, "snaplen cut", tcpData.prefix(bytes: 50)),
    EventCase(.ipv4ICMPv6, invalid: true, "protocol 58", tcpData.setting(23, 58)),
    EventCase(.ipv4UnknownProtocol, invalid: false, "protocol 253", tcpData.setting(23, 253)),
    EventCase(.ipv4OptInvalid, invalid: false, "option type 0x99", ipv4Options.setting(34, 0x99)),
    EventCase(.ipv4OptInvalidLen, invalid: true, "option longer than header", ipv4Options.setting(35, 0xff)),
    EventCase(.ipv4OptInvalidLen, invalid: true, "option length 1", ipv4Options.setting(35, 1)),
    EventCase(.ipv4OptMalformed, invalid: true, "RR pointer 5", ipv4Options.setting(36, 5)),
    EventCase(.ipv4OptPadRequired, invalid: false, "4 bytes of options", ipv4FrameWithOptions([1, 1, 1, 0])),
    EventCase(.ipv4OptEolRequired, invalid: false, "type byte at the end", ipv4FrameWithOptions([1, 1, 1, 7])),
    EventCase(
        .ipv4OptDuplicate,
        invalid: false,
        "RR twice",
        ipv4FrameWithOptions([7, 7, 4, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0, 1, 0])
    ),
    EventCase(
        .ipv4OptMalformed,
        invalid: true,
        "timestamp pointer 4",
        ipv4FrameWithOptions([68, 12, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    ),
    EventCase(
        .ipv4OptInvalidLen,
        invalid: true,
        "router alert length 5",
        ipv4FrameWithOptions([148, 5, 0, 0, 0, 0, 0, 0])
    ),
    EventCase(
        .ipv4OptMalformed,
        invalid: true,
        "CIPSO tag type 0",
        ipv4FrameWithOptions([134, 12, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0])
    ),

    // ICMPv4.
    EventCase(.icmpv4PktTooSmall, invalid: true, "7-byte ICMP", qinqICMP.setting16(24, 27)),
    EventCase(.icmpv4UnknownType, invalid: false, "type 42", qinqICMP.setting(42, 42)),
    EventCase(.icmpv4UnknownCode, invalid: false, "echo code 1", qinqICMP.setting(43, 1)),
    EventCase(.icmpv4UnknownCode, invalid: false, "unreachable code 16", icmp4Unreach.setting(35, 16)),
    EventCase(.icmpv4IPv4TruncPkt, invalid: true, "10 quoted bytes", icmp4Unreach.setting16(16, 38)),
    EventCase(.icmpv4IPv4UnknownVersion, invalid: true, "quoted version 6", icmp4Unreach.setting(42, 0x65)),

    // ICMPv6.
    EventCase(.icmpv6PktTooSmall, invalid: true, "7-byte ICMPv6", icmp6Echo.setting16(18, 7)),
    EventCase(.icmpv6UnknownType, invalid: false, "type 255", icmp6Echo.setting(54, 255)),
    EventCase(.icmpv6UnknownCode, invalid: false, "echo code 1", icmp6Echo.setting(55, 1)),
    EventCase(.icmpv6UnassignedType, invalid: false, "type 50", icmp6Echo.setting(54, 50)),
    EventCase(.icmpv6UnassignedType, invalid: false, "type 170", icmp6Echo.setting(54, 170)),
    EventCase(.icmpv6ExperimentationType, invalid: false, "type 200", icmp6Echo.setting(54, 200)),
    EventCase(.icmpv6ExperimentationType, invalid: false, "type 101", icmp6Echo.setting(54, 101)),
    EventCase(.icmpv6IPv6UnknownVersion, invalid: true, "quoted version 4", icmp6Unreach.setting(62, 0x45)),
    EventCase(.icmpv6IPv6TruncPkt, invalid: true, "39 quoted bytes", icmp6Unreach.setting16(18, 47)),
    EventCase(.icmpv6MLDMessageWithInvalidHopLimit, invalid: false, "MLD hop limit 2", mld.setting(21, 2)),

    // IPv6.
    EventCase(.ipv6PktTooSmall, invalid: true, "39-byte header", Fixtures.ethIPv6TCP.prefix(bytes: 53)),
    EventCase(.ipv6WrongIPVersion, invalid: true, "version 4 under 0x86dd", Fixtures.ethIPv6TCP.setting(14, 0x45)),
    EventCase(.ipv6TruncPkt, invalid: true, "snaplen cut", Fixtures.ethIPv6TCP.prefix(bytes: 64)),
    EventCase(.ipv6TruncExthdr, invalid: true, "TCP read as hop-by-hop", Fixtures.ethIPv6TCP.setting(20, 0)),
    EventCase(
        .ipv6TruncExthdr,
        invalid: true,
        "1 byte after fragment header",
        ipv6Frame(next: 44, payload: [6, 0, 0, 0, 0, 0, 0, 0, 1])
    ),
    EventCase(
        .ipv6ExthdrUselessFH,
        invalid: false,
        "offset 0, M clear",
        ipv6Frame(next: 44, payload: [17, 0, 0, 0, 0, 0, 0, 1] + udpHeader())
    ),
    EventCase(
        .ipv6ExthdrDuplFH,
        invalid: false,
        "two fragment headers",
        ipv6Frame(next: 44, payload: [44, 0, 0, 0, 0, 0, 0, 1, 17, 0, 0, 0, 0, 0, 0, 1] + udpHeader())
    ),
    EventCase(
        .ipv6FHNonZeroReservedField,
        invalid: false,
        "reserved byte 1",
        ipv6Frame(next: 44, payload: [17, 1, 0, 0, 0, 0, 0, 1] + udpHeader())
    ),
    EventCase(
        .ipv6FragInvalidLength,
        invalid: false,
        "7-byte non-final fragment",
        ipv6Frame(next: 44, payload: [17, 0, 0, 1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 7))
    ),
    EventCase(
        .ipv6ExthdrDuplRH,
        invalid: false,
        "two routing headers",
        ipv6Frame(next: 43, payload: [43, 0, 2, 0, 0, 0, 0, 0, 17, 0, 2, 0, 0, 0, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6RHType0,
        invalid: false,
        "routing type 0",
        ipv6Frame(next: 43, payload: [17, 0, 0, 0, 0, 0, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6ExthdrDuplHH,
        invalid: false,
        "two hop-by-hop headers",
        ipv6Frame(next: 0, payload: [0, 0] + padOnly + [17, 0] + padOnly + udpHeader())
    ),
    EventCase(
        .ipv6ExthdrDuplDH,
        invalid: false,
        "three destination-options headers",
        ipv6Frame(next: 60, payload: [60, 0] + padOnly + [60, 0] + padOnly + [17, 0] + padOnly + udpHeader())
    ),
    EventCase(
        .ipv6ExthdrDuplAH,
        invalid: false,
        "two AH",
        ipv6Frame(
            next: 51,
            payload: [51, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2] + udpHeader()
        )
    ),
    EventCase(
        .ipv6ExthdrAHReservedNotNull,
        invalid: false,
        "AH reserved 1",
        ipv6Frame(next: 51, payload: [17, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1] + udpHeader())
    ),
    EventCase(
        .ipv6ExthdrInvalidOptlen,
        invalid: true,
        "router alert of 1 byte",
        ipv6Frame(next: 0, payload: [17, 0, 5, 1, 0, 0, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6ExthdrInvalidOptlen,
        invalid: true,
        "option runs past the header",
        ipv6Frame(next: 0, payload: [17, 0, 0x3e, 9, 0, 0, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6HopoptsUnknownOpt,
        invalid: false,
        "option 0x3e",
        ipv6Frame(next: 0, payload: [17, 0, 0x3e, 4, 0, 0, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6HopoptsOnlyPadding,
        invalid: false,
        "PadN only",
        ipv6Frame(next: 0, payload: [17, 0] + padOnly + udpHeader())
    ),
    EventCase(
        .ipv6DstoptsUnknownOpt,
        invalid: false,
        "option 0x3e",
        ipv6Frame(next: 60, payload: [17, 0, 0x3e, 4, 0, 0, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6DstoptsOnlyPadding,
        invalid: false,
        "PadN only",
        ipv6Frame(next: 60, payload: [17, 0] + padOnly + udpHeader())
    ),
    EventCase(
        .ipv6ZeroLenPadN,
        invalid: false,
        "PadN of length 0",
        ipv6Frame(next: 0, payload: [17, 0, 1, 0, 1, 2, 0, 0] + udpHeader())
    ),
    EventCase(
        .ipv6DataAfterNoneHeader,
        invalid: false,
        "4 bytes after 59",
        ipv6Frame(next: 59, payload: [1, 2, 3, 4])
    ),
    EventCase(
        .ipv6DataAfterNoneHeader,
        invalid: false,
        "bytes after 59 behind hop-by-hop",
        ipv6Frame(next: 0, payload: [59, 0, 5, 2, 0, 0, 0, 0, 9])
    ),
    EventCase(.ipv6UnknownNextHeader, invalid: false, "next header 253", ipv6Frame(next: 253, payload: [1, 2, 3, 4])),
    EventCase(.ipv6ICMPv4, invalid: false, "next header 1", ipv6Frame(next: 1, payload: [8, 0, 0, 0, 0, 0, 0, 0])),
    EventCase(
        .ipv6IPv4InIPv6TooSmall,
        invalid: true,
        "10-byte inner IPv4",
        ipv6Frame(next: 4, payload: [UInt8](repeating: 0x45, count: 10))
    ),
    EventCase(
        .ipv6IPv4InIPv6WrongVersion,
        invalid: true,
        "inner version 6",
        ipv6Frame(next: 4, payload: [UInt8](repeating: 0x60, count: 20))
    ),
    EventCase(
        .ipv6IPv6InIPv6TooSmall,
        invalid: true,
        "10-byte inner IPv6",
        ipv6Frame(next: 41, payload: [UInt8](repeating: 0x60, count: 10))
    ),
    EventCase(
        .ipv6IPv6InIPv6WrongVersion,
        invalid: true,
        "inner version 4",
        ipv6Frame(next: 41, payload: [UInt8](repeating: 0x45, count: 40))
    ),

    // TCP.
    EventCase(.tcpPktTooSmall, invalid: true, "19-byte segment", tcpData.setting16(16, 39)),
    EventCase(.tcpHlenTooSmall, invalid: true, "data offset 15 in a 25-byte segment", tcpData.setting(46, 0xf0)),
    EventCase(.tcpInvalidOptlen, invalid: true, "data offset 4", tcpData.setting(46, 0x40)),
    EventCase(.tcpOptInvalidLen, invalid: false, "MSS length 1", tcpSyn.setting(55, 1)),
    EventCase(.tcpOptInvalidLen, invalid: false, "MSS length 3", tcpSyn.setting(55, 3)),
    EventCase(.tcpOptInvalidLen, invalid: false, "timestamp length 9", tcpSyn.setting(61, 9)),
    EventCase(.tcpOptDuplicate, invalid: false, "SACK-permitted twice", tcpSyn.setting(71, 4, 2, 1)),

    // UDP.
    EventCase(.udpHlenTooSmall, invalid: true, "7 bytes of UDP", vlanUDP.setting16(20, 27)),
    EventCase(.udpPktTooSmall, invalid: true, "length field past the datagram", vlanUDP.setting16(42, 255)),
    EventCase(.udpLenInvalid, invalid: true, "length field 4", vlanUDP.setting16(42, 4)),

    // SCTP.
    EventCase(.sctpPktTooSmall, invalid: true, "8 bytes of SCTP", tcpData.setting(23, 132).setting16(16, 28)),
    EventCase(.espPktTooSmall, invalid: true, "4 bytes of ESP", tcpData.setting(23, 50).setting16(16, 24)),
]

@Test(arguments: eventCases)
func damagedFrameRaisesItsEvent(_ testCase: EventCase) {
    let (packet, decoder) = decoded(testCase.frame, link: testCase.link)
    #expect(packet.events.contains(testCase.event), "events: \(packet.events.elements.map(\.name))")
    // Invalid events make the packet invalid; warnings alone leave it usable.
    #expect(packet.isInvalid == testCase.invalid)
    #expect(decoder.statistics.invalid == (testCase.invalid ? 1 : 0))
    #expect(decoder.statistics.count(of: testCase.event) == 1)
}

@Test func everyRaisableEventHasACase() {
    // Events Suricata defines but no decoder path raises (there or here).
    // too_many_layers has tests of its own (TunnelDecodeTests), and the fragment events come from the
    // Defragmenter (DefragTests).
    let neverRaised: Set<DecodeEvent> = [
        .ipv4OptUnknown, .ipv6ExthdrDuplEH, .greVersion1MalformedSreHdr, .erspanTooManyVlanLayers, .tooManyLayers,
        // Raised on an inner packet that Suricata then drops (TunnelDecodeTests.refusedInnerPacketIsDropped).
        .erspanHeaderTooSmall, .erspanUnsupportedVersion,
        .ipv4FragPktTooLarge, .ipv6FragPktTooLarge, .ipv4FragOverlap, .ipv6FragOverlap, .ipv4FragIgnored,
        .ipv6FragIgnored,
    ]
    let covered = Set((eventCases + tunnelEventCases).map(\.event))
    for event in DecodeEvent.allCases where !neverRaised.contains(event) {
        #expect(covered.contains(event), "no test case raises \(event.name)")
    }
}

@Test func wellFormedFixturesRaiseNothing() {
    let fixtures: [(String, [UInt8], LinkType)] = [
        ("ethIPv4TCPSyn", Fixtures.ethIPv4TCPSyn, .ethernet),
        ("ethIPv4TCPData", Fixtures.ethIPv4TCPData, .ethernet),
        ("vlanIPv4UDP", Fixtures.vlanIPv4UDP, .ethernet),
        ("qinqIPv4ICMPEcho", Fixtures.qinqIPv4ICMPEcho, .ethernet),
        ("ethIPv4FragmentFirst", Fixtures.ethIPv4FragmentFirst, .ethernet),
        ("ethIPv6TCP", Fixtures.ethIPv6TCP, .ethernet),
        ("ethIPv6ExtUDP", Fixtures.ethIPv6ExtUDP, .ethernet),
        ("ethIPv6FragmentFirst", Fixtures.ethIPv6FragmentFirst, .ethernet),
        ("ethIPv6ICMPv6Echo", Fixtures.ethIPv6ICMPv6Echo, .ethernet),
        ("ethIPv6ICMPv6Unreach", Fixtures.ethIPv6ICMPv6Unreach, .ethernet),
        ("ethIPv6MLD", Fixtures.ethIPv6MLD, .ethernet),
        ("ethIPv4ICMPUnreach", Fixtures.ethIPv4ICMPUnreach, .ethernet),
        ("sllIPv4UDP", Fixtures.sllIPv4UDP, .linuxSLL),
        ("sll2IPv6ICMPv6", Fixtures.sll2IPv6ICMPv6, .linuxSLL2),
        ("nullLEIPv4TCP", Fixtures.nullLEIPv4TCP, .null),
        ("nullBEIPv6UDP", Fixtures.nullBEIPv6UDP, .null),
        ("loopIPv4UDP", Fixtures.loopIPv4UDP, .loop),
        ("rawIPv4UDP", Fixtures.rawIPv4UDP, .raw),
        ("rawIPv6TCP", Fixtures.rawIPv6TCP, .raw),
    ]
    for (name, bytes, link) in fixtures {
        let (packet, _) = decoded(bytes, link: link, checksums: .all)
        #expect(packet.events.isEmpty, "\(name): \(packet.events.elements.map(\.name))")
        #expect(!packet.isInvalid, "\(name)")
        #expect(packet.ipChecksum != .invalid, "\(name)")
        #expect(packet.l4Checksum != .invalid, "\(name)")
    }
}

@Test func eventNamesAreUniqueAndLookUp() {
    var names = Set<String>()
    for event in DecodeEvent.allCases {
        #expect(names.insert(event.name).inserted, "duplicate \(event.name)")
        #expect(DecodeEvent(name: event.name) == event)
        #expect(DecodeEvent(name: "decoder.event." + event.name) == event)
        #expect(event.rawValue < 255)
    }
    #expect(DecodeEvent(name: "ipv4.no_such_event") == nil)
    #expect(DecodeEvent(name: "stream.pkt_invalid_ack") == nil)
}

@Test(.needsSharedCorpus) func eventNamesExistInSuricatasRuleset() throws {
    // <repo>/../shared, or WEIR_SHARED: the bundled Suricata decoder-events.rules lists every name it knows.
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let shared =
        ProcessInfo.processInfo.environment["WEIR_SHARED"]
        .map { URL(fileURLWithPath: $0) } ?? repository.appendingPathComponent("../shared")
    // Suricata ships SCTP's decoder event in a rules file of its own.
    let rules = try ["decoder-events.rules", "sctp-events.rules"].map {
        try String(contentsOf: shared.appendingPathComponent("rulesets/suricata-bundled/" + $0), encoding: .utf8)
    }.joined(separator: "\n")
    // Suricata defines these in decode-events.c but ships no rule for them.
    let withoutRule: Set<String> = [
        "gre.version0_malformed_sre_hdr", "vxlan.unknown_payload_type", "geneve.unknown_payload_type",
        "nsh.header_too_small", "nsh.unsupported_version", "nsh.bad_header_length", "nsh.reserved_type",
        "nsh.unsupported_type", "nsh.unknown_payload", "ipv4.frag_ignored", "ipv6.frag_ignored",
        "esp.pkt_too_small",
    ]
    for event in DecodeEvent.allCases where !withoutRule.contains(event.name) {
        #expect(rules.contains("decode-event:\(event.name);"), "\(event.name) is not a Suricata decoder event")
    }
}

@Test func eventSetInsertsAndContains() {
    var set = DecodeEventSet()
    #expect(set.isEmpty)
    set.insert(.ipv4HlenTooSmall)
    set.insert(.tooManyLayers)
    #expect(set.contains(.ipv4HlenTooSmall))
    #expect(set.contains(.tooManyLayers))
    #expect(!set.contains(.ipv4PktTooSmall))
    #expect(set.elements == [.ipv4HlenTooSmall, .tooManyLayers])
    #expect(set.count == 2)
    var all = DecodeEventSet()
    for event in DecodeEvent.allCases { all.insert(event) }
    #expect(all.count == DecodeEvent.allCases.count)
    var seen: [DecodeEvent] = []
    all.forEach { seen.append($0) }
    #expect(seen == DecodeEvent.allCases.sorted { $0.rawValue < $1.rawValue })
}

@Test func anEmptySACKOptionRaisesNothing() {
    // Kind 5, length 2: a SACK option with no block, useless but common; Suricata raises no event for it.
    let (p, _) = decoded(Fixtures.ethIPv4TCPSyn.setting(71, 5, 2, 1))
    #expect(p.events.isEmpty)
    #expect(!p.tcpOptions.hasSACK)
    // One byte longer it is malformed.
    let (q, _) = decoded(Fixtures.ethIPv4TCPSyn.setting(71, 5, 3, 1))
    #expect(q.events.contains(.tcpOptInvalidLen))
}
