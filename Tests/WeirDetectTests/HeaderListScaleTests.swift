// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDetect

/// Issue 15, point 5: address and port lists resolve in linear time (one normalisation, a merge-pass
/// subtraction) and give the same sets as before. Checked against a brute-force model; the time is measured
/// by the 60,000-address rule in the report, not here.
@Suite struct HeaderListScaleTests {
    @Test func portSubtractionMatchesAModel() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            func randomSet() -> (PortSet, Set<UInt16>) {
                var ranges: [ClosedRange<UInt16>] = []
                var model = Set<UInt16>()
                for _ in 0..<Int.random(in: 0...6, using: &rng) {
                    let low = UInt16.random(in: 0...250, using: &rng)
                    let high = low + UInt16.random(in: 0...20, using: &rng)
                    ranges.append(low...high)
                    model.formUnion(low...high)
                }
                if Bool.random(using: &rng) {
                    ranges.append(65530...65535)
                    model.formUnion(65530...65535)
                }
                return (PortSet(ranges: ranges), model)
            }
            let (a, ma) = randomSet()
            let (b, mb) = randomSet()
            let difference = a.subtracting(b)
            let expected = ma.subtracting(mb)
            for port in Array(0...300) + Array(65500...65535) {
                #expect(difference.contains(UInt16(port)) == expected.contains(UInt16(port)))
            }
            #expect(difference == PortSet(ranges: difference.ranges))
        }
    }

    @Test func addressSubtractionMatchesAModel() throws {
        var rng = SystemRandomNumberGenerator()
        func address(_ n: UInt32) -> IPAddress { IPAddress(v4: 0x0A00_0000 | n) }
        for _ in 0..<300 {
            func randomSet() -> (AddressSet, Set<UInt32>) {
                var ranges: [IPRange] = []
                var model = Set<UInt32>()
                for _ in 0..<Int.random(in: 0...6, using: &rng) {
                    let low = UInt32.random(in: 0...250, using: &rng)
                    let high = low + UInt32.random(in: 0...20, using: &rng)
                    ranges.append(IPRange(lower: address(low), upper: address(high)))
                    model.formUnion(low...high)
                }
                if Bool.random(using: &rng) {
                    ranges.append(IPRange(lower: IPAddress("2001:db8::")!, upper: IPAddress("2001:db8::ff")!))
                }
                return (AddressSet(ranges: ranges), model)
            }
            let (a, ma) = randomSet()
            let (b, mb) = randomSet()
            let difference = a.subtracting(b)
            let expected = ma.subtracting(mb)
            for n in UInt32(0)...300 { #expect(difference.contains(address(n)) == expected.contains(n)) }
            #expect(!difference.contains(IPAddress("2001:db8::1")!) || !b.contains(IPAddress("2001:db8::1")!))
        }
    }

    /// A list of 20,000 scattered addresses with a negation resolves to what it says.
    @Test func longListsResolve() throws {
        var items: [String] = []
        for i in stride(from: 0, to: 40_000, by: 2) { items.append("10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)") }
        items.reverse()
        let spec = try AddressSpec.parse(Substring("[" + items.joined(separator: ",") + ",!10.0.0.4]"), offset: 0)
        let set = try spec.resolve(in: RuleVariables())
        #expect(set.ranges.count == 19_999)
        #expect(set.contains(IPAddress("10.0.0.2")!) && !set.contains(IPAddress("10.0.0.4")!))
        #expect(!set.contains(IPAddress("10.0.0.3")!))
        let ports = try PortSpec.parse(Substring("[" + (1...30_000).reversed().map(String.init).joined(separator: ",") + ",!80]"), offset: 0)
            .resolve(in: RuleVariables())
        #expect(ports.ranges == [1...79, 81...30_000])
    }
}

/// Issue 15, point 5: rule files are read with a size bound, so an endless file ends the read.
@Suite struct RuleFileBoundTests {
    @Test func endlessOrHugeFilesAreUnreadable() {
        #expect(RuleFileReader.readFile("/dev/zero", limit: 1 << 20) == nil)
        #expect(RuleFileReader.readFile("/dev/null")?.isEmpty == true)
        let set = RuleFileLoader().load(paths: ["/dev/zero"])
        #expect(set.unreadableFiles == ["/dev/zero"])
        #expect(set.rules.isEmpty)
    }
}
