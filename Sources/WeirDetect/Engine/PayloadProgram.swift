// SPDX-License-Identifier: MIT

/// A number in a compiled keyword: a literal, or the slot of a `byte_extract`/`byte_math` variable.
package enum ValueOperand: Sendable, Equatable {
    case literal(Int64)
    case variable(Int)
}

/// How the `byte_*` keywords read a number.
package struct NumberFormat: Sendable, Equatable {
    /// Binary little-endian (`little`, and `dce` outside DCE/RPC).
    package var littleEndian = false
    /// ASCII digits in this base (`string,hex|dec|oct`); `nil` for binary.
    package var stringBase: Int?

    /// Binary big-endian unless told otherwise.
    package init(littleEndian: Bool = false, stringBase: Int? = nil) {
        self.littleEndian = littleEndian
        self.stringBase = stringBase
    }
}

/// `content` compiled for inspection (Suricata's `DetectContentData`).
package struct ContentStep: Sendable {
    /// The pattern; lowercased when `nocase`.
    package var pattern: [UInt8]
    /// `nocase`: ASCII case-insensitive.
    package var nocase = false
    /// `content:!`: matches when the pattern is absent.
    package var negated = false
    /// `offset`; with a literal `depth`, `depth` is stored as given and the matcher adds `offset` (Suricata
    /// stores the sum).
    package var offset: ValueOperand?
    /// `depth`, counted from `offset` for absolute contents.
    package var depth: ValueOperand?
    /// `distance` (may be negative) from the previous match end.
    package var distance: ValueOperand?
    /// `within` from the previous match end (plus distance).
    package var within: ValueOperand?
    /// `endswith`: the match must end the buffer.
    package var endsWith = false
    /// A later relative keyword whose success depends on which occurrence of this content was taken: a
    /// failure there makes the matcher retry at the next occurrence (Suricata's `RELATIVE_NEXT`/`WITHIN_NEXT`).
    package var backtrack = false
    /// Any relative keyword follows (distance-only contents included).
    package var relativeNext = false

    /// Makes a content step; `nocase` lowercases the stored pattern.
    package init(pattern: [UInt8], nocase: Bool = false, negated: Bool = false) {
        self.pattern = nocase ? pattern.map(asciiLowercase) : pattern
        self.nocase = nocase
        self.negated = negated
    }

    /// Positioned relative to the previous match.
    package var isRelative: Bool { self.distance != nil || self.within != nil }
    /// Suricata's `DETECT_CONTENT_IS_SINGLE`: independent of every other keyword.
    var isSingle: Bool { !self.isRelative && !self.relativeNext && self.depth == nil && self.offset == nil }
}

/// `pcre` compiled for inspection.
package struct PCREStep: Sendable {
    /// The compiled expression, shared between signatures.
    package var regex: CompiledRegex
    /// `pcre:!`.
    package var negated = false
    /// `R`: search from the end of the previous match.
    package var relative = false
    /// A relative keyword follows: failures there retry this regex one byte after its last match start.
    package var relativeNext = false

    /// Makes a pcre step.
    package init(regex: CompiledRegex, negated: Bool = false, relative: Bool = false) {
        self.regex = regex
        self.negated = negated
        self.relative = relative
    }
}

/// `byte_test`.
package struct ByteTestStep: Sendable {
    /// Comparison operators (`&` is "any bit in common", `^` is "any bit different").
    package enum Operator: Sendable { case less, greater, equal, lessOrEqual, greaterOrEqual, and, xor }
    /// Bytes to read (literal or variable).
    package var count: ValueOperand
    /// The comparison.
    package var op: Operator
    /// `!` before the operator.
    package var negated = false
    /// The value compared against.
    package var value: ValueOperand
    /// Where to read: from the buffer start, or from the cursor when `relative`.
    package var offset: ValueOperand
    /// `relative`.
    package var relative = false
    /// Endianness or string base.
    package var format = NumberFormat()
    /// `bitmask` (AND, then shift right by its trailing zeros).
    package var bitmask: UInt64?

    /// Makes a binary big-endian test.
    package init(count: Int, op: Operator, value: ValueOperand, offset: ValueOperand) {
        self.count = .literal(Int64(count))
        self.op = op
        self.value = value
        self.offset = offset
    }
}

/// `byte_jump`.
package struct ByteJumpStep: Sendable {
    /// Bytes to read (literal or variable).
    package var count: ValueOperand
    /// Where to read.
    package var offset: ValueOperand
    /// `relative`.
    package var relative = false
    /// `multiplier`.
    package var multiplier: UInt64 = 1
    /// Endianness or string base.
    package var format = NumberFormat()
    /// `align`: round the jump up to a multiple of 4.
    package var align = false
    /// `from_beginning`: jump from the buffer start.
    package var fromBeginning = false
    /// `from_end`: jump from the buffer end.
    package var fromEnd = false
    /// `post_offset`, added after multiplier and align.
    package var postOffset: Int64 = 0
    /// `bitmask`.
    package var bitmask: UInt64?

    /// Makes a binary big-endian jump.
    package init(count: Int, offset: ValueOperand) {
        self.count = .literal(Int64(count))
        self.offset = offset
    }
}

/// `byte_extract`: reads a number into a variable slot and moves the cursor past it.
package struct ByteExtractStep: Sendable {
    /// Bytes to read.
    package var count: Int
    /// Where to read.
    package var offset: Int64
    /// The variable slot written.
    package var slot: Int
    /// `relative`.
    package var relative = false
    /// `multiplier`.
    package var multiplier: UInt64 = 1
    /// Endianness or string base.
    package var format = NumberFormat()
    /// `align` (2 or 4), 0 for none.
    package var align: UInt64 = 0
    /// `bitmask`.
    package var bitmask: UInt64?

    /// Makes a binary big-endian extraction.
    package init(count: Int, offset: Int64, slot: Int) {
        self.count = count
        self.offset = offset
        self.slot = slot
    }
}

/// `byte_math`: reads a number, combines it with `rvalue`, stores the result in a variable slot.
package struct ByteMathStep: Sendable {
    /// The arithmetic operators.
    package enum Operator: Sendable { case add, subtract, multiply, divide, shiftLeft, shiftRight, bitAnd, bitOr }
    /// Bytes to read (literal or variable).
    package var count: ValueOperand
    /// Where to read.
    package var offset: Int64
    /// The operation.
    package var op: Operator
    /// The right-hand value.
    package var rvalue: ValueOperand
    /// The variable slot written.
    package var slot: Int
    /// `relative`.
    package var relative = false
    /// Endianness or string base.
    package var format = NumberFormat()
    /// `bitmask`.
    package var bitmask: UInt64?

    /// Makes a binary big-endian operation.
    package init(count: Int, offset: Int64, op: Operator, rvalue: ValueOperand, slot: Int) {
        self.count = .literal(Int64(count))
        self.offset = offset
        self.op = op
        self.rvalue = rvalue
        self.slot = slot
    }
}

/// `isdataat`.
package struct IsDataAtStep: Sendable {
    /// The position checked.
    package var position: ValueOperand
    /// `!`: no data there.
    package var negated = false
    /// `relative` to the cursor.
    package var relative = false

    /// Makes an isdataat check.
    package init(position: ValueOperand, negated: Bool = false, relative: Bool = false) {
        self.position = position
        self.negated = negated
        self.relative = relative
    }
}

/// `base64_decode` with its `base64_data` keywords: decodes part of the buffer and inspects the result.
package struct Base64DecodeStep: Sendable {
    /// `bytes`: how many input bytes to decode, 0 for all that remain.
    package var bytes: Int
    /// `offset` from the buffer start, or from the cursor when `relative`.
    package var offset: Int
    /// `relative`.
    package var relative: Bool
    /// The keywords after `base64_data`, run over the decoded bytes.
    package var data: PayloadProgram?

    /// Makes a decode step.
    package init(bytes: Int, offset: Int, relative: Bool, data: PayloadProgram?) {
        self.bytes = bytes
        self.offset = offset
        self.relative = relative
        self.data = data
    }
}

/// One compiled payload keyword.
package enum PayloadStep: Sendable {
    case content(ContentStep)
    case pcre(PCREStep)
    case byteTest(ByteTestStep)
    case byteJump(ByteJumpStep)
    case byteExtract(ByteExtractStep)
    case byteMath(ByteMathStep)
    case isDataAt(IsDataAtStep)
    /// `bsize` on the whole buffer.
    case bufferSize(UIntCondition)
    /// `base64_decode` + `base64_data`: a terminal step (its data keywords decide the match).
    case base64Decode(Base64DecodeStep)

    /// Whether the step is positioned from the previous match.
    var isRelative: Bool {
        switch self {
        case .content(let c): return c.isRelative
        case .pcre(let p): return p.relative
        case .byteTest(let b): return b.relative
        case .byteJump(let b): return b.relative
        case .byteExtract(let b): return b.relative
        case .byteMath(let b): return b.relative
        case .isDataAt(let i): return i.relative
        case .bufferSize: return false
        case .base64Decode(let b): return b.relative
        }
    }
}

/// The keywords of one buffer, in rule order, with the "relative next" links Suricata computes at setup.
package struct PayloadProgram: Sendable {
    /// The keywords in rule order, with the relative-next links set.
    package private(set) var steps: [PayloadStep]

    /// Links each relative keyword to the content or pcre before it, as Suricata's keyword setup does: a
    /// relative pcre/byte/isdataat, a `within` or a negated relative content asks for backtracking; a distance-only
    /// content that is not negated does not (Suricata's `DETECT_CONTENT_DISTANCE_NEXT`, which sets no
    /// `WITHIN_NEXT`: a negated one sets both).
    package init(steps: [PayloadStep]) {
        var steps = steps
        for index in steps.indices where steps[index].isRelative {
            var previous = index - 1
            while previous >= 0 {
                if case .content = steps[previous] { break }
                if case .pcre = steps[previous] { break }
                previous -= 1
            }
            guard previous >= 0 else { continue }
            var needsBacktrack = true
            if case .content(let c) = steps[index], c.within == nil, !c.negated { needsBacktrack = false }
            switch steps[previous] {
            case .content(var c):
                c.relativeNext = true
                if needsBacktrack { c.backtrack = true }
                steps[previous] = .content(c)
            case .pcre(var p):
                p.relativeNext = true
                steps[previous] = .pcre(p)
            default: break
            }
        }
        self.steps = steps
    }
}

/// ASCII lowercase of one byte (`nocase` folding; other bytes unchanged).
@inline(__always)
package func asciiLowercase(_ byte: UInt8) -> UInt8 { byte &- 65 < 26 ? byte | 0x20 : byte }
