// SPDX-License-Identifier: MIT
import Glibc
import WeirOutput

/// An ``OutputSink`` that writes straight to a file (the EVE writer batches, so no second buffer here).
public final class FileSink: OutputSink {
    private let fd: Int32
    /// The file's path.
    public let path: String
    /// The first write error, if any: output stops being written after it, and the run reports it.
    public private(set) var writeError: String?

    /// Opens `path` for writing, appending or truncating.
    /// - Throws: ``RuntimeError`` naming the path and the system's reason.
    public init(path: String, append: Bool) throws(RuntimeError) {
        // Always O_APPEND: several live-capture workers write whole records into one file, each at its end.
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND | (append ? 0 : O_TRUNC)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw RuntimeError("cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.path = path
    }

    deinit {
        close(self.fd)
    }

    /// Complete lines that reached the file (all of them unless a write failed).
    public private(set) var linesWritten: UInt64 = 0

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard self.writeError == nil, let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(self.fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                self.keepWholeLines(UnsafeRawBufferPointer(rebasing: bytes[..<offset]))
                self.writeError = "\(self.path): \(reason)"
                return
            }
            offset += n
        }
        self.linesWritten += Self.lineCount(bytes)
    }

    /// After a failed write: counts the complete lines of the part that was written, and cuts the file back
    /// to the end of the last one, so a reader never sees half a record (the bytes are whole lines otherwise).
    private func keepWholeLines(_ written: UnsafeRawBufferPointer) {
        self.linesWritten += Self.lineCount(written)
        var partial = 0
        while partial < written.count && written[written.count - 1 - partial] != 0x0A { partial += 1 }
        guard partial > 0 else { return }
        let end = lseek(self.fd, 0, SEEK_END)
        if end >= partial { _ = ftruncate(self.fd, end - off_t(partial)) }
    }

    private static func lineCount(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var count: UInt64 = 0
        for byte in bytes where byte == 0x0A { count += 1 }
        return count
    }

    public func flush() {}
}

/// A start-up or I/O failure of the runtime, with a one-line message.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}

/// Creates `path` and its missing parents, like `mkdir -p`.
func makeDirectories(_ path: String) throws(RuntimeError) {
    var info = stat()
    if stat(path, &info) == 0 {
        guard info.st_mode & S_IFMT == S_IFDIR else { throw RuntimeError("\(path) exists and is not a directory") }
        return
    }
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part
        if stat(prefix, &info) != 0 && mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw RuntimeError("cannot create directory \(prefix): \(String(cString: strerror(errno)))")
        }
        prefix += "/"
    }
}
