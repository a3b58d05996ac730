// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
@testable import WeirRuntime

@Suite struct RejectFramesTests {
    static let clientMAC: [UInt8] = [2, 0, 0, 0, 0, 1]
    static let serverMAC: [UInt8] = [2, 0, 0, 0, 0, 2]

    /// An Ethernet frame from the client MAC to the server MAC carrying `ip`.
    static func ethernet(_ ip: [UInt8], type: UInt16 = 0x0800) -> [UInt8] {
        Self.serverMAC + Self.clientMAC + [UInt8(type >> 8), UInt8(type & 0xff)] + ip
    }

    static func ipv4TCP(flags: UInt8, seq: UInt32, ack: UInt32, payload: [UInt8]) -> [UInt8] {
        var tcp = RejectFrames.be16(40000) + RejectFrames.be16(80) + RejectFrames.be32(seq) + RejectFrames.be32(ack)
        tcp += [0x50, flags, 0xff, 0xff, 0, 0, 0, 0] + payload
        let from = IPAddress("10.0.0.1") ?? .zeroV4
        let to = IPAddress("10.0.0.2") ?? .zeroV4
        let sum = RejectFrames.checksum(RejectFrames.pseudoHeader(from: from, to: to, proto: 6, length: tcp.count) + tcp)
        tcp[16] = UInt8(sum >> 8)
        tcp[17] = UInt8(sum & 0xff)
        return Self.ethernet(RejectFrames.ip(4, from: from, to: to, proto: 6, payload: tcp))
    }

    /// Decodes `frame` with every checksum verified.
    static func decode(_ frame: [UInt8]) -> Packet {
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .all)
        var packet = Packet()
        frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
        return packet
    }

    static func reply(_ frame: [UInt8], toSource: Bool = true) -> [UInt8]? {
        let packet = Self.decode(frame)
        return frame.withUnsafeBytes { RejectFrames.build(frame: $0, packet: packet, toSource: toSource) }
    }

    @Test func aSegmentWithAnAckGetsABareResetAtThatAck() throws {
        let original = Self.ipv4TCP(flags: 0x18, seq: 1000, ack: 5000, payload: Array("evil".utf8))
        let reply = try #require(Self.reply(original))
        let packet = Self.decode(reply)
        #expect(packet.ipChecksum == .valid && packet.l4Checksum == .valid)
        #expect(Array(reply[0..<6]) == Self.clientMAC && Array(reply[6..<12]) == Self.serverMAC)
        #expect(packet.source == IPAddress("10.0.0.2") && packet.destination == IPAddress("10.0.0.1"))
        #expect(packet.sourcePort == 80 && packet.destinationPort == 40000)
        #expect(packet.tcpFlags == 0x04 && packet.tcpSequence == 5000)
    }

    @Test func aSynWithoutAckGetsResetAckAcknowledgingIt() throws {
        let reply = try #require(Self.reply(Self.ipv4TCP(flags: 0x02, seq: 7000, ack: 0, payload: [])))
        let packet = Self.decode(reply)
        #expect(packet.l4Checksum == .valid)
        #expect(packet.tcpFlags == 0x14 && packet.tcpSequence == 0 && packet.tcpAcknowledgement == 7001)
    }

    @Test func towardsTheDestinationTheResetContinuesTheSource() throws {
        let original = Self.ipv4TCP(flags: 0x18, seq: 1000, ack: 5000, payload: Array("evil".utf8))
        let packet = Self.decode(try #require(Self.reply(original, toSource: false)))
        #expect(packet.l4Checksum == .valid)
        #expect(packet.source == IPAddress("10.0.0.1") && packet.sourcePort == 40000)
        #expect(packet.tcpFlags == 0x14 && packet.tcpSequence == 1004 && packet.tcpAcknowledgement == 5000)
    }

    @Test func udpGetsPortUnreachableQuotingTheDatagram() throws {
        let from = IPAddress("10.0.0.1") ?? .zeroV4
        let to = IPAddress("10.0.0.2") ?? .zeroV4
        let udp: [UInt8] = RejectFrames.be16(5353) + RejectFrames.be16(53) + RejectFrames.be16(12) + [0, 0, 1, 2, 3, 4]
        let original = Self.ethernet(RejectFrames.ip(4, from: from, to: to, proto: 17, payload: udp))
        let reply = try #require(Self.reply(original))
        let packet = Self.decode(reply)
        #expect(packet.l4Checksum == .valid && packet.l4Protocol == IPProtocol.icmp)
        #expect(packet.icmpType == 3 && packet.icmpCode == 3 && packet.destination == from)
        #expect(Array(reply.suffix(28)) == Array(original[14..<42]))  // the IP header and the first 8 bytes
        #expect(Self.reply(original, toSource: false) == nil)
    }

    @Test func ipv6UdpGetsICMPv6PortUnreachable() throws {
        let from = IPAddress("2001:db8::1") ?? .zeroV4
        let to = IPAddress("2001:db8::2") ?? .zeroV4
        var udp: [UInt8] = RejectFrames.be16(5353) + RejectFrames.be16(53) + RejectFrames.be16(12) + [0, 0, 9, 9, 9, 9]
        let sum = RejectFrames.checksum(RejectFrames.pseudoHeader(from: from, to: to, proto: 17, length: udp.count) + udp)
        udp[6] = UInt8(sum >> 8)
        udp[7] = UInt8(sum & 0xff)
        let original = Self.ethernet(RejectFrames.ip(6, from: from, to: to, proto: 17, payload: udp), type: 0x86dd)
        let packet = Self.decode(try #require(Self.reply(original)))
        #expect(packet.l4Checksum == .valid && packet.l4Protocol == IPProtocol.icmpv6)
        #expect(packet.icmpType == 1 && packet.icmpCode == 4 && packet.destination == from)
    }

    @Test func icmpErrorsAreNeverAnswered() {
        let from = IPAddress("10.0.0.1") ?? .zeroV4
        let to = IPAddress("10.0.0.2") ?? .zeroV4
        var icmp: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0]
        let sum = RejectFrames.checksum(icmp)
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xff)
        #expect(Self.reply(Self.ethernet(RejectFrames.ip(4, from: from, to: to, proto: 1, payload: icmp))) == nil)
    }
}
