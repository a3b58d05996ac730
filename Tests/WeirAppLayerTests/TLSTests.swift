// SPDX-License-Identifier: MIT
import Foundation
import SwiftASN1
import Testing
import WeirOutput
import X509

@testable import WeirAppLayer

@Suite("TLS fingerprints against independently computed values")
struct TLSFingerprintTests {
    private func hello(_ hex: String, client: Bool = true) throws -> TLSHello {
        let message = hexBytes(hex)
        var problems: [TLSHelloError] = []
        let hello = try TLSHello.decode(Array(message[4...]), isClient: client, isDTLS: false, problems: &problems)
        #expect(problems.isEmpty)
        return hello
    }

    @Test func ja3OfTLS13ClientHelloWithGREASE() throws {
        let ja3 = TLSFingerprint.ja3(try self.hello(GeneratedFixtures.clientHello13))
        #expect(ja3.string == GeneratedFixtures.clientHello13JA3String)
        #expect(ja3.hash == GeneratedFixtures.clientHello13JA3Hash)
    }

    @Test func ja3OfTLS12ClientHello() throws {
        let ja3 = TLSFingerprint.ja3(try self.hello(GeneratedFixtures.clientHello12))
        #expect(ja3.string == GeneratedFixtures.clientHello12JA3String)
        #expect(ja3.hash == GeneratedFixtures.clientHello12JA3Hash)
    }

    @Test func ja4OfClientHellos() throws {
        #expect(
            TLSFingerprint.ja4(try self.hello(GeneratedFixtures.clientHello13)) == GeneratedFixtures.clientHello13JA4
        )
        #expect(
            TLSFingerprint.ja4(try self.hello(GeneratedFixtures.clientHello12)) == GeneratedFixtures.clientHello12JA4
        )
        #expect(
            TLSFingerprint.ja4(try self.hello(GeneratedFixtures.clientHelloOddALPN))
                == GeneratedFixtures.clientHelloOddALPNJA4
        )
    }

    /// FoxIO's published Chrome example has part b `8daaf6152771` for these 15 ciphers.
    @Test func ja4CipherHashMatchesPublishedChromeExample() throws {
        let ja4 = TLSFingerprint.ja4(try self.hello(GeneratedFixtures.clientHello13))
        #expect(ja4.split(separator: "_")[1] == "8daaf6152771")
    }

    @Test func ja3sAndJA4SOfServerHellos() throws {
        let ja3s = TLSFingerprint.ja3s(try self.hello(GeneratedFixtures.serverHello12, client: false))
        #expect(ja3s.string == GeneratedFixtures.serverHello12JA3SString)
        #expect(ja3s.hash == GeneratedFixtures.serverHello12JA3SHash)
        // FoxIO's published JA4S example is exactly this ServerHello's shape.
        let ja4s = TLSFingerprint.ja4s(try self.hello(GeneratedFixtures.serverHello13, client: false))
        #expect(ja4s == GeneratedFixtures.serverHello13JA4S)
        #expect(ja4s == "t130200_1301_234ea6891581")
    }

    @Test func earlyTLS13DraftServerHelloHasNoSessionIDOrCompression() throws {
        // Draft 14 (0x7f0e): version, random, cipher 0x1301, then one extension (key_share, 2 bytes of data).
        var body: [UInt8] = [0x7f, 0x0e] + Array(repeating: 0xab, count: 32) + [0x13, 0x01]
        body += [0x00, 0x06, 0x00, 0x33, 0x00, 0x02, 0x00, 0x1d]
        var problems: [TLSHelloError] = []
        let hello = try TLSHello.decode(body, isClient: false, isDTLS: false, problems: &problems)
        #expect(problems.isEmpty)
        #expect(hello.ciphers == [0x1301] && hello.sessionID.isEmpty && hello.compressionMethods.isEmpty)
        #expect(hello.extensions == [0x33])
        // The same bytes under a TLS 1.2 version are read with a session id: its length byte (0x13) runs off.
        body[1] = 0x03
        body[0] = 0x03
        var more: [TLSHelloError] = []
        #expect(throws: TLSHelloError.self) {
            try TLSHello.decode(body, isClient: false, isDTLS: false, problems: &more)
        }
    }

    @Test func alpnCodes() {
        #expect(TLSFingerprint.alpnCode(Array("http/1.1".utf8)) == "h1")
        #expect(TLSFingerprint.alpnCode([0x01, 0x54, 0x45, 0x7f]) == "0f")
        #expect(TLSFingerprint.alpnCode([0x2a, 0x2a]) == "00")
        #expect(TLSFingerprint.alpnCode(nil) == "00")
        #expect(TLSFingerprint.alpnCode([0x30, 0xab]) == "3b")
    }
}

@Suite("TLS session parsing")
struct TLSSessionTests {
    /// A TLS 1.2 handshake: ClientHello / ServerHello + Certificate + ServerHelloDone / CKE + CCS + Finished /
    /// CCS + Finished / application data both ways.
    private func tls12Flows(certificateRecordSize: Int = 16384, resumed: Bool = false) -> (
        toServer: [UInt8], toClient: [UInt8]
    ) {
        let clientHello = hexBytes(GeneratedFixtures.clientHello12)
        var serverHello = hexBytes(GeneratedFixtures.serverHello12)
        if !resumed {
            // Give the server a different session id: no resumption.
            for index in 39..<71 { serverHello[index] = 0x55 }
        }
        let certificate = hexBytes(GeneratedFixtures.certificateMessage)
        let helloDone: [UInt8] = [14, 0, 0, 0]
        let keyExchange: [UInt8] = [16, 0, 0, 3, 2, 0xaa, 0xbb]
        var toServer = tlsRecords(22, clientHello)
        toServer +=
            tlsRecords(22, keyExchange) + tlsRecords(20, [1]) + tlsRecords(22, Array(repeating: 0x99, count: 40))
        toServer += tlsRecords(23, Array(repeating: 0x42, count: 300))
        var toClient = tlsRecords(22, serverHello)
        if !resumed { toClient += tlsRecords(22, certificate + helloDone, maxRecord: certificateRecordSize) }
        toClient += tlsRecords(20, [1]) + tlsRecords(22, Array(repeating: 0x98, count: 40))
        toClient += tlsRecords(23, Array(repeating: 0x43, count: 5000))
        return (toServer, toClient)
    }

    @Test func fullHandshakeInOnePiece() {
        let flows = self.tls12Flows()
        var session = TLSSession()
        session.parse(flows.toServer, toServer: true)
        session.parse(flows.toClient, toServer: false)
        #expect(session.events.isEmpty)
        #expect(session.clientHello?.serverName == nil)
        #expect(session.clientVersion == TLSVersion.tls12)
        #expect(session.serverVersion == TLSVersion.tls12)
        #expect(session.serverCertificates.count == 2)
        let leaf = session.serverCertificates[0]
        #expect(leaf.subject == GeneratedFixtures.leafSubject)
        #expect(leaf.issuer == GeneratedFixtures.leafIssuer)
        #expect(leaf.serial == GeneratedFixtures.leafSerial)
        #expect(leaf.fingerprint == GeneratedFixtures.leafFingerprint)
        #expect(leaf.notBefore == GeneratedFixtures.leafNotBefore)
        #expect(leaf.notAfter == GeneratedFixtures.leafNotAfter)
        #expect(leaf.subjectAltNames == GeneratedFixtures.leafSANs)
        #expect(session.serverCertificates[1].subject == GeneratedFixtures.caSubject)
        #expect(!session.sessionResumed)
        #expect(session.sawClientKeyExchange)
        #expect(session.handshakeFinishedBothWays)
        #expect(session.clientProgress == .handshakeDone)
        #expect(session.serverProgress == .handshakeDone)
        #expect(session.ja3?.hash == GeneratedFixtures.clientHello12JA3Hash)
        #expect(session.ja4 == GeneratedFixtures.clientHello12JA4)
    }

    @Test func encryptionPointIsTheByteAfterChangeCipherSpec() {
        let flows = self.tls12Flows()
        var session = TLSSession()
        session.parse(flows.toServer, toServer: true)
        session.parse(flows.toClient, toServer: false)
        let clientHelloLength = hexBytes(GeneratedFixtures.clientHello12).count + 5
        let keyExchangeLength = 7 + 5
        #expect(session.client.encryptedFrom == UInt64(clientHelloLength + keyExchangeLength + 6))
        #expect(session.server.isEncrypted)
    }

    /// Every split point of the stream (records across segments, the certificate message across four records).
    @Test func byteByByteAndSplitRecordsGiveTheSameResult() {
        let flows = self.tls12Flows(certificateRecordSize: 200)
        var session = TLSSession()
        for byte in flows.toServer { session.parse([byte], toServer: true) }
        var offset = 0
        var step = 1
        while offset < flows.toClient.count {
            let end = min(flows.toClient.count, offset + step)
            session.parse(Array(flows.toClient[offset..<end]), toServer: false)
            offset = end
            step = step % 37 + 3
        }
        #expect(session.events.isEmpty)
        #expect(session.serverCertificates.first?.subject == GeneratedFixtures.leafSubject)
        #expect(session.serverCertificates.count == 2)
        #expect(session.handshakeFinishedBothWays)
        #expect(session.server.offset == UInt64(flows.toClient.count))
    }

    @Test func sessionResumptionBySessionID() {
        let flows = self.tls12Flows(resumed: true)
        var session = TLSSession()
        session.parse(flows.toServer, toServer: true)
        session.parse(flows.toClient, toServer: false)
        #expect(session.sessionResumed)
        #expect(session.serverCertificates.isEmpty)
        #expect(session.handshakeFinishedBothWays)
        #expect(session.shouldLog(logResumed: true))
        #expect(!session.shouldLog(logResumed: false))
    }

    @Test func tls13HandshakeIsEncryptedAfterServerHello() {
        var session = TLSSession()
        session.parse(tlsRecords(22, hexBytes(GeneratedFixtures.clientHello13), version: 0x0301), toServer: true)
        #expect(session.clientHello?.serverName == Array("www.example.com".utf8))
        #expect(session.clientHello?.alpns == [Array("h2".utf8), Array("http/1.1".utf8)])
        #expect(session.clientVersion == TLSVersion.tls13)
        #expect(session.clientProgress == .helloDone)
        session.parse(
            tlsRecords(22, hexBytes(GeneratedFixtures.serverHello13)) + tlsRecords(20, [1])
                + tlsRecords(23, Array(repeating: 1, count: 900)),
            toServer: false
        )
        #expect(session.serverVersion == TLSVersion.tls13)
        #expect(session.logWithoutCertificate)
        #expect(!session.handshakeFinishedBothWays)
        session.parse(tlsRecords(20, [1]) + tlsRecords(23, Array(repeating: 2, count: 60)), toServer: true)
        #expect(session.handshakeFinishedBothWays)
        #expect(session.ja4s == GeneratedFixtures.serverHello13JA4S)
        #expect(session.events.isEmpty)
    }

    @Test func alertsAreRecordedAndFatalOnesFinishTheSession() {
        var session = TLSSession()
        session.parse(tlsRecords(22, hexBytes(GeneratedFixtures.clientHello12)), toServer: true)
        session.parse(tlsRecords(21, [2, 40]), toServer: false)
        #expect(session.alerts == [TLSAlert(level: 2, description: 40, fromClient: false)])
        #expect(session.clientProgress == .finished)
        session.parse(tlsRecords(21, [1]), toServer: false)
        #expect(session.takeEvents().map(\.event) == [.invalidAlertMessage])
    }

    @Test func malformedRecordsBecomeEvents() {
        var bad = TLSSession()
        bad.parse([0x17 + 10, 3, 3, 0, 1, 0], toServer: true)
        #expect(bad.events.map(\.event) == [.invalidRecordType])
        #expect(bad.client.failed)

        var version = TLSSession()
        version.parse([22, 9, 3, 0, 1, 0], toServer: true)
        #expect(version.events.map(\.event) == [.invalidRecordVersion])

        var length = TLSSession()
        length.parse([22, 3, 3, 0xff, 0xff], toServer: true)
        #expect(length.events.map(\.event) == [.invalidRecordLength])

        var handshake = TLSSession()
        handshake.parse(tlsRecords(22, [99, 0, 0, 0]), toServer: true)
        #expect(handshake.events.map(\.event) == [.invalidHandshakeMessage])

        // An SNI whose name length runs past its list.
        var hello = hexBytes(GeneratedFixtures.clientHelloOddALPN)
        let sniStart = hello.count - 33
        #expect(hello[sniStart] == 0 && hello[sniStart + 1] == 0)
        hello[sniStart + 8] = 0xff
        var sni = TLSSession()
        sni.parse(tlsRecords(22, hello), toServer: true)
        #expect(sni.events.map(\.event).contains(.invalidSNILength))

        var heartbeat = TLSSession()
        heartbeat.parse(tlsRecords(24, [1, 0x40, 0x00, 1, 2, 3]), toServer: true)
        #expect(heartbeat.events.map(\.event) == [.heartbeatMessage, .overflowHeartbeatMessage])
    }

    @Test func undecodableCertificateIsAnEvent() {
        var session = TLSSession()
        var message: [UInt8] = [11, 0, 0, 11, 0, 0, 8, 0, 0, 5, 0x30, 0x03, 0x02, 0x01, 0x01]
        message[3] = UInt8(message.count - 4)
        session.parse(tlsRecords(22, message), toServer: false)
        #expect(session.events.map(\.event) == [.invalidCertificate])
        #expect(session.serverCertificates.isEmpty)
        #expect(session.serverProgress == .certificateDone)
    }

    @Test func sslv2ClientHello() {
        // CLIENT-HELLO, version 3.1, two cipher specs (one TLS suite), no session id, 16-byte challenge.
        var body: [UInt8] = [1, 3, 1, 0, 6, 0, 0, 0, 16, 0x00, 0x00, 0x2f, 0x07, 0x00, 0xc0]
        body += Array(repeating: 0xab, count: 16)
        var session = TLSSession()
        session.parse([0x80 | UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body, toServer: true)
        #expect(session.sawClientHello)
        #expect(session.clientVersion == TLSVersion.tls10)
        #expect(session.clientHello?.ciphers == [0x002f])
        #expect(session.events.isEmpty)
    }

    @Test func randomInputNeverCrashes() {
        var generator = SplitMix64(state: 7)
        let valid = self.tls12Flows()
        for round in 0..<300 {
            var session = TLSSession()
            var toServer = valid.toServer
            var toClient = valid.toClient
            for _ in 0..<(round % 9 + 1) {
                toServer[Int.random(in: 0..<toServer.count, using: &generator)] = UInt8.random(
                    in: 0...255,
                    using: &generator
                )
                toClient[Int.random(in: 0..<toClient.count, using: &generator)] = UInt8.random(
                    in: 0...255,
                    using: &generator
                )
            }
            let cut = Int.random(in: 1..<toClient.count, using: &generator)
            session.parse(toServer, toServer: true)
            session.parse(Array(toClient[..<cut]), toServer: false)
            session.parse(Array(toClient[cut...]), toServer: false)
            let noise = (0..<Int.random(in: 0..<400, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            session.parse(noise, toServer: round % 2 == 0)
            #expect(session.client.offset == UInt64(toServer.count) + (round % 2 == 0 ? UInt64(noise.count) : 0))
        }
    }

    @Test func eveObjectHasSuricataFields() {
        let flows = self.tls12Flows()
        var session = TLSSession()
        session.parse(flows.toServer, toServer: true)
        session.parse(flows.toClient, toServer: false)
        let json = renderJSON {
            $0.writeTLS(session, fields: TLSLogFields.extended.union([.chain, .clientHandshake, .serverHandshake]))
        }
        let tls = json["tls"] as? [String: Any] ?? [:]
        #expect(tls["subject"] as? String == GeneratedFixtures.leafSubject)
        #expect(tls["issuerdn"] as? String == GeneratedFixtures.leafIssuer)
        #expect(tls["serial"] as? String == GeneratedFixtures.leafSerial)
        #expect(tls["fingerprint"] as? String == GeneratedFixtures.leafFingerprint)
        #expect(tls["version"] as? String == "TLS 1.2")
        #expect(tls["notbefore"] as? String == "2024-01-02T03:04:05")
        #expect(tls["notafter"] as? String == "2034-06-07T08:09:10")
        #expect(tls["subjectaltname"] as? [String] == GeneratedFixtures.leafSANs)
        #expect((tls["ja3"] as? [String: String])?["hash"] == GeneratedFixtures.clientHello12JA3Hash)
        #expect((tls["ja3s"] as? [String: String])?["hash"] == GeneratedFixtures.serverHello12JA3SHash)
        #expect(tls["ja4"] as? String == GeneratedFixtures.clientHello12JA4)
        #expect((tls["chain"] as? [String])?.count == 2)
        #expect((tls["server_handshake"] as? [String: Any])?["cipher"] as? Int == 0xc02f)
        #expect(tls["sni"] == nil)
    }
}

@Suite("TLS certificate names")
struct TLSCertificateNameTests {
    @Test func aStringItsTypeRejectsIsRenderedAsItsBytes() throws {
        // A PrintableString holding a NUL (a forged subject): swift-certificates cannot read it as a string;
        // the subject shows its bytes, NUL included, as Suricata's, so `content:"Corporat|00|on"` can match.
        let content = Array("Corporat".utf8) + [0] + Array("on".utf8)
        let value = try ASN1Any(derEncoded: [19, UInt8(content.count)] + content)
        let attribute = RelativeDistinguishedName.Attribute(
            type: .RDNAttributeType.organizationName, value: RelativeDistinguishedName.Attribute.Value(asn1Any: value))
        let name = DistinguishedName([RelativeDistinguishedName(attribute)])
        #expect(TLSCertificate.render(name) == "O=Corporat\u{0}on")
    }
}

/// Certificates swift-certificates refuses for their key still give Suricata's fields.
@Suite("TLS certificates with keys swift-certificates does not take")
struct UnkeyedCertificateTests {
    /// A self-signed certificate with a 1024-bit RSA key (made with `openssl req -x509 -newkey rsa:1024`):
    /// still common on old servers, appliances and malware C2, and refused by swift-crypto's RSA (2048 bits
    /// or more).
    static let smallKey: [UInt8] = Array(
        Data(
            base64Encoded: [
            "MIICfTCCAeagAwIBAgIEAKGywzANBgkqhkiG9w0BAQsFADA9MQswCQYDVQQGEwJOTDESMBAGA1UECgwJV2VpciBUZXN0MRowGAYD",
            "VQQDDBFzbWFsbC1rZXkuZXhhbXBsZTAeFw0yNjEyMDgwMTUyMDZaFw0zNjEyMDUwMTUyMDZaMD0xCzAJBgNVBAYTAk5MMRIwEAYD",
            "VQQKDAlXZWlyIFRlc3QxGjAYBgNVBAMMEXNtYWxsLWtleS5leGFtcGxlMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDeGCv2",
            "BKHKN5CW2DmEme0GUZWWcf3xncLV60HT9EbROFKmbuGK32W7hUheOQbPsOq8Ddb3m9U9QDuoNEwtC9go8+vodqo+XguGFmv4t6JQ",
            "TTropJxdl7dxyPCMJxIvoXgsGAgIMJaEPtWh40o/qgBo9Ng58FIFronPNgiz2Q1LVwIDAQABo4GJMIGGMB0GA1UdDgQWBBTe/oQN",
            "XGph/CO16lYoSvWWH/8IcDAfBgNVHSMEGDAWgBTe/oQNXGph/CO16lYoSvWWH/8IcDAPBgNVHRMBAf8EBTADAQH/MDMGA1UdEQQs",
            "MCqCEXNtYWxsLWtleS5leGFtcGxlghV3d3cuc21hbGwta2V5LmV4YW1wbGUwDQYJKoZIhvcNAQELBQADgYEAZ3xih3tcqwgZX1K3",
            "zJBd5fMHSO3vD1kjwKvJKXuUBc19W0t0dnXmhgVn0uOFlMl1EcCeHBcg1a9YBCFKSOvm28wr1Eo9/fjbO74YDGGyT/FZra8FIOoP",
            "GqTiB0yPlCRlOva7BDnw8i1epelqfnDi6tsZzfTIfMrUtzZtuzywWjg=",
            ].joined())!)

    @Test func aSmallRSAKeyStillGivesNamesSerialValidityAndAltNames() throws {
        #expect(throws: (any Error).self) { try Certificate(derEncoded: Self.smallKey) }
        let cert = try TLSCertificate(der: Self.smallKey)
        #expect(cert.subject == "C=NL, O=Weir Test, CN=small-key.example")
        #expect(cert.issuer == cert.subject)
        #expect(cert.serial == "00:A1:B2:C3")
        #expect(cert.notBefore == 1_796_694_726 && cert.notAfter == 2_112_054_726)
        #expect(cert.subjectAltNames == ["small-key.example", "www.small-key.example"])
    }

    @Test func bytesThatAreNoCertificateStillFail() {
        #expect(throws: (any Error).self) { try TLSCertificate(der: Array(Self.smallKey.prefix(100))) }
        #expect(throws: (any Error).self) { try TLSCertificate(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
    }
}
