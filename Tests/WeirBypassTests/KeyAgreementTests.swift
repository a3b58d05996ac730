// SPDX-License-Identifier: MIT
import Testing
import WeirBypass
import WeirDecode
import WeirFlow

/// Decodes a frame with the user-space decoder, as the capture path will.
func decodeFrame(_ frame: [UInt8]) -> Packet {
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    var packet = Packet()
    packet.captureLength = frame.count
    packet.wireLength = frame.count
    frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
    return packet
}

/// User space and the kernel must agree on every frame: the key user space derives (Swift decoder →
/// FlowKey → ABI key) is the one the kernel hits, and frames the kernel passes without a lookup are frames
/// user space refuses to bypass. Otherwise a bypass entry is either never hit (a leak, Suricata's #9) or
/// hits a flow nobody chose.
@Suite("Key agreement between the Swift decoder and the kernel parser")
struct KeyAgreementTests {
    @Test("the decoder's key is the kernel's key", arguments: ProgramFixtureTests.kinds, fixtures)
    func agreement(kind: BypassDataPlane.Kind, fixture: Fixture) throws {
        let packet = decodeFrame(fixture.frame)
        let derived = fixture.frame.withUnsafeBytes { FlowKey.abiKey(for: packet, frame: $0) }
        guard let expected = fixture.flow else {
            // The kernel passes this frame without a flow lookup: user space must not offer a key for it.
            #expect(derived == nil, "\(fixture.name): user space would insert a key the kernel never hits")
            return
        }
        let (key, direction) = try #require(derived, "\(fixture.name): decoder refused a bypassable frame")
        #expect(FlowKey(abi: key) == expected, "\(fixture.name)")
        #expect(direction == fixture.direction, "\(fixture.name)")

        // Insert exactly the derived key and watch the kernel hit it, in the derived direction.
        let plane = try freshPlane(kind)
        let table = plane.table()
        try table.insert(FlowKey(abi: key), action: .bypass)
        #expect(try run(plane, fixture.frame) == .dropped, "\(fixture.name)")
        let entry = try #require(table.entry(for: FlowKey(abi: key)))
        let counted = direction == 0 ? entry.packetsFirstToSecond : entry.packetsSecondToFirst
        #expect(counted == 1, "\(fixture.name): direction")
        // Without the frame the answer is the same or, for long extension chains, a conservative refusal.
        if let withoutFrame = FlowKey.abiKey(for: packet) { #expect(FlowKey(abi: withoutFrame.key) == expected) }
        // The flow table path (FlowKey.make) names the same flow.
        #expect(FlowKey.make(for: packet).key.abiKey.map { FlowKey(abi: $0) } == expected)
    }
}
