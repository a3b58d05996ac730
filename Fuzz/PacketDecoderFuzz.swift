// SPDX-License-Identifier: MIT
// libFuzzer entry point for the packet decoder. Built by Fuzz/build.sh with the WeirDecode sources.
import WeirDecode


/// The first byte picks the link type (every one the decoder knows) and the checksum mode; the rest is the
/// frame. Decoding must not trap, and what it reports must lie inside the frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func packetDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let linkTypes: [LinkType] = [.null, .ethernet, .rawDLT12, .rawDLT14, .loop, .raw, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]
    let selector = data[0]
    let linkType = linkTypes[Int(selector & 0x0f) % linkTypes.count]
    let checksums: ChecksumValidation = selector & 0x10 != 0 ? .all : .none
    var decoder = PacketDecoder(linkType: linkType, checksums: checksums)
    var packet = Packet()
    let frame = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    packet.captureLength = frame.count
    packet.wireLength = frame.count
    decoder.decode(frame, into: &packet, checksumsVouched: selector & 0x20 != 0)
    if packet.payloadLength > 0 {
        precondition(packet.payloadOffset >= 0 && packet.payloadOffset + packet.payloadLength <= frame.count,
            "payload outside the frame")
    }
    var events = 0
    packet.events.forEach { _ in events += 1 }
    _ = decoder.statistics
    return events > 1_000 ? 1 : 0
}
