// SPDX-License-Identifier: MIT

/// Writes EVE records as JSON lines into a reused buffer and hands full batches to a sink.
///
/// Records are rendered straight into the batch buffer (no per-record copy); once the batch passes
/// `batchSize` bytes it goes to the sink in one `write`. ``flush()`` hands over what is left and flushes the
/// sink. One writer per thread; it is not shared, and copies of it share one batch buffer (keep one value).
/// Suricata counterpart: `output-json.c` with its per-thread `MemBuffer`.
public struct EVEWriter<Sink: OutputSink> {
    /// The destination.
    public let sink: Sink
    /// Bytes collected before a write to the sink.
    public let batchSize: Int
    /// The batch being filled.
    private var writer: JSONWriter
    /// Records written so far.
    public private(set) var recordCount: UInt64 = 0
    /// `host`: the `sensor-name`, added to every record when set (as Suricata adds it last).
    public var host: String? = nil
    /// `pcap_filename`: the capture file being read, added to every record when set (`pcap-file: yes`).
    public var pcapFilename: String? = nil

    /// A writer feeding `sink` in batches of about `batchSize` bytes (64 KiB by default).
    public init(sink: Sink, batchSize: Int = 64 * 1024) {
        self.sink = sink
        self.batchSize = batchSize
        self.writer = JSONWriter(capacity: batchSize + 8192)
    }

    /// Writes one flow record line.
    public mutating func write(_ record: EVEFlowRecord) {
        self.writer.writeFlowRecord(record)
        self.finishLine()
    }

    /// Writes one alert record line.
    public mutating func write(_ record: EVEAlertRecord) {
        self.writer.writeAlertRecord(record)
        self.finishLine()
    }

    /// Writes one alert record line with `alert.xff` (the address an HTTP proxy forwarded).
    public mutating func write(_ record: EVEAlertRecord, xff: String) {
        self.writer.writeAlertRecord(record, xff: xff)
        self.finishLine()
    }

    /// Writes one drop record line.
    public mutating func write(_ record: EVEDropRecord) {
        self.writer.writeDropRecord(record)
        self.finishLine()
    }

    /// Writes one stats record line.
    public mutating func write(_ record: EVEStatsRecord) {
        self.writer.writeStatsRecord(record)
        self.finishLine()
    }

    /// Writes one record whose body the caller renders into the open top-level object (app-layer records).
    public mutating func write(_ body: (JSONWriter) -> Void) {
        self.writer.beginObject()
        body(self.writer)
        self.writer.endObject()
        self.finishLine()
    }

    /// Appends one pre-rendered line (must be one JSON object ending in `\n`).
    public mutating func writeLine(_ line: UnsafeRawBufferPointer) {
        self.writer.appendVerbatim(line)
        self.recordCount += 1
        if self.writer.count >= self.batchSize { self.handOver() }
    }

    /// Calls `body` with the records written but not yet handed to the sink: whole lines, as this is only
    /// called between records. (The runtime publishes them for its crash flush.) Mutating though it changes
    /// nothing: called through an optional stored property after every record, a non-mutating call copied the
    /// writer out first (retaining its sink, buffer and two strings) where a mutating one works in place.
    public mutating func withPendingBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        self.writer.withBytes(body)
    }

    /// Hands every buffered line to the sink and flushes it.
    public mutating func flush() {
        self.handOver()
        self.sink.flush()
    }

    private mutating func finishLine() {
        if self.host != nil || self.pcapFilename != nil {
            // The record's closing brace is the last byte: the fields go before it, as Suricata puts them last.
            self.writer.reopenLastObject()
            if let host = self.host { self.writer.field("host", host) }
            if let file = self.pcapFilename { self.writer.field("pcap_filename", file) }
            self.writer.endObject()
        }
        self.writer.endLine()
        self.recordCount += 1
        if self.writer.count >= self.batchSize { self.handOver() }
    }

    private mutating func handOver() {
        guard self.writer.count > 0 else { return }
        self.writer.withBytes { self.sink.write($0) }
        self.writer.reset()
    }
}
