// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Suricata's file-store version 2 (`output-filestore.c`): the bytes of each stored file are written to
/// `<directory>/tmp/file.<id>` as they arrive; when the file closes it is moved to
/// `<directory>/<first two hex digits of its SHA-256>/<SHA-256>` (a file already there keeps its content and
/// takes the new one's times), with, under `write-fileinfo`, its `fileinfo` record beside it in
/// `<that path>.<seconds>.<id>.json`. Bytes a gap lost are missing from the stored file, as in Suricata.
///
/// Shared by the workers: file ids and counters are atomic; each open file belongs to one transaction.
public final class FileStore: Sendable {
    /// The store's root (`file-store.dir` below the log directory).
    public let directory: String
    /// `force-filestore`: every file is stored.
    public let storesEveryFile: Bool
    /// `write-fileinfo`.
    public let writesFileInfo: Bool
    /// `max-open-files` (0: a file is opened for each write, as Suricata does without the setting).
    let maxOpenFiles: Int
    private let nextID = Atomic<UInt32>(0)
    private let openFiles = Atomic<Int>(0)
    /// `file_store.fs_errors`: failed opens, writes, renames and removals.
    private let errors = Atomic<UInt64>(0)
    /// `file_store.open_files_max_hit`: a file that could not stay open because `max-open-files` were.
    private let maxHits = Atomic<UInt64>(0)
    /// Kinds of failure already reported (each is reported once; the counter counts them all).
    private let reported = Atomic<UInt8>(0)
    private let warn: @Sendable (String) -> Void

    /// Creates the store's directories (`00` … `ff` and `tmp`) below `directory`, which must exist, when
    /// missing. Throws a message naming the directory that could not be made.
    public init(
        directory: String, storesEveryFile: Bool, writesFileInfo: Bool, maxOpenFiles: Int,
        warn: @escaping @Sendable (String) -> Void
    ) throws(FileStoreError) {
        self.directory = directory
        self.storesEveryFile = storesEveryFile
        self.writesFileInfo = writesFileInfo
        self.maxOpenFiles = maxOpenFiles
        self.warn = warn
        for i in 0..<256 { try Self.makeDirectory(directory + "/" + Self.hexByte(UInt8(i))) }
        try Self.makeDirectory(directory + "/tmp")
    }

    /// Counters for the stats record, Suricata's names.
    public var counters: [(String, UInt64)] {
        [
            ("file_store.fs_errors", self.errors.load(ordering: .relaxed)),
            ("file_store.open_files", UInt64(max(0, self.openFiles.load(ordering: .relaxed)))),
            ("file_store.open_files_max_hit", self.maxHits.load(ordering: .relaxed)),
        ]
    }

    /// Opens a new file for storing: creates its temporary file and returns its handle (nil when it cannot be
    /// created; that is counted and reported once).
    public func open() -> StoredFile? {
        let id = self.nextID.add(1, ordering: .relaxed).newValue
        let path = self.temporaryPath(id)
        let fd = Glibc.open(path, O_CREAT | O_TRUNC | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            self.fail(.open, "cannot create \(path): \(String(cString: strerror(errno)))")
            return nil
        }
        let file = StoredFile(id: id)
        if self.maxOpenFiles > 0 && self.openFiles.add(1, ordering: .relaxed).newValue <= self.maxOpenFiles {
            file.descriptor = fd
        } else {
            if self.maxOpenFiles > 0 {
                self.openFiles.subtract(1, ordering: .relaxed)
                self.maxHits.add(1, ordering: .relaxed)
            }
            close(fd)
        }
        return file
    }

    /// A transaction's file being stored: opened on its first piece (`file` nil), then `bytes` appended (nil for
    /// a gap, whose bytes the stored file lacks, as in Suricata).
    public func store(_ bytes: UnsafeRawBufferPointer?, in file: inout StoredFile?) {
        if file == nil { file = self.open() }
        if let bytes, let file { self.append(file, bytes) }
    }

    /// Appends `bytes` to an open file.
    public func append(_ file: StoredFile, _ bytes: UnsafeRawBufferPointer) {
        guard !file.failed, bytes.count > 0, let base = bytes.baseAddress else { return }
        var fd = file.descriptor
        let kept = fd >= 0
        if !kept {
            fd = Glibc.open(self.temporaryPath(file.id), O_APPEND | O_NOFOLLOW | O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                file.failed = true
                self.fail(.open, "cannot open \(self.temporaryPath(file.id)): \(String(cString: strerror(errno)))")
                return
            }
        }
        var done = 0
        while done < bytes.count {
            let n = write(fd, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                file.failed = true
                self.fail(.write, "cannot write \(self.temporaryPath(file.id)): \(String(cString: strerror(errno)))")
                break
            }
            done += n
        }
        if !kept { close(fd) }
    }

    /// Closes a file and moves it to its place by `sha256` (lowercase hex); `fileInfo` is the record written
    /// beside it under `write-fileinfo`, `seconds` the time in its name. Returns false when the file is not
    /// stored (it failed, or could not be moved), which the caller's `fileinfo` then says.
    public func finish(_ file: StoredFile, sha256: String, seconds: Int64, fileInfo: () -> [UInt8]) -> Bool {
        guard !file.isFinished else { return file.isStored }
        file.isFinished = true
        if file.descriptor >= 0 {
            close(file.descriptor)
            file.descriptor = -1
            self.openFiles.subtract(1, ordering: .relaxed)
        }
        let temporary = self.temporaryPath(file.id)
        guard !file.failed, sha256.utf8.count == 64 else {
            unlink(temporary)
            return false
        }
        let final = self.directory + "/" + String(sha256.prefix(2)) + "/" + sha256
        if access(final, F_OK) == 0 {
            // The same content is stored already: it takes the new copy's times, and the copy goes.
            var info = stat()
            if stat(temporary, &info) == 0 {
                var times = utimbuf(actime: info.st_atim.tv_sec, modtime: info.st_mtim.tv_sec)
                _ = utime(final, &times)
            }
            if unlink(temporary) != 0 {
                self.fail(.unlink, "cannot remove \(temporary): \(String(cString: strerror(errno)))")
            }
        } else if rename(temporary, final) != 0 {
            self.fail(.rename, "cannot move \(temporary) to \(final): \(String(cString: strerror(errno)))")
            if unlink(temporary) != 0 { self.errors.add(1, ordering: .relaxed) }
            return false
        }
        // Stored: the sidecar's record says so.
        file.isStored = true
        if self.writesFileInfo {
            let path = final + "." + String(seconds) + "." + String(file.id) + ".json"
            let record = fileInfo()
            let fd = Glibc.open(path, O_CREAT | O_TRUNC | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let written = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written != record.count { self.fail(.write, "cannot write \(path)") }
                close(fd)
            } else {
                self.fail(.open, "cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        return true
    }

    private enum Failure: UInt8 { case open = 1, write = 2, rename = 4, unlink = 8 }

    private func fail(_ kind: Failure, _ message: String) {
        self.errors.add(1, ordering: .relaxed)
        let before = self.reported.bitwiseOr(kind.rawValue, ordering: .relaxed).oldValue
        if before & kind.rawValue == 0 { self.warn("weir: warning: file-store: \(message)\n") }
    }

    private func temporaryPath(_ id: UInt32) -> String { self.directory + "/tmp/file." + String(id) }

    private static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    private static func makeDirectory(_ path: String) throws(FileStoreError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FileStoreError(message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// A file the store is writing: its id (`fileinfo.file_id`) and, with `max-open-files`, its descriptor.
public final class StoredFile {
    /// `file_id`.
    public let id: UInt32
    var descriptor: Int32 = -1
    /// A write failed: nothing more is written and the file is not stored.
    var failed = false
    /// ``FileStore/finish(_:sha256:seconds:fileInfo:)`` ran: the file is closed (stored or not).
    public internal(set) var isFinished = false
    /// The file is in the store (`fileinfo.stored`).
    public internal(set) var isStored = false

    init(id: UInt32) { self.id = id }
}

/// The store's directories could not be made.
public struct FileStoreError: Error, Sendable {
    public let message: String
}
