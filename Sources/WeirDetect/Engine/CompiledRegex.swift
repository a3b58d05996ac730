// SPDX-License-Identifier: MIT
import CPCRE2

/// Why a `pcre` expression did not compile.
public struct RegexCompileError: Error, Sendable, CustomStringConvertible {
    /// PCRE2's message.
    public var message: String
    /// Byte offset in the expression where PCRE2 stopped.
    public var offset: Int
    /// One line for logs.
    public var description: String { "pcre compile error at offset \(self.offset): \(self.message)" }
}

/// A PCRE2 pattern compiled (and JIT-compiled when possible) once at load and shared by all workers.
///
/// PCRE2 code is read-only after compilation, so sharing it across threads is safe; matching needs a
/// per-worker ``RegexMatchScratch``.
package final class CompiledRegex: @unchecked Sendable {
    let code: OpaquePointer
    /// True when the JIT accepted the pattern.
    package let isJIT: Bool

    /// Option bits for the pcre modifiers Suricata maps onto PCRE2.
    package struct Options: OptionSet, Sendable {
        /// The PCRE2 option bits.
        package let rawValue: UInt32
        /// Wraps PCRE2 option bits.
        package init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `i`: PCRE2_CASELESS.
        package static let caseless = Options(rawValue: UInt32(PCRE2_CASELESS))
        /// `s`: PCRE2_DOTALL.
        package static let dotAll = Options(rawValue: UInt32(PCRE2_DOTALL))
        /// `m`: PCRE2_MULTILINE.
        package static let multiline = Options(rawValue: UInt32(PCRE2_MULTILINE))
        /// `x`: PCRE2_EXTENDED.
        package static let extended = Options(rawValue: UInt32(PCRE2_EXTENDED))
        /// `A`: PCRE2_ANCHORED.
        package static let anchored = Options(rawValue: UInt32(PCRE2_ANCHORED))
        /// `E`: PCRE2_DOLLAR_ENDONLY.
        package static let dollarEndOnly = Options(rawValue: UInt32(PCRE2_DOLLAR_ENDONLY))
        /// `G`: PCRE2_UNGREEDY.
        package static let ungreedy = Options(rawValue: UInt32(PCRE2_UNGREEDY))
    }

    /// Compiles `pattern` with `options`.
    ///
    /// - Throws: ``RegexCompileError`` with PCRE2's message and offset.
    package init(pattern: String, options: Options) throws(RegexCompileError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let bytes = Array(pattern.utf8)
        let compiled = bytes.withUnsafeBufferPointer { buffer in
            pcre2_compile_8(buffer.baseAddress, buffer.count, options.rawValue, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var message = [UInt8](repeating: 0, count: 256)
            let length = pcre2_get_error_message_8(errorCode, &message, message.count)
            let text = String(decoding: message.prefix(max(0, Int(length))), as: UTF8.self)
            throw RegexCompileError(message: text, offset: errorOffset)
        }
        self.code = compiled
        self.isJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
    }

    deinit { pcre2_code_free_8(self.code) }

    /// Searches `subject[startOffset...]`; the subject is the whole slice passed, so `^` anchors at its start.
    ///
    /// - Returns: The match's start and end offsets within `subject`, or `nil` (no match, or a resource limit).
    /// - Complexity: Depends on the pattern; bounded by the scratch's match limit. No allocation.
    package func firstMatch(in subject: UnsafeRawBufferPointer, from startOffset: Int, scratch: RegexMatchScratch)
        -> (start: Int, end: Int)?
    {
        guard startOffset <= subject.count else { return nil }
        // PCRE2 wants a non-null pointer even for an empty subject.
        let base = subject.baseAddress ?? UnsafeRawPointer(scratch.emptySubject)
        let result = pcre2_match_8(
            self.code,
            base.assumingMemoryBound(to: UInt8.self),
            subject.count,
            startOffset,
            0,
            scratch.matchData,
            scratch.matchContext
        )
        guard result >= 0, let vector = pcre2_get_ovector_pointer_8(scratch.matchData) else { return nil }
        return (Int(vector[0]), Int(vector[1]))
    }
}

extension CompiledRegex {
    /// The first capture group of the first match in `subject` (the whole match when the pattern has no group).
    package func firstCapture(in subject: UnsafeRawBufferPointer, scratch: RegexMatchScratch) -> Range<Int>? {
        let base = subject.baseAddress ?? UnsafeRawPointer(scratch.emptySubject)
        let result = pcre2_match_8(
            self.code, base.assumingMemoryBound(to: UInt8.self), subject.count, 0, 0, scratch.matchData,
            scratch.matchContext)
        guard result >= 0, let vector = pcre2_get_ovector_pointer_8(scratch.matchData) else { return nil }
        let group = result >= 2 ? 1 : 0
        let start = Int(vector[2 * group])
        let end = Int(vector[2 * group + 1])
        guard start <= end, end <= subject.count else { return nil }
        return start..<end
    }
}

/// Per-worker PCRE2 state: match data (reused for every match), a JIT stack and a match context with limits.
package final class RegexMatchScratch: @unchecked Sendable {
    let matchData: OpaquePointer
    let matchContext: OpaquePointer?
    let jitStack: OpaquePointer?
    let emptySubject: UnsafeMutablePointer<UInt8>

    /// Makes scratch with Suricata's default limits (`pcre.match-limit` 3500, recursion 1500).
    package init(matchLimit: UInt32 = 3500, depthLimit: UInt32 = 1500) {
        guard let data = pcre2_match_data_create_8(32, nil) else {
            preconditionFailure("pcre2_match_data_create_8 failed: out of memory")
        }
        self.matchData = data
        let context = pcre2_match_context_create_8(nil)
        let stack = pcre2_jit_stack_create_8(32 * 1024, 512 * 1024, nil)
        if let context {
            pcre2_set_match_limit_8(context, matchLimit)
            pcre2_set_depth_limit_8(context, depthLimit)
            if let stack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(stack)) }
        }
        self.matchContext = context
        self.jitStack = stack
        self.emptySubject = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    }

    deinit {
        pcre2_match_data_free_8(self.matchData)
        if let context = self.matchContext { pcre2_match_context_free_8(context) }
        if let stack = self.jitStack { pcre2_jit_stack_free_8(stack) }
        self.emptySubject.deallocate()
    }
}
