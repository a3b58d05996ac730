// SPDX-License-Identifier: MIT
// libFuzzer entry point for the TCP stream engine: sequences of segments through decode, the flow table and
// reassembly. Built by Fuzz/build.sh with the WeirDecode, WeirFlow and WeirStream sources.
import WeirCore
import WeirDecode
import WeirFlow
import WeirStream


/// Byte 0 picks the settings (midstream, async-oneside, inline, overlap policy, small memcaps and depth).
/// Then each segment is 8 header bytes and its payload: TCP flags; bit 0 of the direction byte (client to
/// server or back), bit 1 "repeat the previous sequence number"; a 16-bit sequence delta; a 16-bit
/// acknowledgement delta; the window; the payload length (up to 255, cut at the input's end).
@_cdecl("LLVMFuzzerTestOneInput")
public func streamEngineFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let mode = input[0]
    let policies: [OverlapPolicy] = [.bsd, .linux, .oldLinux, .solaris, .windows, .first, .vista, .macos]
    var settings = StreamSettings(
        reassemblyMemcap: mode & 0x08 != 0 ? 64 << 10 : 256 << 20,
        reassemblyDepth: mode & 0x08 != 0 ? 4096 : 1 << 20,
        midstream: mode & 0x01 != 0, asyncOneside: mode & 0x02 != 0, inline: mode & 0x04 != 0,
        checksumValidation: false, overlapPolicy: policies[Int(mode >> 4) & 7],
        checkOverlapDifferentData: mode & 0x80 != 0)
    settings.memcap = mode & 0x08 != 0 ? 2048 : 64 << 20
    var table = FlowTable(settings: FlowSettings(maxFlows: 64, hashSize: 16, midstream: settings.midstream))
    let engine = StreamEngine(settings: settings)
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    var packet = Packet()
    var sequence: [UInt32] = [1000, 90_000]
    var acknowledgement: [UInt32] = [90_000, 1000]
    var offset = 1
    var time: Int64 = 1_700_000_000_000_000
    while offset + 8 <= input.count {
        let flags = input[offset]
        let direction = Int(input[offset + 1] & 1)
        let repeatSequence = input[offset + 1] & 2 != 0
        let sequenceDelta = UInt32(input[offset + 2]) << 8 | UInt32(input[offset + 3])
        let ackDelta = UInt32(input[offset + 4]) << 8 | UInt32(input[offset + 5])
        let window = UInt16(input[offset + 6]) << 8
        let length = min(Int(input[offset + 7]), input.count - offset - 8)
        let payload = Array(input[(offset + 8)..<(offset + 8 + length)])
        offset += 8 + length
        if !repeatSequence { sequence[direction] &+= sequenceDelta }
        acknowledgement[direction] &+= ackDelta
        let frame = tcpFrame(
            toServer: direction == 0, flags: flags, seq: sequence[direction], ack: acknowledgement[direction],
            window: window, payload: payload)
        time += 1_000
        frame.withUnsafeBytes { bytes in
            packet.reset()
            packet.timestamp = Timestamp(microseconds: time)
            packet.captureLength = bytes.count
            packet.wireLength = bytes.count
            decoder.decode(bytes, into: &packet)
            guard let handle = table.process(packet, emit: { _, _ in }), packet.isTCP else { return }
            let result = engine.handle(packet, flow: handle, flowID: table[handle.slot].flowID, frame: bytes)
            var seen = 0
            if result.rawChunkCount > 0 { for chunk in engine.rawChunks { seen += chunk.block.length } }
            for chunk in engine.appLayerChunks { seen += chunk.block.length }
            precondition(seen >= 0)
        }
    }
    for slot in 0..<engine.slotCount where engine.hasSession(slot: slot) {
        engine.endFlow(slot: slot) { session in _ = session.rawChunks.count }
    }
    return 0
}

/// Ethernet/IPv4/TCP between 10.0.0.1:40000 (client) and 10.0.0.2:80.
private func tcpFrame(toServer: Bool, flags: UInt8, seq: UInt32, ack: UInt32, window: UInt16, payload: [UInt8])
    -> [UInt8]
{
    let client: [UInt8] = [10, 0, 0, 1]
    let server: [UInt8] = [10, 0, 0, 2]
    let (source, destination) = toServer ? (client, server) : (server, client)
    let (sport, dport): (UInt16, UInt16) = toServer ? (40000, 80) : (80, 40000)
    let total = 40 + payload.count
    var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
    frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0, 64, 6, 0, 0] + source + destination
    frame += [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)]
    frame += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xff), UInt8(seq >> 8 & 0xff), UInt8(seq & 0xff)]
    frame += [UInt8(ack >> 24), UInt8(ack >> 16 & 0xff), UInt8(ack >> 8 & 0xff), UInt8(ack & 0xff)]
    frame += [0x50, flags, UInt8(window >> 8), UInt8(window & 0xff), 0, 0, 0, 0]
    return frame + payload
}
