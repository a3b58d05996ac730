// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// A rule reload mid-flow: the new engine's context takes the old one's state (`DetectContext.adopt`), so
/// flows go on where they were even though the two engines number their signatures and variables apart.
@Suite struct ReloadStateTests {
    let f = FrameBuilder()

    /// One flow table and decoder across engine swaps, as a live worker keeps them.
    final class Harness {
        var context: DetectContext
        var table = FlowTable()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var number: UInt64 = 0
        var seconds: Int64 = 1_000

        init(_ rules: String) throws { self.context = try Self.engine(rules).makeContext() }

        static func engine(_ rules: String) throws -> DetectEngine {
            let loaded = RuleFileLoader().load(text: rules)
            #expect(loaded.errors.isEmpty, "\(loaded.errors)")
            return try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        }

        /// Swaps in an engine built from `rules`, carrying the state over.
        func reload(_ rules: String) throws {
            let fresh = try Self.engine(rules).makeContext()
            fresh.adopt(from: self.context)
            self.context = fresh
        }

        @discardableResult
        func feed(_ frame: [UInt8]) -> [UInt32] {
            self.number += 1
            self.seconds += 1
            var packet = Packet()
            packet.timestamp = Timestamp(seconds: self.seconds, microseconds: 0)
            packet.captureLength = frame.count
            packet.wireLength = frame.count
            packet.packetNumber = self.number
            var alerts: [Alert] = []
            frame.withUnsafeBytes { bytes in
                self.decoder.decode(bytes, into: &packet)
                let handle = self.table.process(packet) { _, _ in }
                let flow = handle.map { self.table[$0.slot] }
                _ = self.context.inspect(packet: packet, frame: bytes, flow: flow, handle: handle, alerts: &alerts)
            }
            return alerts.map(\.sid)
        }
    }

    func udp(_ text: String, sport: UInt16 = 5) -> [UInt8] {
        self.f.udp(sport: sport, dport: 6, payload: Array(text.utf8))
    }

    @Test func flowbitsAndFlowintsFollowTheirNamesToTheNewEngine() throws {
        let h = try Harness(
            """
            alert udp any any -> any any (content:"set"; flowbits:set,a; flowint:n,=,7; noalert; sid:1;)
            alert udp any any -> any any (content:"setb"; flowbits:set,b; noalert; sid:2;)
            """)
        h.feed(self.udp("set"))
        // The new engine interns other names first: `a` and `n` get other ids than before.
        try h.reload(
            """
            alert udp any any -> any any (content:"z"; flowbits:set,zz; flowbits:set,yy; flowint:m,=,1; noalert; sid:3;)
            alert udp any any -> any any (content:"chk"; flowbits:isset,a; sid:10;)
            alert udp any any -> any any (content:"chk"; flowbits:isset,b; sid:11;)
            alert udp any any -> any any (content:"chk"; flowbits:isset,zz; sid:12;)
            alert udp any any -> any any (content:"chk"; flowint:n,==,7; sid:13;)
            """)
        #expect(Set(h.feed(self.udp("chk"))) == [10, 13])
        // Another flow had none of it.
        #expect(h.feed(self.udp("chk", sport: 9)) == [])
    }

    @Test func thresholdWindowsStayWithTheirSid() throws {
        let limited =
            #"alert udp any any -> any any (content:"x"; threshold:type limit, track by_src, count 1, seconds 600; sid:5;)"#
        let h = try Harness(limited)
        #expect(h.feed(self.udp("x")) == [5])
        #expect(h.feed(self.udp("x")) == [])
        // sid 5 now sits behind other signatures; its window (one alert in 600 s) carries over. A new sid has
        // a window of its own.
        try h.reload(
            """
            alert udp any any -> any any (content:"other"; sid:4;)
            alert udp any any -> any any (content:"x"; threshold:type limit, track by_src, count 1, seconds 600; sid:6;)
            \(limited)
            """)
        #expect(h.feed(self.udp("x")) == [6])
        #expect(h.feed(self.udp("x")) == [])
        #expect(h.context.counters.alerts == 2, "the counters carry on across the swap")
    }

    @Test func transactionStateIsResetForTheNewRules() {
        var state = TransactionDetectState()
        state.matched = [3, 4]
        state.inspectedProgressToServer = 2
        state.inspectedProgressToClient = 1
        state.reset()
        #expect(state.matched.isEmpty)
        #expect(state.inspectedProgressToServer == -1 && state.inspectedProgressToClient == -1)
    }
}
