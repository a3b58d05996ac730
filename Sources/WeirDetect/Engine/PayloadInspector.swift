// SPDX-License-Identifier: MIT
#if canImport(Glibc)
    import Glibc
#endif

/// Per-worker state of one payload inspection: the relative-match cursor, byte variables and pcre scratch.
package struct PayloadScratch {
    /// End of the last match (Suricata's `det_ctx->buffer_offset`), the base of relative keywords.
    package var bufferOffset = 0
    /// Where a pcre retry starts (one past the previous match start), 0 for a fresh search.
    var pcreStart = 0
    var recursion = 0
    /// Suricata's `detect.inspection-recursion-limit` default.
    var recursionLimit = 3000
    /// Offset of the inspected chunk in its stream (0 for packets and sticky buffers).
    var streamStart = 0
    /// `byte_extract`/`byte_math` variables by slot.
    package var values: [UInt64]
    /// PCRE2 match data and JIT stack of this worker.
    package let regexScratch: RegexMatchScratch
    /// Where `base64_decode` writes the decoded bytes.
    let base64Arena = DecodeArena()

    /// Makes scratch for rules using at most `variableSlots` byte variables.
    package init(variableSlots: Int = 16, regexScratch: RegexMatchScratch = RegexMatchScratch()) {
        self.values = [UInt64](repeating: 0, count: max(variableSlots, 1))
        self.regexScratch = regexScratch
    }
}

/// Outcome of one keyword: Suricata's 1 / 0 / -1.
enum InspectOutcome {
    case match
    case noMatch
    /// No match, and retrying earlier keywords cannot help.
    case discontinue
}

extension PayloadProgram {
    /// Runs the program over `buffer` with Suricata's content-inspection semantics, backtracking included.
    ///
    /// - Complexity: Bounded by the recursion limit; no allocation.
    package func matches(_ buffer: UnsafeRawBufferPointer, scratch: inout PayloadScratch) -> Bool {
        self.matches(buffer, streamStart: 0, scratch: &scratch)
    }

    /// Runs the program over a chunk of reassembled stream that starts `streamStart` bytes into the stream:
    /// absolute `depth` and a first `within` count from the stream start, as Suricata's `stream_start_offset`.
    package func matches(_ buffer: UnsafeRawBufferPointer, streamStart: UInt64, scratch: inout PayloadScratch) -> Bool {
        scratch.streamStart = Int(clamping: streamStart)
        scratch.bufferOffset = 0
        scratch.pcreStart = 0
        scratch.recursion = 0
        if self.steps.isEmpty { return true }
        return self.inspect(0, buffer, &scratch) == .match
    }

    @inline(__always)
    func value(_ operand: ValueOperand, _ scratch: inout PayloadScratch) -> Int64 {
        switch operand {
        case .literal(let v): return v
        case .variable(let slot): return Int64(bitPattern: scratch.values[slot])
        }
    }

    /// A position, length or count: variables extracted from traffic are clamped to ±2^31 (Suricata casts
    /// them to 32 bits), so no offset arithmetic can overflow whatever the packet says.
    @inline(__always)
    func position(_ operand: ValueOperand, _ scratch: inout PayloadScratch) -> Int64 {
        switch operand {
        case .literal(let v): return max(min(v, Int64(Int32.max)), -Int64(Int32.max))
        case .variable(let slot):
            let v = scratch.values[slot]
            return v > UInt64(Int32.max) ? Int64(Int32.max) : Int64(v)
        }
    }

    /// "This keyword matched": go on with the next one, or report the whole chain matched.
    @inline(__always)
    func proceed(_ index: Int, _ buffer: UnsafeRawBufferPointer, _ scratch: inout PayloadScratch) -> InspectOutcome {
        index + 1 == self.steps.count ? .match : self.inspect(index + 1, buffer, &scratch)
    }

    func inspect(_ index: Int, _ buffer: UnsafeRawBufferPointer, _ scratch: inout PayloadScratch) -> InspectOutcome {
        scratch.recursion += 1
        if scratch.recursion >= scratch.recursionLimit { return .discontinue }
        switch self.steps[index] {
        case .content(let content):
            return self.inspectContent(content, index, buffer, &scratch)
        case .pcre(let pcre):
            return self.inspectPCRE(pcre, index, buffer, &scratch)
        case .isDataAt(let step):
            let length = buffer.count
            var position = self.position(step.position, &scratch)
            var isVariable = false
            if case .variable = step.position {
                isVariable = true
                if UInt64(bitPattern: position) >= 100_000_000 {
                    return step.negated ? self.proceed(index, buffer, &scratch) : .noMatch
                }
            }
            position = max(position, 0)
            let hasData: Bool
            if step.relative {
                hasData = Int64(scratch.bufferOffset) + position <= Int64(length)
            } else {
                hasData = position < Int64(length)
            }
            if hasData != step.negated { return self.proceed(index, buffer, &scratch) }
            // Suricata gives up on the whole buffer when a literal check fails, except a relative check that
            // found data (another occurrence of the previous match may leave less data after it).
            if step.relative && hasData { return .noMatch }
            return isVariable ? .noMatch : .discontinue
        case .byteTest(let step):
            let count = Int(self.position(step.count, &scratch))
            guard
                let start = Self.readPosition(
                    relative: step.relative,
                    offset: self.position(step.offset, &scratch),
                    count: count,
                    length: buffer.count,
                    cursor: scratch.bufferOffset
                ),
                let (raw, _) = NumberReader.read(buffer, at: start, count: count, format: step.format)
            else { return .noMatch }
            let value = NumberReader.mask(raw, step.bitmask)
            let reference = UInt64(bitPattern: self.value(step.value, &scratch))
            var result: Bool
            switch step.op {
            case .less: result = value < reference
            case .greater: result = value > reference
            case .equal: result = value == reference
            case .lessOrEqual: result = value <= reference
            case .greaterOrEqual: result = value >= reference
            case .and: result = value & reference != 0
            case .xor: result = value ^ reference != 0
            }
            if step.negated { result.toggle() }
            return result ? self.proceed(index, buffer, &scratch) : .noMatch
        case .byteJump(let step):
            let count = Int(self.position(step.count, &scratch))
            let length = buffer.count
            guard length > 0,
                let start = Self.readPosition(
                    relative: step.relative,
                    offset: self.position(step.offset, &scratch),
                    count: count,
                    length: length,
                    cursor: scratch.bufferOffset
                ),
                let (raw, consumed) = NumberReader.read(buffer, at: start, count: count, format: step.format)
            else { return .noMatch }
            var jump = NumberReader.mask(raw, step.bitmask) &* step.multiplier
            if step.align, jump % 4 != 0 { jump = jump &+ (4 - jump % 4) }
            let distance = Int64(bitPattern: jump) &+ step.postOffset
            var target: Int64
            if step.fromBeginning {
                target = distance
            } else if step.fromEnd {
                target = Int64(length) &+ distance
            } else {
                target = Int64(start) &+ distance &+ Int64(consumed)
            }
            if target < 0 {
                target = 0
            } else if target >= Int64(length) {
                return .noMatch
            }
            scratch.bufferOffset = Int(target)
            return self.proceed(index, buffer, &scratch)
        case .byteExtract(let step):
            guard
                let start = Self.readPosition(
                    relative: step.relative,
                    offset: step.offset,
                    count: step.count,
                    length: buffer.count,
                    cursor: scratch.bufferOffset
                ),
                let (raw, consumed) = NumberReader.read(buffer, at: start, count: step.count, format: step.format)
            else { return .noMatch }
            var value = NumberReader.mask(raw, step.bitmask) &* step.multiplier
            if step.align > 0, value % step.align != 0 { value = value &+ (step.align - value % step.align) }
            scratch.values[step.slot] = value
            scratch.bufferOffset = start + consumed
            return self.proceed(index, buffer, &scratch)
        case .byteMath(let step):
            let count = Int(self.position(step.count, &scratch))
            guard
                let start = Self.readPosition(
                    relative: step.relative,
                    offset: step.offset,
                    count: count,
                    length: buffer.count,
                    cursor: scratch.bufferOffset
                ),
                let (raw, consumed) = NumberReader.read(buffer, at: start, count: count, format: step.format)
            else { return .noMatch }
            let left = raw
            let right = UInt64(bitPattern: self.value(step.rvalue, &scratch))
            let result: UInt64
            switch step.op {
            case .add: result = left &+ right
            case .subtract: result = left &- right
            case .multiply: result = left &* right
            case .divide:
                guard right != 0 else { return .noMatch }
                result = left / right
            case .shiftLeft: result = right >= 64 ? 0 : left << right
            case .shiftRight: result = right >= 64 ? 0 : left >> right
            case .bitAnd: result = left & right
            case .bitOr: result = left | right
            }
            // Suricata moves the cursor past the bytes read and applies the bitmask to the result.
            scratch.bufferOffset = start + consumed
            scratch.values[step.slot] = NumberReader.mask(result, step.bitmask)
            return self.proceed(index, buffer, &scratch)
        case .base64Decode(let step):
            // Suricata's DetectBase64DecodeDoMatch: decode, then run the base64_data keywords as a terminal list.
            var start = step.relative ? scratch.bufferOffset : 0
            var length = buffer.count - start
            if step.offset > 0 {
                if step.offset >= length { return .noMatch }
                start += step.offset
                length -= step.offset
            }
            if step.bytes > 0 && step.bytes < length { length = step.bytes }
            guard length > 0, let data = step.data else { return .noMatch }
            let arena = scratch.base64Arena
            arena.reserve(length * 3 / 4 + 3)
            let decodedLength = Base64Decoder.decode(
                UnsafeRawBufferPointer(rebasing: buffer[start..<start + length]),
                into: arena.storage
            )
            guard decodedLength > 0 else { return .noMatch }
            let decoded = UnsafeRawBufferPointer(rebasing: arena.storage[0..<decodedLength])
            let saved = scratch.bufferOffset
            scratch.bufferOffset = 0
            let outcome = data.steps.isEmpty ? InspectOutcome.match : data.inspect(0, decoded, &scratch)
            scratch.bufferOffset = saved
            return outcome == .match ? .match : .noMatch
        case .bufferSize(let condition):
            let size = UInt64(buffer.count) + UInt64(scratch.streamStart)
            return condition.matches(size) ? self.proceed(index, buffer, &scratch) : .discontinue
        }
    }

    /// Where a `byte_*` keyword reads, with Suricata's checks: a relative read needs data left after the cursor
    /// and offset; every read must start inside the buffer and fit.
    @inline(__always)
    static func readPosition(relative: Bool, offset: Int64, count: Int, length: Int, cursor: Int) -> Int? {
        var start = offset
        if relative {
            start += Int64(cursor)
            if Int64(length) - start <= 0 { return nil }
        }
        guard start >= 0, Int64(count) <= Int64(length) - start else { return nil }
        return Int(start)
    }

    func inspectContent(
        _ content: ContentStep,
        _ index: Int,
        _ buffer: UnsafeRawBufferPointer,
        _ scratch: inout PayloadScratch
    ) -> InspectOutcome {
        let length = buffer.count
        let patternLength = content.pattern.count
        let previousBufferOffset = scratch.bufferOffset
        var previousOffset = 0
        while true {
            var depth = length
            var offset = 0
            if content.isRelative {
                offset = previousBufferOffset
                var distance = 0
                if let d = content.distance {
                    distance = Int(self.position(d, &scratch))
                    if distance < 0 && -distance > offset { offset = 0 } else { offset += distance }
                }
                if let w = content.within {
                    let end = previousBufferOffset + Int(self.position(w, &scratch)) + distance
                    // Suricata compares as int32 and stores as uint32: a negative end means "no limit".
                    if depth > end { depth = end < 0 ? length : end }
                    if scratch.streamStart != 0 && previousBufferOffset == 0 {
                        if depth <= scratch.streamStart { return .noMatch }
                        if depth < scratch.streamStart + length { depth -= scratch.streamStart }
                    }
                }
                if let d = content.depth {
                    let end = previousBufferOffset + Int(self.position(d, &scratch))
                    if end < depth { depth = end }
                }
                if let o = content.offset {
                    let start = Int(self.position(o, &scratch))
                    if start > offset { offset = start }
                }
            } else {
                if let o = content.offset { offset = Int(self.position(o, &scratch)) }
                if let d = content.depth {
                    depth = Int(self.position(d, &scratch)) + offset
                    if scratch.streamStart != 0 {
                        if depth <= scratch.streamStart {
                            return content.negated ? self.proceed(index, buffer, &scratch) : .noMatch
                        }
                        if depth < scratch.streamStart + length { depth -= scratch.streamStart }
                    }
                }
            }
            if previousOffset != 0 { offset = previousOffset }
            if depth > length { depth = length }
            if offset > depth || depth <= 0 || offset < 0 {
                return content.negated ? self.proceed(index, buffer, &scratch) : .noMatch
            }
            var found: Int? = nil
            if content.endsWith && depth < length {
                found = nil
            } else if patternLength <= depth - offset {
                found = Self.search(content.pattern, nocase: content.nocase, in: buffer, from: offset, to: depth)
            }
            guard let start = found else {
                if content.negated { return self.proceed(index, buffer, &scratch) }
                return content.isRelative ? .noMatch : .discontinue
            }
            let matchOffset = start + patternLength
            if content.negated {
                // Suricata compares the match end with the searched window's length here.
                if content.endsWith && depth - offset != matchOffset { return self.proceed(index, buffer, &scratch) }
                return content.isSingle ? .discontinue : .noMatch
            }
            scratch.bufferOffset = matchOffset
            if !content.endsWith || matchOffset == length {
                if index + 1 == self.steps.count { return .match }
                switch self.inspect(index + 1, buffer, &scratch) {
                case .match: return .match
                case .discontinue: return .discontinue
                case .noMatch: break
                }
                if !content.backtrack { return .discontinue }
            }
            previousOffset = matchOffset - (patternLength - 1)
        }
    }

    func inspectPCRE(_ pcre: PCREStep, _ index: Int, _ buffer: UnsafeRawBufferPointer, _ scratch: inout PayloadScratch)
        -> InspectOutcome
    {
        let previousBufferOffset = scratch.bufferOffset
        scratch.pcreStart = 0
        while true {
            let base = pcre.relative ? min(scratch.bufferOffset, buffer.count) : 0
            let subject = UnsafeRawBufferPointer(rebasing: buffer[base...])
            let from = scratch.pcreStart != 0 ? max(scratch.pcreStart - base, 0) : 0
            let hit = pcre.regex.firstMatch(in: subject, from: from, scratch: scratch.regexScratch)
            if let hit {
                if pcre.negated { return .noMatch }
                scratch.bufferOffset = base + hit.end
                scratch.pcreStart = base + hit.start + 1
            } else {
                if !pcre.negated { return .noMatch }
                scratch.pcreStart = 0
            }
            if !pcre.relativeNext { return self.proceed(index, buffer, &scratch) }
            let retryFrom = scratch.pcreStart
            switch self.proceed(index, buffer, &scratch) {
            case .match: return .match
            case .discontinue: return .discontinue
            case .noMatch: break
            }
            if retryFrom == 0 { return .noMatch }
            scratch.bufferOffset = previousBufferOffset
            scratch.pcreStart = retryFrom
        }
    }

    /// Finds `pattern` in `buffer[from..<to]`; `pattern` is already lowercased when `nocase`.
    @inline(__always)
    static func search(_ pattern: [UInt8], nocase: Bool, in buffer: UnsafeRawBufferPointer, from: Int, to: Int) -> Int?
    {
        let n = pattern.count
        guard n > 0, to - from >= n, let base = buffer.baseAddress else { return n == 0 ? from : nil }
        return pattern.withUnsafeBufferPointer { p -> Int? in
            guard let pat = p.baseAddress else { return nil }
            if !nocase {
                let first = Int32(pat[0])
                var cursor = base + from
                let end = base + (to - n + 1)
                while cursor < end {
                    guard let hit = memchr(cursor, first, end - cursor) else { return nil }
                    if n == 1 || memcmp(hit + 1, pat + 1, n - 1) == 0 {
                        return base.distance(to: UnsafeRawPointer(hit))
                    }
                    cursor = UnsafeRawPointer(hit) + 1
                }
                return nil
            }
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            let first = pat[0]
            var i = from
            let last = to - n
            while i <= last {
                if asciiLowercase(bytes[i]) == first {
                    var j = 1
                    while j < n && asciiLowercase(bytes[i + j]) == pat[j] { j += 1 }
                    if j == n { return i }
                }
                i += 1
            }
            return nil
        }
    }
}
