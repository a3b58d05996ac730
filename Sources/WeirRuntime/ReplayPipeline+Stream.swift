// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirDetect
import WeirFlow
import WeirOutput
import WeirStream

/// The TCP stream engine's part of the replay: session tracking per TCP packet, its raw-stream chunks as
/// detection buffers, and the final chunks of a session when its flow ends.
extension ReplayPipeline {
    /// Runs the stream engine on the current TCP packet and collects the chunks of its direction into
    /// ``streamBuffers``.
    ///
    /// - Returns: The facts detection needs: the packet's stream events, whether the session was established
    ///   before the packet (Suricata's `FLOW_PKT_ESTABLISHED` is set before the stream engine runs), and whether
    ///   the payload went into the stream.
    ///   `handle` is turned round when protocol detection turned the flow round (``turnRound(_:slot:flowID:)``).
    mutating func track(
        _ stream: StreamEngine, packet: Packet, frame: UnsafeRawBufferPointer, handle: inout FlowHandle
    ) -> StreamPacketInfo {
        let flowID = self.flows[handle.slot].flowID
        var tracked = StreamTrackResult()
        stream.track(packet, flow: handle, flowID: flowID, frame: frame, into: &tracked)
        let result = tracked.result
        self.streamExceptions = result.exceptions
        if result.appLayerChunkCount > 0 {
            self.appLayer.handle(
                stream: stream, flow: self.flows[handle.slot], slot: handle.slot, timestamp: packet.timestamp)
            let slot = handle.slot
            if self.appLayer.withStage({ $0.takeReversed(slot: slot, flowID: flowID) }),
                self.turnRound(stream, slot: slot, flowID: flowID)
            {
                handle = FlowHandle(slot: slot, toServer: !handle.toServer)
                swap(&tracked.clientSize, &tracked.serverSize)
            }
        }
        self.streamAtDepth = tracked.bothAtDepth
        self.payloadNormalised = result.payloadNormalised
        if result.rawChunkCount > 0 && self.detect != nil {
            for chunk in stream.rawChunks where !chunk.block.isGap && chunk.block.bytes.count > 0 {
                if chunk.toServer == handle.toServer {
                    self.streamBuffers.append(
                        InspectionBuffer(bytes: chunk.block.bytes, kind: .streamChunk(streamOffset: chunk.block.offset)))
                } else {
                    self.otherDirectionHasChunks = true
                }
            }
        }
        var info = StreamPacketInfo(
            events: result.events, wasEstablished: tracked.wasEstablished, addedToStream: result.addedToStream)
        if result.status != .noSession {
            info.clientSize = tracked.clientSize
            info.serverSize = tracked.serverSize
        }
        return info
    }

    /// Protocol detection found a midstream session's first data to be the answer (a capture that begins with
    /// the response): as Suricata's `FlowSwap` on such a session, the flow, its TCP session and the app layer's
    /// view of it turn round, so records and rules see the real client and server from this packet on. A
    /// session picked up at its SYN/ACK already has them right, and one with a handshake is left as it is (the
    /// app layer reads it reversed). Returns true when the flow was turned round.
    mutating func turnRound(_ stream: StreamEngine, slot: Int32, flowID: UInt64) -> Bool {
        guard let session = stream.session(slot: slot, flowID: flowID), session.isMidstream,
            !session.isMidstreamSynAck
        else { return false }
        session.swapDirections()
        self.flows[slot].swapDirection()
        let server = self.flows[slot].serverAddress
        self.appLayer.withStage { $0.flowTurnedRound(slot: slot, flowID: flowID, server: server) }
        return true
    }

    /// The flow table's `emit` callback: ends the flow's stream session, inspects the data it still held (in
    /// each direction, with a pseudo packet, as Suricata does at flow end), then writes the flow record.
    func flowEndHandler() -> (inout Flow, FlowEndReason) -> Void {
        let outputs = self.outputs
        let stream = self.stream
        let detect = self.detect
        let inline = self.inline
        let kernel = self.captureBypass
        let appLayer = self.appLayer
        return { flow, reason in
            if flow.bypass == .capture { kernel?.finish(&flow) }
            var appProto = AppLayerPass.FlowProtocols()
            var appDone = false
            var streamFacts: TCPStreamFacts?
            if let stream, flow.key.proto == IPProtocol.tcp, stream.session(slot: flow.slot, flowID: flow.flowID) != nil {
                let slot = flow.slot
                var alerted = false
                let ended = flow
                stream.endFlow(slot: slot) { session in
                    streamFacts = session.streamFacts
                    // A bypassed flow is not inspected again, its leftover stream data included; nor is one an
                    // exception policy passed or dropped.
                    let inspect = ended.state != .bypassed && !ended.passedByException && !ended.droppedByException
                    if let detect, inspect, !session.rawChunks.isEmpty {
                        for toServer in [true, false] {
                            alerted =
                                Self.inspectChunks(
                                    session.rawChunks, toServer: toServer, flow: ended, slot: slot,
                                    timestamp: ended.last, detect: detect, outputs: outputs, inline: inline,
                                    appProto: appLayer.eveProtocol(slot: slot, flowID: ended.flowID),
                                    inspectUpTo: appLayer.encryptedLimit(
                                        slot: slot, flowID: ended.flowID, toServer: toServer),
                                    forwardedFor: { appProto in
                                        appLayer.alertForwardedFor(
                                            slot: slot, flowID: ended.flowID, txID: nil, appProtocol: appProto)
                                    })
                                || alerted
                        }
                    }
                    // The final data goes to the parsers; what it completes is inspected and logged.
                    appProto = appLayer.flowEnded(
                        ended, slot: slot, stream: session, timestamp: ended.last, inspect: inspect, inline: inline)
                    appDone = true
                }
                if alerted { flow.alerted = true }
            }
            if !appDone {
                appProto = appLayer.flowEnded(
                    flow, stream: nil, timestamp: flow.last, inspect: flow.state != .bypassed, inline: inline)
            }
            outputs.writeFlow(
                flow, reason: reason, appProto: appProto.proto, directions: appProto.directions,
                originalAppProto: appProto.original, stream: streamFacts, transactions: appProto.transactions)
        }
    }

    /// Inspects the chunks of one direction with a payload-less pseudo packet of that direction and writes its
    /// alerts. Returns true when something alerted.
    static func inspectChunks(
        _ chunks: [RawStreamChunk], toServer: Bool, flow: Flow, slot: Int32, timestamp: Timestamp,
        detect: DetectContext, outputs: ReplayOutputs, inline: Bool, appProto: String? = nil,
        inspectUpTo limit: UInt64? = nil, forwardedFor: (String?) -> String? = { _ in nil }
    ) -> Bool {
        var buffers: [InspectionBuffer] = []
        for chunk in chunks where chunk.toServer == toServer && !chunk.block.isGap && chunk.block.bytes.count > 0 {
            var bytes = chunk.block.bytes
            // An encrypted flow in track-only mode: nothing past its encryption point.
            if let limit {
                guard chunk.block.offset < limit else { continue }
                bytes = UnsafeRawBufferPointer(
                    rebasing: bytes[0..<Int(min(UInt64(bytes.count), limit - chunk.block.offset))])
            }
            buffers.append(InspectionBuffer(bytes: bytes, kind: .streamChunk(streamOffset: chunk.block.offset)))
        }
        guard !buffers.isEmpty else { return false }
        let packet = Self.pseudoPacket(flow: flow, toServer: toServer, timestamp: timestamp)
        let frame = UnsafeRawBufferPointer(start: nil, count: 0)
        var alerts: [Alert] = []
        let verdict = detect.inspect(
            packet: packet, frame: frame, flow: flow, handle: FlowHandle(slot: slot, toServer: toServer),
            buffers: buffers, appProtocol: appProto == "failed" ? nil : appProto, stream: StreamPacketInfo(
                wasEstablished: Self.wasEstablished(flow), addedToStream: false, isPseudo: true),
            alerts: &alerts)
        let variables = alerts.isEmpty ? nil : ReplayOutputs.flowVariables(detect, slot: slot, flowID: flow.flowID)
        let forwarded = alerts.isEmpty ? nil : forwardedFor(appProto)
        for alert in alerts {
            outputs.writeAlert(
                alert, packet: packet, frame: frame, flow: flow, toServer: toServer, dropped: verdict.drop,
                inline: inline, streamPayload: alert.streamMatch && outputs.logsAlertPayload
                    ? Self.streamPayload(chunks, toServer: toServer) : nil,
                source: .streamFlowTimeout, appProto: appProto, verdict: verdict, flowVariables: variables,
                forwardedFor: forwarded)
        }
        return !alerts.isEmpty
    }

    /// The stream data of one direction's chunks as EVE logs it for a stream match: the bytes, with a gap shown
    /// as `[N bytes missing]` (Suricata's notation).
    static func streamPayload(_ chunks: [RawStreamChunk], toServer: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var end: UInt64?
        for chunk in chunks where chunk.toServer == toServer {
            // A hole: between two chunks, or before the first one when it starts past what was inspected.
            let expected = end ?? chunk.alreadyInspectedUpTo
            if chunk.block.offset > expected {
                out.append(contentsOf: "[\(chunk.block.offset - expected) bytes missing]".utf8)
            }
            if chunk.block.isGap {
                out.append(contentsOf: "[\(chunk.block.length) bytes missing]".utf8)
            } else {
                out.append(contentsOf: chunk.block.bytes)
            }
            end = chunk.block.end
        }
        return out
    }

    /// A TCP packet without payload between the flow's endpoints in the given direction.
    static func pseudoPacket(flow: Flow, toServer: Bool, timestamp: Timestamp) -> Packet {
        var packet = Packet()
        packet.timestamp = timestamp
        packet.ipVersion = flow.key.firstAddress.isIPv4 ? 4 : 6
        packet.source = toServer ? flow.clientAddress : flow.serverAddress
        packet.destination = toServer ? flow.serverAddress : flow.clientAddress
        packet.sourcePort = toServer ? flow.clientPort : flow.serverPort
        packet.destinationPort = toServer ? flow.serverPort : flow.clientPort
        packet.l4Protocol = IPProtocol.tcp
        packet.hasL4 = true
        // The flow's tags, as Suricata's pseudo packets copy the flow's `vlan_id` and `vlan_idx`.
        packet.vlanCount = flow.vlanCount
        packet.vlanIDs = flow.vlanIDs
        return packet
    }

    /// Whether the flow's TCP session got past the handshake (Suricata's `ssn->state >= TCP_ESTABLISHED`).
    static func wasEstablished(_ flow: Flow) -> Bool {
        switch flow.tcpState {
        case .none, .synSent, .synReceived: return false
        default: return true
        }
    }
}

/// A growable frame buffer for rewritten packets; the bytes stay valid until the next ``copy(_:packet:with:)``.
final class FrameScratch {
    private var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)

    deinit { self.storage.deallocate() }

    /// `frame` with the payload of `packet` replaced by `replacement` (clipped to the frame) and, for TCP, the
    /// checksum updated to match (RFC 1624), as Suricata's inline normalisation leaves a valid packet.
    func copy(_ frame: UnsafeRawBufferPointer, packet: Packet, with replacement: UnsafeRawBufferPointer)
        -> UnsafeRawBufferPointer
    {
        if self.storage.count < frame.count {
            self.storage.deallocate()
            self.storage = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count * 2, alignment: 8)
        }
        let out = UnsafeMutableRawBufferPointer(rebasing: self.storage[0..<frame.count])
        out.copyMemory(from: frame)
        let start = max(0, min(packet.payloadOffset, frame.count))
        let length = min(replacement.count, frame.count - start)
        guard length > 0 else { return UnsafeRawBufferPointer(out) }
        let oldSum = InternetChecksum.partialSum(frame, offset: start, length: length)
        UnsafeMutableRawBufferPointer(rebasing: out[start..<start + length])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: replacement[0..<length]))
        let field = packet.l4Offset + 16
        if packet.isTCP, packet.l4Offset >= 0, field + 2 <= frame.count, (start - packet.l4Offset) & 1 == 0 {
            // One's complement update in memory order: C' = ~(~C + ~old + new).
            let newSum = InternetChecksum.partialSum(UnsafeRawBufferPointer(out), offset: start, length: length)
            let checksum = out.loadUnaligned(fromByteOffset: field, as: UInt16.self)
            let sum = UInt64(~checksum) &+ UInt64(~InternetChecksum.fold(oldSum)) &+ newSum
            out.storeBytes(of: ~InternetChecksum.fold(sum), toByteOffset: field, as: UInt16.self)
        }
        return UnsafeRawBufferPointer(out)
    }
}
