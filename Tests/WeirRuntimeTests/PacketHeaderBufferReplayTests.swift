// SPDX-License-Identifier: MIT
import Testing

/// Packet-header buffers through the whole replay path (flow table, stream engine, HTTP parser): rules on
/// `tcp.hdr` and `ipv4.hdr` are inspected on every packet, once, and never on the flow-end pseudo packets.
@Suite struct PacketHeaderBufferReplayTests {
    static let rules = """
        alert tcp any any -> any any (msg:"every PSH/ACK"; tcp.hdr; content:"|50 18|"; offset:12; depth:2; sid:1;)
        alert tcp any any -> any 80 (flow:to_server; tcp.hdr; content:"|50 02|"; offset:12; depth:2; sid:2;)
        alert ip any any -> any any (msg:"every IPv4 packet"; ipv4.hdr; content:"|45 00|"; startswith; sid:3;)
        alert ip any any -> any any (msg:"no UDP here"; udp.hdr; bsize:8; sid:4;)
        alert tcp any any -> any any (msg:"the payload is not the header"; tcp.hdr; content:"GET"; sid:5;)
        alert tcp-pkt any any -> any any (content:"GET"; tcp.hdr; content:"|00 50|"; offset:2; depth:2; sid:6;)
        """

    @Test func headerRulesSeeEachPacketOfAConversation() throws {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET / HTTP/1.0\r\n\r\n")
        c.send(toServer: false, "HTTP/1.0 200 OK\r\n\r\n")
        c.close()
        #expect(c.frames.count == 10)
        let (alerts, _) = try replay(c, rules: Self.rules)
        #expect(alerts[1] == 2, "\(alerts)")
        #expect(alerts[2] == 1, "\(alerts)")
        #expect(alerts[3] == 10, "\(alerts)")
        #expect(alerts[4] == nil, "\(alerts)")
        #expect(alerts[5] == nil, "\(alerts)")
        #expect(alerts[6] == 1, "\(alerts)")
    }
}
