// SPDX-License-Identifier: MIT
import CPCRE2

/// Compiles a rule's regular expression with PCRE2 to report the errors Suricata reports at load time.
///
/// Setup path only (allocates, compiles, frees); the engine compiles and keeps its own code objects.
public enum PCRECompileCheck {
    /// The PCRE2 error for `pattern` compiled with `flags`, or `nil` if it compiles.
    ///
    /// - Returns: The byte offset in `pattern` where PCRE2 stopped, and its message.
    public static func error(pattern: String, flags: PCREMatch.Flags) -> (offset: Int, message: String)? {
        var options: UInt32 = 0
        if flags.contains(.caseless) { options |= UInt32(PCRE2_CASELESS) }
        if flags.contains(.dotAll) { options |= UInt32(PCRE2_DOTALL) }
        if flags.contains(.multiline) { options |= UInt32(PCRE2_MULTILINE) }
        if flags.contains(.extended) { options |= UInt32(PCRE2_EXTENDED) }
        if flags.contains(.anchored) { options |= UInt32(PCRE2_ANCHORED) }
        if flags.contains(.dollarEndOnly) { options |= UInt32(PCRE2_DOLLAR_ENDONLY) }
        if flags.contains(.ungreedy) { options |= UInt32(PCRE2_UNGREEDY) }
        var code: Int32 = 0
        var offset = 0
        let bytes = Array(pattern.utf8)
        let compiled = bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress else { return nil }
            return pcre2_compile_8(base, buffer.count, options, &code, &offset, nil)
        }
        if let compiled {
            pcre2_code_free_8(compiled)
            return nil
        }
        if bytes.isEmpty { return nil }
        var message = [UInt8](repeating: 0, count: 256)
        let length = message.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return pcre2_get_error_message_8(code, base, buffer.count)
        }
        let text = length > 0 ? String(decoding: message[0..<Int(length)], as: UTF8.self) : "error \(code)"
        return (offset, text)
    }
}
