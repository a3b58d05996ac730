// SPDX-License-Identifier: MIT
import Testing
import WeirDecode
import WeirFlow
@testable import WeirStream

@Test func handshakeEstablishesAndDataReachesAppLayerWhenAcked() {
    let h = Harness()
    h.handshake()
    #expect(h.session.state == .established)
    #expect(h.lastResult.isEstablished)
    h.send(toServer: true, flags: F.ack | F.psh, seq: 1001, ack: 5001, payload: "GET / HTTP/1.0\r\n\r\n".bytes)
    // Not ACKed yet: IDS mode hands nothing to the app layer.
    #expect(h.appBytes(toServer: true).isEmpty)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001 + 18)
    #expect(h.appBytes(toServer: true).text == "GET / HTTP/1.0\r\n\r\n")
}

@Test func outOfOrderSegmentsAreQueuedAndReassembled() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001 + 10, ack: 5001, payload: "KLMNOPQRST".bytes)
    h.send(toServer: true, flags: F.ack, seq: 1001 + 20, ack: 5001, payload: "UVWXYZ".bytes)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "ABCDEFGHIJ".bytes)
    #expect(h.session.clientReassembler.contiguousEnd == 26)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001 + 26)
    #expect(h.appBytes(toServer: true).text == "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    #expect(h.lastResult.events.isEmpty)
}

@Test(arguments: [(OverlapPolicy.bsd, "hello world"), (.last, "HELLO world"), (.linux, "hello world")])
func retransmissionWithDifferentDataFollowsPolicy(policy: OverlapPolicy, expected: String) {
    let h = Harness(StreamSettings(overlapPolicy: policy))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "hello".bytes)
    let r = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "HELLO".bytes)
    #expect(r.events.contains(.reassemblyOverlapDifferentData))
    #expect(r.events.contains(.pktRetransmission))
    h.send(toServer: true, flags: F.ack, seq: 1006, ack: 5001, payload: " world".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1012)
    #expect(h.appBytes(toServer: true).text == expected)
    #expect(h.context.statistics.overlapsWithDifferentData == 1)
}

@Test func retransmissionOfAckedDataIsFlaggedAndNotReinspected() {
    let h = Harness(StreamSettings(toServerChunkSize: 4))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "attack".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1007)
    // The next client packet inspects the ACKed 6 bytes (≥ chunk size).
    h.send(toServer: true, flags: F.ack, seq: 1007, ack: 5001)
    #expect(h.rawBytes(toServer: true).text == "attack")
    let r = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "ATTACK".bytes)
    #expect(r.events.contains(.estPktBeforeLastAck))
    #expect(r.events.contains(.reassemblySegmentBeforeBaseSeq))
    #expect(h.rawBytes(toServer: true).text == "attack")
}

@Test func gapIsMarkedAndReassemblyContinuesAfterIt() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "first".bytes)
    // Bytes 5..<10 never arrive.
    h.send(toServer: true, flags: F.ack, seq: 1011, ack: 5001, payload: "third".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1016)
    let chunks = h.app[true] ?? []
    #expect(chunks.count == 3)
    #expect(chunks.map { $0.1 == nil } == [false, true, false])
    #expect(chunks[1].2 == 5)
    #expect(h.appBytes(toServer: true).text == "first.....third")
    #expect(h.context.statistics.reassemblyGaps == 1)
    #expect(h.lastResult.events.contains(.reassemblySeqGap))
    #expect(h.session.streamFacts.gapToServer && !h.session.streamFacts.gapToClient)
    // Data after the gap keeps flowing.
    h.send(toServer: true, flags: F.ack, seq: 1016, ack: 5001, payload: "fourth".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1022)
    #expect(h.appBytes(toServer: true).text == "first.....thirdfourth")
    h.finish()
    #expect(h.rawBytes(toServer: true).text == "firstthirdfourth")
    #expect(h.context.statistics.reassemblyGaps == 1)
}

@Test func anACKBeforeItsDataIsNoGap() {
    // Capture order can put the receiver's ACK before the data it acknowledges (Suricata's CheckGap: nothing
    // stored past the in-order data, so no gap yet): the app layer waits and gets the data when it comes.
    let h = Harness()
    h.handshake()
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1011)
    #expect((h.app[true] ?? []).isEmpty)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "0123456789".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1011)
    #expect(h.appBytes(toServer: true).text == "0123456789")
    #expect(h.context.statistics.reassemblyGaps == 0)
    // Data stored past a hole the receiver ACKed is a gap, as before.
    h.send(toServer: true, flags: F.ack, seq: 1016, ack: 5001, payload: "later".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1021)
    #expect(h.appBytes(toServer: true).text == "0123456789.....later")
    #expect(h.context.statistics.reassemblyGaps == 1)
}

@Test func atAResetTheAppLayerStopsAtAHoleNobodyACKed() {
    // Suricata's established-state RST: the receiver's ACK says how far the other side's data was received;
    // a hole past it may never have been sent, so it is no gap and the data after it is not the app layer's
    // (raw inspection still sees it, at the close).
    let h = Harness()
    h.handshake()
    h.send(toServer: false, flags: F.ack | F.psh, seq: 5001, ack: 1001, payload: "Let ".bytes)
    h.send(toServer: false, flags: F.ack | F.psh, seq: 5009, ack: 1001, payload: "Me In".bytes)
    h.send(toServer: true, flags: F.rst | F.ack, seq: 1001, ack: 5005)
    #expect(h.session.state == .closed)
    #expect(h.appBytes(toServer: false).text == "Let ")
    #expect(h.context.statistics.reassemblyGaps == 0)
    #expect(h.rawBytes(toServer: false).text == "Let Me In")
}

@Test func aResetACKsItsSendersDataSoEarlierHolesAreGaps() {
    // The RST's sequence number ACKs its sender's data: a hole before it is a gap, handed over with the rest.
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack | F.psh, seq: 1001, ack: 5001, payload: "POST".bytes)
    h.send(toServer: true, flags: F.ack | F.psh, seq: 1009, ack: 5001, payload: "body".bytes)
    #expect(h.appBytes(toServer: true).isEmpty)
    h.send(toServer: true, flags: F.rst | F.ack, seq: 1013, ack: 5001)
    #expect(h.session.state == .closed)
    #expect(h.appBytes(toServer: true).text == "POST....body")
    #expect(h.context.statistics.reassemblyGaps == 1)
}

@Test func afterAGapAResetIsTakenWithoutSequenceChecks() {
    // A lossy capture (a gap went to the app layer) may lack the data a RST's numbers refer to: Suricata then
    // accepts the RST as it comes (STREAMTCP_FLAG_LOSSY_BE_LIBERAL). Without the gap the same RST is refused.
    for lossy in [false, true] {
        let h = Harness()
        h.handshake()
        h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "first".bytes)
        if lossy {
            h.send(toServer: true, flags: F.ack, seq: 1011, ack: 5001, payload: "third".bytes)
            h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1016)
            #expect(h.context.statistics.reassemblyGaps == 1)
        }
        // Far beyond the receive window.
        h.send(toServer: true, flags: F.rst, seq: 1001 + 200_000, ack: 0)
        #expect((h.session.state == .closed) == lossy, "lossy \(lossy)")
    }
}

@Test func aSessionPickedUpAtItsSynAckEstablishesOnTheServersNextPacket() {
    // Only the server's packets were captured (midstream on): the SYN/ACK, an ACK of the client's request, the
    // response. As Suricata, the ACK of client data never seen establishes the session; the response reaches the
    // app layer at the end.
    let h = Harness(StreamSettings(midstream: true))
    #expect(h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001).status == .accepted)
    #expect(h.session.state == .synReceived)
    let r = h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1082)
    #expect(r.status == .accepted && h.session.state == .established)
    #expect(!r.events.contains(.threeWayAckInWrongDir))
    h.send(toServer: false, flags: F.ack | F.psh, seq: 5001, ack: 1082, payload: "HTTP/1.1 200 OK\r\n\r\n".bytes)
    h.finish()
    #expect(h.appBytes(toServer: false).text == "HTTP/1.1 200 OK\r\n\r\n")
}

@Test func aServerPacketAfterAMissedHandshakeACKEstablishesInIDSModeOnly() {
    for inline in [false, true] {
        let h = Harness(StreamSettings(inline: inline))
        h.send(toServer: true, flags: F.syn, seq: 1000)
        h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001)
        // The client's ACK is missing from the capture; the server sends its banner.
        let r = h.send(toServer: false, flags: F.ack | F.psh, seq: 5001, ack: 1001, payload: "SSH-2.0-x\r\n".bytes)
        if inline {
            // Inline, every packet passes the sensor: a server packet before the ACK is an injection.
            #expect(r.status == .rejected && r.events.contains(.threeWayAckDataInject), "\(r.events)")
            let bare = h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001)
            #expect(bare.status == .rejected && bare.events.contains(.threeWayAckInWrongDir))
            #expect(h.session.state == .synReceived)
        } else {
            #expect(r.status == .accepted && h.session.state == .established)
            h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5012)
            #expect(h.appBytes(toServer: false).text == "SSH-2.0-x\r\n")
        }
    }
}

@Test func swappingDirectionsMovesEverythingKeptPerDirection() {
    // A midstream pickup whose first packet was the answer: once turned round, its data is the server's, and
    // the real client's ACK hands it to the app layer in that direction.
    let h = Harness(StreamSettings(midstream: true))
    h.send(toServer: true, flags: F.ack | F.psh, seq: 7000, ack: 3000, payload: "answer".bytes)
    h.session.swapDirections()
    #expect(h.session.serverReassembler.contiguousEnd == 6 && h.session.clientReassembler.contiguousEnd == 0)
    #expect(h.session.server.nextSeq == 7006)
    h.send(toServer: true, flags: F.ack, seq: 3000, ack: 7006)
    #expect(h.appBytes(toServer: false).text == "answer")
    #expect(h.appBytes(toServer: true).isEmpty)
}

@Test func asyncOnesideSessionIsTrackedWithoutTheServerSide() {
    let h = Harness(StreamSettings(asyncOneside: true))
    h.send(toServer: true, flags: F.syn, seq: 100)
    // The SYN/ACK travels another path: only client packets are seen.
    let r = h.send(toServer: true, flags: F.ack, seq: 101, ack: 9001, payload: "one-sided ".bytes)
    #expect(r.status == .accepted)
    #expect(h.session.isAsync)
    #expect(h.session.state == .established)
    h.send(toServer: true, flags: F.ack, seq: 111, ack: 9001, payload: "stream".bytes)
    #expect(h.appBytes(toServer: true).text == "one-sided stream")
}

@Test func oneSidedSessionWithoutAsyncOnesideStaysInSynSent() {
    let h = Harness()
    h.send(toServer: true, flags: F.syn, seq: 100)
    let r = h.send(toServer: true, flags: F.ack, seq: 101, ack: 9001, payload: "x".bytes)
    #expect(r.status == .rejected)
    #expect(h.session.state == .synSent)
}

@Test func asyncWrongSequenceRaisesEvent() {
    let h = Harness(StreamSettings(asyncOneside: true))
    h.send(toServer: true, flags: F.syn, seq: 100)
    let r = h.send(toServer: true, flags: F.ack, seq: 500, ack: 9001, payload: "x".bytes)
    #expect(r.events.contains(.threeWayAsyncWrongSeq))
}

@Test func midstreamPickupOnlyWhenEnabled() {
    let off = Harness()
    let r0 = off.send(toServer: true, flags: F.ack, seq: 7000, ack: 3000, payload: "data".bytes)
    #expect(r0.status == .noSession)
    let on = Harness(StreamSettings(midstream: true))
    let r1 = on.send(toServer: true, flags: F.ack, seq: 7000, ack: 3000, payload: "data".bytes)
    #expect(r1.status == .accepted)
    #expect(on.session.isMidstream)
    #expect(r1.isEstablished)
    on.send(toServer: false, flags: F.ack, seq: 3000, ack: 7004, payload: "reply".bytes)
    #expect(on.appBytes(toServer: true).text == "data")
    on.send(toServer: true, flags: F.ack, seq: 7004, ack: 3005)
    #expect(on.appBytes(toServer: false).text == "reply")
}

@Test func resetInTheMiddleClosesAndFlushes() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "partial request".bytes)
    // Out-of-window RST: ignored, event raised.
    let bad = h.send(toServer: false, flags: F.rst | F.ack, seq: 5001 &+ 1_000_000, ack: 1016)
    #expect(bad.events.contains(.rstInvalidAck))
    #expect(h.session.state == .established)
    let good = h.send(toServer: false, flags: F.rst | F.ack, seq: 5001, ack: 1016)
    #expect(good.status == .accepted)
    #expect(h.session.state == .closed)
    #expect(h.rawBytes(toServer: true).text == "partial request")
    #expect(h.appBytes(toServer: true).text == "partial request")
    #expect(h.endOfStream[true] == true)
    // More from the RST's sender is not suspicious; the receiver carrying on is.
    let fromSender = h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1016, payload: "late".bytes)
    #expect(!fromSender.events.contains(.suspectedRstInject))
    let after = h.send(toServer: true, flags: F.ack, seq: 1016, ack: 5001, payload: "more".bytes)
    #expect(after.events.contains(.suspectedRstInject))
    // The end of stream is reported once, not again for packets after the close.
    #expect(after.appLayerChunkCount == 0)
    h.finish()
    #expect(h.session.appLayerChunks.isEmpty)
}

@Test func sequenceWrapAroundReassembles() {
    let isn: UInt32 = 0xFFFF_FFF0
    let h = Harness()
    h.handshake(cisn: isn, sisn: 0xFFFF_FFFE)
    let part1 = "0123456789ABCDE".bytes  // 15 bytes: 0xFFFFFFF1 ... 0xFFFFFFFF
    let part2 = "wrapped-past-zero".bytes
    h.send(toServer: true, flags: F.ack, seq: isn &+ 1 &+ 15, ack: 0xFFFF_FFFF, payload: part2)
    h.send(toServer: true, flags: F.ack, seq: isn &+ 1, ack: 0xFFFF_FFFF, payload: part1)
    h.send(toServer: false, flags: F.ack, seq: 0xFFFF_FFFF, ack: isn &+ 1 &+ 32, payload: "ok".bytes)
    #expect(h.appBytes(toServer: true).text == "0123456789ABCDEwrapped-past-zero")
    #expect(h.session.client.nextSeq == isn &+ 33)
    h.send(toServer: true, flags: F.ack, seq: isn &+ 33, ack: 1)
    #expect(h.appBytes(toServer: false).text == "ok")
}

@Test func synAckInWrongDirectionIsAnEvent() {
    let h = Harness()
    h.send(toServer: true, flags: F.syn, seq: 1000)
    let r = h.send(toServer: true, flags: F.syn | F.ack, seq: 1000, ack: 77)
    #expect(r.events.contains(.threeWaySynackInWrongDirection))
    #expect(StreamEvent(name: "3whs_synack_in_wrong_direction") == .threeWaySynackInWrongDirection)
}

@Test func handshakeAnomaliesRaiseSuricataEvents() {
    let h = Harness()
    h.send(toServer: true, flags: F.syn, seq: 1000)
    #expect(h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 999).events.contains(.threeWaySynackWithWrongAck))
    h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001)
    #expect(h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1002).events.contains(.threeWaySynackResendWithDifferentAck))
    #expect(h.send(toServer: false, flags: F.syn | F.ack, seq: 6000, ack: 1001).events.contains(.threeWaySynackResendWithDiffSeq))
    #expect(h.send(toServer: true, flags: F.syn | F.ack, seq: 1000, ack: 5001).events.contains(.threeWaySynackToserverOnSynRecv))
    #expect(h.send(toServer: true, flags: F.syn, seq: 1234).events.contains(.threeWaySynResendDiffSeqOnSynRecv))
    #expect(h.send(toServer: false, flags: F.syn, seq: 5000).events.contains(.threeWaySynToclientOnSynRecv))
    // A server packet that neither carries on from the SYN/ACK nor ACKs client data (IDS mode; inline see
    // aServerPacketAfterAMissedHandshakeACKEstablishesInIDSModeOnly).
    #expect(h.send(toServer: false, flags: F.ack, seq: 5001, ack: 999).events.contains(.threeWayWrongSeqWrongAck))
    #expect(h.send(toServer: true, flags: F.ack, seq: 1001, ack: 9999).events.contains(.threeWayRightSeqWrongAckEvasion))
    #expect(h.send(toServer: true, flags: F.ack, seq: 1500, ack: 9999).events.contains(.threeWayWrongSeqWrongAck))
    #expect(h.session.state == .synReceived)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001)
    #expect(h.session.state == .established)
    #expect(h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001).events.contains(.estSynackResend))
    #expect(h.send(toServer: true, flags: F.syn, seq: 1000).events.contains(.estSynResend))
    #expect(h.send(toServer: false, flags: F.syn, seq: 5000).events.contains(.estSynToclient))
    #expect(h.send(toServer: true, flags: F.syn | F.fin, seq: 1001).events.contains(.finSyn))
    #expect(h.context.statistics.events[Int(StreamEvent.threeWaySynackWithWrongAck.rawValue)] == 1)
}

@Test func simultaneousOpenEstablishes() {
    let h = Harness()
    h.send(toServer: true, flags: F.syn, seq: 1000)
    h.send(toServer: false, flags: F.syn, seq: 5000)
    #expect(h.session.isFourWayHandshake)
    let bad = h.send(toServer: true, flags: F.syn | F.ack, seq: 1000, ack: 4000)
    #expect(bad.events.contains(.fourWaySynackWithWrongAck))
    h.send(toServer: true, flags: F.syn | F.ack, seq: 1000, ack: 5001)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001)
    #expect(h.session.state == .established)
}

@Test func outOfWindowDataIsRejected() {
    let h = Harness()
    h.handshake(window: 1000)
    let r = h.send(toServer: true, flags: F.ack, seq: 1001 + 5000, ack: 5001, payload: "far".bytes)
    #expect(r.events.contains(.estPacketOutOfWindow))
    #expect(r.status == .rejected)
}

@Test func windowScaleIsAppliedOnlyWhenBothSidesOfferIt() {
    let h = Harness()
    h.send(toServer: true, flags: F.syn, seq: 1000, window: 1000, wscale: 7)
    h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001, window: 1000, wscale: 7)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, window: 1000)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001, window: 1000)
    // 1000 << 7 = 128000: 100 KB ahead of the ACK is inside the window.
    #expect(h.session.client.window == 128_000)
    let r = h.send(toServer: true, flags: F.ack, seq: 1001 + 100_000, ack: 5001, payload: "x".bytes)
    #expect(r.status == .accepted)
    let plain = Harness()
    plain.send(toServer: true, flags: F.syn, seq: 1000, window: 1000, wscale: 7)
    plain.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001, window: 1000)
    plain.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, window: 1000)
    plain.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001, window: 1000)
    #expect(plain.session.client.window == 1000)
}

@Test func invalidChecksumIsSkippedAndCounted() {
    let h = Harness()
    h.handshake()
    let r = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "evil".bytes, checksum: .invalid)
    #expect(r.status == .invalidChecksum)
    #expect(h.context.statistics.invalidChecksum == 1)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1001)
    #expect(h.session.clientReassembler.rightEdge == 0)
    let noValidation = Harness(StreamSettings(checksumValidation: false))
    noValidation.handshake()
    let r2 = noValidation.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "evil".bytes, checksum: .invalid)
    #expect(r2.status == .accepted)
}

@Test func finHandshakeClosesAndFlushesBothDirections() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack | F.fin, seq: 1001, ack: 5001, payload: "bye".bytes)
    #expect(h.session.state == .finWait1)
    h.send(toServer: false, flags: F.ack | F.fin, seq: 5001, ack: 1005, payload: "ok".bytes)
    #expect(h.session.state == .timeWait)
    h.send(toServer: true, flags: F.ack, seq: 1005, ack: 5004)
    #expect(h.session.state == .closed)
    #expect(h.appBytes(toServer: true).text == "bye")
    #expect(h.appBytes(toServer: false).text == "ok")
    #expect(h.endOfStream[true] == true && h.endOfStream[false] == true)
}

@Test func dataPastTheFinIsAWrongSequenceInClosingStates() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack | F.fin, seq: 1001, ack: 5001, payload: "bye".bytes)
    #expect(h.session.state == .finWait1)
    // The client's FIN took sequence 1004; anything past 1005 from the client is bogus.
    let r = h.send(toServer: true, flags: F.ack, seq: 1010, ack: 5001, payload: "more".bytes)
    #expect(r.events.contains(.fin1AckWrongSeq))
    #expect(r.status == .rejected)
    // The in-sequence ACK after the FIN is fine.
    let ok = h.send(toServer: true, flags: F.ack, seq: 1005, ack: 5001)
    #expect(ok.events.isEmpty)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1005)
    #expect(h.session.state == .finWait2)
    let r2 = h.send(toServer: true, flags: F.ack | F.fin, seq: 1020, ack: 5001)
    #expect(r2.events.contains(.fin2FinWrongSeq))
}

@Test func fastOpenDataInTheSynIsStreamData() {
    let h = Harness()
    h.send(toServer: true, flags: F.syn, seq: 1000, payload: "GET /tfo".bytes, fastOpen: true)
    // The SYN/ACK acknowledges the SYN and its 8 bytes.
    let r = h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1009)
    #expect(r.status == .accepted)
    h.send(toServer: true, flags: F.ack, seq: 1009, ack: 5001)
    #expect(h.session.state == .established)
    #expect(h.appBytes(toServer: true).text == "GET /tfo")
    // A server that ignores the data acknowledges only the SYN.
    let g = Harness()
    g.send(toServer: true, flags: F.syn, seq: 1000, payload: "GET /tfo".bytes, fastOpen: true)
    #expect(g.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001).events.contains(.threeWaySynackTfoDataIgnored))
}

@Test func synDataWithoutTheFastOpenOptionIsNotStreamData() {
    // Suricata adds SYN data to the stream only with the TFO option; otherwise it is inspected as a packet only.
    let h = Harness()
    let syn = h.send(toServer: true, flags: F.syn, seq: 1000, payload: "Hi all!".bytes)
    #expect(!syn.addedToStream)
    h.send(toServer: false, flags: F.syn | F.ack, seq: 5000, ack: 1001)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001)
    #expect(h.session.state == .established)
    h.send(toServer: true, flags: F.ack | F.psh, seq: 1001, ack: 5001, payload: "GET /".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1006)
    h.finish()
    #expect(h.appBytes(toServer: true).text == "GET /")
}
