// SPDX-License-Identifier: MIT
import Testing

@Suite struct TransactionPayloadTests {
    static let rules = """
        alert tcp any any -> any any (msg:"payload then uri"; pcre:"/^gEt/i"; pcre:"/\\/two\\//U"; sid:1;)
        alert tcp any any -> any any (msg:"uri then payload"; pcre:"/\\/two\\//U"; content:"GET /two/"; sid:2;)
        alert tcp any any -> any any (msg:"payload absent"; content:"POST"; http.uri; content:"/two/"; sid:3;)
        """

    /// Two pipelined requests in one segment picked up midstream: the parser sees them when the flow ends, and
    /// the payload keywords of the transaction rules are matched on the stream data then.
    @Test func payloadKeywordsOfATransactionRuleReadTheStreamAtFlowEnd() throws {
        var c = TCPConversation()
        c.frames.append(
            TCPConversation.frame(
                toServer: true, flags: 0x18, seq: 1, ack: 1,
                payload: Array("GET /one/ HTTP/1.1\r\nHost: a\r\n\r\nGET /two/ HTTP/1.1\r\nHost: b\r\n\r\n".utf8)))
        let (alerts, _) = try replay(c, rules: Self.rules, overrides: ["stream.midstream=true"])
        #expect(alerts[1] == 1, "\(alerts)")
        #expect(alerts[2] == 1, "\(alerts)")
        #expect(alerts[3] == nil, "\(alerts)")
    }

    @Test func payloadKeywordsOfATransactionRuleReadTheStreamInAFullConversation() throws {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /two/ HTTP/1.1\r\nHost: b\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.close()
        let (alerts, _) = try replay(c, rules: Self.rules)
        #expect(alerts[1] == 1, "\(alerts)")
        #expect(alerts[2] == 1, "\(alerts)")
        #expect(alerts[3] == nil, "\(alerts)")
    }
}
