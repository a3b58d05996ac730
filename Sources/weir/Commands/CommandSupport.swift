// SPDX-License-Identifier: MIT
import Glibc

/// The process environment as a dictionary (for `WEIR_KERNEL_VERSION` and friends).
func currentEnvironment() -> [String: String] {
    var out: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            out[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return out
}

/// Writes text to standard output without going through `print`.
func writeStandardOutput(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return -1 }
            return write(1, base + offset, buffer.count - offset)
        }
        if written <= 0 { return }
        offset += written
    }
}
