// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// Inspects one established-looking TCP data packet (`sport` → `dport`) through `context`, with `chunk` as a
/// reassembled stream chunk when given and `stream` as the stream engine's facts; returns the alerts.
func inspectTCPPacket(
    _ context: DetectContext, sport: UInt16 = 40000, dport: UInt16 = 80, payload: String, chunk: String?,
    stream: StreamPacketInfo?
) -> [Alert] {
    let f = FrameBuilder()
    var table = FlowTable()
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    let frame = f.tcp(sport: sport, dport: dport, flags: 0x18, seq: 101, ack: 501, payload: Array(payload.utf8))
    let chunkBytes = Array((chunk ?? "").utf8)
    var alerts: [Alert] = []
    frame.withUnsafeBytes { bytes in
        chunkBytes.withUnsafeBytes { chunkBuffer in
            var packet = Packet()
            decoder.decode(bytes, into: &packet)
            let handle = table.process(packet) { _, _ in }
            let buffers = chunk == nil ? [] : [InspectionBuffer(bytes: chunkBuffer, kind: .streamChunk(streamOffset: 0))]
            _ = context.inspect(
                packet: packet, frame: bytes, flow: handle.map { table[$0.slot] }, handle: handle, buffers: buffers,
                stream: stream, alerts: &alerts)
        }
    }
    return alerts
}
