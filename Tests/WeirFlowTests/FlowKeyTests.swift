// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

@Suite struct FlowKeyTests {
    func tcp(_ s: String, _ sp: UInt16, _ d: String, _ dp: UInt16) -> Packet {
        var p = Packet()
        p.ipVersion = 4
        p.source = IPAddress(s)!
        p.destination = IPAddress(d)!
        p.l4Protocol = IPProtocol.tcp
        p.hasL4 = true
        p.sourcePort = sp
        p.destinationPort = dp
        return p
    }

    @Test func bothDirectionsGiveOneKey() {
        let a = FlowKey.make(for: tcp("10.0.0.2", 40000, "10.0.0.1", 80))
        let b = FlowKey.make(for: tcp("10.0.0.1", 80, "10.0.0.2", 40000))
        #expect(a.key == b.key)
        #expect(a.sourceIsFirst != b.sourceIsFirst)
        #expect(a.key.firstAddress == IPAddress("10.0.0.1"))
        #expect(a.key.firstPort == 80)
    }

    @Test func sameAddressOrdersByPort() {
        let a = FlowKey.make(for: tcp("10.0.0.1", 9000, "10.0.0.1", 80))
        #expect(!a.sourceIsFirst)
        #expect(a.key.firstPort == 80)
    }

    @Test func vlanIdsSeparateFlows() {
        var p = tcp("10.0.0.1", 1, "10.0.0.2", 2)
        let untagged = FlowKey.make(for: p).key
        p.vlanCount = 1
        p.vlanIDs = (100, 0, 0)
        #expect(FlowKey.make(for: p).key != untagged)
        #expect(FlowKey.make(for: p).key.vlan0 == 100)
    }
}
