// SPDX-License-Identifier: MIT
import CLibHTP
import WeirCore
import WeirOutput

/// HTTP/1.x as the app layer knows it: detection patterns, the libhtp parser, the sticky buffers and EVE.
public enum HTTPProtocol {
    /// Request methods Suricata's HTTP detection recognises at the start of the client's stream (followed by a
    /// space or a tab, any case).
    static let methods: [[UInt8]] = [
        "GET", "PUT", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "DELETE", "PATCH", "PROPFIND", "PROPPATCH",
        "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "CHECKOUT", "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL", "REPORT",
        "MKWORKSPACE", "MKACTIVITY", "MERGE", "INVALID", "VERSION-CONTROL", "BASELINE-CONTROL",
    ].map { Array($0.utf8) }
    /// Versions recognised at the start of the server's stream.
    static let versions: [[UInt8]] = ["HTTP/0.9", "HTTP/1.0", "HTTP/1.1"].map { Array($0.utf8) }

    /// Case-insensitive pattern probe at offset 0: match, no match, or too short to say.
    static func probe(_ bytes: UnsafeRawBufferPointer, patterns: [[UInt8]], separators: [UInt8]?) -> AppLayerProbeResult
    {
        var undecided = false
        for pattern in patterns {
            let needed = pattern.count + (separators == nil ? 0 : 1)
            var ok = true
            for i in 0..<min(needed, bytes.count) {
                let b = bytes[i]
                if i < pattern.count {
                    if asciiLowercase(b) != asciiLowercase(pattern[i]) {
                        ok = false
                        break
                    }
                } else if let separators, !separators.contains(b) {
                    ok = false
                    break
                }
            }
            guard ok else { continue }
            if bytes.count >= needed { return .match }
            undecided = true
        }
        return undecided ? .needMoreData : .noMatch
    }

    /// The protocol's description for the registry.
    public static let descriptor = AppLayerProtocolDescriptor(
        proto: .http,
        transports: [IPProtocol.tcp],
        probes: [
            AppLayerProbe(direction: .toServer) { bytes, _ in probe(bytes, patterns: methods, separators: [0x20, 0x09])
            },
            AppLayerProbe(direction: .toClient) { bytes, _ in probe(bytes, patterns: versions, separators: nil) },
        ],
        defaultDetectionPorts: nil,
        makeParser: { settings in HTTPParser(settings: settings) },
        makeFactory: { settings in HTTPParserFactory(settings: settings) },
        buffers: buffers,
        eventNames: HTTPEvents.all
    )

    // MARK: Buffers

    /// The HTTP transaction behind a buffer fetch's transaction: an exact class check and an unchecked
    /// downcast (HTTPTransaction is final), not a dynamic cast per buffer and transaction.
    @inline(__always)
    static func tx(_ t: any AppLayerTransaction) -> HTTPTransaction? {
        guard type(of: t) == HTTPTransaction.self else { return nil }
        return unsafeDowncast(t, to: HTTPTransaction.self)
    }

    static func field(
        _ name: String,
        toServer: Bool,
        progress: Int,
        _ get: @escaping @Sendable (HTTPTransaction) -> UnsafeRawBufferPointer?
    ) -> AppLayerBufferDescriptor {
        AppLayerBufferDescriptor(name: name, toServer: toServer, progress: progress) { t, body in
            // A field that is present but empty (`User-Agent:` with no value) is an empty buffer, inspected as
            // Suricata inspects it (`bsize:0` and negated contents match it); only an absent one is no buffer.
            guard let t = tx(t), let bytes = get(t) else { return }
            body(bytes)
        }
    }

    /// A buffer whose bytes `get` returns as an array the transaction keeps (the inspection reads them after
    /// this call returns, so a temporary array would leave it a dangling view).
    static func built(
        _ name: String,
        toServer: Bool,
        progress: Int,
        _ get: @escaping @Sendable (HTTPTransaction) -> [UInt8]?
    ) -> AppLayerBufferDescriptor {
        AppLayerBufferDescriptor(name: name, toServer: toServer, progress: progress) { t, body in
            guard let t = tx(t), let bytes = get(t), !bytes.isEmpty else { return }
            bytes.withUnsafeBytes { body($0) }
        }
    }

    /// A body buffer, inspected in windows as the body arrives (``HTTPBodyBuffer``): `fetchWindow` gives what
    /// an inspection of the body's own direction reads now; `fetch` the whole body kept so far, once it is
    /// complete, ended, at its limit or past the minimal inspect size (what an inspection of the other
    /// direction reads, for a rule that also needs that direction's buffers).
    static func body(_ name: String, _ buffer: HTTPBodyBuffer) -> AppLayerBufferDescriptor {
        var descriptor = AppLayerBufferDescriptor(name: name, toServer: buffer.toServer, progress: HTTPProgress.body) {
            t, body in
            guard let t = tx(t), t.bodyIsInspectable(buffer) else { return }
            let data = buffer.toServer ? t.requestBody : t.responseBody
            data.withUnsafeBytes { body($0) }
        }
        descriptor.fetchWindow = { t, body in
            guard let t = tx(t), let offset = t.takeBodyWindow(buffer) else { return }
            let data = buffer.toServer ? t.requestBody : t.responseBody
            data.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[offset...]), UInt64(offset)) }
        }
        return descriptor
    }

    static let line = HTTPProgress.line
    static let headers = HTTPProgress.headers

    /// Every HTTP sticky buffer, per direction.
    static let buffers: [AppLayerBufferDescriptor] = {
        var list: [AppLayerBufferDescriptor] = [
            built("http.uri", toServer: true, progress: line) { $0.normalizedURI },
            field("http.uri.raw", toServer: true, progress: line) { $0.requestURI },
            field("http.method", toServer: true, progress: line) { $0.method },
            field("http.protocol", toServer: true, progress: line) { $0.requestProtocol },
            field("http.protocol", toServer: false, progress: line) { $0.responseProtocol },
            field("http.request_line", toServer: true, progress: line) { $0.requestLine },
            field("http.response_line", toServer: false, progress: line) { $0.responseLine },
            field("http.stat_code", toServer: false, progress: line) { $0.statusCode },
            field("http.stat_msg", toServer: false, progress: line) { $0.statusMessage },
            built("http.host", toServer: true, progress: headers) { $0.normalizedHost() },
            field("http.host.raw", toServer: true, progress: headers) { $0.header("host", toServer: true) },
            field("http.cookie", toServer: true, progress: headers) { $0.header("cookie", toServer: true) },
            field("http.cookie", toServer: false, progress: headers) { $0.header("set-cookie", toServer: false) },
            field("http.user_agent", toServer: true, progress: headers) { $0.header("user-agent", toServer: true) },
            field("http.accept", toServer: true, progress: headers) { $0.header("accept", toServer: true) },
            field("http.accept_enc", toServer: true, progress: headers) {
                $0.header("accept-encoding", toServer: true)
            },
            field("http.accept_lang", toServer: true, progress: headers) {
                $0.header("accept-language", toServer: true)
            },
            field("http.referer", toServer: true, progress: headers) { $0.header("referer", toServer: true) },
            field("http.location", toServer: false, progress: headers) { $0.header("location", toServer: false) },
            field("http.server", toServer: false, progress: headers) { $0.header("server", toServer: false) },
            body("http.request_body", .requestBody),
            body("file.data", .responseFile),
            body("file.data", .requestFile),
            // The response body is the transaction's one file; its name is known once its first byte is.
            built("file.name", toServer: false, progress: HTTPProgress.body) { $0.responseFileName },
        ]
        for toServer in [true, false] {
            list.append(
                built("http.header", toServer: toServer, progress: headers) { $0.headerBuffer(toServer: toServer) }
            )
            list.append(
                built("http.header.raw", toServer: toServer, progress: headers) {
                    toServer ? $0.requestHeadersRaw : $0.responseHeadersRaw
                }
            )
            // One buffer per header (Suricata's multi-buffer http.request_header / http.response_header).
            list.append(
                AppLayerBufferDescriptor(
                    name: toServer ? "http.request_header" : "http.response_header", toServer: toServer,
                    progress: headers
                ) { t, body in
                    guard let t = tx(t) else { return }
                    t.forEachHeaderLine(toServer: toServer) { body($0) }
                }
            )
            list.append(
                built("http.header_names", toServer: toServer, progress: headers) {
                    $0.headerNames(toServer: toServer)
                }
            )
            list.append(
                built("http.start", toServer: toServer, progress: headers) { $0.startBuffer(toServer: toServer) }
            )
            list.append(
                field("http.content_type", toServer: toServer, progress: headers) {
                    $0.header("content-type", toServer: toServer)
                }
            )
            list.append(
                field("http.content_len", toServer: toServer, progress: headers) {
                    $0.header("content-length", toServer: toServer)
                }
            )
            list.append(
                field("http.connection", toServer: toServer, progress: headers) {
                    $0.header("connection", toServer: toServer)
                }
            )
        }
        return list
    }()
}

extension HTTPTransaction {
    /// `request_headers` and `response_headers` (eve-log `http: dump-all-headers` and `custom`), each an array of
    /// `{"name":…,"value":…}` in the order the headers came, names cut at 255 bytes and values at 2,047, as
    /// Suricata's `EveHttpLogJSONHeaders`: every header of the directions `request` / `response` say, and of the
    /// others those named in `custom` (lowercase); a direction with none writes no array. Written into the open
    /// `http` object.
    public func writeHeaderArrays(_ w: JSONWriter, request: Bool, response: Bool, custom: [String] = []) {
        guard let tx = self.htp else { return }
        for toServer in [true, false] {
            let whole = toServer ? request : response
            guard whole || !custom.isEmpty,
                let table = toServer ? tx.pointee.request_headers : tx.pointee.response_headers
            else { continue }
            var indices: [Int] = []
            for i in 0..<htp_table_size(table) {
                var key: UnsafeMutablePointer<bstr>? = nil
                guard htp_table_get_index(table, i, &key) != nil else { continue }
                if whole || custom.contains(where: { name in
                    var name = name
                    return name.withUTF8 { wanted in
                        bstrBytes(key).map { Self.headerKey($0, matches: UnsafeRawBufferPointer(wanted)) } ?? false
                    }
                }) {
                    indices.append(i)
                }
            }
            guard !indices.isEmpty else { continue }
            w.beginArray(toServer ? "request_headers" : "response_headers")
            for i in indices {
                guard let raw = htp_table_get_index(table, i, nil) else { continue }
                let header = raw.assumingMemoryBound(to: htp_header_t.self).pointee
                w.beginObject()
                w.key("name")
                w.string(bytes: Self.cut(bstrBytes(header.name), 255))
                w.key("value")
                w.string(bytes: Self.cut(bstrBytes(header.value), 2047))
                w.endObject()
            }
            w.endArray()
        }
    }

    /// At most `limit` bytes of `bytes` (an absent field is empty).
    private static func cut(_ bytes: UnsafeRawBufferPointer?, _ limit: Int) -> UnsafeRawBufferPointer {
        guard let bytes else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return bytes.count > limit ? UnsafeRawBufferPointer(rebasing: bytes[0..<limit]) : bytes
    }

    /// Suricata's `http` object: host, URL, agent, content type, referer, method, protocol, status, redirect and
    /// length.
    public func writeEVE(_ w: JSONWriter) {
        w.beginObject("http")
        if let host = self.hostname {
            w.key("hostname")
            w.string(bytes: host)
        }
        if let tx = self.htp, tx.pointee.request_port_number > 0 {
            w.field("http_port", UInt64(tx.pointee.request_port_number))
        }
        if let uri = self.requestURI {
            w.key("url")
            w.string(bytes: uri)
        }
        // The headers it logs, found in one pass over each direction's table (not one table search each).
        let logged = self.loggedHeaders()
        if let agent = logged.userAgent {
            w.key("http_user_agent")
            w.string(bytes: agent)
        }
        if let xff = logged.forwardedFor {
            w.key("xff")
            w.string(bytes: xff)
        }
        if let type = logged.contentType {
            // Without parameters (`text/html; charset=…` → `text/html`).
            let end = type.firstIndex(of: 0x3B) ?? type.count
            w.key("http_content_type")
            w.string(bytes: UnsafeRawBufferPointer(rebasing: type[0..<end]))
        }
        if let referer = logged.referer {
            w.key("http_refer")
            w.string(bytes: referer)
        }
        if let method = self.method {
            w.key("http_method")
            w.string(bytes: method)
        }
        if let proto = self.requestProtocol ?? self.responseProtocol {
            w.key("protocol")
            w.string(bytes: proto)
        }
        if self.statusNumber > 0 {
            w.field("status", UInt64(self.statusNumber))
        } else if let status = self.statusCode, !status.isEmpty {
            if let n = Int(String(decoding: status, as: UTF8.self)), n > 0 {
                w.field("status", UInt64(n))
            } else {
                // A status that is not a number (`2XX`) is logged as sent (Suricata 8's `status_string`).
                w.key("status_string")
                w.string(bytes: status)
            }
        }
        if let location = logged.location {
            w.key("redirect")
            w.string(bytes: location)
        }
        w.field("length", UInt64(max(0, self.htp?.pointee.response_message_len ?? Int64(self.responseBodySeen))))
        w.endObject()
    }
}
