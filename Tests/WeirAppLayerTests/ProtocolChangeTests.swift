// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirAppLayer

/// An HTTP CONNECT answered 2xx turns the connection into a tunnel, and the app layer detects the protocol inside
/// it, as Suricata's `AppLayerRequestProtocolChange`: a new parser with its own transactions, the old protocol as
/// `app_proto_orig`, `failed` when nothing is recognised.
@Suite struct ProtocolChangeTests {
    let connect = "CONNECT abc:443 HTTP/1.1\r\nUser-Agent: Victor/1.0\r\n\r\n"
    let established = "HTTP/1.1 200 Connection established\r\n\r\n"

    /// Sends each piece as its own call, logging after each as the pipeline does; returns the logged
    /// transactions as "id method status".
    func run(_ driver: StageDriver, _ pieces: [(String, Bool)], end: Bool = false) -> [String] {
        var logged: [String] = []
        func log() {
            driver.stage.logAndFree(slot: driver.slot, flowID: driver.flowID) { tx in
                guard let http = tx as? HTTPTransaction else {
                    logged.append("\(tx.id) other")
                    return
                }
                let method = http.method.map { String(decoding: $0, as: UTF8.self) } ?? "-"
                logged.append("\(tx.id) \(method) \(http.statusNumber)")
            }
        }
        for (index, (text, toServer)) in pieces.enumerated() {
            driver.send(text, toServer: toServer, end: end && index == pieces.count - 1)
            for direction in [true, false] {
                driver.stage.forEachTransaction(slot: driver.slot, flowID: driver.flowID, toServer: direction) {
                    _, _ in
                }
            }
            log()
        }
        return logged
    }

    /// The flow's protocol before the change, when it differs from the flow's now (`app_proto_orig`).
    func original(_ driver: StageDriver) -> AppProtocol? {
        guard let p = driver.stage.appProtocol(slot: driver.slot, flowID: driver.flowID),
            p.original != .unknown, p.original != p.flow
        else { return nil }
        return p.original
    }

    @Test func plainHTTPInTheTunnelGetsANewParser() {
        let driver = StageDriver()
        let logged = self.run(
            driver,
            [
                (self.connect, true), (self.established, false), ("GET / HTTP/1.1\r\nHost: abc\r\n\r\n", true),
                ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ])
        // The tunnel's first transaction has id 0 again: a new parser.
        #expect(logged == ["0 CONNECT 200", "0 GET 200"])
        #expect(driver.stage.detectionProtocol(slot: driver.slot, flowID: driver.flowID) == "http")
        // The same protocol again is no change for the record.
        #expect(self.original(driver) == nil)
    }

    @Test func tlsInTheTunnelIsDetected() {
        let driver = StageDriver()
        let hello = tlsRecords(0x16, hexBytes(GeneratedFixtures.clientHello13))
        _ = self.run(driver, [(self.connect, true), (self.established, false)])
        driver.send(hello, toServer: true)
        #expect(driver.stage.detectionProtocol(slot: driver.slot, flowID: driver.flowID) == "tls")
        #expect(self.original(driver) == .http)
        #expect(driver.stage.appProtocol(slot: driver.slot, flowID: driver.flowID)?.toServer == .tls)
    }

    @Test func theConnectPortChoosesPortBoundProbes() {
        // DNS over TCP is recognised by its probe on the detection ports only: the flow's port is 80, the
        // CONNECT names 53.
        let driver = StageDriver()
        let question: [UInt8] = [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
        let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + question
        let framed: [UInt8] = [0, UInt8(query.count)] + query
        _ = self.run(
            driver, [("CONNECT resolver:53 HTTP/1.1\r\n\r\n", true), ("HTTP/1.0 200 OK\r\n\r\n", false)])
        driver.send(framed, toServer: true)
        #expect(driver.stage.detectionProtocol(slot: driver.slot, flowID: driver.flowID) == "dns")
        #expect(self.original(driver) == .http)
    }

    @Test func nothingRecognisedFailsAtTheEndOfTheStream() {
        let driver = StageDriver()
        _ = self.run(driver, [(self.connect, true), (self.established, false)])
        driver.send([0x05, 0x00, 0x00, 0x05, 0x00], toServer: false)
        // Undecided until the stream ends: still the old protocol meanwhile, as Suricata reverts to it.
        #expect(driver.stage.detectionProtocol(slot: driver.slot, flowID: driver.flowID) == "http")
        driver.send([], toServer: false, end: true)
        #expect(driver.stage.appProtocol(slot: driver.slot, flowID: driver.flowID)?.flow == .failed)
        #expect(self.original(driver) == .http)
        let failed = driver.stage.counters.position(of: "app_layer.flow.failed_tcp")
        #expect(driver.stage.counters.value(at: failed) == 1)
    }

    @Test func aRefusedConnectStaysHTTP() {
        let driver = StageDriver()
        let logged = self.run(
            driver,
            [
                (self.connect, true),
                ("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n", false),
                ("GET / HTTP/1.1\r\nHost: abc\r\n\r\n", true), ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ])
        // One parser: the request after the refusal is the connection's second transaction.
        #expect(logged == ["0 CONNECT 407", "1 GET 200"])
        #expect(self.original(driver) == nil)
    }

    @Test func aConnectAfterOtherRequestsChangesNothing() {
        // Suricata changes protocol only when the CONNECT is the connection's first transaction.
        let driver = StageDriver()
        let hello = tlsRecords(0x16, hexBytes(GeneratedFixtures.clientHello13))
        _ = self.run(
            driver,
            [
                ("GET / HTTP/1.1\r\nHost: abc\r\n\r\n", true), ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
                (self.connect, true), (self.established, false),
            ])
        driver.send(hello, toServer: true)
        #expect(driver.stage.detectionProtocol(slot: driver.slot, flowID: driver.flowID) == "http")
        #expect(self.original(driver) == nil)
    }

    @Test func aGapInTheTunnelFailsDetection() {
        let driver = StageDriver()
        _ = self.run(driver, [(self.connect, true), (self.established, false)])
        driver.send([0x16, 0x03], toServer: true, gap: 100)
        #expect(driver.stage.appProtocol(slot: driver.slot, flowID: driver.flowID)?.flow == .failed)
        #expect(self.original(driver) == .http)
    }
}
