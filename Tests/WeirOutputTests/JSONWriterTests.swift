// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirOutput

@Suite struct JSONWriterTests {
    @Test func commasAndNesting() {
        let w = JSONWriter()
        w.beginObject()
        w.field("a", UInt64(1))
        w.beginArray("list")
        w.unsigned(1)
        w.string("two")
        w.beginObject()
        w.endObject()
        w.beginArray()
        w.endArray()
        w.null()
        w.endArray()
        w.beginObject("inner")
        w.field("t", true)
        w.field("f", false)
        w.endObject()
        w.field("n", Int64(-5))
        w.endObject()
        #expect(w.text == #"{"a":1,"list":[1,"two",{},[],null],"inner":{"t":true,"f":false},"n":-5}"#)
    }

    @Test func resetKeepsCapacityAndStartsFresh() {
        let w = JSONWriter(capacity: 16)
        w.beginObject()
        w.field("key", String(repeating: "a fairly long string value that grows the buffer ", count: 4))
        w.endObject()
        let capacity = w.capacity
        #expect(capacity >= w.count && capacity > 64)
        w.reset()
        #expect(w.bytes.isEmpty && w.count == 0)
        #expect(w.capacity == capacity)
        w.beginObject()
        w.endObject()
        #expect(w.text == "{}")
    }

    @Test func linesDoNotGetCommas() {
        let w = JSONWriter()
        w.beginObject()
        w.endObject()
        w.endLine()
        w.beginObject()
        w.endObject()
        w.endLine()
        #expect(w.text == "{}\n{}\n")
    }

    @Test func stringEscaping() {
        let w = JSONWriter()
        // A String value (a literal would be a StaticString, which must need no escaping).
        let value: String = "a\"b\\c/d\n\r\t\u{08}\u{0c}\u{01}\u{1f}\u{7f}é€😀"
        w.string(value)
        #expect(w.text == #""a\"b\\c/d\n\r\t\b\f\u0001\u001f"# + "\u{7f}é€😀\"")
    }

    @Test func escapedKeys() {
        let w = JSONWriter()
        w.beginObject()
        let key: String = "we\"ird"
        w.key(key)
        w.unsigned(1)
        w.endObject()
        #expect(w.text == #"{"we\"ird":1}"#)
    }

    static let byteStringCases: [([UInt8], String)] = [
        (Array("plain".utf8), #""plain""#),
        ([0x41, 0xff, 0x42], #""A\\xffB""#),
        ([0xc3, 0xa9], "\"é\""),
        // Overlong NUL, a lone surrogate, a truncated sequence: not UTF-8, so every high byte is \xNN.
        ([0xc0, 0x80], #""\\xc0\\x80""#),
        ([0xed, 0xa0, 0x80, 0x22], #""\\xed\\xa0\\x80\"""#),
        ([0x61, 0xe2, 0x82], #""a\\xe2\\x82""#),
        ([0xc3, 0xa9, 0x0a, 0xfe], #""\\xc3\\xa9\n\\xfe""#),
        ([0xf4, 0x90, 0x80, 0x80], #""\\xf4\\x90\\x80\\x80""#),
        ([0xf0, 0x9f, 0x98, 0x80], "\"😀\""),
    ]

    @Test(arguments: byteStringCases)
    func byteStrings(bytes: [UInt8], json: String) {
        let w = JSONWriter()
        bytes.withUnsafeBytes { w.string(bytes: $0) }
        #expect(w.text == json)
    }

    static let integerCases: [(Int64, String)] = [
        (0, "0"), (7, "7"), (10, "10"), (-1, "-1"), (1_234_567_890, "1234567890"),
        (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808"),
    ]

    @Test(arguments: integerCases)
    func integers(value: Int64, text: String) {
        let w = JSONWriter()
        w.integer(value)
        #expect(w.text == text)
    }

    @Test func largeUnsigned() {
        let w = JSONWriter()
        w.beginArray()
        w.unsigned(UInt64.max)
        w.unsigned(1 << 63)
        w.unsigned(9)
        w.endArray()
        #expect(w.text == "[18446744073709551615,9223372036854775808,9]")
    }

    @Test func doubles() {
        let w = JSONWriter()
        w.beginArray()
        w.double(1.5)
        w.double(3)
        w.double(-0.25)
        w.double(.nan)
        w.double(.infinity)
        w.endArray()
        #expect(w.text == "[1.5,3.0,-0.25,null,null]")
    }

    @Test func rawFragments() {
        let w = JSONWriter()
        w.beginObject()
        w.key("metadata")
        w.raw(Array(#"{"k":["v"]}"#.utf8))
        w.field("x", UInt64(1))
        w.endObject()
        #expect(w.text == #"{"metadata":{"k":["v"]},"x":1}"#)
    }

    @Test func hexAndPrintable() {
        let w = JSONWriter()
        w.beginArray()
        w.hexString(0x1b)
        w.hexString(0x02)
        [UInt8]([0x47, 0x45, 0x54, 0x20, 0x2f, 0x0d, 0x0a, 0x00, 0x22, 0xff, 0x09]).withUnsafeBytes {
            w.printableString($0)
        }
        w.endArray()
        #expect(w.text == #"["1b","02","GET /\r\n.\".."]"#)
    }

    static let timestampCases: [(Int64, String)] = [
        (1_700_000_000_123_456, "2023-11-14T22:13:20.123456+0000"),
        (0, "1970-01-01T00:00:00.000000+0000"),
        (1_709_251_199_999_999, "2024-02-29T23:59:59.999999+0000"),
        (946_684_799_000_001, "1999-12-31T23:59:59.000001+0000"),
        (4_102_444_800_000_000, "2100-01-01T00:00:00.000000+0000"),
    ]

    @Test(arguments: timestampCases)
    func timestamps(microseconds: Int64, text: String) {
        let w = JSONWriter()
        w.timestamp(Timestamp(microseconds: microseconds))
        #expect(w.text == "\"\(text)\"")
        #expect(Timestamp(microseconds: microseconds).eveString == text)
    }

    @Test func timestampCacheFollowsSecondChanges() {
        let w = JSONWriter()
        var state: UInt64 = 0x1234_5678
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Mostly nearby seconds, so the cache is both hit and missed.
            let micros = 1_700_000_000_000_000 + Int64(state >> 40) * 997
            w.reset()
            w.timestamp(Timestamp(microseconds: micros))
            #expect(w.text == "\"\(Timestamp(microseconds: micros).eveString)\"")
        }
    }

    @Test func addresses() throws {
        let w = JSONWriter()
        w.beginArray()
        w.ipAddress(IPAddress(v4: 0x0a00_0001))
        w.ipAddress(IPAddress(v4: 0xffff_ffff))
        w.ipAddress(IPAddress(v4: 0))
        w.ipAddress(try #require(IPAddress("2001:db8::1")))
        w.endArray()
        #expect(w.text == #"["10.0.0.1","255.255.255.255","0.0.0.0","2001:0db8:0000:0000:0000:0000:0000:0001"]"#)
    }
}

@Suite struct Base64Tests {
    static let rfc4648Vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: rfc4648Vectors)
    func rfc4648(input: String, output: String) {
        #expect(Base64.encode(Array(input.utf8)) == output)
    }

    @Test func allByteValues() {
        let bytes = (0...255).map { UInt8($0) }
        let encoded = Base64.encode(bytes)
        #expect(encoded.count == 344)
        #expect(
            encoded.hasPrefix(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BB"
            )
        )
        #expect(encoded.hasSuffix("+/w=="))
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
    }

    /// Escaping against a byte-by-byte reference, for every length up to 24 (the short-value path covers 1
    /// to 16 bytes with overlapping words) and every position of each byte that needs an escape, and of
    /// neighbours that must not be escaped (`!`, `#`, `[`, `]`, DEL, multi-byte UTF-8).
    @Test func escapingAtEveryLengthAndPosition() {
        func reference(_ bytes: [UInt8]) -> String {
            var out = "\""
            for byte in bytes {
                switch byte {
                case 0x22: out += "\\\""
                case 0x5c: out += "\\\\"
                case 0x0a: out += "\\n"
                case 0x0d: out += "\\r"
                case 0x09: out += "\\t"
                case 0x08: out += "\\b"
                case 0x0c: out += "\\f"
                case ..<0x20:
                    let hex = Array("0123456789abcdef")
                    out += "\\u00" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xf)])
                default: out += String(decoding: [byte], as: UTF8.self)
                }
            }
            return out + "\""
        }
        let specials: [UInt8] = [0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x22, 0x5c]
        let neighbours: [UInt8] = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f]
        let w = JSONWriter()
        for length in 1...24 {
            for position in 0..<length {
                for byte in specials + neighbours {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let text = String(decoding: bytes, as: UTF8.self)
                    w.reset()
                    w.string(text)
                    #expect(w.text == reference(bytes), "length \(length) position \(position) byte \(byte)")
                    w.reset()
                    bytes.withUnsafeBytes { w.string(bytes: $0) }
                    #expect(w.text == reference(bytes), "bytes: length \(length) position \(position) byte \(byte)")
                }
            }
            // Multi-byte UTF-8 passes through unescaped.
            let accented = String(repeating: "\u{e9}", count: length)
            w.reset()
            w.string(accented)
            #expect(w.text == "\"" + accented + "\"")
            w.reset()
            Array(accented.utf8).withUnsafeBytes { w.string(bytes: $0) }
            #expect(w.text == "\"" + accented + "\"")
        }
    }
}
