// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDetect
import WeirStream

@testable import WeirAppLayer

/// TLS, SSH and DNS through the app-layer stage: detection, buffers, transactions, encryption handling.
@Suite("TLS, SSH and DNS in the app-layer stage")
struct AppLayerProtocolTests {
    private static let names = [
        "tls.sni", "ja3.hash", "ja4.hash", "tls.cert_subject", "tls.certs", "ssh.software", "ssh.hassh.server",
        "dns.query", "dns.answers.rrname", "dns.response.rrname", "dns.queries.rrname", "tls.cert_fingerprint",
        "ssh.hassh",
    ]

    private func stage(_ settings: AppLayerStageSettings = AppLayerStageSettings()) -> AppLayerStage {
        let stage = AppLayerStage(registry: AppLayerRegistry.encryptedAndDNS, settings: settings)
        stage.bind { Self.names.firstIndex(of: $0).map { $0 + 100 } }
        return stage
    }

    /// Feeds `bytes` as one chunk of a direction at `offset`.
    private func feed(_ stage: AppLayerStage, _ bytes: [UInt8], toServer: Bool, offset: UInt64, port: UInt16 = 443) {
        bytes.withUnsafeBytes { raw in
            let chunk = AppLayerChunk(
                toServer: toServer,
                block: StreamBlock(offset: offset, length: raw.count, isGap: false, bytes: raw),
                isEndOfStream: false
            )
            stage.handle(
                chunks: [chunk],
                slot: 1,
                flowID: 42,
                serverPort: port,
                clientPort: 50000,
                timestamp: Timestamp(microseconds: 0),
                session: nil
            )
        }
    }

    /// Buffer texts by name for the transactions inspected in one direction.
    private func buffers(_ stage: AppLayerStage, toServer: Bool) -> [String: [String]] {
        var out: [String: [String]] = [:]
        stage.forEachTransaction(slot: 1, flowID: 42, toServer: toServer, force: true) { _, buffers in
            for buffer in buffers {
                guard case .sticky(let id) = buffer.kind else { continue }
                out[Self.names[id - 100], default: []].append(String(decoding: buffer.bytes, as: UTF8.self))
            }
        }
        return out
    }

    @Test func tlsIsDetectedAndServesItsBuffers() {
        var settings = AppLayerStageSettings()
        settings.parserValues["tls"] = ["encryption-handling": "bypass"]
        let stage = self.stage(settings)
        let clientHello = tlsRecords(22, hexBytes(GeneratedFixtures.clientHello13), version: 0x0301)
        self.feed(stage, Array(clientHello[..<2]), toServer: true, offset: 0)
        #expect(stage.detectionProtocol(slot: 1, flowID: 42) == nil)
        self.feed(stage, Array(clientHello[2...]), toServer: true, offset: 2)
        #expect(stage.detectionProtocol(slot: 1, flowID: 42) == "tls")
        let toServer = self.buffers(stage, toServer: true)
        #expect(toServer["tls.sni"] == ["www.example.com"])
        #expect(toServer["ja3.hash"] == [GeneratedFixtures.clientHello13JA3Hash])
        #expect(toServer["ja4.hash"] == [GeneratedFixtures.clientHello13JA4])
        #expect(stage.encryptedFlowAction(slot: 1, flowID: 42) == nil)

        let serverFlight =
            tlsRecords(22, hexBytes(GeneratedFixtures.serverHello13)) + tlsRecords(20, [1])
            + tlsRecords(23, Array(repeating: 7, count: 300))
        self.feed(stage, serverFlight, toServer: false, offset: 0)
        self.feed(
            stage,
            tlsRecords(20, [1]) + tlsRecords(23, Array(repeating: 8, count: 80)),
            toServer: true,
            offset: UInt64(clientHello.count)
        )
        #expect(stage.encryptedFlowAction(slot: 1, flowID: 42) == .bypass)
        var logged: [String] = []
        stage.logAndFree(slot: 1, flowID: 42) { tx in
            let json = renderJSON { tx.writeEVE($0) }
            logged.append((json["tls"] as? [String: Any])?["sni"] as? String ?? "-")
        }
        #expect(logged == ["www.example.com"])
    }

    @Test func tlsCertificateBuffersAreFinalAfterTheCertificate() {
        let stage = self.stage()
        self.feed(stage, tlsRecords(22, hexBytes(GeneratedFixtures.clientHello12)), toServer: true, offset: 0)
        let flight = tlsRecords(
            22,
            hexBytes(GeneratedFixtures.serverHello12) + hexBytes(GeneratedFixtures.certificateMessage)
        )
        self.feed(stage, flight, toServer: false, offset: 0)
        let toClient = self.buffers(stage, toServer: false)
        #expect(toClient["tls.cert_subject"] == [GeneratedFixtures.leafSubject])
        #expect(toClient["tls.certs"]?.count == 2)
    }

    @Test func aClientCertificateServesTheCertificateBuffersToTheServer() {
        let stage = self.stage()
        self.feed(stage, tlsRecords(22, hexBytes(GeneratedFixtures.clientHello12)), toServer: true, offset: 0)
        let flight = tlsRecords(22, hexBytes(GeneratedFixtures.serverHello12) + [13, 0, 0, 0] + [14, 0, 0, 0])
        self.feed(stage, flight, toServer: false, offset: 0)
        let hello = tlsRecords(22, hexBytes(GeneratedFixtures.clientHello12)).count
        // Mutual TLS: the client answers the CertificateRequest with its own certificate.
        self.feed(
            stage, tlsRecords(22, hexBytes(GeneratedFixtures.certificateMessage)), toServer: true, offset: UInt64(hello))
        let toServer = self.buffers(stage, toServer: true)
        #expect(toServer["tls.cert_subject"] == [GeneratedFixtures.leafSubject])
        #expect(toServer["tls.cert_fingerprint"] == [GeneratedFixtures.leafFingerprint])
        #expect(toServer["tls.certs"]?.count == 2)
        // The server sent none.
        #expect(self.buffers(stage, toServer: false)["tls.cert_subject"] == nil)
    }

    @Test func sshIsDetectedAndEncryptionReached() {
        var settings = AppLayerStageSettings()
        settings.parserValues["ssh"] = ["encryption-handling": "default"]
        let stage = self.stage(settings)
        let kexinit = hexBytes(GeneratedFixtures.sshKexinit)
        let newKeys: [UInt8] = [0, 0, 0, 12, 10, 21] + Array(repeating: 0, count: 10)
        let server = Array("SSH-2.0-Cisco_server\r\n".utf8) + kexinit + newKeys
        let client = Array("SSH-2.0-PuTTY\r\n".utf8) + kexinit + newKeys
        self.feed(stage, server, toServer: false, offset: 0, port: 22)
        self.feed(stage, client, toServer: true, offset: 0, port: 22)
        #expect(stage.detectionProtocol(slot: 1, flowID: 42) == "ssh")
        #expect(self.buffers(stage, toServer: true)["ssh.software"] == ["PuTTY"])
        #expect(self.buffers(stage, toServer: false)["ssh.hassh.server"] == [GeneratedFixtures.hasshServer])
        #expect(stage.encryptedFlowAction(slot: 1, flowID: 42) == .trackOnly)
    }

    @Test func sshKexinitAfterTheBannerIsInspectedAgain() {
        let stage = self.stage()
        let banner = Array("SSH-2.0-PuTTY\r\n".utf8)
        self.feed(stage, banner, toServer: true, offset: 0, port: 22)
        // The banner's inspection: no HASSH yet.
        #expect(self.buffers(stage, toServer: true)["ssh.hassh"] == nil)
        // The KEXINIT changes no progress (the side stays at banner_done) but brings the HASSH: the direction is
        // inspected again, once.
        self.feed(stage, hexBytes(GeneratedFixtures.sshKexinit), toServer: true, offset: UInt64(banner.count), port: 22)
        var visits = 0
        stage.forEachTransaction(slot: 1, flowID: 42, toServer: true) { _, _ in visits += 1 }
        #expect(visits == 1)
        stage.forEachTransaction(slot: 1, flowID: 42, toServer: true) { _, _ in visits += 1 }
        #expect(visits == 1)
    }

    @Test func dnsOverUDPOnItsPortOnly() {
        var request: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        request += [3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
        let stage = self.stage()
        _ = request.withUnsafeBytes {
            stage.handle(
                datagram: $0,
                toServer: true,
                slot: 1,
                flowID: 42,
                serverPort: 53,
                clientPort: 5000,
                timestamp: Timestamp(microseconds: 0)
            )
        }
        #expect(stage.detectionProtocol(slot: 1, flowID: 42) == "dns")
        #expect(self.buffers(stage, toServer: true)["dns.query"] == ["www.example.com"])

        let other = self.stage()
        _ = request.withUnsafeBytes {
            other.handle(
                datagram: $0,
                toServer: true,
                slot: 1,
                flowID: 42,
                serverPort: 5353,
                clientPort: 5000,
                timestamp: Timestamp(microseconds: 0)
            )
        }
        // No probe for port 5353: the flow's first datagram decides, and it fails (Suricata's UDP detection).
        #expect(other.detectionProtocol(slot: 1, flowID: 42) == "failed")

        var settings = AppLayerStageSettings()
        settings.detectionPorts["dns"] = "5353"
        let configured = self.stage(settings)
        _ = request.withUnsafeBytes {
            configured.handle(
                datagram: $0,
                toServer: true,
                slot: 1,
                flowID: 42,
                serverPort: 5353,
                clientPort: 5000,
                timestamp: Timestamp(microseconds: 0)
            )
        }
        #expect(configured.detectionProtocol(slot: 1, flowID: 42) == "dns")
    }

    @Test func probes() {
        ([0x16, 0x03, 0x01] as [UInt8]).withUnsafeBytes { #expect(TLSParser.probe($0, toServer: true) == .match) }
        ([0x16, 0x03] as [UInt8]).withUnsafeBytes { #expect(TLSParser.probe($0, toServer: true) == .needMoreData) }
        Array("GET /".utf8).withUnsafeBytes { #expect(TLSParser.probe($0, toServer: true) == .noMatch) }
        Array("SSH".utf8).withUnsafeBytes { #expect(SSHParser.probe($0) == .needMoreData) }
        Array("SSH-2.0-x".utf8).withUnsafeBytes { #expect(SSHParser.probe($0) == .match) }
        Array("SSL-2.0".utf8).withUnsafeBytes { #expect(SSHParser.probe($0) == .noMatch) }
    }
}
