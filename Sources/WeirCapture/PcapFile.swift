// SPDX-License-Identifier: MIT
import CPcap
import Glibc
import WeirCore

/// One record read from a capture file. `bytes` points into libpcap's buffer and is valid only until the
/// next call to ``PcapFile/next()``.
public struct PcapRecord {
    public var timestamp: Timestamp
    public var bytes: UnsafeRawBufferPointer
    /// Length on the wire; larger than `bytes.count` when the capture was cut by its snaplen.
    public var wireLength: Int
    /// The capturing kernel vouched for the frame's checksums: it sent the frame itself and fills them in
    /// later (TP_STATUS_CSUMNOTREADY), or the NIC verified them (TP_STATUS_CSUM_VALID). Live rings only.
    public var checksumsVouched: Bool = false

    /// A frame read elsewhere (a replay worker's copy of one).
    @inlinable
    public init(timestamp: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int, checksumsVouched: Bool = false) {
        self.timestamp = timestamp
        self.bytes = bytes
        self.wireLength = wireLength
        self.checksumsVouched = checksumsVouched
    }
}

/// What ``PcapFile/next()`` found.
public enum PcapReadResult {
    case record(PcapRecord)
    /// Clean end of file.
    case end
    /// The file is damaged at this point (truncated record, impossible length, bad block); everything
    /// before it has been returned. The message is libpcap's.
    case damaged(String)
}

/// A pcap or pcapng file opened for reading through libpcap.
///
/// Timestamps are delivered with microsecond precision whatever the file stores. The reader owns the libpcap
/// handle and closes it when it goes away.
public struct PcapFile: ~Copyable {
    private let handle: OpaquePointer
    /// The path the file was opened from.
    public let path: String
    /// The file's link type (pcap LINKTYPE_ value; for pcapng, that of the first interface).
    public let linkType: Int32
    /// Size of the file in bytes, for progress reporting.
    public let fileSize: Int64
    /// The snapshot length the file declares.
    public let snapshotLength: Int
    /// Records skipped as damaged while reading on (a time outside ``Timestamp/representable``).
    private let skipped = SkippedRecords()

    /// Records skipped so far because their time cannot be represented (a pcapng timestamp, `if_tsoffset` or
    /// `if_tsresol` that puts it past the year 9999 or before 1970). Reading continues after them.
    public var skippedRecords: UInt64 { self.skipped.count }
    /// The first skipped record: its number in the file (1-based) and why.
    public var firstSkippedRecord: (number: UInt64, reason: String)? { self.skipped.first }

    /// Opens `path`.
    /// - Throws: ``CaptureError`` with libpcap's reason (not a capture file, unsupported version, …).
    public init(path: String) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let opened = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_MICRO), buffer.baseAddress)
        }
        guard let handle = opened else {
            let message = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CaptureError(path: path, message: message.isEmpty ? "cannot open capture file" : message)
        }
        self.handle = handle
        self.path = path
        self.linkType = pcap_datalink(handle)
        self.snapshotLength = Int(pcap_snapshot(handle))
        var info = stat()
        self.fileSize = stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    deinit {
        pcap_close(self.handle)
    }

    /// Bytes of the file consumed so far (for progress; 0 when unknown).
    public var position: Int64 {
        guard let file = pcap_file(self.handle) else { return 0 }
        return Int64(ftell(file))
    }

    /// Reads the next record.
    public func next() -> PcapReadResult {
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        while true {
            let rc = pcap_next_ex(self.handle, &header, &data)
            switch rc {
            case 1:
                guard let h = header, let d = data else { return .damaged("libpcap returned a record without data") }
                self.skipped.recordsSeen += 1
                guard
                    let ts = Timestamp.exactly(
                        seconds: Int64(h.pointee.ts.tv_sec), microseconds: Int64(h.pointee.ts.tv_usec))
                else {
                    self.skipped.note("timestamp \(h.pointee.ts.tv_sec).\(h.pointee.ts.tv_usec) s is out of range")
                    continue
                }
                let caplen = Int(h.pointee.caplen)
                return .record(
                    PcapRecord(
                        timestamp: ts,
                        bytes: UnsafeRawBufferPointer(start: d, count: caplen),
                        wireLength: max(Int(h.pointee.len), caplen)
                    )
                )
            case 0:
                continue  // only for live captures; harmless here
            case PCAP_ERROR_BREAK:
                return .end
            default:
                return .damaged(String(cString: pcap_geterr(self.handle)))
            }
        }
    }
}

/// Count of the records ``PcapFile`` skipped (a box, so that reading stays non-mutating).
private final class SkippedRecords {
    var count: UInt64 = 0
    var recordsSeen: UInt64 = 0
    var first: (number: UInt64, reason: String)?

    func note(_ reason: String) {
        self.count += 1
        if self.first == nil { self.first = (self.recordsSeen, reason) }
    }
}
