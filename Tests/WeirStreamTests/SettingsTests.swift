// SPDX-License-Identifier: MIT
import Testing
import WeirCore
@testable import WeirStream

@Test func suricataStreamSettingsApply() throws {
    var s = StreamSettings()
    try s.set("stream.reassembly.depth", "2mb")
    try s.set("stream.memcap", "64mb")
    try s.set("stream.reassembly.memcap", "1gb")
    try s.set("stream.reassembly.toserver-chunk-size", "4096")
    try s.set("stream.midstream", "true")
    try s.set("stream.async-oneside", "yes")
    try s.set("stream.checksum-validation", "no")
    try s.set("host-os-policy.default", "windows")
    try s.set("stream.inline", "auto", ipsMode: true)
    #expect(s.reassemblyDepth == 2 << 20)
    #expect(s.memcap == 64 << 20)
    #expect(s.reassemblyMemcap == 1 << 30)
    #expect(s.toServerChunkSize == 4096)
    #expect(s.midstream && s.asyncOneside && s.inline && !s.checksumValidation)
    #expect(s.overlapPolicy == .windows)
    try s.set("stream.inline", "auto", ipsMode: false)
    #expect(!s.inline)
}

@Test func badStreamSettingsAreRefusedWithTheKey() {
    var s = StreamSettings()
    #expect(throws: StreamSettingError.self) { try s.set("stream.reassembly.depth", "lots") }
    #expect(throws: StreamSettingError.self) { try s.set("stream.midstream", "maybe") }
    #expect(throws: StreamSettingError.self) { try s.set("stream.bogus", "1") }
    do {
        try s.set("host-os-policy.default", "beos")
        Issue.record("accepted an unknown policy")
    } catch {
        #expect(error.key == "host-os-policy.default")
        #expect(error.description.contains("beos"))
    }
    #expect(s == StreamSettings())
    #expect(StreamSettings.parseSize("0") == 0)
    #expect(StreamSettings.parseSize(" 12 kb ") == 12_288)
    #expect(StreamSettings.parseSize("99999999999999gb") == nil)
}

@Test func hostOSPolicyPicksTheReceiversPolicyByLongestPrefix() throws {
    var s = StreamSettings()
    try s.set("host-os-policy.windows", "[10.0.0.0/8, 2001:db8::/32]")
    try s.set("host-os-policy.linux", "[10.1.0.0/16]")
    #expect(s.overlapPolicy(forReceiver: try #require(IPAddress("10.2.3.4"))) == .windows)
    #expect(s.overlapPolicy(forReceiver: try #require(IPAddress("10.1.3.4"))) == .linux)
    #expect(s.overlapPolicy(forReceiver: try #require(IPAddress("192.168.1.1"))) == .bsd)
    #expect(s.overlapPolicy(forReceiver: try #require(IPAddress("2001:db8::1"))) == .windows)
    #expect(s.overlapPolicy(forReceiver: try #require(IPAddress("2001:db9::1"))) == .bsd)
    #expect(throws: StreamSettingError.self) { try s.set("host-os-policy.linux", "[10.0.0.300/8]") }
}

@Test func sessionUsesEachReceiversPolicy() throws {
    // The server (10.0.0.2) is "last" (new data wins); the client keeps the default BSD.
    var settings = StreamSettings()
    try settings.set("host-os-policy.last", "[10.0.0.2]")
    let h = Harness(settings)
    h.source = try #require(IPAddress("10.0.0.1"))
    h.destination = try #require(IPAddress("10.0.0.2"))
    h.handshake()
    #expect(h.session.clientStreamPolicy == .last)
    #expect(h.session.serverStreamPolicy == .bsd)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "aaaa".bytes)
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "bbbb".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1005, payload: "cccc".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1005, payload: "dddd".bytes)
    h.finish()
    #expect(h.appBytes(toServer: true).text == "bbbb")
    #expect(h.appBytes(toServer: false).text == "cccc")
}
