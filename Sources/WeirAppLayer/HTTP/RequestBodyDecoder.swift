// SPDX-License-Identifier: MIT
import CZlib

/// Decodes a request body sent with `Content-Encoding: gzip` or `deflate`, as Suricata 8's HTTP parser does.
///
/// libhtp 0.5 keeps the output of a failed inflate: a body that is marked gzip but sent in clear comes out as
/// the garbage a raw-deflate attempt made of it. Suricata 8 (its Rust port of libhtp) instead tries the other
/// formats in turn (gzip → raw deflate → zlib → gzip, or from deflate: zlib → gzip → deflate), drops what a
/// failed retry produced, and after three retries passes the bytes through as they are; so a rule still sees
/// the clear body. Weir decodes request bodies here (libhtp's request decompression is off) to behave the same:
///
/// - output is handed on in 8 KiB pieces; what a retry produced before its error, not yet handed on, is dropped;
/// - an error in the first format after some output stops decoding (what came out is kept);
/// - the gzip header is parsed leniently (magic, flags and their optional fields; no checksums), then raw deflate;
/// - data after the end of the compressed stream is ignored;
/// - output stops at `limit` bytes (the request body limit: nothing past it is kept anyway) and at the
///   compression-bomb limit (`compression-bomb-limit`), whichever comes first.
final class RequestBodyDecoder {
    enum Format: Equatable {
        case gzip, deflate, zlib

        /// The next format to try after a failure.
        var next: Format {
            switch self {
            case .gzip: return .deflate
            case .deflate: return .zlib
            case .zlib: return .gzip
            }
        }
    }

    /// The format for a `Content-Encoding` value (`gzip`, `x-gzip`, `deflate`, `x-deflate`; letter case ignored),
    /// nil for anything else (sent on undecoded).
    static func format(contentEncoding value: some Collection<UInt8>) -> Format? {
        var text = String(decoding: value, as: UTF8.self).lowercased()
        while text.last == "\0" || text.last == " " { text.removeLast() }
        while text.first == " " { text.removeFirst() }
        switch text {
        case "gzip", "x-gzip": return .gzip
        case "deflate", "x-deflate": return .deflate
        default: return nil
        }
    }

    static let pieceSize = 8192

    private(set) var format: Format
    private var restarts = 0
    private(set) var passthrough = false
    /// Decoding stopped (an error after output in the first format, the limit, or a compression bomb).
    private(set) var stopped = false
    /// The compressed stream ended: later bytes are ignored.
    private var ended = false
    private let stream: UnsafeMutablePointer<z_stream>
    private var streamOpen = false
    /// Gzip header bytes gathered while the header is incomplete, and whether it is done.
    private var header: [UInt8] = []
    private var headerDone = false
    /// Output not yet handed on.
    private var pending: [UInt8] = []
    private var output = 0
    private let limit: Int
    private var scratch = [UInt8](repeating: 0, count: RequestBodyDecoder.pieceSize)

    init(format: Format, limit: Int, bombLimit: Int) {
        self.format = format
        self.limit = min(limit > 0 ? limit : Int.max, bombLimit > 0 ? bombLimit : Int.max)
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
    }

    deinit {
        if self.streamOpen { inflateEnd(self.stream) }
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Decodes the next piece of the (dechunked) body; `emit` receives decoded bytes in order.
    func write(_ data: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) {
        guard !self.stopped, !self.ended, data.count > 0 else { return }
        if self.passthrough {
            emit(data)
            return
        }
        while true {
            if self.decode(data, emit) { return }
            // The format failed on this piece.
            if self.restarts == 0 && !self.pending.isEmpty {
                self.flush(emit)
                self.stopped = true
                return
            }
            self.pending.removeAll(keepingCapacity: true)
            guard self.restarts < 3 else {
                self.passthrough = true
                self.closeStream()
                emit(data)
                return
            }
            self.restarts += 1
            self.format = self.format.next
            self.closeStream()
            self.header.removeAll()
            self.headerDone = false
        }
    }

    /// The body ended: hands on what is pending.
    func finish(emit: (UnsafeRawBufferPointer) -> Void) {
        self.flush(emit)
        self.closeStream()
    }

    // MARK: Decoding

    /// Runs `data` through the current format; false when the format failed.
    private func decode(_ data: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) -> Void) -> Bool {
        if self.format == .gzip && !self.headerDone {
            self.header.append(contentsOf: data)
            switch Self.gzipHeaderLength(self.header) {
            case .incomplete: return true
            case .invalid: return false
            case .length(let length):
                self.headerDone = true
                // The deflate data is what follows the header in what was gathered.
                let gathered = self.header
                self.header.removeAll()
                return gathered.withUnsafeBytes { all in
                    self.inflate(UnsafeRawBufferPointer(rebasing: all[length...]), emit)
                }
            }
        }
        return self.inflate(data, emit)
    }

    private func openStream() -> Bool {
        guard !self.streamOpen else { return true }
        self.stream.pointee = z_stream()
        // Raw deflate after a gzip header, or plain deflate; zlib's own header otherwise.
        let bits: Int32 = self.format == .zlib ? 15 : -15
        guard cweir_inflate_init2(self.stream, bits) == Z_OK else { return false }
        self.streamOpen = true
        return true
    }

    private func closeStream() {
        if self.streamOpen { inflateEnd(self.stream) }
        self.streamOpen = false
    }

    private func inflate(_ data: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard data.count > 0 else { return true }
        guard self.openStream(), let base = data.baseAddress else { return false }
        self.stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        self.stream.pointee.avail_in = uInt(data.count)
        while self.stream.pointee.avail_in > 0 {
            let (status, produced) = self.scratch.withUnsafeMutableBytes { out -> (Int32, Int) in
                self.stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = uInt(out.count)
                let status = CZlib.inflate(self.stream, Z_NO_FLUSH)
                return (status, out.count - Int(self.stream.pointee.avail_out))
            }
            if produced > 0 {
                self.pending.append(contentsOf: self.scratch[0..<produced])
                self.output += produced
                if self.pending.count >= Self.pieceSize { self.flush(emit) }
                if self.output >= self.limit {
                    self.flush(emit)
                    self.stopped = true
                    return true
                }
            }
            switch status {
            case Z_OK: continue
            case Z_STREAM_END:
                self.ended = true
                return true
            case Z_BUF_ERROR where produced > 0: continue
            default: return false
            }
        }
        return true
    }

    private func flush(_ emit: (UnsafeRawBufferPointer) -> Void) {
        guard !self.pending.isEmpty else { return }
        self.pending.withUnsafeBytes { emit($0) }
        self.pending.removeAll(keepingCapacity: true)
    }

    enum HeaderLength: Equatable {
        case incomplete, invalid
        case length(Int)
    }

    /// The length of the gzip header at the start of `bytes` (RFC 1952, checksums not verified).
    static func gzipHeaderLength(_ bytes: [UInt8]) -> HeaderLength {
        let magic: [UInt8] = [0x1f, 0x8b, 0x08]
        for (index, byte) in magic.enumerated() {
            guard index < bytes.count else { return .incomplete }
            if bytes[index] != byte { return .invalid }
        }
        guard bytes.count >= 10 else { return .incomplete }
        let flags = bytes[3]
        var at = 10
        if flags & 0x04 != 0 {
            guard bytes.count >= at + 2 else { return .incomplete }
            at += 2 + Int(bytes[at]) + Int(bytes[at + 1]) << 8
            guard bytes.count >= at else { return .incomplete }
        }
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {
            guard let end = bytes[at...].firstIndex(of: 0) else { return .incomplete }
            at = end + 1
        }
        if flags & 0x02 != 0 {
            at += 2
            guard bytes.count >= at else { return .incomplete }
        }
        return .length(at)
    }
}
