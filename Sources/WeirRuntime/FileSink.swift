// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirOutput

/// An ``OutputSink`` that writes straight to a file (the EVE writer batches, so no second buffer here).
public final class FileSink: OutputSink {
    /// The open file (close-on-exec).
    public let fd: Int32
    /// The file's path.
    public let path: String
    /// The first write error, if any: output stops being written after it, and the run reports it.
    @exclusivity(unchecked) public private(set) var writeError: String?

    /// Opens `path` for writing, appending or truncating.
    /// - Throws: ``RuntimeError`` naming the path and the system's reason.
    public init(path: String, append: Bool) throws(RuntimeError) {
        // Always O_APPEND: several live-capture workers write whole records into one file, each at its end.
        // Only regular files: a device, FIFO or socket named as a log is refused, never truncated or replaced
        // (a FIFO without a reader would also block the open).
        try OutputFile.requireRegularOrAbsent(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw RuntimeError("cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw RuntimeError("cannot write \(path): not a regular file")
        }
        if !append && ftruncate(fd, 0) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RuntimeError("cannot truncate \(path): \(reason)")
        }
        self.fd = fd
        self.path = path
    }

    deinit {
        close(self.fd)
    }

    /// Opens the path again and puts the new file in place of the old one under the same descriptor, for log
    /// rotation (rename, then SIGHUP): records written after this go to a new file at `path`. Never truncates.
    /// On failure the old file stays in use and the error says why.
    public func reopen() throws(RuntimeError) {
        try OutputFile.requireRegularOrAbsent(self.path)
        let fresh = open(self.path, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND | O_NONBLOCK, 0o644)
        guard fresh >= 0 else {
            throw RuntimeError("cannot reopen \(self.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fresh) }
        var info = stat()
        guard fstat(fresh, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw RuntimeError("cannot reopen \(self.path): not a regular file")
        }
        guard cweir_replace_descriptor(fresh, self.fd) >= 0 else {
            throw RuntimeError("cannot reopen \(self.path): \(String(cString: strerror(errno)))")
        }
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
        guard var cursor = bytes.baseAddress else { return 0 }
        let end = cursor + bytes.count
        var count: UInt64 = 0
        while cursor < end, let found = memchr(cursor, 0x0A, end - cursor) {
            count += 1
            cursor = UnsafeRawPointer(found) + 1
        }
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

/// Whole output files written at the end of a command (`weir test --json/--junit`): a regular file or `-`.
public enum OutputFile {
    /// Fails unless `path` is absent or a regular file (after symbolic links).
    public static func requireRegularOrAbsent(_ path: String) throws(RuntimeError) {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw RuntimeError("cannot write \(path): not a regular file")
        }
    }

    /// Writes `text` to `path`, or to standard output for `-`. A file is written beside its final name and
    /// renamed over it, so readers see the old or the new content; anything that is not a regular file is
    /// refused, and every failed write, sync or rename is an error.
    public static func write(_ text: String, to path: String) throws(RuntimeError) {
        var bytes = Array(text.utf8)
        if path == "-" {
            try Self.writeAll(1, &bytes, name: "standard output")
            return
        }
        try Self.requireRegularOrAbsent(path)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RuntimeError("cannot write \(path): \(String(cString: strerror(errno)))") }
        do throws(RuntimeError) {
            try Self.writeAll(fd, &bytes, name: path)
            guard fsync(fd) == 0 else { throw RuntimeError("cannot write \(path): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        let closed = close(fd)
        guard closed == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RuntimeError("cannot write \(path): \(reason)")
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: inout [UInt8], name: String) throws(RuntimeError) {
        let failure: String? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += n
            }
            return nil
        }
        if let failure { throw RuntimeError("cannot write \(name): \(failure)") }
    }
}
