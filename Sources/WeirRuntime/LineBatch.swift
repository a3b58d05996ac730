// SPDX-License-Identifier: MIT
import CWeirLinux

/// Whole lines for one ``FileSink`` collected in a fixed buffer and written in batches of about 64 KiB, the
/// way the EVE writer batches its records (fast.log: one `write` per alert was a system call per alert).
///
/// The buffer never moves, so after each line its complete bytes are published to the crash flush: a fatal
/// signal still writes them out. The owner hands the batch over at the same points as the EVE batch
/// (``flush()``: idle live capture, log rotation, end of run). One owner thread; not shared.
final class LineBatch {
    let sink: FileSink
    private let storage: UnsafeMutableRawBufferPointer
    private var count = 0
    /// The room the last ``reserve(_:)`` gave, until its ``commit(_:)``.
    private var reserved = 0
    /// Bytes collected before a write.
    private let threshold: Int
    private let crashSlot: Int32

    init(sink: FileSink, threshold: Int = 64 * 1024) {
        self.sink = sink
        self.threshold = threshold
        self.storage = UnsafeMutableRawBufferPointer.allocate(byteCount: threshold, alignment: 16)
        self.crashSlot = cweir_crash_flush_register(sink.fd)
    }

    deinit {
        self.writeOut()
        if self.crashSlot >= 0 { cweir_crash_flush_unregister(self.crashSlot) }
        self.storage.deallocate()
    }

    /// Adds one complete line (ending in `\n`). A line that does not fit goes after the batch is written; one
    /// longer than the whole buffer is written on its own.
    func append(_ line: UnsafeRawBufferPointer) {
        guard line.count > 0 else { return }
        if self.count + line.count > self.storage.count { self.writeOut() }
        if line.count > self.storage.count {
            self.sink.write(line)
            return
        }
        UnsafeMutableRawBufferPointer(rebasing: self.storage[self.count..<self.count + line.count]).copyMemory(
            from: line)
        self.added(line.count)
    }

    /// Room for one line of at most `bound` bytes, written in place and then added with ``commit(_:)``:
    /// nothing is copied on the way. Pending lines are written first when the room is not there; `nil` when
    /// `bound` is more than the whole buffer (make such a line aside and ``append(_:)`` it).
    func reserve(_ bound: Int) -> UnsafeMutablePointer<UInt8>? {
        guard bound <= self.storage.count else { return nil }
        if self.count + bound > self.storage.count { self.writeOut() }
        self.reserved = bound
        return self.storage.baseAddress!.assumingMemoryBound(to: UInt8.self) + self.count
    }

    /// Adds the line of `length` bytes written at the room ``reserve(_:)`` gave (a complete line ending in
    /// `\n`, no longer than the room).
    func commit(_ length: Int) {
        precondition(length <= self.reserved, "a line overran the room it reserved")
        self.reserved = 0
        self.added(length)
    }

    /// `length` bytes of whole lines were put after the pending ones: the batch goes when full, else the
    /// pending lines are published to the crash flush.
    private func added(_ length: Int) {
        self.count += length
        if self.count >= self.threshold {
            self.writeOut()
        } else if self.crashSlot >= 0 {
            cweir_crash_flush_publish(self.crashSlot, self.storage.baseAddress, self.count)
        }
    }

    /// Writes the collected lines and flushes the sink.
    func flush() {
        self.writeOut()
        self.sink.flush()
    }

    /// Bytes collected and not yet written (for tests).
    var pendingCount: Int { self.count }

    private func writeOut() {
        guard self.count > 0 else { return }
        // Unpublished first: a crash inside the write must not write these bytes a second time.
        if self.crashSlot >= 0 { cweir_crash_flush_publish(self.crashSlot, nil, 0) }
        self.sink.write(UnsafeRawBufferPointer(rebasing: self.storage[0..<self.count]))
        self.count = 0
    }
}
