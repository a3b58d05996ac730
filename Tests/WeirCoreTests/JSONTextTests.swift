// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@Test func jsonTextEscapesQuotesBackslashesAndControlCharacters() {
    #expect(JSONText.quote("plain") == "\"plain\"")
    #expect(JSONText.quote("a\"b\\c") == "\"a\\\"b\\\\c\"")
    #expect(JSONText.quote("l1\nl2\t\r") == "\"l1\\nl2\\t\\r\"")
    #expect(JSONText.quote("\u{01}\u{1f}") == "\"\\u0001\\u001f\"")
    #expect(JSONText.quote("é€") == "\"é€\"")
}
