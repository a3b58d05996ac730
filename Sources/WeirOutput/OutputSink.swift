// SPDX-License-Identifier: MIT

/// Where finished output lines go. The runtime provides the file-backed sink; WeirOutput makes no syscalls.
///
/// Writers hand over whole lines (one or many, each ending in `\n`); a sink must copy the bytes before
/// returning, as the buffer is reused.
public protocol OutputSink: AnyObject {
    /// Takes `bytes`: one or more complete lines.
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Pushes anything buffered to its destination.
    func flush()
}

/// A sink that keeps everything in memory, for tests and benchmarks.
public final class MemorySink: OutputSink {
    /// Every byte written so far.
    public private(set) var bytes: [UInt8] = []
    /// How many times ``flush()`` was called.
    public private(set) var flushCount = 0
    /// Keep only a count instead of the bytes (benchmarks).
    public let isDiscarding: Bool
    /// Bytes written so far (kept or not).
    public private(set) var byteCount = 0

    /// A sink that keeps the bytes, or only counts them when `discarding` is true.
    public init(discarding: Bool = false) {
        self.isDiscarding = discarding
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        self.byteCount += bytes.count
        if !self.isDiscarding { self.bytes.append(contentsOf: bytes) }
    }

    public func flush() { self.flushCount += 1 }

    /// The text written so far.
    public var text: String { String(decoding: self.bytes, as: UTF8.self) }

    /// The lines written so far, without their newlines.
    public var lines: [String] {
        self.text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
