// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// Rule values multiplied into microseconds used to trap when large (issue 15, point 1: no trapping
/// arithmetic on input-derived values). They now saturate: the bit or the window lasts "for ever".
@Suite struct HostileValueTests {
    let f = FrameBuilder()

    @Test func hugeXbitsExpireSaturates() throws {
        let h = try EngineHarness(
            """
            alert udp any any -> any 1 (xbits:set,big,track ip_src,expire 9223372036854775807; sid:1;)
            alert udp any any -> any 2 (xbits:isset,big,track ip_src; sid:2;)
            """
        )
        #expect(h.feed(f.udp(sport: 9, dport: 1, payload: [1])) == [1])
        #expect(h.feed(f.udp(sport: 9, dport: 2, payload: [1]), advance: 1_000_000_000) == [2])
    }

    @Test func hugeThresholdAndRateFilterWindowsSaturate() throws {
        var settings = DetectSettings()
        settings.thresholdConfig = try ThresholdConfig(
            text: "rate_filter gen_id 1, sig_id 2, track by_src, count 1, seconds 9223372036854775807, "
                + "new_action drop, timeout 9223372036854775807\n")
        let h = try EngineHarness(
            """
            alert udp any any -> any 1 (threshold:type limit, track by_src, count 1, seconds 4294967295; sid:1;)
            alert udp any any -> any 2 (sid:2;)
            """, settings: settings)
        #expect(h.feed(f.udp(sport: 9, dport: 1, payload: [1])) == [1])
        #expect(h.feed(f.udp(sport: 9, dport: 1, payload: [1]), advance: 1_000_000) == [])
        for _ in 0..<3 { h.feed(f.udp(sport: 9, dport: 2, payload: [1]), advance: 1_000_000_000) }
    }
}
