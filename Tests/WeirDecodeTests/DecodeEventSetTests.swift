// SPDX-License-Identifier: MIT
import Testing
import WeirDecode

@Test func eventSetInsertsAndContains() {
    var set = DecodeEventSet()
    #expect(set.isEmpty)
    set.insert(.ipv4HlenTooSmall)
    #expect(set.contains(.ipv4HlenTooSmall))
    #expect(!set.contains(.ipv4PktTooSmall))
    #expect(set.elements == [.ipv4HlenTooSmall])
}
