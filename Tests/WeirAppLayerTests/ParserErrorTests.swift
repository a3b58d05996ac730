// SPDX-License-Identifier: MIT
import Testing
import WeirAppLayer
import WeirCore
import WeirStream

/// A gap chunk of `length` bytes at `offset`.
private func gap(toServer: Bool, offset: UInt64, length: Int) -> AppLayerChunk {
    AppLayerChunk(
        toServer: toServer,
        block: StreamBlock(offset: offset, length: length, isGap: true, bytes: UnsafeRawBufferPointer(start: nil, count: 0)),
        isEndOfStream: false)
}

/// A parser that gives up on a gap without it being an error (as Weir's DNS over TCP does).
private final class GapTolerantParser: AppLayerParser {
    func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext) {}
    func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext) {
        context.parserFailed = true
        context.failedWithoutError = true
    }
    func endOfStream(toServer: Bool, context: inout AppLayerParseContext) {}
    var transactionCount: Int { 0 }
    func transaction(at index: Int) -> any AppLayerTransaction { fatalError("no transactions") }
    func freeTransactions(through id: UInt64) {}
    var memoryUse: Int { 0 }
}

/// `AppLayerStage.takeParserError`: the app-layer error the exception policy `app-layer.error-policy` acts on.
@Suite struct ParserErrorTests {
    @Test func aParserFailureIsReportedOnceWithItsProtocol() {
        let stage = AppLayerStage(registry: [echoDescriptor], settings: AppLayerStageSettings())
        var storage: [[UInt8]] = []
        storage.reserveCapacity(4)
        stage.handle(
            chunks: [chunk("ECHO hi\n", toServer: true, offset: 0, storage: &storage)], slot: 1, flowID: 7,
            serverPort: 7, clientPort: 4000, timestamp: Timestamp(microseconds: 0), session: nil)
        #expect(stage.takeParserError(slot: 1, flowID: 7) == nil)
        // The echo parser gives up on a gap: a parser error.
        stage.handle(
            chunks: [gap(toServer: true, offset: 8, length: 100)], slot: 1, flowID: 7, serverPort: 7, clientPort: 4000,
            timestamp: Timestamp(microseconds: 1), session: nil)
        #expect(stage.takeParserError(slot: 1, flowID: 7) == "echo")
        #expect(stage.takeParserError(slot: 1, flowID: 7) == nil)
        // Another flow in the slot, or another slot, knows nothing of it.
        #expect(stage.takeParserError(slot: 1, flowID: 8) == nil)
        #expect(stage.takeParserError(slot: 2, flowID: 7) == nil)
    }

    @Test func givingUpWithoutAnErrorIsNotReported() {
        let quiet = AppLayerProtocolDescriptor(
            proto: AppProtocol("quiet"), transports: [6],
            probes: [AppLayerProbe(direction: .toServer) { bytes, _ in bytes.first == UInt8(ascii: "Q") ? .match : .noMatch }],
            defaultDetectionPorts: nil, makeParser: { _ in GapTolerantParser() }, buffers: [], eventNames: [])
        let stage = AppLayerStage(registry: [quiet], settings: AppLayerStageSettings())
        var storage: [[UInt8]] = []
        storage.reserveCapacity(4)
        stage.handle(
            chunks: [chunk("Q1", toServer: true, offset: 0, storage: &storage), gap(toServer: true, offset: 2, length: 9)],
            slot: 1, flowID: 7, serverPort: 53, clientPort: 4000, timestamp: Timestamp(microseconds: 0), session: nil)
        #expect(stage.detectionProtocol(slot: 1, flowID: 7) == "quiet")
        #expect(stage.takeParserError(slot: 1, flowID: 7) == nil)
    }
}
