// SPDX-License-Identifier: MIT
import Testing

@testable import WeirAppLayer

/// The address in an `X-Forwarded-For` value, as Suricata's `xff` option reads it.
@Suite struct ForwardedForTests {
    func address(_ value: String, _ deployment: ForwardedFor.Deployment) -> String? {
        Array(value.utf8).withUnsafeBytes { ForwardedFor.address(in: $0, deployment: deployment) }
    }

    @Test func eachDeploymentTakesItsEndOfTheChain() {
        // A reverse proxy appends the address it saw last; a forward deployment trusts the first.
        #expect(self.address("192.0.2.7, 198.51.100.9", .reverse) == "198.51.100.9")
        #expect(self.address("192.0.2.7, 198.51.100.9", .forward) == "192.0.2.7")
        #expect(self.address("192.0.2.7", .reverse) == "192.0.2.7")
    }

    @Test func portsAndBracketsAreLeftOut() {
        #expect(self.address("192.0.2.7:8080", .forward) == "192.0.2.7")
        #expect(self.address("[2001:db8::1]:443", .forward) == "2001:db8::1")
        #expect(self.address("2001:db8::1", .reverse) == "2001:db8::1")
        #expect(self.address("[2001:db8::1", .forward) == nil)
    }

    @Test func onlyAddressesOfAPlausibleLengthCount() {
        #expect(self.address("unknown", .forward) == nil)
        #expect(self.address("1.2.3.4", .forward) == "1.2.3.4")
        #expect(self.address("::1", .forward) == nil)  // shorter than Suricata's 7-byte minimum
        let long = Array(repeating: "192.0.2.1", count: 26).joined(separator: ", ")
        #expect(long.utf8.count >= 256 && self.address(long, .forward) == nil)
    }
}
