// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDecode

// Field-level checks of every decoder branch on well-formed frames.

@Test func ethernetIPv4TCPSynWithOptions() throws {
    let (p, d) = decoded(Fixtures.ethIPv4TCPSyn, checksums: .all)
    #expect(p.linkType == .ethernet)
    #expect(p.ipVersion == 4)
    #expect(p.l3Offset == 14)
    #expect(p.source == IPAddress("192.168.1.10"))
    #expect(p.destination == IPAddress("10.0.0.80"))
    #expect(p.ttl == 64)
    #expect(p.ipID == 0x1234)
    #expect(p.ipFlags == 0x2)  // DF
    #expect(!p.isFragment)
    #expect(p.ipHeaderLength == 20)
    #expect(p.ipTotalLength == 60)
    #expect(p.l4Protocol == 6)
    #expect(p.isTCP)
    #expect(p.l4Offset == 34)
    #expect(p.sourcePort == 40000)
    #expect(p.destinationPort == 80)
    #expect(p.tcpSequence == 1000)
    #expect(p.tcpFlags == 0x02)
    #expect(p.tcpWindow == 64240)
    #expect(p.tcpHeaderLength == 40)
    #expect(p.tcpOptions.mss == 1460)
    #expect(p.tcpOptions.sackPermitted)
    #expect(p.tcpOptions.timestampValue == 123456)
    #expect(p.tcpOptions.timestampEcho == 0)
    #expect(p.tcpOptions.windowScale == 7)
    #expect(!p.tcpOptions.hasSACK)
    #expect(p.payloadOffset == 74)
    #expect(p.payloadLength == 0)
    #expect(p.ipChecksum == .valid)
    #expect(p.l4Checksum == .valid)
    #expect(d.statistics.ethernet == 1)
    #expect(d.statistics.ipv4 == 1)
    #expect(d.statistics.tcp == 1)
}

@Test func tcpFastOpenInItsExperimentalOptionForm() {
    #expect(!decoded(Fixtures.ethIPv4TCPSyn).packet.tcpOptions.hasFastOpen)
    // The timestamp option (bytes 60..<70) becomes kind 254 with TFO's magic 0xF989 (a cookie request), then
    // six NOPs; then the same with an 8-byte cookie over the timestamp and the window scale.
    var request = Fixtures.ethIPv4TCPSyn
    request.replaceSubrange(60..<70, with: [254, 4, 0xF9, 0x89, 1, 1, 1, 1, 1, 1])
    let (p, _) = decoded(request)
    #expect(p.tcpOptions.hasFastOpen)
    #expect(p.events.isEmpty)
    var cookie = Fixtures.ethIPv4TCPSyn
    cookie.replaceSubrange(60..<74, with: [253, 12, 0xF9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0])
    #expect(decoded(cookie).packet.tcpOptions.hasFastOpen)
    // Another experiment's magic, or TFO's magic at another length, is not Fast Open.
    var other = request
    other[62] = 0x12
    #expect(!decoded(other).packet.tcpOptions.hasFastOpen)
    var odd = Fixtures.ethIPv4TCPSyn
    odd.replaceSubrange(60..<70, with: [254, 6, 0xF9, 0x89, 0, 0, 1, 1, 1, 1])
    #expect(!decoded(odd).packet.tcpOptions.hasFastOpen)
}

@Test func tcpPayloadAndSACKBlocks() {
    let (p, _) = decoded(Fixtures.ethIPv4TCPData)
    #expect(p.tcpAcknowledgement == 5001)
    #expect(p.tcpFlags == 0x18)
    #expect(p.payloadOffset == 54)
    #expect(p.payloadLength == 5)
    // Replace the SYN's options with NOP NOP SACK(2 blocks) … : 40 bytes of options hold 2 + 18 + padding.
    var syn = Fixtures.ethIPv4TCPSyn
    let sack: [UInt8] = [1, 1, 5, 18] + [UInt8](repeating: 0x11, count: 16) + [UInt8](repeating: 0, count: 20)
    syn.replaceSubrange(54..<74, with: sack[0..<20])
    let (q, _) = decoded(syn)
    #expect(q.tcpOptions.hasSACK)
    #expect(q.tcpOptions.sackBlockCount == 2)
    #expect(q.tcpOptions.sackOffset == 58)
    #expect(q.events.isEmpty)
}

@Test func ethernetPaddingIsTrimmedByIPTotalLength() {
    // A 45-byte IPv4 packet padded to the 60-byte Ethernet minimum.
    let padded = Fixtures.ethIPv4TCPData + [UInt8](repeating: 0, count: 1) + [UInt8](repeating: 0xee, count: 4)
    let (p, _) = decoded(padded, checksums: .all)
    #expect(p.payloadLength == 5)
    #expect(p.l4Checksum == .valid)
    #expect(p.events.isEmpty)
}

@Test func vlanTagIsPeeled() {
    let (p, d) = decoded(Fixtures.vlanIPv4UDP, checksums: .all)
    #expect(p.vlanCount == 1)
    #expect(p.vlanIDs.0 == 100)
    #expect(p.vlanIDs.1 == 0)
    #expect(p.isUDP)
    #expect(p.l3Offset == 18)
    #expect(p.sourcePort == 53000)
    #expect(p.destinationPort == 53)
    #expect(p.payloadOffset == 46)
    #expect(p.payloadLength == 29)
    #expect(p.l4Checksum == .valid)
    #expect(d.statistics.vlan == 1)
    #expect(d.statistics.vlanQinQ == 0)
}

@Test func qinqTagsAreOutermostFirst() {
    let (p, d) = decoded(Fixtures.qinqIPv4ICMPEcho, checksums: .all)
    #expect(p.vlanCount == 2)
    #expect(p.vlanIDs.0 == 200)
    #expect(p.vlanIDs.1 == 300)
    #expect(p.l4Protocol == 1)
    #expect(p.hasL4)
    #expect(p.icmpType == 8)
    #expect(p.icmpCode == 0)
    #expect(p.icmpHasIDAndSequence)
    #expect(p.icmpID == 0x4242)
    #expect(p.icmpSequence == 7)
    #expect(p.payloadLength == 8)
    #expect(p.l4Checksum == .valid)
    #expect(d.statistics.vlan == 1)
    #expect(d.statistics.vlanQinQ == 1)
    #expect(d.statistics.icmpv4 == 1)
}

@Test func vlanIDIgnoresPriorityBits() {
    // PCP 5 and DEI set on the 802.1Q tag: only the low 12 bits are the id.
    let (p, _) = decoded(Fixtures.vlanIPv4UDP.setting(14, 0xb0 | 0x00, 0x64))
    #expect(p.vlanIDs.0 == 100)
}

@Test func ipv4OptionsAreRecorded() {
    let (p, _) = decoded(Fixtures.ethIPv4OptionsUDP, checksums: .all)
    #expect(p.ipHeaderLength > 20)
    #expect(p.ipv4Options & IPv4Option.recordRoute.bit != 0)
    #expect(p.ipv4Options & IPv4Option.noOperation.bit != 0)
    #expect(p.ipv4Options & IPv4Option.endOfList.bit != 0)
    #expect(p.ipv4Options & IPv4Option.timestamp.bit == 0)
    #expect(p.isUDP)
    #expect(p.ipChecksum == .valid)
    #expect(p.events.isEmpty)
}

@Test(arguments: [
    // (options bytes, option expected)
    ([68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0] as [UInt8], IPv4Option.timestamp),
    ([131, 7, 4, 0, 0, 0, 0, 0], .looseSourceRoute),
    ([137, 7, 4, 0, 0, 0, 0, 0], .strictSourceRoute),
    ([130, 3, 0, 0, 0, 0, 0, 0], .security),
    ([133, 3, 0, 0, 0, 0, 0, 0], .extendedSecurity),
    ([136, 4, 0, 1, 0, 0, 0, 0], .streamID),
    ([148, 4, 0, 0, 0, 0, 0, 0], .routerAlert),
    ([25, 8, 0, 0, 0, 0, 0, 0], .quickStart),
    ([134, 12, 0, 0, 0, 1, 1, 6, 0, 0, 0, 0], .cipso),
])
func eachIPv4OptionSetsItsBit(options: [UInt8], option: IPv4Option) {
    let (p, _) = decoded(ipv4FrameWithOptions(options))
    #expect(p.ipv4Options & option.bit != 0)
    #expect(!p.isInvalid, "\(p.events.elements.map(\.name))")
    #expect(p.isTCP)
}

@Test func ipv4OptionKeywords() {
    for name in ["rr", "eol", "nop", "ts", "sec", "esec", "lsrr", "ssrr", "satid"] {
        #expect(IPv4Option(keyword: name)?.keyword == name)
    }
    #expect(IPv4Option(keyword: "any") == nil)
    #expect(IPv4Option.recordRoute.typeCode == 7)
}

@Test func invalidOptionStopsDecodingBeforeL4() {
    let (p, _) = decoded(Fixtures.ethIPv4OptionsUDP.setting(35, 0xff))
    #expect(p.isInvalid)
    #expect(!p.hasL4)
    #expect(p.ipVersion == 0)
}

@Test func ipv4FragmentsAreNeverDecodedAsL4() {
    let (p, _) = decoded(Fixtures.ethIPv4FragmentFirst, checksums: .all)
    #expect(p.isFragment)
    #expect(!p.hasL4)
    #expect(p.l4Protocol == 17)
    #expect(p.ipFlags & 0x1 == 1)
    #expect(p.fragmentOffset == 0)
    #expect(p.payloadOffset == 34)
    #expect(p.payloadLength == 24)
    #expect(p.ipChecksum == .valid)
    #expect(p.l4Checksum == .unchecked)
    // A later fragment (offset 24 bytes = 3 units, MF clear) is a fragment too.
    let later = Fixtures.ethIPv4FragmentFirst.setting16(20, 3).fixingIPv4Checksum(at: 14)
    let (q, _) = decoded(later, checksums: .all)
    #expect(q.isFragment)
    #expect(q.fragmentOffset == 24)
    #expect(!q.hasL4)
    #expect(q.ipChecksum == .valid)
}

@Test func ipv6TCP() {
    let (p, d) = decoded(Fixtures.ethIPv6TCP, checksums: .all)
    #expect(p.ipVersion == 6)
    #expect(p.source == IPAddress("2001:db8::10"))
    #expect(p.destination == IPAddress("2001:db8::80"))
    #expect(p.tos == 0x20)
    #expect(p.ttl == 64)
    #expect(p.ipHeaderLength == 40)
    #expect(p.isTCP)
    #expect(p.destinationPort == 443)
    #expect(p.payloadLength == 4)
    #expect(p.ipChecksum == .unchecked)
    #expect(p.l4Checksum == .valid)
    #expect(d.statistics.ipv6 == 1)
}

@Test func ipv6ExtensionHeaderChain() {
    let (p, _) = decoded(Fixtures.ethIPv6ExtUDP, checksums: .all)
    let expected: [IPv6ExtensionHeader] = [.hopByHop, .destinationOptions, .routing]
    for header in expected { #expect(p.ipv6ExtensionHeaders & header.bit != 0) }
    #expect(p.ipv6ExtensionHeaders & IPv6ExtensionHeader.fragment.bit == 0)
    #expect(p.isUDP)
    #expect(p.l4Protocol == 17)
    #expect(p.ipHeaderLength == 40 + 8 + 8 + 24)
    #expect(p.sourcePort == 5000)
    #expect(p.payloadLength == 3)
    // The UDP checksum covers the final destination named by the type 2 routing header (RFC 8200 8.1).
    #expect(p.l4Checksum == .valid)
}

@Test func ipv6FragmentHeaderMarksFragment() {
    let (p, _) = decoded(Fixtures.ethIPv6FragmentFirst, checksums: .all)
    #expect(p.isFragment)
    #expect(!p.hasL4)
    #expect(p.ipID == 0xabcd_ef01)
    #expect(p.fragmentOffset == 0)
    #expect(p.ipFlags & 1 == 1)
    #expect(p.ipv6ExtensionHeaders & IPv6ExtensionHeader.fragment.bit != 0)
    #expect(p.l4Protocol == 44)
    #expect(p.payloadOffset == 62)
    #expect(p.payloadLength == 16)
    #expect(p.l4Checksum == .unchecked)
}

@Test func ipv6AtomicFragmentDecodesOn() {
    let frame = ipv6Frame(next: 44, payload: [17, 0, 0, 0, 0, 0, 0, 1] + udpHeader(payload: 2))
    let (p, _) = decoded(frame)
    #expect(!p.isFragment)
    #expect(p.isUDP)
    #expect(p.destinationPort == 2000)
    #expect(p.events.contains(.ipv6ExthdrUselessFH))
}

@Test func ipv6AuthenticationHeaderIsSkippedAndESPIsDecoded() {
    let ah = ipv6Frame(
        next: 51,
        payload: [6, 4, 0, 0] + [UInt8](repeating: 1, count: 20) + Array(Fixtures.ethIPv6TCP[54...])
    )
    let (p, _) = decoded(ah)
    #expect(p.isTCP)
    #expect(p.ipv6ExtensionHeaders & IPv6ExtensionHeader.authentication.bit != 0)
    #expect(p.ipHeaderLength == 64)
    let esp = ipv6Frame(next: 50, payload: [UInt8](repeating: 9, count: 24))
    let (q, _) = decoded(esp)
    // ESP's header (SPI 0x09090909, sequence), then 16 bytes of ciphertext as payload.
    #expect(q.hasL4 && q.sourcePort == 0x0909 && q.payloadLength == 16)
    #expect(q.l4Protocol == 50)
    #expect(q.events.isEmpty)
    #expect(q.ipv6ExtensionHeaders & IPv6ExtensionHeader.esp.bit != 0)
    let none = ipv6Frame(next: 0, payload: [59, 0] + padOnly)
    let (r, _) = decoded(none)
    #expect(r.l4Protocol == 59)
    #expect(!r.events.contains(.ipv6DataAfterNoneHeader))
    let mobility = ipv6Frame(next: 135, payload: [17, 0, 0, 0, 0, 0, 0, 0] + udpHeader())
    let (m, _) = decoded(mobility)
    #expect(m.isUDP)
    #expect(m.ipv6ExtensionHeaders & IPv6ExtensionHeader.mobilityHIPOrShim6.bit != 0)
}

@Test func icmpv4ErrorQuotesItsPacket() {
    let (p, _) = decoded(Fixtures.ethIPv4ICMPUnreach, checksums: .all)
    #expect(p.icmpType == 3)
    #expect(p.icmpCode == 3)
    #expect(!p.icmpHasIDAndSequence)
    #expect(p.icmpEmbeddedOffset == 42)
    #expect(p.l4Checksum == .valid)
    #expect(p.events.isEmpty)
    // The quoted UDP packet's endpoints: the flow this port unreachable belongs to.
    #expect(
        p.icmpUnreachableFlow
            == ICMPQuotedFlow(
                source: IPAddress("192.168.1.10")!, destination: IPAddress("10.0.0.80")!, sourcePort: 5353,
                destinationPort: 9999, proto: IPProtocol.udp))
}

@Test func onlyADestinationUnreachableQuotingTCPOrUDPNamesAFlow() {
    // Time exceeded quotes the same packet, but only destination unreachable ties an error to a flow.
    #expect(decoded(Fixtures.ethIPv4ICMPUnreach.setting(34, 11, 0)).0.icmpUnreachableFlow == nil)
    // A quoted ICMP packet has no ports.
    #expect(decoded(Fixtures.ethIPv4ICMPUnreach.setting(51, 1)).0.icmpUnreachableFlow == nil)
    // Quoted TCP needs only its port fields; quoted UDP its whole 8-byte header (Suricata's partial decode).
    let tcp = decoded(Fixtures.ethIPv4ICMPUnreach.setting(51, 6)).0.icmpUnreachableFlow
    #expect(tcp?.proto == IPProtocol.tcp && tcp?.sourcePort == 5353 && tcp?.destinationPort == 9999)
    let cut = Fixtures.ethIPv4ICMPUnreach.prefix(bytes: 66).setting16(16, 52).fixingIPv4Checksum(at: 14)
    #expect(decoded(cut).0.icmpUnreachableFlow == nil, "UDP quoted with 4 of its 8 header bytes")
    #expect(decoded(cut.setting(51, 6)).0.icmpUnreachableFlow?.sourcePort == 5353, "TCP quoted with its ports")
}

@Test(arguments: [
    // (type, code, has id/seq, quotes a packet)
    (0 as UInt8, 0 as UInt8, true, false), (8, 0, true, false), (13, 0, true, false), (14, 0, true, false),
    (15, 0, true, false), (16, 0, true, false), (17, 0, true, false), (18, 0, true, false),
    (3, 15, false, true), (4, 0, false, true), (5, 3, false, true), (11, 1, false, true), (12, 0, false, true),
])
func icmpv4KnownTypes(type: UInt8, code: UInt8, hasID: Bool, quotes: Bool) {
    // The unreachable fixture quotes an IPv4 header, so error types find one.
    let (p, _) = decoded(Fixtures.ethIPv4ICMPUnreach.setting(34, type, code))
    #expect(p.events.isEmpty, "\(p.events.elements.map(\.name))")
    #expect(p.icmpHasIDAndSequence == hasID)
    #expect((p.icmpEmbeddedOffset >= 0) == quotes)
}

@Test func icmpv6EchoAndErrors() {
    let (echo, d) = decoded(Fixtures.ethIPv6ICMPv6Echo, checksums: .all)
    #expect(echo.l4Protocol == 58)
    #expect(echo.hasL4)
    #expect(echo.icmpType == 128)
    #expect(echo.icmpID == 9)
    #expect(echo.icmpSequence == 10)
    #expect(echo.l4Checksum == .valid)
    #expect(d.statistics.icmpv6 == 1)
    let (unreach, _) = decoded(Fixtures.ethIPv6ICMPv6Unreach, checksums: .all)
    #expect(unreach.icmpType == 1)
    #expect(unreach.icmpEmbeddedOffset == 62)
    #expect(unreach.l4Checksum == .valid)
    #expect(unreach.events.isEmpty)
    let (mld, _) = decoded(Fixtures.ethIPv6MLD, checksums: .all)
    #expect(mld.icmpType == 131)
    #expect(mld.ttl == 1)
    #expect(mld.l4Checksum == .valid)
    #expect(mld.events.isEmpty)
}

@Test(arguments: [
    (2 as UInt8, 0 as UInt8), (3, 1), (4, 2), (129, 0), (130, 0), (132, 0), (133, 0), (134, 0), (135, 0),
    (136, 0), (137, 0), (138, 255), (139, 2), (140, 0), (141, 0), (143, 0), (151, 0), (155, 7),
])
func icmpv6KnownTypes(type: UInt8, code: UInt8) {
    // The unreachable fixture quotes an IPv6 header; hop limit 1 keeps MLD types quiet.
    let (p, _) = decoded(Fixtures.ethIPv6ICMPv6Unreach.setting(54, type, code).setting(21, 1))
    #expect(p.events.isEmpty, "type \(type): \(p.events.elements.map(\.name))")
}

@Test func linuxCookedV1AndV2() {
    let (v1, d1) = decoded(Fixtures.sllIPv4UDP, link: .linuxSLL, checksums: .all)
    #expect(v1.linkType == .linuxSLL)
    #expect(v1.l3Offset == 16)
    #expect(v1.isUDP)
    #expect(v1.l4Checksum == .valid)
    #expect(d1.statistics.sll == 1)
    let (v2, d2) = decoded(Fixtures.sll2IPv6ICMPv6, link: .linuxSLL2, checksums: .all)
    #expect(v2.l3Offset == 20)
    #expect(v2.icmpType == 128)
    #expect(v2.l4Checksum == .valid)
    #expect(d2.statistics.sll2 == 1)
    #expect(d2.statistics.sll == 0)
    // A VLAN tag behind SLL is peeled too.
    let tagged =
        Array(Fixtures.sllIPv4UDP[0..<14]) + [0x81, 0x00, 0x00, 0x07, 0x08, 0x00] + Array(Fixtures.sllIPv4UDP[16...])
    let (t, _) = decoded(tagged, link: .linuxSLL)
    #expect(t.vlanIDs.0 == 7)
    #expect(t.isUDP)
}

@Test func nullLoopbackAcceptsBothByteOrders() {
    let (le, d) = decoded(Fixtures.nullLEIPv4TCP, link: .null, checksums: .all)
    #expect(le.ipVersion == 4)
    #expect(le.isTCP)
    #expect(le.l4Checksum == .valid)
    #expect(d.statistics.null == 1)
    let (be, _) = decoded(Fixtures.nullBEIPv6UDP, link: .null)
    #expect(be.ipVersion == 6)
    #expect(be.isUDP)
    // Every AF_INET6 value Suricata accepts, in host (little-endian) order.
    for family: UInt8 in [10, 23, 24, 26, 28, 30] {
        let (p, _) = decoded(Fixtures.nullBEIPv6UDP.setting(0, family, 0, 0, 0), link: .null)
        #expect(p.ipVersion == 6, "family \(family)")
    }
    let (loop, _) = decoded(Fixtures.loopIPv4UDP, link: .loop)
    #expect(loop.isUDP)
    #expect(loop.linkType == .loop)
}

@Test(arguments: [LinkType.raw, .rawDLT12, .rawDLT14, .ipv4, .ipv6])
func rawIPVersionNibbleDecides(link: LinkType) {
    let (v4, d) = decoded(Fixtures.rawIPv4UDP, link: link, checksums: .all)
    #expect(v4.ipVersion == 4)
    #expect(v4.isUDP)
    #expect(v4.l4Checksum == .valid)
    #expect(d.statistics.raw == 1)
    let (v6, _) = decoded(Fixtures.rawIPv6TCP, link: link, checksums: .all)
    #expect(v6.ipVersion == 6)
    #expect(v6.isTCP)
    #expect(v6.l4Checksum == .valid)
}

@Test func knownButUndecodedEthertypesAreQuiet() {
    for type: UInt16 in [0x0806] {
        let (p, d) = decoded(Fixtures.ethIPv4TCPData.setting16(12, type))
        #expect(p.events.isEmpty)
        #expect(p.ipVersion == 0)
        #expect(d.statistics.unknownEthertype == 0)
    }
}

@Test func knownIPv4ProtocolsWithoutDecoderAreQuiet() {
    for proto: UInt8 in [2] {
        let (p, _) = decoded(Fixtures.ethIPv4TCPData.setting(23, proto))
        #expect(p.events.isEmpty, "protocol \(proto)")
        #expect(p.l4Protocol == proto)
        #expect(!p.hasL4)
        #expect(p.payloadOffset == 34)
    }
}
