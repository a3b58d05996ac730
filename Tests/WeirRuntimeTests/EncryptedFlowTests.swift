// SPDX-License-Identifier: MIT
import Foundation
import Testing

extension TCPConversation {
    /// A data segment of raw bytes and the peer's ACK of it.
    mutating func send(toServer: Bool, bytes: [UInt8]) {
        if toServer {
            self.frames.append(
                Self.frame(toServer: true, flags: 0x18, seq: self.clientSeq, ack: self.serverSeq, payload: bytes)
            )
            self.clientSeq &+= UInt32(bytes.count)
            self.frames.append(
                Self.frame(toServer: false, flags: 0x10, seq: self.serverSeq, ack: self.clientSeq, payload: [])
            )
        } else {
            self.frames.append(
                Self.frame(toServer: false, flags: 0x18, seq: self.serverSeq, ack: self.clientSeq, payload: bytes)
            )
            self.serverSeq &+= UInt32(bytes.count)
            self.frames.append(
                Self.frame(toServer: true, flags: 0x10, seq: self.clientSeq, ack: self.serverSeq, payload: [])
            )
        }
    }
}

/// `app-layer.protocols.tls.encryption-handling` over a replayed TLS 1.2 session whose application data
/// carries a plain marker (standing in for what an IDS cannot read once a flow is encrypted).
@Suite struct EncryptedFlowTests {
    static func record(_ type: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [type, 3, 3, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)] + payload
    }

    /// ClientHello / ServerHello + ServerHelloDone / ClientKeyExchange + CCS + Finished / CCS + Finished, then
    /// five application-data records each way holding `MARKER`.
    static var session: TCPConversation {
        // A minimal TLS 1.2 ClientHello (no extensions) and ServerHello.
        let clientHello: [UInt8] =
            [1, 0, 0, 41, 3, 3] + Array(repeating: 0x11, count: 32) + [0, 0, 2, 0xc0, 0x2f, 1, 0]
        let serverHello: [UInt8] = [2, 0, 0, 38, 3, 3] + Array(repeating: 0x22, count: 32) + [0, 0xc0, 0x2f, 0]
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, bytes: Self.record(22, clientHello))
        c.send(toServer: false, bytes: Self.record(22, serverHello + [14, 0, 0, 0]))
        c.send(
            toServer: true,
            bytes: Self.record(22, [16, 0, 0, 2, 1, 0xaa]) + Self.record(20, [1])
                + Self.record(22, Array(repeating: 9, count: 40))
        )
        c.send(toServer: false, bytes: Self.record(20, [1]) + Self.record(22, Array(repeating: 8, count: 40)))
        let marker = Self.record(23, Array("xx MARKER xx".utf8))
        for _ in 0..<5 {
            c.send(toServer: true, bytes: marker)
            c.send(toServer: false, bytes: marker)
        }
        c.close()
        return c
    }

    static let rules = """
        alert tcp any any -> any any (msg:"content in encrypted data"; content:"MARKER"; sid:1;)
        alert tls any any -> any any (msg:"handshake seen"; flow:to_server; ssl_state:client_hello; sid:2;)
        alert tcp any any -> any any (msg:"header rule"; flow:to_server; tcp.flags:F+; sid:3;)
        """

    @Test func fullInspectsTheEncryptedBytes() throws {
        let (alerts, stats) = try replay(
            Self.session,
            rules: Self.rules,
            overrides: ["app-layer.protocols.tls.encryption-handling=full"]
        )
        #expect((alerts[1] ?? 0) > 0)
        #expect(alerts[2] == 1)
        #expect(stats["tls.encrypted.full_flows"] == 1)
    }

    @Test func trackOnlyStopsContentInspectionButKeepsTracking() throws {
        let (alerts, stats) = try replay(
            Self.session,
            rules: Self.rules,
            overrides: ["app-layer.protocols.tls.encryption-handling=default"]
        )
        #expect(alerts[1] == nil)
        #expect(alerts[2] == 1)
        // Header rules still see the flow's packets after the handshake.
        #expect(alerts[3] == 1)
        #expect(stats["tls.encrypted.track_only_flows"] == 1)
        #expect((stats["tls.encrypted.track_only_pkts"] ?? 0) >= 20)
        #expect(stats["flow_bypassed.local_pkts"] == 0)
    }

    @Test func bypassBypassesTheFlowOnceBothSidesAreEncrypted() throws {
        let (alerts, stats) = try replay(
            Self.session,
            rules: Self.rules,
            overrides: ["app-layer.protocols.tls.encryption-handling=bypass"]
        )
        #expect(alerts[1] == nil)
        #expect(alerts[2] == 1)
        #expect(alerts[3] == nil)
        #expect(stats["tls.encrypted.bypass_flows"] == 1)
        #expect((stats["flow_bypassed.local_pkts"] ?? 0) >= 20)
        #expect(stats["tls.encrypted.bypass_pkts"] == stats["flow_bypassed.local_pkts"])
    }
}
