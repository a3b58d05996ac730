// SPDX-License-Identifier: MIT
import CLibHTP
import WeirDetect
import WeirOutput

/// Progress of one direction of an HTTP transaction, as detection's buffers need it.
enum HTTPProgress {
    static let none = 0
    /// Request or status line parsed.
    static let line = 1
    /// Headers parsed.
    static let headers = 2
    /// Body data arriving.
    static let body = 3
    /// Direction complete.
    static let complete = 5
}

/// The bytes of a libhtp `bstr` (a view; valid while libhtp keeps the string).
@inline(__always)
func bstrBytes(_ b: UnsafeMutablePointer<bstr>?) -> UnsafeRawBufferPointer? {
    guard let b else { return nil }
    let length = b.pointee.len
    if let real = b.pointee.realptr { return UnsafeRawBufferPointer(start: real, count: length) }
    return UnsafeRawBufferPointer(start: UnsafeRawPointer(b).advanced(by: MemoryLayout<bstr>.size), count: length)
}

/// One HTTP request/response pair, wrapping libhtp's `htp_tx_t` with the buffers Weir builds from it.
public final class HTTPTransaction: AppLayerTransaction {
    public let id: UInt64
    /// libhtp's transaction; `nil` once libhtp freed it (flow end).
    @exclusivity(unchecked) var htp: UnsafeMutablePointer<htp_tx_t>?
    @exclusivity(unchecked) var requestProgress = HTTPProgress.none
    @exclusivity(unchecked) var responseProgress = HTTPProgress.none
    @exclusivity(unchecked) public var events: [AppLayerEvent] = []
    @exclusivity(unchecked) public var detectState = TransactionDetectState()
    @exclusivity(unchecked) public var isLogged = false

    /// Normalised URI (path, query, fragment; with `uri-include-all` also scheme and authority); only built
    /// when a rule inspects `http.uri` (else ``uriNotKept``).
    @exclusivity(unchecked) var normalizedURI: [UInt8]?
    @exclusivity(unchecked) var uriNotKept = false
    /// Header bytes as received (without the request/status line).
    @exclusivity(unchecked) var requestHeadersRaw: [UInt8] = []
    @exclusivity(unchecked) var responseHeadersRaw: [UInt8] = []
    /// Request body, dechunked (and decompressed when libhtp does), up to `request-body-limit`.
    @exclusivity(unchecked) var requestBody: [UInt8] = []
    /// Response body, dechunked and decompressed, up to `response-body-limit`.
    @exclusivity(unchecked) var responseBody: [UInt8] = []
    /// Total body bytes seen (beyond the stored limit too).
    @exclusivity(unchecked) var requestBodySeen = 0
    @exclusivity(unchecked) var responseBodySeen = 0
    /// The body stopped being stored at the limit.
    @exclusivity(unchecked) var requestBodyTruncated = false
    @exclusivity(unchecked) var responseBodyTruncated = false
    /// The direction's stream ended (FIN, RST or flow end): what the body holds is all it will hold.
    @exclusivity(unchecked) var requestStreamEnded = false
    /// Decodes a request body sent with `Content-Encoding: gzip` or `deflate` (from its headers to its end).
    @exclusivity(unchecked) var requestDecoder: RequestBodyDecoder?
    @exclusivity(unchecked) var responseStreamEnded = false
    /// How much of each body detection has inspected, by ``HTTPBodyBuffer`` (Suricata's `body_inspected`).
    @exclusivity(unchecked) var bodyInspected: (request: Int, requestFile: Int, responseFile: Int) = (0, 0, 0)
    /// A gap hit the body (fileinfo `gaps`).
    @exclusivity(unchecked) var responseBodyGap = false
    /// Hashes of the response body (fileinfo with `force-hash`).
    @exclusivity(unchecked) var fileHashes: FileHashes?
    /// A POST (not multipart) or PUT body is an uploaded file, as Suricata tracks it (named after the URI path).
    @exclusivity(unchecked) var requestIsFile = false
    /// A gap hit the request body, and the request file's hashes.
    @exclusivity(unchecked) var requestBodyGap = false
    @exclusivity(unchecked) var requestFileHashes: FileHashes?
    /// The files being stored (`file-store`): the response body, and an upload.
    @exclusivity(unchecked) var responseStore: StoredFile?
    @exclusivity(unchecked) var requestStore: StoredFile?
    /// The response file's name, kept once built (``responseFileName``): the `file.name` buffer points into it.
    @exclusivity(unchecked) var keptFileName: [UInt8]?
    /// Buffers built on demand, cached once the headers are final (by ``BuiltBuffer``; made on first use).
    @exclusivity(unchecked) private var cache: [[UInt8]?] = []

    /// The buffers ``built(_:_:)`` caches.
    enum BuiltBuffer: Int, CaseIterable {
        case headersToServer, headersToClient, namesToServer, namesToClient, startToServer, startToClient, host
        case headerLinesToServer, headerLinesToClient
    }

    init(id: UInt64, htp: UnsafeMutablePointer<htp_tx_t>) {
        self.id = id
        self.htp = htp
    }

    public func progress(toServer: Bool) -> Int { toServer ? self.requestProgress : self.responseProgress }
    public func completeProgress(toServer: Bool) -> Int { HTTPProgress.complete }
    public func hasNewData(toServer: Bool) -> Bool { self.hasNewBodyData(toServer: toServer) }

    func raise(_ name: String) {
        let event = AppLayerEvent("http." + name)
        if !self.events.contains(event) { self.events.append(event) }
    }

    // MARK: Fields

    var method: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.request_method) }
    var requestURI: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.request_uri) }
    var requestProtocol: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.request_protocol) }
    var requestLine: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.request_line) }
    var responseLine: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.response_line) }
    var responseProtocol: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.response_protocol) }
    var statusCode: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.response_status) }
    var statusMessage: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.response_message) }
    var hostname: UnsafeRawBufferPointer? { bstrBytes(self.htp?.pointee.request_hostname) }
    var statusNumber: Int { Int(self.htp?.pointee.response_status_number ?? 0) }

    /// The value of the first header called `name` (case-insensitive) in one direction.
    /// Found as libhtp's `htp_table_get_c` finds it (the first key equal ignoring ASCII case and NUL bytes in the
    /// key), by a scan that compares a key only when its length allows a match.
    func header(_ name: String, toServer: Bool) -> UnsafeRawBufferPointer? {
        guard let tx = self.htp else { return nil }
        guard let table = toServer ? tx.pointee.request_headers : tx.pointee.response_headers else { return nil }
        var name = name
        return name.withUTF8 { wanted -> UnsafeRawBufferPointer? in
            for i in 0..<htp_table_size(table) {
                var key: UnsafeMutablePointer<bstr>? = nil
                guard let raw = htp_table_get_index(table, i, &key), let keyBytes = bstrBytes(key),
                    Self.headerKey(keyBytes, matches: UnsafeRawBufferPointer(wanted))
                else { continue }
                return bstrBytes(raw.assumingMemoryBound(to: htp_header_t.self).pointee.value)
            }
            return nil
        }
    }

    /// Whether a header table key equals `wanted` ignoring ASCII case and NUL bytes in the key (libhtp's
    /// `bstr_cmp_c_nocasenorzero`; `wanted` holds no NUL).
    static func headerKey(_ key: UnsafeRawBufferPointer, matches wanted: UnsafeRawBufferPointer) -> Bool {
        if key.count < wanted.count { return false }
        if key.count == wanted.count {
            for i in 0..<key.count where asciiLowercase(key[i]) != asciiLowercase(wanted[i]) { return false }
            return true
        }
        var k = 0
        for w in wanted {
            while k < key.count && key[k] == 0 { k += 1 }
            guard k < key.count, asciiLowercase(key[k]) == asciiLowercase(w) else { return false }
            k += 1
        }
        while k < key.count && key[k] == 0 { k += 1 }
        return k == key.count
    }

    /// The header values the `http` EVE object carries (the first header of each name, as ``header(_:toServer:)``
    /// finds it).
    struct LoggedHeaders {
        var userAgent: UnsafeRawBufferPointer?
        var forwardedFor: UnsafeRawBufferPointer?
        var referer: UnsafeRawBufferPointer?
        var contentType: UnsafeRawBufferPointer?
        var location: UnsafeRawBufferPointer?
    }

    /// ``LoggedHeaders`` in one pass over each direction's header table.
    func loggedHeaders() -> LoggedHeaders {
        var out = LoggedHeaders()
        guard let tx = self.htp else { return out }
        // Each direction's table in turn (a call each, not a loop over an array literal allocated per record).
        func scan(_ table: OpaquePointer?, toServer: Bool) {
            guard let table else { return }
            for i in 0..<htp_table_size(table) {
                guard let raw = htp_table_get_index(table, i, nil) else { continue }
                let header = raw.assumingMemoryBound(to: htp_header_t.self)
                guard let name = bstrBytes(header.pointee.name) else { continue }
                // A name matched once keeps its first value; a header without a value is skipped as a lookup
                // by name would return none.
                func take(_ slot: inout UnsafeRawBufferPointer?, _ wanted: StaticString) {
                    guard slot == nil, asciiEqualsLowercase(name, literal: wanted) else { return }
                    slot = bstrBytes(header.pointee.value)
                }
                if toServer {
                    switch name.count {
                    case 10: take(&out.userAgent, "user-agent")
                    case 15: take(&out.forwardedFor, "x-forwarded-for")
                    case 7: take(&out.referer, "referer")
                    default: break
                    }
                } else {
                    switch name.count {
                    case 12: take(&out.contentType, "content-type")
                    case 8: take(&out.location, "location")
                    default: break
                    }
                }
            }
        }
        scan(tx.pointee.request_headers, toServer: true)
        scan(tx.pointee.response_headers, toServer: false)
        return out
    }

    /// Calls `body` with each header's name and value, in order.
    func forEachHeader(toServer: Bool, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        guard let tx = self.htp else { return }
        guard let table = toServer ? tx.pointee.request_headers : tx.pointee.response_headers else { return }
        let count = htp_table_size(table)
        for i in 0..<count {
            guard let raw = htp_table_get_index(table, i, nil) else { continue }
            let header = raw.assumingMemoryBound(to: htp_header_t.self)
            guard let name = bstrBytes(header.pointee.name) else { continue }
            body(name, bstrBytes(header.pointee.value) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    // MARK: Built buffers

    /// A buffer built from headers once they are final, cached (so the bytes handed to detection stay valid
    /// until the transaction is freed).
    func built(_ key: BuiltBuffer, _ make: () -> [UInt8]) -> [UInt8] {
        if self.cache.isEmpty { self.cache = Array(repeating: nil, count: BuiltBuffer.allCases.count) }
        if let cached = self.cache[key.rawValue] { return cached }
        let bytes = make()
        self.cache[key.rawValue] = bytes
        return bytes
    }

    /// Bytes of one direction's headers as libhtp received them (a size hint for the built buffers).
    private func headerBytesHint(toServer: Bool) -> Int {
        let raw = toServer ? self.requestHeadersRaw.count : self.responseHeadersRaw.count
        return raw > 0 ? raw + 4 : 512
    }

    /// `http.header`: `Name: Value\r\n` per header, without Cookie / Set-Cookie (Suricata's normalised headers).
    func headerBuffer(toServer: Bool) -> [UInt8] {
        self.built(toServer ? .headersToServer : .headersToClient) {
            var out: [UInt8] = []
            out.reserveCapacity(self.headerBytesHint(toServer: toServer))
            let skip = toServer ? "cookie" : "set-cookie"
            self.forEachHeader(toServer: toServer) { name, value in
                if asciiEqualsLowercase(name, skip) { return }
                out.append(contentsOf: name)
                out.append(0x3A)
                out.append(0x20)
                out.append(contentsOf: value)
                out.append(0x0D)
                out.append(0x0A)
            }
            return out
        }
    }

    /// `http.request_header` / `http.response_header`: every header as `Name: Value` (Cookie included, in the
    /// order received), one after the other without separators; ``forEachHeaderLine(toServer:_:)`` cuts them
    /// into one inspection buffer each.
    func headerLines(toServer: Bool) -> [UInt8] {
        self.built(toServer ? .headerLinesToServer : .headerLinesToClient) {
            var out: [UInt8] = []
            out.reserveCapacity(self.headerBytesHint(toServer: toServer))
            self.forEachHeader(toServer: toServer) { name, value in
                out.append(contentsOf: name)
                out.append(0x3A)
                out.append(0x20)
                out.append(contentsOf: value)
            }
            return out
        }
    }

    /// Calls `body` with each header's `Name: Value` as a slice of ``headerLines(toServer:)``.
    func forEachHeaderLine(toServer: Bool, _ body: (UnsafeRawBufferPointer) -> Void) {
        let lines = self.headerLines(toServer: toServer)
        lines.withUnsafeBytes { all in
            var start = 0
            self.forEachHeader(toServer: toServer) { name, value in
                let end = min(all.count, start + name.count + 2 + value.count)
                if end > start { body(UnsafeRawBufferPointer(rebasing: all[start..<end])) }
                start = end
            }
        }
    }

    /// `http.header_names`: `\r\n`, each name followed by `\r\n`, then a final `\r\n`.
    func headerNames(toServer: Bool) -> [UInt8] {
        self.built(toServer ? .namesToServer : .namesToClient) {
            var out: [UInt8] = [0x0D, 0x0A]
            self.forEachHeader(toServer: toServer) { name, _ in
                out.append(contentsOf: name)
                out.append(0x0D)
                out.append(0x0A)
            }
            out.append(0x0D)
            out.append(0x0A)
            return out
        }
    }

    /// `http.start`: the request or status line, `\r\n`, the headers as `Name: Value\r\n`, and `\r\n`.
    func startBuffer(toServer: Bool) -> [UInt8] {
        self.built(toServer ? .startToServer : .startToClient) {
            var out: [UInt8] = []
            let line = toServer ? self.requestLine : self.responseLine
            out.reserveCapacity(self.headerBytesHint(toServer: toServer) + (line?.count ?? 0) + 4)
            if let line { out.append(contentsOf: line) }
            out.append(0x0D)
            out.append(0x0A)
            self.forEachHeader(toServer: toServer) { name, value in
                out.append(contentsOf: name)
                out.append(0x3A)
                out.append(0x20)
                out.append(contentsOf: value)
                out.append(0x0D)
                out.append(0x0A)
            }
            out.append(0x0D)
            out.append(0x0A)
            return out
        }
    }

    /// `http.host`: the normalised host name (lowercase; from the URI or the Host header).
    func normalizedHost() -> [UInt8]? {
        guard let host = self.hostname else { return nil }
        // Cached: detection keeps pointers into the array while it inspects.
        return self.built(.host) { host.map { asciiLowercase($0) } }
    }

    /// Bytes of memory this transaction's own buffers hold: what the parser reserved against `http.memcap`
    /// (the built buffers and the file name, like the other caches, are not reserved, so not counted).
    var memoryUse: Int {
        self.requestBody.count + self.responseBody.count + self.requestHeadersRaw.count
            + self.responseHeadersRaw.count + (self.normalizedURI?.count ?? 0)
    }
}

/// True when `bytes` equals the lowercase ASCII `text` ignoring case.
func asciiEqualsLowercase(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
    let utf8 = text.utf8
    guard bytes.count == utf8.count else { return false }
    for (b, c) in zip(bytes, utf8) where asciiLowercase(b) != c { return false }
    return true
}

/// ``asciiEqualsLowercase(_:_:)`` for a lowercase literal, compared through its UTF-8 bytes.
func asciiEqualsLowercase(_ bytes: UnsafeRawBufferPointer, literal text: StaticString) -> Bool {
    guard bytes.count == text.utf8CodeUnitCount else { return false }
    let utf8 = text.utf8Start
    for i in 0..<bytes.count where asciiLowercase(bytes[i]) != utf8[i] { return false }
    return true
}

/// ASCII lowercase of one byte.
@inline(__always)
func asciiLowercase(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }

extension HTTPTransaction: AppLayerFileTransaction {
    public var fileTransaction: (any AppLayerFileTransaction)? { self }

    /// The transaction's files (Suricata's HTTP file tracking): an upload (a POST or PUT body, named after the
    /// URI path), then the response body, named by its Content-Disposition or the URI path.
    public func forEachFile(_ body: (AppLayerFile) -> Void) {
        if self.requestIsFile, self.requestBodySeen > 0 {
            var file = Self.file(
                self.requestFileName, size: self.requestBodySeen,
                complete: self.requestProgress >= HTTPProgress.complete, gap: self.requestBodyGap,
                hashes: self.requestFileHashes)
            file.toServer = true
            file.store = self.requestStore
            body(file)
        }
        guard let name = self.responseFileName else { return }
        var file = Self.file(
            name, size: self.responseBodySeen, complete: self.responseProgress >= HTTPProgress.complete,
            gap: self.responseBodyGap, hashes: self.fileHashes)
        file.store = self.responseStore
        body(file)
    }

    /// One body as a file: closed once its side completes, truncated when a gap hit it or it did not complete
    /// (as Suricata closes it). A closed file has its hashes; a truncated one only a forced SHA-256, over the
    /// bytes seen (Suricata's FileCloseFilePtr).
    private static func file(
        _ name: [UInt8], size: Int, complete: Bool, gap: Bool, hashes: FileHashes?
    ) -> AppLayerFile {
        var file = AppLayerFile(name: name, size: size, state: complete && !gap ? .closed : .truncated, gaps: gap)
        if complete, !gap, let digests = hashes?.finalize() {
            file.md5 = digests.md5
            file.sha1 = digests.sha1
            file.sha256 = digests.sha256
        } else if let hashes, hashes.forcedSHA256 {
            file.sha256 = hashes.finalizeSHA256()
        }
        return file
    }
}

extension HTTPTransaction {
    /// The name of the response body as a file (`fileinfo.filename`, the `file.name` buffer), `nil` while no
    /// body byte arrived (Suricata opens the file with the first one): the Content-Disposition `filename=`,
    /// else the request's URI path.
    var responseFileName: [UInt8]? {
        if let kept = self.keptFileName { return kept }
        guard self.responseBodySeen > 0 else { return nil }
        let name = self.buildResponseFileName()
        self.keptFileName = name
        return name
    }

    /// An upload's name: the request's URI path (Suricata's `HtpRequestBodyHandlePOSTorPUT`).
    var requestFileName: [UInt8] {
        if let path = bstrBytes(self.htp?.pointee.parsed_uri?.pointee.path) { return Array(path) }
        if let uri = self.normalizedURI ?? self.unkeptURI() { return Array(uri.prefix { $0 != 0x3F }) }
        return []
    }

    /// The file name from the response headers and the request line (final once the body started).
    private func buildResponseFileName() -> [UInt8] {
        if let disposition = self.header("content-disposition", toServer: false),
            let given = Self.dispositionFilename(disposition)
        {
            return given
        } else if let path = bstrBytes(self.htp?.pointee.parsed_uri?.pointee.path) {
            return Array(path)
        } else if let uri = self.normalizedURI ?? self.unkeptURI() {
            return Array(uri.prefix { $0 != 0x3F })
        }
        return []
    }

    /// The normalised URI built now, for a transaction that did not keep it (no rule on `http.uri`).
    func unkeptURI() -> [UInt8]? {
        guard self.uriNotKept, let tx = self.htp else { return nil }
        let includeAll = HTTPParser.parser(tx.pointee.connp)?.config.settings.uriIncludeAll ?? false
        return HTTPParser.normalizedURI(tx.pointee.parsed_uri, includeAll: includeAll)
    }

    /// The `filename=` parameter of a Content-Disposition value (quotes removed), as Suricata names a file
    /// that a server sends as an attachment.
    static func dispositionFilename(_ value: UnsafeRawBufferPointer) -> [UInt8]? {
        let bytes = Array(value)
        let key = Array("filename=".utf8)
        var i = 0
        while i + key.count <= bytes.count {
            var found = true
            for k in 0..<key.count where asciiLowercase(bytes[i + k]) != key[k] {
                found = false
                break
            }
            // Not the tail of another parameter (`xfilename=`); `filename*=` is a different parameter.
            if found && (i == 0 || bytes[i - 1] == 0x3B || bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09) {
                var start = i + key.count
                var end: Int
                if start < bytes.count && bytes[start] == 0x22 {
                    start += 1
                    end = start
                    while end < bytes.count && bytes[end] != 0x22 { end += 1 }
                } else {
                    end = start
                    while end < bytes.count && bytes[end] != 0x3B { end += 1 }
                    while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
                }
                return end > start ? Array(bytes[start..<end]) : nil
            }
            i += 1
        }
        return nil
    }
}
