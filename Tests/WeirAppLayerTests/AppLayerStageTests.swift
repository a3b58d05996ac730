// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDetect
import WeirOutput
import WeirStream

@testable import WeirAppLayer

/// A toy line protocol: the client sends `ECHO <word>\n`, the server answers `<word>\n`; one transaction per
/// line pair. It exercises the framework the way a real parser plugs in.
final class EchoTransaction: AppLayerTransaction {
    let id: UInt64
    var request: [UInt8] = []
    var response: [UInt8] = []
    var requestDone = false
    var responseDone = false
    var events: [AppLayerEvent] = []
    var detectState = TransactionDetectState()
    var isLogged = false

    init(id: UInt64) { self.id = id }
    func progress(toServer: Bool) -> Int { toServer ? (self.requestDone ? 1 : 0) : (self.responseDone ? 1 : 0) }
    func completeProgress(toServer: Bool) -> Int { 1 }
    func writeEVE(_ writer: JSONWriter) {
        writer.beginObject("echo")
        writer.field("word", String(decoding: self.request, as: UTF8.self))
        writer.endObject()
    }
}

final class EchoParser: AppLayerParser {
    var live: [EchoTransaction] = []
    var nextID: UInt64 = 0
    var pending: [[UInt8]] = [[], []]
    var responses = 0

    func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext) {
        let d = toServer ? 0 : 1
        for b in bytes {
            if b != 0x0A {
                self.pending[d].append(b)
                continue
            }
            let line = self.pending[d]
            self.pending[d] = []
            if toServer {
                let tx = EchoTransaction(id: self.nextID)
                self.nextID += 1
                tx.request = Array(line.dropFirst(5))
                tx.requestDone = true
                self.live.append(tx)
                context.triggerRawInspection(toServer: true)
            } else if let tx = self.live.first(where: { !$0.responseDone }) {
                tx.response = line
                tx.responseDone = true
                if tx.response != tx.request { context.raise(AppLayerEvent("echo.mismatch")) }
            }
        }
    }
    func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext) { context.parserFailed = true }
    func endOfStream(toServer: Bool, context: inout AppLayerParseContext) {}
    var transactionCount: Int { self.live.count }
    func transaction(at index: Int) -> any AppLayerTransaction { self.live[index] }
    func freeTransactions(through id: UInt64) { self.live.removeAll { $0.id <= id } }
    var memoryUse: Int { 0 }
}

let echoDescriptor = AppLayerProtocolDescriptor(
    proto: AppProtocol("echo"), transports: [6],
    probes: [
        AppLayerProbe(direction: .toServer) { bytes, _ in
            if bytes.count < 5 {
                return Array(bytes) == Array("ECHO ".utf8.prefix(bytes.count)) ? .needMoreData : .noMatch
            }
            return Array(bytes.prefix(5)) == Array("ECHO ".utf8) ? .match : .noMatch
        }
    ],
    defaultDetectionPorts: nil, makeParser: { _ in EchoParser() },
    buffers: [
        AppLayerBufferDescriptor(name: "echo.request", toServer: true, progress: 1) { tx, body in
            guard let tx = tx as? EchoTransaction else { return }
            tx.request.withUnsafeBytes { body($0) }
        },
        AppLayerBufferDescriptor(name: "echo.response", toServer: false, progress: 1) { tx, body in
            guard let tx = tx as? EchoTransaction else { return }
            tx.response.withUnsafeBytes { body($0) }
        },
    ],
    eventNames: ["mismatch"])

func chunk(_ text: String, toServer: Bool, offset: UInt64, end: Bool = false, storage: inout [[UInt8]]) -> AppLayerChunk
{
    storage.append(Array(text.utf8))
    let bytes = storage[storage.count - 1].withUnsafeBytes { UnsafeRawBufferPointer($0) }
    return AppLayerChunk(
        toServer: toServer, block: StreamBlock(offset: offset, length: bytes.count, isGap: false, bytes: bytes),
        isEndOfStream: end)
}

@Suite struct AppLayerStageTests {
    func stage() -> AppLayerStage {
        let stage = AppLayerStage(registry: [echoDescriptor], settings: AppLayerStageSettings())
        stage.bind { ["echo.request": 7, "echo.response": 8][$0] }
        return stage
    }

    @Test func detectsSplitProbeAndParsesTransactions() {
        let stage = self.stage()
        var storage: [[UInt8]] = []
        storage.reserveCapacity(8)
        // "EC" alone is undecided; the rest of the line completes detection.
        stage.handle(
            chunks: [chunk("EC", toServer: true, offset: 0, storage: &storage)], slot: 3, flowID: 99, serverPort: 7,
            clientPort: 4000, timestamp: Timestamp(microseconds: 0), session: nil)
        #expect(stage.detectionProtocol(slot: 3, flowID: 99) == nil)
        stage.handle(
            chunks: [
                chunk("HO hi\n", toServer: true, offset: 2, storage: &storage),
                chunk("hi\n", toServer: false, offset: 0, storage: &storage),
            ], slot: 3, flowID: 99, serverPort: 7, clientPort: 4000, timestamp: Timestamp(microseconds: 1),
            session: nil)
        #expect(stage.detectionProtocol(slot: 3, flowID: 99) == "echo")
        var seen: [(UInt64, [Int])] = []
        stage.forEachTransaction(slot: 3, flowID: 99, toServer: false) { tx, buffers in
            seen.append((tx.id, buffers.map { if case .sticky(let id) = $0.kind { id } else { -1 } }))
        }
        #expect(seen.count == 1)
        #expect(seen.first?.0 == 0)
        #expect(seen.first?.1 == [7, 8])
        // Nothing new: not visited again in that direction.
        var again = 0
        stage.forEachTransaction(slot: 3, flowID: 99, toServer: false) { _, _ in again += 1 }
        #expect(again == 0)
        var logged: [UInt64] = []
        stage.forEachTransaction(slot: 3, flowID: 99, toServer: true) { _, _ in }
        stage.logAndFree(slot: 3, flowID: 99) { logged.append($0.id) }
        #expect(logged == [0])
        #expect(stage.transaction(slot: 3, flowID: 99, id: 0) == nil)
    }

    @Test func failsAfterNoMatchAndReportsFailed() {
        let stage = self.stage()
        var storage: [[UInt8]] = []
        storage.reserveCapacity(4)
        stage.handle(
            chunks: [
                chunk("GET / HTTP/1.0\r\n", toServer: true, offset: 0, end: true, storage: &storage),
                chunk("xyz", toServer: false, offset: 0, end: true, storage: &storage),
            ], slot: 0, flowID: 5, serverPort: 80, clientPort: 4000, timestamp: Timestamp(microseconds: 0),
            session: nil)
        #expect(stage.appProtocol(slot: 0, flowID: 5)?.flow == .failed)
    }

    @Test func eachDirectionKeepsItsOwnProtocol() {
        let stage = AppLayerStage(registry: [echoDescriptor, HTTPProtocol.descriptor], settings: AppLayerStageSettings())
        var storage: [[UInt8]] = []
        storage.reserveCapacity(4)
        stage.handle(
            chunks: [
                chunk("ECHO hi\n", toServer: true, offset: 0, storage: &storage),
                chunk("HTTP/1.1 200 OK\r\n\r\n", toServer: false, offset: 0, storage: &storage),
            ], slot: 2, flowID: 7, serverPort: 80, clientPort: 4000, timestamp: Timestamp(microseconds: 0),
            session: nil)
        let protocols = stage.appProtocol(slot: 2, flowID: 7)
        #expect(protocols?.flow == AppProtocol("echo"))
        #expect(protocols?.toServer == AppProtocol("echo"))
        #expect(protocols?.toClient == .http)
        #expect(stage.takeEvents(slot: 2, flowID: 7).map(\.name).contains("applayer_mismatch_protocol_both_directions"))
    }

    @Test func parsesPortList() {
        #expect(AppLayerStage.parsePorts("[80, 8080:8090]") == [80...80, 8080...8090])
        #expect(AppLayerStage.parsePorts("53") == [53...53])
        #expect(AppLayerStage.parsePorts("") == [])
    }
}

/// What a closure-made parser was given, per flow.
final class SeenSettings: @unchecked Sendable {
    var flows: [(serverPort: UInt16, clientPort: UInt16, server: IPAddress?, values: [String: String])] = []
}

@Suite struct AppLayerParserFactoryTests {
    /// A protocol without its own factory: each flow's parser gets the configuration's values with that flow's
    /// ports and server address; flows and failed flows are counted by position under their names.
    @Test func closureFactoryPassesEachFlowsSettings() {
        let seen = SeenSettings()
        var echo = echoDescriptor
        echo.makeParser = { settings in
            seen.flows.append((settings.serverPort, settings.clientPort, settings.serverAddress, settings.values))
            return EchoParser()
        }
        var settings = AppLayerStageSettings()
        settings.parserValues["echo"] = ["some-option": "yes"]
        let stage = AppLayerStage(registry: [echo], settings: settings)
        var storage: [[UInt8]] = []
        for n in 0..<3 {
            stage.handle(
                chunks: [chunk("ECHO a\n", toServer: true, offset: 0, storage: &storage)], slot: Int32(n),
                flowID: UInt64(n), serverPort: 7 + UInt16(n), clientPort: 4000, serverAddress: IPAddress(v4: UInt32(n)),
                timestamp: Timestamp(microseconds: 0), session: nil)
        }
        #expect(seen.flows.map(\.serverPort) == [7, 8, 9])
        #expect(seen.flows.map(\.clientPort) == [4000, 4000, 4000])
        #expect(seen.flows.map(\.server) == [IPAddress(v4: 0), IPAddress(v4: 1), IPAddress(v4: 2)])
        #expect(seen.flows.allSatisfy { $0.values == ["some-option": "yes"] })
        #expect(stage.counters.value("app_layer.flow.echo") == 3)
        // A flow neither direction recognises: counted once both gave up.
        stage.handle(
            chunks: [
                chunk("hello there\n", toServer: true, offset: 0, storage: &storage),
                chunk("nope\n", toServer: false, offset: 0, storage: &storage),
            ], slot: 9, flowID: 9, serverPort: 7, clientPort: 4000, timestamp: Timestamp(microseconds: 0),
            session: nil)
        #expect(stage.counters.value("app_layer.flow.failed_tcp") == 1)
        // Each flow's line made one transaction; the protocol's counters exist from the start, as Suricata's.
        #expect(stage.counters.value("app_layer.tx.echo") == 3)
        #expect(
            stage.counters.values.map(\.0) == [
                "app_layer.flow.echo", "app_layer.tx.echo", "app_layer.error.echo.gap", "app_layer.error.echo.alloc",
                "app_layer.error.echo.parser", "app_layer.error.echo.internal", "app_layer.flow.failed_tcp",
            ])
    }
}
