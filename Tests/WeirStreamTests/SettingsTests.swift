// SPDX-License-Identifier: MIT
import Testing
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
