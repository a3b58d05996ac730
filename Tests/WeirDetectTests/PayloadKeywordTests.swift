// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// Runs `steps` over `text` (or raw `bytes`) with fresh scratch.
func payloadMatches(_ steps: [PayloadStep], _ text: String) -> Bool {
    payloadMatches(steps, bytes: Array(text.utf8))
}

func payloadMatches(_ steps: [PayloadStep], bytes: [UInt8]) -> Bool {
    var scratch = PayloadScratch()
    let program = PayloadProgram(steps: steps)
    return bytes.withUnsafeBytes { program.matches($0, scratch: &scratch) }
}

func content(
    _ text: String,
    nocase: Bool = false,
    negated: Bool = false,
    offset: Int? = nil,
    depth: Int? = nil,
    distance: Int? = nil,
    within: Int? = nil,
    endsWith: Bool = false
) -> PayloadStep {
    var c = ContentStep(pattern: Array(text.utf8), nocase: nocase, negated: negated)
    c.offset = offset.map { .literal(Int64($0)) }
    c.depth = depth.map { .literal(Int64($0)) }
    c.distance = distance.map { .literal(Int64($0)) }
    c.within = within.map { .literal(Int64($0)) }
    c.endsWith = endsWith
    return .content(c)
}

func pcre(_ pattern: String, options: CompiledRegex.Options = [], relative: Bool = false, negated: Bool = false)
    -> PayloadStep
{
    // Tests only: a pattern that fails to compile is a test bug.
    let regex = try! CompiledRegex(pattern: pattern, options: options)
    return .pcre(PCREStep(regex: regex, negated: negated, relative: relative))
}

@Suite struct ContentTests {
    @Test func plainAndNocase() {
        #expect(payloadMatches([content("GET")], "GET / HTTP/1.1"))
        #expect(!payloadMatches([content("get")], "GET / HTTP/1.1"))
        #expect(payloadMatches([content("get", nocase: true)], "GET / HTTP/1.1"))
        #expect(payloadMatches([content("hTtP/1", nocase: true)], "GET / HTTP/1.1"))
    }

    @Test func binaryWithNUL() {
        #expect(payloadMatches([.content(ContentStep(pattern: [0x00, 0xFF, 0x00]))], bytes: [1, 0, 0xFF, 0, 2]))
        #expect(!payloadMatches([.content(ContentStep(pattern: [0x00, 0xFE]))], bytes: [1, 0, 0xFF, 0, 2]))
    }

    @Test func offsetAndDepth() {
        // "abcdef": "cd" at 2..<4.
        #expect(payloadMatches([content("cd", offset: 2)], "abcdef"))
        #expect(!payloadMatches([content("cd", offset: 3)], "abcdef"))
        #expect(payloadMatches([content("cd", depth: 4)], "abcdef"))
        #expect(!payloadMatches([content("cd", depth: 3)], "abcdef"))
        // depth counts from offset: offset 2 depth 2 covers exactly "cd".
        #expect(payloadMatches([content("cd", offset: 2, depth: 2)], "abcdef"))
        #expect(!payloadMatches([content("de", offset: 2, depth: 2)], "abcdef"))
    }

    @Test func distanceAndWithin() {
        #expect(payloadMatches([content("ab"), content("ef", distance: 2)], "abcdef"))
        #expect(!payloadMatches([content("ab"), content("ef", distance: 3)], "abcdef"))
        #expect(payloadMatches([content("ab"), content("cd", within: 2)], "abcdef"))
        #expect(!payloadMatches([content("ab"), content("de", within: 2)], "abcdef"))
        #expect(payloadMatches([content("ab"), content("de", distance: 1, within: 2)], "abcdef"))
    }

    @Test func negativeDistance() {
        // After "cd" (end 4), distance -4 goes back to 0: "ab" is found.
        #expect(payloadMatches([content("cd"), content("ab", distance: -4, within: 2)], "abcdef"))
        #expect(!payloadMatches([content("cd"), content("ab", distance: -3)], "abcdef"))
        // A distance further back than the buffer start clamps to 0.
        #expect(payloadMatches([content("cd"), content("ab", distance: -100)], "abcdef"))
    }

    @Test func backtrackingOnWithin() {
        // The first "a" is followed by "x", the second by "b": within forces a retry at the next "a".
        #expect(payloadMatches([content("a"), content("b", within: 1)], "axab"))
        // Distance-only chains do not backtrack in Suricata, and need not: a later start only shrinks the window.
        #expect(payloadMatches([content("a"), content("b", distance: 0)], "axab"))
        #expect(!payloadMatches([content("a"), content("c", within: 1)], "axab"))
    }

    @Test func negatedRelativeContentMakesThePreviousContentRetry() {
        // "this" right after the first "fix" is followed by "and": a negated relative content sends the search back
        // to the next "this" (Suricata sets both relative-next flags for it), which is followed by "now" alone.
        let steps = [content("fix"), content("this", within: 6), content("and", negated: true, distance: 0)]
        #expect(payloadMatches(steps, "we_need_to_fix_this_and_yes_fix_this_now"))
        #expect(!payloadMatches(steps, "we_need_to_fix_this_and_yes_fix_this_and"))
        // The flag itself: set on the content before a negated distance-only content, not before a plain one.
        let negated = PayloadProgram(steps: [content("a"), content("b", negated: true, distance: 0)])
        let plain = PayloadProgram(steps: [content("a"), content("b", distance: 0)])
        guard case .content(let first) = negated.steps[0], case .content(let other) = plain.steps[0] else {
            Issue.record("expected content steps")
            return
        }
        #expect(first.backtrack)
        #expect(!other.backtrack)
    }

    @Test func backtrackingThreeDeep() {
        // "k=" then "1" right after, then ";" right after that: only the third "k=" satisfies all.
        let steps = [content("k="), content("1", within: 1), content(";", within: 1)]
        #expect(payloadMatches(steps, "k=a k=12 k=1;"))
        #expect(!payloadMatches(steps, "k=a k=12 k=2;"))
    }

    @Test func negatedContent() {
        #expect(payloadMatches([content("evil", negated: true)], "good stuff"))
        #expect(!payloadMatches([content("stuff", negated: true)], "good stuff"))
        #expect(payloadMatches([content("good"), content("bad", negated: true, within: 6)], "good stuff bad"))
        #expect(!payloadMatches([content("good"), content("stuff", negated: true, within: 10)], "good stuff bad"))
        // Negated with depth: the pattern outside the window does not count.
        #expect(payloadMatches([content("bad", negated: true, depth: 5)], "good bad"))
    }

    @Test func startsAndEndsWith() {
        var starts = ContentStep(pattern: Array("GET".utf8))
        starts.depth = .literal(3)
        #expect(payloadMatches([.content(starts)], "GET /"))
        #expect(!payloadMatches([.content(starts)], " GET /"))
        #expect(payloadMatches([content("end", endsWith: true)], "the end"))
        #expect(!payloadMatches([content("end", endsWith: true)], "the end."))
        // endswith keeps searching for a later occurrence that ends the buffer.
        #expect(payloadMatches([content("ab", endsWith: true)], "ab ab"))
    }

    @Test func emptyBufferNeverMatchesPositiveContent() {
        #expect(!payloadMatches([content("a")], ""))
        #expect(payloadMatches([content("a", negated: true)], ""))
    }
}

@Suite struct PCRETests {
    @Test func basicAndFlags() {
        #expect(payloadMatches([pcre("^GET\\s+/")], "GET /index"))
        #expect(!payloadMatches([pcre("^get")], "GET /index"))
        #expect(payloadMatches([pcre("^get", options: .caseless)], "GET /index"))
        #expect(!payloadMatches([pcre("^Host:")], "GET /\r\nHost: x"))
        #expect(payloadMatches([pcre("^Host:", options: .multiline)], "GET /\r\nHost: x"))
        #expect(payloadMatches([pcre("a.b", options: .dotAll)], "a\nb"))
        #expect(!payloadMatches([pcre("a.b")], "a\nb"))
    }

    @Test func relative() {
        // ^ anchors at the end of the previous match with R.
        #expect(payloadMatches([content("key="), pcre("^[0-9]+", relative: true)], "x key=123"))
        #expect(!payloadMatches([content("key="), pcre("^[0-9]+", relative: true)], "x key=abc 123"))
        // Backtracking: the second "key=" is followed by digits.
        #expect(payloadMatches([content("key="), pcre("^[0-9]+", relative: true)], "key=x key=42"))
    }

    @Test func negated() {
        #expect(payloadMatches([pcre("evil", negated: true)], "good"))
        #expect(!payloadMatches([pcre("go+d", negated: true)], "good"))
    }

    @Test func pcreThenRelativeContentRetries() {
        // The first digit run is not followed by "x"; Suricata retries the regex one byte after its last start.
        #expect(payloadMatches([pcre("[0-9]+"), content("x", within: 1)], "12 34x"))
        #expect(!payloadMatches([pcre("[0-9]+"), content("y", within: 1)], "12 34x"))
    }

    @Test func compileErrorHasOffset() {
        #expect(throws: RegexCompileError.self) { try CompiledRegex(pattern: "a(b", options: []) }
    }
}

@Suite struct ByteKeywordTests {
    @Test func byteTestBinaryAndString() {
        let bytes: [UInt8] = [0x00, 0x10, 0x20, 0x30]
        var t = ByteTestStep(count: 2, op: .equal, value: .literal(0x1020), offset: .literal(1))
        #expect(payloadMatches([.byteTest(t)], bytes: bytes))
        t.format.littleEndian = true
        #expect(!payloadMatches([.byteTest(t)], bytes: bytes))
        t.value = .literal(0x2010)
        #expect(payloadMatches([.byteTest(t)], bytes: bytes))
        var s = ByteTestStep(count: 3, op: .greater, value: .literal(99), offset: .literal(4))
        s.format.stringBase = 10
        #expect(payloadMatches([.byteTest(s)], "len=123;"))
        #expect(!payloadMatches([.byteTest(s)], "len=042;"))
        #expect(!payloadMatches([.byteTest(s)], "len=abc;"))
        // Reading past the end never matches, negated or not.
        var past = ByteTestStep(count: 4, op: .equal, value: .literal(0), offset: .literal(2))
        #expect(!payloadMatches([.byteTest(past)], bytes: bytes))
        past.negated = true
        #expect(!payloadMatches([.byteTest(past)], bytes: bytes))
    }

    @Test func byteTestOperatorsAndBitmask() {
        let bytes: [UInt8] = [0b1010_0000]
        let anyHigh = ByteTestStep(count: 1, op: .and, value: .literal(0x80), offset: .literal(0))
        let anySecond = ByteTestStep(count: 1, op: .and, value: .literal(0x40), offset: .literal(0))
        #expect(payloadMatches([.byteTest(anyHigh)], bytes: bytes))
        #expect(!payloadMatches([.byteTest(anySecond)], bytes: bytes))
        var masked = ByteTestStep(count: 1, op: .equal, value: .literal(0b101), offset: .literal(0))
        masked.bitmask = 0xF0
        // 0xA0 & 0xF0 = 0xA0, shifted right by 4 = 0xA: not 0b101.
        #expect(!payloadMatches([.byteTest(masked)], bytes: bytes))
        masked.value = .literal(0xA)
        #expect(payloadMatches([.byteTest(masked)], bytes: bytes))
    }

    @Test func byteTestRelative() {
        var t = ByteTestStep(count: 1, op: .equal, value: .literal(0x41), offset: .literal(1))
        t.relative = true
        #expect(payloadMatches([content("xx"), .byteTest(t)], "xx?A"))
        #expect(!payloadMatches([content("xx"), .byteTest(t)], "xxA?"))
        // Backtracking into the content: the second "xx" has "?A" after it.
        #expect(payloadMatches([content("xx"), .byteTest(t)], "xx??xx?A"))
    }

    @Test func byteJumpRelativeMultiplierPostOffset() {
        // Length byte 2 at offset 0 → jump over 2 bytes → cursor at 3, then "Z" must be next.
        var j = ByteJumpStep(count: 1, offset: .literal(0))
        #expect(payloadMatches([.byteJump(j), content("Z", within: 1)], bytes: [2, 0x41, 0x41, 0x5A]))
        #expect(!payloadMatches([.byteJump(j), content("Z", within: 1)], bytes: [1, 0x41, 0x41, 0x5A]))
        j.multiplier = 2
        #expect(payloadMatches([.byteJump(j), content("Z", within: 1)], bytes: [1, 0x41, 0x41, 0x5A]))
        j.multiplier = 1
        j.postOffset = -1
        #expect(payloadMatches([.byteJump(j), content("A", within: 1)], bytes: [2, 0x41, 0x41, 0x5A]))
        // A jump to or past the end does not match.
        let far = ByteJumpStep(count: 1, offset: .literal(0))
        #expect(!payloadMatches([.byteJump(far)], bytes: [3, 1, 2, 3]))
    }

    @Test func byteJumpFromBeginningAndEndAndAlign() {
        var j = ByteJumpStep(count: 1, offset: .literal(2))
        j.fromBeginning = true
        // Value 1 from the beginning: cursor 1, "B" next.
        #expect(payloadMatches([.byteJump(j), content("B", within: 1)], bytes: [0x41, 0x42, 1, 0x43]))
        var e = ByteJumpStep(count: 1, offset: .literal(0))
        e.fromEnd = true
        e.postOffset = -2
        // from_end with value 0 and post_offset -2: cursor at len-2.
        #expect(payloadMatches([.byteJump(e), content("CD", within: 2)], bytes: [0, 0x41, 0x43, 0x44]))
        var a = ByteJumpStep(count: 1, offset: .literal(0))
        a.align = true
        // Value 1 aligned up to 4, plus the 1 byte read: cursor 5.
        #expect(payloadMatches([.byteJump(a), content("F", within: 1)], bytes: [1] + Array("BCDEF".utf8)))
        #expect(!payloadMatches([.byteJump(a), content("E", within: 1)], bytes: [1] + Array("BCDEF".utf8)))
    }

    @Test func byteJumpString() {
        var j = ByteJumpStep(count: 2, offset: .literal(0))
        j.format.stringBase = 10
        #expect(payloadMatches([.byteJump(j), content("X", within: 1)], "03abcX"))
        #expect(!payloadMatches([.byteJump(j), content("X", within: 1)], "02abcX"))
    }

    @Test func byteExtractFeedsLaterKeywords() {
        // Extract a length (3) then require "end" exactly that far after the extracted byte.
        let e = ByteExtractStep(count: 1, offset: 0, slot: 0)
        var c = ContentStep(pattern: Array("end".utf8))
        c.distance = .variable(0)
        c.within = .literal(3)
        #expect(payloadMatches([.byteExtract(e), .content(c)], bytes: [3, 1, 2, 3] + Array("end".utf8)))
        #expect(!payloadMatches([.byteExtract(e), .content(c)], bytes: [2, 1, 2, 3] + Array("end".utf8)))
        // The variable as a byte_test value.
        let t = ByteTestStep(count: 1, op: .equal, value: .variable(0), offset: .literal(1))
        #expect(payloadMatches([.byteExtract(e), .byteTest(t)], bytes: [7, 7]))
        #expect(!payloadMatches([.byteExtract(e), .byteTest(t)], bytes: [7, 8]))
    }

    @Test func byteMath() {
        let m = ByteMathStep(count: 1, offset: 0, op: .multiply, rvalue: .literal(2), slot: 0)
        let t = ByteTestStep(count: 1, op: .equal, value: .variable(0), offset: .literal(1))
        #expect(payloadMatches([.byteMath(m), .byteTest(t)], bytes: [3, 6]))
        #expect(!payloadMatches([.byteMath(m), .byteTest(t)], bytes: [3, 3]))
        let d = ByteMathStep(count: 1, offset: 0, op: .divide, rvalue: .literal(0), slot: 0)
        #expect(!payloadMatches([.byteMath(d)], bytes: [3]))
        // The cursor moves past the bytes read; the bitmask applies to the result (0x0F & (0x13 + 1) = 4).
        var masked = ByteMathStep(count: 1, offset: 0, op: .add, rvalue: .literal(1), slot: 0)
        masked.bitmask = 0x0F
        let check = ByteTestStep(count: 1, op: .equal, value: .variable(0), offset: .literal(0))
        var relativeCheck = check
        relativeCheck.relative = true
        #expect(payloadMatches([.byteMath(masked), .byteTest(relativeCheck)], bytes: [0x13, 4]))
        #expect(!payloadMatches([.byteMath(masked), .byteTest(relativeCheck)], bytes: [0x13, 0x14]))
    }

    @Test func isDataAt() {
        #expect(payloadMatches([.isDataAt(IsDataAtStep(position: .literal(3)))], "abcd"))
        #expect(!payloadMatches([.isDataAt(IsDataAtStep(position: .literal(4)))], "abcd"))
        #expect(payloadMatches([.isDataAt(IsDataAtStep(position: .literal(4), negated: true))], "abcd"))
        // Relative: after "ab" (offset 2) two more bytes exist, three do not.
        let two = IsDataAtStep(position: .literal(2), relative: true)
        let three = IsDataAtStep(position: .literal(3), relative: true)
        #expect(payloadMatches([content("ab"), .isDataAt(two)], "abcd"))
        #expect(!payloadMatches([content("ab"), .isDataAt(three)], "abcd"))
        // "nothing after the match": !1,relative at the end of the buffer.
        let endCheck = IsDataAtStep(position: .literal(1), negated: true, relative: true)
        #expect(payloadMatches([content("cd"), .isDataAt(endCheck)], "abcd"))
        #expect(!payloadMatches([content("bc"), .isDataAt(endCheck)], "abcd"))
        // Backtracking finds the occurrence at the end.
        #expect(payloadMatches([content("ab"), .isDataAt(endCheck)], "abxab"))
    }

    @Test func bufferSize() {
        #expect(payloadMatches([.bufferSize(UIntCondition(.equal, 4))], "abcd"))
        #expect(!payloadMatches([.bufferSize(UIntCondition(.greater, 4))], "abcd"))
    }
}

@Suite struct PrefilterTests {
    @Test func vectorscanFindsEachPatternOnce() throws {
        let database = try MultiPatternDatabase(patterns: [
            PrefilterPattern(bytes: Array("evil".utf8), nocase: false),
            PrefilterPattern(bytes: Array("HOST".utf8), nocase: true),
            PrefilterPattern(bytes: [0x00, 0x01], nocase: false),
        ])
        let scratch = PatternScratch(databases: [database])
        var hits = PatternHits(capacity: 3)
        let text = Array("an evil host, evil again".utf8) + [0x00, 0x01]
        text.withUnsafeBytes { database.scan($0, scratch: scratch, into: &hits) }
        #expect(Set(hits.ids.prefix(hits.count)) == [0, 1, 2])
        #expect(hits.count == 3)
        hits.removeAll()
        Array("EVIL".utf8).withUnsafeBytes { database.scan($0, scratch: scratch, into: &hits) }
        #expect(hits.count == 0)
    }
}

@Suite struct StreamOffsetTests {
    func run(_ steps: [PayloadStep], _ text: String, streamStart: UInt64) -> Bool {
        var scratch = PayloadScratch()
        let program = PayloadProgram(steps: steps)
        return Array(text.utf8).withUnsafeBytes { program.matches($0, streamStart: streamStart, scratch: &scratch) }
    }

    @Test func depthCountsFromTheStreamStart() {
        // depth 12 from the stream start; the chunk starts at stream offset 8, so only its first 4 bytes count.
        #expect(run([content("abcd", depth: 12)], "abcdefgh", streamStart: 8))
        #expect(!run([content("efgh", depth: 12)], "abcdefgh", streamStart: 8))
        // A chunk that starts past the depth cannot match at all.
        #expect(!run([content("abcd", depth: 8)], "abcdefgh", streamStart: 8))
        #expect(run([content("efgh", depth: 8)], "abcdefgh", streamStart: 0))
    }

    @Test func bsizeCountsTheWholeStream() {
        #expect(run([.bufferSize(UIntCondition(.equal, 12))], "abcd", streamStart: 8))
    }
}

@Suite struct Base64Tests {
    func decode(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 3)
        let n = input.withUnsafeBytes { i in output.withUnsafeMutableBytes { Base64Decoder.decode(i, into: $0) } }
        return Array(output.prefix(n))
    }

    @Test func decoderStopsAtPaddingAndInvalidBytes() {
        #expect(decode("aGVsbG8=") == Array("hello".utf8))
        #expect(decode("aGVsbA") == Array("hell".utf8))
        #expect(decode("aGVs bG8=") == Array("hel".utf8))
    }

    @Test func base64DataIsTerminal() throws {
        let rules = """
            alert tcp any any -> any any (content:"b64="; base64_decode:relative; base64_data; content:"secret"; sid:1;)
            alert tcp any any -> any any (content:"b64="; base64_decode:bytes 4, relative; base64_data; content:"secret"; sid:2;)
            """
        let h = try EngineHarness(rules)
        let f = FrameBuilder()
        // "c2VjcmV0IGRhdGE=" is "secret data".
        #expect(h.feed(f.tcp(sport: 1, dport: 2, flags: 0x18, payload: Array("x b64=c2VjcmV0IGRhdGE= y".utf8))) == [1])
        #expect(h.feed(f.tcp(sport: 1, dport: 2, flags: 0x18, payload: Array("x b64=bm90aGluZw== y".utf8))) == [])
    }
}

@Suite struct HostileVariableTests {
    @Test func hugeExtractedValuesNeverOverflow() {
        // 8 bytes of 0xFF: the largest value a variable can hold, used as distance, within, depth, isdataat and
        // byte counts. Nothing may trap; nothing can match past the buffer.
        let e = ByteExtractStep(count: 8, offset: 0, slot: 0)
        let bytes = [UInt8](repeating: 0xFF, count: 8) + Array("tail".utf8)
        var c = ContentStep(pattern: Array("tail".utf8))
        c.distance = .variable(0)
        c.within = .variable(0)
        #expect(!payloadMatches([.byteExtract(e), .content(c)], bytes: bytes))
        var d = ContentStep(pattern: Array("tail".utf8))
        d.depth = .variable(0)
        d.offset = .variable(0)
        #expect(!payloadMatches([.byteExtract(e), .content(d)], bytes: bytes))
        #expect(
            !payloadMatches(
                [.byteExtract(e), .isDataAt(IsDataAtStep(position: .variable(0), relative: true))],
                bytes: bytes
            )
        )
        var t = ByteTestStep(count: 1, op: .equal, value: .literal(0), offset: .variable(0))
        t.count = .variable(0)
        #expect(!payloadMatches([.byteExtract(e), .byteTest(t)], bytes: bytes))
        var j = ByteJumpStep(count: 1, offset: .variable(0))
        j.count = .variable(0)
        #expect(!payloadMatches([.byteExtract(e), .byteJump(j)], bytes: bytes))
        // A huge multiplied jump wraps in 64-bit arithmetic as Suricata's does; it must not trap, and a jump that
        // lands before the start clamps to it, so a following relative content still searches from 0.
        var big = ByteJumpStep(count: 8, offset: .literal(0))
        big.multiplier = 2
        big.postOffset = -20
        #expect(payloadMatches([.byteJump(big), content("tail", distance: 0)], bytes: bytes))
    }
}
