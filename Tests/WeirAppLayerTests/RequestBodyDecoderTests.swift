// SPDX-License-Identifier: MIT
import CZlib
import Testing

@testable import WeirAppLayer

/// Request bodies with `Content-Encoding: gzip` / `deflate`, decoded as Suricata 8 decodes them.
@Suite struct RequestBodyDecoderTests {
    /// `data` compressed by zlib: window bits 31 gzip, 15 zlib, -15 raw deflate.
    static func compress(_ data: [UInt8], bits: Int32) -> [UInt8] {
        var stream = z_stream()
        #expect(cweir_deflate_init2(&stream, 6, bits) == Z_OK)
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: data.count + 1024)
        var input = data
        let produced = input.withUnsafeMutableBytes { inBytes in
            out.withUnsafeMutableBytes { outBytes -> Int in
                stream.next_in = inBytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inBytes.count)
                stream.next_out = outBytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBytes.count)
                #expect(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBytes.count - Int(stream.avail_out)
            }
        }
        return Array(out[0..<produced])
    }

    /// Feeds `body` in pieces of `piece` bytes and returns what came out.
    static func decode(
        _ body: [UInt8], format: RequestBodyDecoder.Format, piece: Int, limit: Int = 0, bomb: Int = 1 << 20
    ) -> [UInt8] {
        let decoder = RequestBodyDecoder(format: format, limit: limit, bombLimit: bomb)
        var out: [UInt8] = []
        var at = 0
        while at < body.count {
            let end = min(body.count, at + piece)
            body[at..<end].withUnsafeBytes { decoder.write($0) { out.append(contentsOf: $0) } }
            at = end
        }
        decoder.finish { out.append(contentsOf: $0) }
        return out
    }

    static let text = Array((0..<3000).map { "line \($0) of a request body\n" }.joined().utf8)

    @Test(arguments: [1, 7, 100, 100_000])
    func compressedBodiesDecodeInAnyPieces(piece: Int) {
        #expect(Self.decode(Self.compress(Self.text, bits: 31), format: .gzip, piece: piece) == Self.text)
        #expect(Self.decode(Self.compress(Self.text, bits: -15), format: .deflate, piece: piece) == Self.text)
        // Marked deflate but zlib-wrapped, or marked gzip but raw deflate: the retries find the format (fed a
        // byte at a time, raw deflate makes output of the zlib header before it fails, and keeps it).
        if piece > 1 {
            #expect(Self.decode(Self.compress(Self.text, bits: 15), format: .deflate, piece: piece) == Self.text)
        }
        #expect(Self.decode(Self.compress(Self.text, bits: -15), format: .gzip, piece: piece) == Self.text)
    }

    /// Marked gzip but sent in clear: no gzip header, the retries fail, the bytes pass through. Marked
    /// deflate, the first format itself inflates garbage before failing: that output is kept and decoding
    /// stops, as in Suricata 8.
    @Test func clearBodyMarkedCompressed() {
        let json = Array(#"{"sdk_version":11026,"app_package":"com.example","device_id":"35"}"#.utf8)
        #expect(Self.decode(json, format: .gzip, piece: 1000) == json)
        // In pieces: what a failed format took before its error is gone; the rest passes through.
        let form = Array("user=admin&pass=hunter2&submit=1".utf8)
        let passed = Self.decode(form, format: .gzip, piece: 5)
        #expect(!passed.isEmpty && form.suffix(passed.count) == passed[...], "\(passed)")
        let deflated = Self.decode(json, format: .deflate, piece: 1000)
        #expect(!deflated.isEmpty && deflated != json)
    }

    @Test func limitsAndTrailingBytes() {
        let packed = Self.compress(Self.text, bits: 31)
        // Bytes after the end of the compressed stream are ignored.
        #expect(Self.decode(packed + Array("trailing".utf8), format: .gzip, piece: 512) == Self.text)
        // Output stops near the body limit (whole 8 KiB pieces at most past it).
        let limited = Self.decode(packed, format: .gzip, piece: 512, limit: 10_000)
        #expect(limited.count >= 10_000 && limited.count < 10_000 + 2 * RequestBodyDecoder.pieceSize)
        #expect(Array(Self.text.prefix(limited.count)) == limited)
        // A bomb, with no body limit: 16 MiB of zeros from about 16 KiB stops at the 1 MiB bomb limit.
        let zeros = Self.compress([UInt8](repeating: 0, count: 16 << 20), bits: 31)
        let bomb = Self.decode(zeros, format: .gzip, piece: 4096, bomb: 1 << 20)
        #expect(bomb.count >= 1 << 20 && bomb.count < (1 << 20) + 2 * RequestBodyDecoder.pieceSize, "\(bomb.count)")
    }

    @Test func gzipHeaderFields() {
        #expect(RequestBodyDecoder.gzipHeaderLength([0x1f, 0x8b]) == .incomplete)
        #expect(RequestBodyDecoder.gzipHeaderLength([0x1f, 0x8c, 0x08]) == .invalid)
        let plain: [UInt8] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]
        #expect(RequestBodyDecoder.gzipHeaderLength(plain) == .length(10))
        // FEXTRA (2 + 3 bytes), FNAME "a\0", FCOMMENT "\0", FHCRC (2 bytes).
        var full: [UInt8] = [0x1f, 0x8b, 0x08, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3, 3, 0, 9, 9, 9]
        full += [0x61, 0, 0, 0xab, 0xcd]
        #expect(RequestBodyDecoder.gzipHeaderLength(full) == .length(full.count))
        #expect(RequestBodyDecoder.gzipHeaderLength(Array(full.dropLast())) == .incomplete)
        #expect(RequestBodyDecoder.format(contentEncoding: Array("X-GZIP".utf8)) == .gzip)
        #expect(RequestBodyDecoder.format(contentEncoding: Array("deflate ".utf8)) == .deflate)
        #expect(RequestBodyDecoder.format(contentEncoding: Array("br".utf8)) == nil)
    }

    /// Through libhtp and the stage: the request body buffer holds the decoded body, or the clear one.
    @Test func requestBodyBufferIsDecoded() {
        func body(_ payload: [UInt8], encoding: String) -> String? {
            let driver = StageDriver(ids: ["http.request_body": 7])
            let head = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Encoding: \(encoding)\r\nContent-Length: \(payload.count)\r\n\r\n"
            driver.send(Array(head.utf8) + payload, toServer: true)
            return driver.buffers(toServer: true)[0]?.first { $0.0 == 7 }?.1
        }
        let clear = "cmd=uname%20-a&token=secret"
        #expect(body(Self.compress(Array(clear.utf8), bits: 31), encoding: "gzip") == clear)
        #expect(body(Self.compress(Array(clear.utf8), bits: 15), encoding: "deflate") == clear)
        #expect(body(Array(clear.utf8), encoding: "gzip") == clear)
        #expect(body(Array(clear.utf8), encoding: "identity") == clear)
    }
}

