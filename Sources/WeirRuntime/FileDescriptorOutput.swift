// SPDX-License-Identifier: MIT
import Glibc

/// Unbuffered text output to a file descriptor, for messages on stdout and stderr.
public struct FileDescriptorOutput: Sendable {
    public let fd: Int32

    public static let standardOutput = FileDescriptorOutput(fd: 1)
    public static let standardError = FileDescriptorOutput(fd: 2)

    /// Writes `text` completely, retrying on EINTR and short writes; errors are ignored (nothing else could
    /// report them).
    public func write(_ text: String) {
        var copy = text
        copy.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(self.fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}
