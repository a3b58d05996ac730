// SPDX-License-Identifier: MIT
#if canImport(Glibc)
    import Glibc
#endif

/// Writes command output to stdout/stderr without `print` (house style).
enum RulesConsole {
    /// Writes `text` to standard output.
    static func out(_ text: String) { self.write(text, to: 1) }

    /// Writes `text` to standard error.
    static func error(_ text: String) { self.write(text, to: 2) }

    private static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, raw.count - offset)
            }
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
        bytes.removeAll()
    }
}
