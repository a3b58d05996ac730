// SPDX-License-Identifier: MIT
import CLibHTP
import Synchronization
import WeirCore

/// A libhtp configuration (`htp_cfg_t`) built from ``HTTPSettings`` with Weir's callbacks registered; shared by
/// every connection parser with the same settings and never freed (there are few distinct settings per run).
final class HTPConfig: @unchecked Sendable {
    let cfg: OpaquePointer
    let settings: HTTPSettings

    private static let cache = Mutex<[HTTPSettings: HTPConfig]>([:])

    /// The configuration for `settings`, made on first use.
    static func shared(_ settings: HTTPSettings) -> HTPConfig? {
        cache.withLock { table in
            if let existing = table[settings] { return existing }
            guard let made = HTPConfig(settings) else { return nil }
            table[settings] = made
            return made
        }
    }

    private init?(_ s: HTTPSettings) {
        guard let cfg = htp_config_create() else { return nil }
        self.cfg = cfg
        self.settings = s
        _ = htp_config_set_server_personality(cfg, s.htpPersonality)
        // The IDS personality lowercases the path; rules expect it as sent (Suricata turns it off too).
        htp_config_set_convert_lowercase(cfg, HTP_DECODER_URL_PATH, 0)
        // As Suricata 8: a space inside the URI does not end it.
        htp_config_set_allow_space_uri(cfg, 1)
        htp_config_register_log(cfg) { log in HTTPParser.onLog(log) }
        htp_config_register_request_start(cfg) { tx in HTTPParser.onRequestStart(tx) }
        htp_config_register_request_line(cfg) { tx in HTTPParser.onRequestLine(tx) }
        htp_config_register_request_header_data(cfg) { d in HTTPParser.onHeaderData(d, toServer: true) }
        htp_config_register_request_trailer_data(cfg) { d in HTTPParser.onHeaderData(d, toServer: true) }
        htp_config_register_request_headers(cfg) { tx in HTTPParser.onRequestHeaders(tx) }
        htp_config_register_request_body_data(cfg) { d in HTTPParser.onBodyData(d, toServer: true) }
        htp_config_register_request_complete(cfg) { tx in HTTPParser.onRequestComplete(tx) }
        htp_config_register_response_start(cfg) { tx in HTTPParser.onResponseStart(tx) }
        htp_config_register_response_line(cfg) { tx in HTTPParser.onResponseLine(tx) }
        htp_config_register_response_header_data(cfg) { d in HTTPParser.onHeaderData(d, toServer: false) }
        htp_config_register_response_trailer_data(cfg) { d in HTTPParser.onHeaderData(d, toServer: false) }
        htp_config_register_response_headers(cfg) { tx in HTTPParser.onResponseHeaders(tx) }
        htp_config_register_response_body_data(cfg) { d in HTTPParser.onBodyData(d, toServer: false) }
        htp_config_register_response_complete(cfg) { tx in HTTPParser.onResponseComplete(tx) }
        if s.doubleDecodePath || s.doubleDecodeQuery {
            htp_config_register_request_uri_normalize(cfg) { tx in HTTPParser.onURINormalize(tx) }
        }
        // As Suricata: cookies are not parsed, `+` stays a `+` in queries unless asked, requests decompress too.
        htp_config_set_parse_request_cookies(cfg, 0)
        htp_config_set_plusspace_decode(cfg, HTP_DECODER_URLENCODED, s.queryPlusspaceDecode ? 1 : 0)
        // Request bodies are decoded by RequestBodyDecoder, as Suricata 8 decodes them (libhtp 0.5 keeps the
        // garbage of a failed inflate where Suricata 8 falls back to the clear bytes).
        htp_config_set_request_decompression(cfg, 0)
        htp_config_set_response_decompression_layer_limit(cfg, Int32(s.responseDecompressLayerLimit))
        htp_config_set_lzma_layers(cfg, s.lzmaEnabled ? 1 : 0)
        htp_config_set_lzma_memlimit(cfg, s.lzmaMemlimit)
        htp_config_set_compression_bomb_limit(cfg, s.compressionBombLimit)
        htp_config_set_compression_time_limit(cfg, s.decompressionTimeLimit)
        htp_config_set_number_headers_limit(cfg, UInt32(s.headersLimit))
        htp_config_set_field_limits(cfg, 9000, s.metaFieldLimit ?? 18000)
        htp_config_set_tx_auto_destroy(cfg, 0)
        let path = HTP_DECODER_URL_PATH
        if let b = s.pathConvertBackslash { htp_config_set_backslash_convert_slashes(cfg, path, b ? 1 : 0) }
        if let b = s.pathConvertLowercase { htp_config_set_convert_lowercase(cfg, path, b ? 1 : 0) }
        if let b = s.pathSeparatorsCompress { htp_config_set_path_separators_compress(cfg, path, b ? 1 : 0) }
        if let b = s.pathSeparatorsDecode { htp_config_set_path_separators_decode(cfg, path, b ? 1 : 0) }
        if let b = s.pathUEncodingDecode { htp_config_set_u_encoding_decode(cfg, path, b ? 1 : 0) }
        if let b = s.pathNulEncodedTerminates { htp_config_set_nul_encoded_terminates(cfg, path, b ? 1 : 0) }
        if let b = s.pathNulRawTerminates { htp_config_set_nul_raw_terminates(cfg, path, b ? 1 : 0) }
        if let b = s.pathUTF8ConvertBestfit { htp_config_set_utf8_convert_bestfit(cfg, path, b ? 1 : 0) }
        if let c = s.pathBestfitReplacementChar { htp_config_set_bestfit_replacement_byte(cfg, path, Int32(c)) }
    }
}

/// The HTTP parsers of one stage: the `libhtp.default-config` / `server-config` settings read once, their libhtp
/// configurations made once, and (only when server-configs exist) the entry chosen per server address cached,
/// so a flow's parser costs a libhtp connection parser and no configuration work.
final class HTTPParserFactory: AppLayerParserFactory {
    let counters: AppLayerCounters
    let bufferUse: AppLayerBufferUse
    /// `force-hash`: response bodies are hashed.
    let hashing: Bool
    /// `force-hash` names SHA-256: a truncated file or one with gaps still gets it, over the bytes seen.
    let forcedSHA256: Bool
    /// Where every body file is stored (`file-store` with `force-filestore`).
    let fileStore: FileStore?
    let configs: HTTPServerConfigs
    /// libhtp configurations: the default config's, and each server-config entry's.
    let defaultConfig: HTPConfig?
    let entryConfigs: [HTPConfig?]
    /// Server address → server-config entry index (-1: default config). Bounded: cleared when full.
    @exclusivity(unchecked) private(set) var entryByServer: [IPAddress: Int] = [:]
    static let serverCacheLimit = 65_536
    /// Position of the per-transaction counter `http.memuse`, made on first use.
    @exclusivity(unchecked) var memusePosition = -1
    /// What transactions keep for the rules now loaded, recomputed when the rules' buffers are rebound.
    @exclusivity(unchecked) private var keptCache = HTTPKeptBuffers()
    @exclusivity(unchecked) private var keptGeneration = -1

    var kept: HTTPKeptBuffers {
        if self.keptGeneration != self.bufferUse.generation {
            self.keptCache = HTTPKeptBuffers(self.bufferUse)
            self.keptGeneration = self.bufferUse.generation
        }
        return self.keptCache
    }

    init(settings: AppLayerParserSettings) {
        self.counters = settings.counters
        self.bufferUse = settings.bufferUse
        self.hashing = settings.values["force-hash"].flatMap(parseBool) ?? false
        self.forcedSHA256 = settings.values["force-sha256"].flatMap(parseBool) ?? false
        self.fileStore = settings.fileStore
        self.configs = HTTPServerConfigs.shared(settings.values)
        self.defaultConfig = HTPConfig.shared(self.configs.defaultSettings)
        self.entryConfigs = self.configs.entries.map { HTPConfig.shared($0.settings) }
    }

    /// The libhtp configuration for a flow whose server has `address` (default config when unknown).
    func config(forServer address: IPAddress?) -> HTPConfig? {
        guard !self.entryConfigs.isEmpty, let address else { return self.defaultConfig }
        let index: Int
        if let known = self.entryByServer[address] {
            index = known
        } else {
            index = self.configs.entryIndex(forServer: address.bytes) ?? -1
            if self.entryByServer.count >= Self.serverCacheLimit { self.entryByServer.removeAll() }
            self.entryByServer[address] = index
        }
        return index >= 0 ? self.entryConfigs[index] : self.defaultConfig
    }

    func makeParser(flow: AppLayerFlowInfo) -> (any AppLayerParser)? {
        guard let config = self.config(forServer: flow.serverAddress) else { return nil }
        return HTTPParser(config: config, factory: self, flow: flow)
    }
}

/// What the loaded rules need an HTTP transaction to keep (from ``AppLayerBufferUse``): the other buffers are
/// read from libhtp's own strings when asked for, and these are only copied out when a rule inspects them.
struct HTTPKeptBuffers {
    /// `http.uri` (the normalised URI, built per request).
    var uri = true
    /// `http.request_body` / request `file.data`.
    var requestBody = true
    /// Response `file.data`.
    var responseBody = true
    /// `http.header.raw`.
    var rawHeaders = true
    /// A rule reads `http.request_body`; one reads `file.data` (for the body windows detection inspects).
    var requestBodyRule = true
    var fileData = true

    init() {}

    init(_ use: AppLayerBufferUse) {
        self.uri = use.uses("http.uri")
        self.requestBodyRule = use.uses("http.request_body")
        self.fileData = use.uses("file.data")
        self.requestBody = self.requestBodyRule || self.fileData
        self.responseBody = self.fileData
        self.rawHeaders = use.uses("http.header.raw")
    }
}

/// The HTTP/1 parser of one flow: a libhtp connection parser, the transactions it made, and their buffers.
///
/// libhtp calls back into static functions with its `htp_tx_t`; the connection parser's user data leads back to
/// this object, and each `htp_tx_t`'s user data to its ``HTTPTransaction``.
final class HTTPParser: AppLayerParser {
    let connp: OpaquePointer
    let config: HTPConfig
    let counters: AppLayerCounters
    /// Live transactions, oldest first.
    @exclusivity(unchecked) var live: [HTTPTransaction] = []
    /// Freed transactions libhtp still holds (see ``freeTransactions(through:)``).
    @exclusivity(unchecked) var retired: [HTTPTransaction] = []
    @exclusivity(unchecked) var nextID: UInt64 = 0
    /// Transactions made (the stage counts their growth in `app_layer.tx.http`).
    var transactionsCreated: UInt64 { self.nextID }
    /// A direction libhtp refused (error, tunnel): its data is no longer parsed.
    @exclusivity(unchecked) var requestStopped = false
    @exclusivity(unchecked) var responseStopped = false
    /// Data libhtp could not take yet (it waits for the other direction: CONNECT, 100-continue).
    @exclusivity(unchecked) var pendingRequest: [UInt8] = []
    @exclusivity(unchecked) var pendingResponse: [UInt8] = []
    /// A CONNECT answered with a 2xx status as the flow's first transaction: the connection is a tunnel from the
    /// end of that response, and the stage detects the protocol inside it (Suricata's protocol change request).
    /// The CONNECT's port is the detection port (0 when it named none). Once set, libhtp gets no more data.
    @exclusivity(unchecked) var tunnelPort: UInt16?
    /// Raw-inspection triggers and flow events raised during the current call.
    @exclusivity(unchecked) var triggers: UInt8 = 0
    @exclusivity(unchecked) var flowEvents: [AppLayerEvent] = []
    /// Bytes of bodies and headers this flow holds (counted in `http.memuse`).
    @exclusivity(unchecked) var heldBytes = 0
    /// Compute file hashes of response bodies (`force-hash`).
    let hashing: Bool
    /// ``HTTPParserFactory/forcedSHA256``.
    let forcedSHA256: Bool
    /// ``HTTPParserFactory/fileStore``.
    let fileStore: FileStore?
    /// libhtp warnings seen (Suricata stops turning them into events after a limit).
    @exclusivity(unchecked) var messages = 0
    /// libhtp is parsing request data (else response data); decides which transaction a message is about.
    @exclusivity(unchecked) var parsingRequest = true
    /// The stage's HTTP parser factory: what the flows share (buffers kept, counter positions).
    let factory: HTTPParserFactory

    /// What transactions keep for the rules now loaded.
    @inline(__always)
    var kept: HTTPKeptBuffers { self.factory.kept }

    /// A parser with the settings' configuration (through a one-off ``HTTPParserFactory``; the stage keeps one
    /// factory for all its flows).
    convenience init?(settings: AppLayerParserSettings) {
        let factory = HTTPParserFactory(settings: settings)
        let flow = AppLayerFlowInfo(
            serverPort: settings.serverPort,
            clientPort: settings.clientPort,
            serverAddress: settings.serverAddress
        )
        guard let config = factory.config(forServer: flow.serverAddress) else { return nil }
        self.init(config: config, factory: factory, flow: flow)
    }

    /// A parser for `flow` with libhtp configuration `config` (chosen by the factory).
    init?(config: HTPConfig, factory: HTTPParserFactory, flow: AppLayerFlowInfo) {
        guard let connp = htp_connp_create(config.cfg) else { return nil }
        self.connp = connp
        self.config = config
        self.counters = factory.counters
        self.factory = factory
        self.hashing = factory.hashing
        self.forcedSHA256 = factory.forcedSHA256
        self.fileStore = factory.fileStore
        var ts = timeval()
        htp_connp_open(connp, nil, Int32(flow.clientPort), nil, Int32(flow.serverPort), &ts)
        htp_connp_set_user_data(connp, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        for tx in self.live { tx.htp = nil }
        for tx in self.retired { tx.htp = nil }
        htp_connp_destroy_all(self.connp)
        self.release(self.heldBytes)
    }

    // MARK: AppLayerParser

    func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext) {
        var ts = timeval(
            tv_sec: Int(context.timestamp.microseconds / 1_000_000),
            tv_usec: Int(context.timestamp.microseconds % 1_000_000)
        )
        if toServer {
            self.feedRequest(bytes, &ts)
            if !self.pendingResponse.isEmpty { self.feedResponse(UnsafeRawBufferPointer(start: nil, count: 0), &ts) }
        } else {
            self.feedResponse(bytes, &ts)
            if !self.pendingRequest.isEmpty { self.feedRequest(UnsafeRawBufferPointer(start: nil, count: 0), &ts) }
        }
        self.finishCall(&context)
    }

    /// Pending data is bounded; past this a stuck direction is given up.
    static let pendingLimit = 1 << 20

    private func feedRequest(_ bytes: UnsafeRawBufferPointer, _ ts: inout timeval) {
        guard !self.requestStopped, self.tunnelPort == nil else { return }
        if !self.pendingRequest.isEmpty || bytes.count == 0 {
            self.pendingRequest.append(contentsOf: bytes)
            let data = self.pendingRequest
            self.pendingRequest = []
            data.withUnsafeBytes { self.requestData($0, &ts) }
        } else {
            self.requestData(bytes, &ts)
        }
    }

    private func requestData(_ bytes: UnsafeRawBufferPointer, _ ts: inout timeval) {
        guard bytes.count > 0 else { return }
        self.parsingRequest = true
        let rc = htp_connp_req_data(self.connp, &ts, bytes.baseAddress, bytes.count)
        switch rc {
        case Int32(HTP_STREAM_DATA_OTHER.rawValue):
            let used = min(htp_connp_req_data_consumed(self.connp), bytes.count)
            if bytes.count - used > Self.pendingLimit {
                self.requestStopped = true
            } else {
                self.pendingRequest.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
            }
        case Int32(HTP_STREAM_ERROR.rawValue), Int32(HTP_STREAM_TUNNEL.rawValue):
            self.requestStopped = true
        default: break
        }
    }

    private func feedResponse(_ bytes: UnsafeRawBufferPointer, _ ts: inout timeval) {
        guard !self.responseStopped, self.tunnelPort == nil else { return }
        if !self.pendingResponse.isEmpty || bytes.count == 0 {
            self.pendingResponse.append(contentsOf: bytes)
            let data = self.pendingResponse
            self.pendingResponse = []
            data.withUnsafeBytes { self.responseData($0, &ts) }
        } else {
            self.responseData(bytes, &ts)
        }
    }

    private func responseData(_ bytes: UnsafeRawBufferPointer, _ ts: inout timeval) {
        guard bytes.count > 0 else { return }
        self.parsingRequest = false
        let rc = htp_connp_res_data(self.connp, &ts, bytes.baseAddress, bytes.count)
        // The CONNECT's response ended in these bytes: the parser is done (the stage takes over).
        if self.tunnelPort != nil { return }
        switch rc {
        case Int32(HTP_STREAM_DATA_OTHER.rawValue):
            let used = min(htp_connp_res_data_consumed(self.connp), bytes.count)
            if bytes.count - used > Self.pendingLimit {
                self.responseStopped = true
            } else {
                self.pendingResponse.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
            }
        case Int32(HTP_STREAM_ERROR.rawValue), Int32(HTP_STREAM_TUNNEL.rawValue):
            self.responseStopped = true
        default: break
        }
    }

    /// Missing bytes, as Suricata 7 hands them to libhtp (its HTTP parser accepts gaps): libhtp 0.5 skips a gap
    /// inside a body whose end it can tell (Content-Length, or until close) and finishes a transaction waiting
    /// for its end; the body callback sees the gap (no data, a length), so the file counts those bytes and is
    /// marked as having gaps. In any other state (headers, a chunk size line, between transactions) libhtp
    /// refuses the gap without changing its state, and the data after it is parsed from where it stopped, as
    /// Suricata 7 does (it ignores that refusal): a gap that ends a body and runs past it does not end the
    /// direction. Only an error (or a tunnel) stops it.
    func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext) {
        guard length > 0 else {
            self.finishCall(&context)
            return
        }
        var ts = timeval(
            tv_sec: Int(context.timestamp.microseconds / 1_000_000),
            tv_usec: Int(context.timestamp.microseconds % 1_000_000)
        )
        if toServer {
            if !self.requestStopped {
                // Data held back for the other direction cannot be ordered around a gap: stop, as before.
                if !self.pendingRequest.isEmpty {
                    self.requestStopped = true
                } else {
                    self.parsingRequest = true
                    let rc = htp_connp_req_data(self.connp, &ts, nil, length)
                    if Self.stopsAfterGap(rc) { self.requestStopped = true }
                }
            }
        } else if !self.responseStopped {
            let open = self.live.last(where: { $0.responseProgress >= HTTPProgress.headers })
            if !self.pendingResponse.isEmpty {
                self.responseStopped = true
            } else {
                self.parsingRequest = false
                let rc = htp_connp_res_data(self.connp, &ts, nil, length)
                if Self.stopsAfterGap(rc) { self.responseStopped = true }
            }
            // A body being received when the response direction stops has a gap too.
            if self.responseStopped, let open, open.responseProgress < HTTPProgress.complete {
                open.responseBodyGap = true
            }
        }
        self.finishCall(&context)
    }

    /// libhtp's answer to a gap that ends the direction: an error or a tunnel. `HTP_STREAM_CLOSED` is its refusal
    /// of a gap in a state that cannot skip one, which leaves the parser as it was.
    static func stopsAfterGap(_ rc: Int32) -> Bool {
        rc == Int32(HTP_STREAM_ERROR.rawValue) || rc == Int32(HTP_STREAM_TUNNEL.rawValue)
    }

    func endOfStream(toServer: Bool, context: inout AppLayerParseContext) {
        var ts = timeval(
            tv_sec: Int(context.timestamp.microseconds / 1_000_000),
            tv_usec: Int(context.timestamp.microseconds % 1_000_000)
        )
        for tx in self.live {
            if toServer {
                tx.requestStreamEnded = true
                // A request cut short: what its decoder still holds is body too.
                tx.requestDecoder?.finish { Self.keepRequestBody($0, tx, self) }
                tx.requestDecoder = nil
            } else {
                tx.responseStreamEnded = true
            }
        }
        if toServer {
            htp_connp_req_close(self.connp, &ts)
        } else {
            // A response delimited by the connection's close completes here.
            htp_connp_close(self.connp, &ts)
        }
        self.finishCall(&context)
    }

    private func finishCall(_ context: inout AppLayerParseContext) {
        if let port = self.tunnelPort { context.protocolChangePort = port }
        if self.triggers & 1 != 0 { context.triggerRawInspection(toServer: true) }
        if self.triggers & 2 != 0 { context.triggerRawInspection(toServer: false) }
        self.triggers = 0
        // Checked first: emptying an empty array still releases its (shared empty) storage.
        guard !self.flowEvents.isEmpty else { return }
        for event in self.flowEvents { context.raise(event) }
        self.flowEvents.removeAll()
    }

    var transactionCount: Int { self.live.count }
    func transaction(at index: Int) -> any AppLayerTransaction { self.live[index] }

    func freeTransactions(through id: UInt64) {
        var freed = 0
        while let first = self.live.first, first.id <= id {
            self.live.removeFirst()
            freed += first.memoryUse
            if let htp = first.htp {
                // libhtp refuses to destroy a transaction it has not finished with (a response it matched to
                // no request): that one stays with libhtp, and its object is kept so late callbacks find it
                // (they change nothing that is logged) instead of making a second transaction.
                htp_tx_set_user_data(htp, nil)
                if htp_tx_destroy(htp) == HTP_OK {
                    first.htp = nil
                } else {
                    htp_tx_set_user_data(htp, Unmanaged.passUnretained(first).toOpaque())
                    self.retired.append(first)
                }
            }
        }
        self.heldBytes -= freed
        self.release(freed)
    }

    var memoryUse: Int { self.heldBytes }

    // MARK: Memory

    /// Takes `n` bytes from the HTTP memcap; false (and counted) when over it.
    func reserve(_ n: Int) -> Bool {
        let cap = self.config.settings.memcap
        if cap > 0 {
            let memuse = self.factory.memusePosition
            let used = memuse >= 0 ? self.counters.value(at: memuse) : self.counters.value("http.memuse")
            if Int(used) + n > cap {
                self.counters.add("http.memcap")
                return false
            }
        }
        if self.factory.memusePosition < 0 { self.factory.memusePosition = self.counters.position(of: "http.memuse") }
        self.counters.add(at: self.factory.memusePosition, UInt64(n))
        self.heldBytes += n
        return true
    }

    func release(_ n: Int) {
        guard n > 0 else { return }
        if self.factory.memusePosition < 0 { self.factory.memusePosition = self.counters.position(of: "http.memuse") }
        if self.factory.memusePosition >= 0 { self.counters.subtract(at: self.factory.memusePosition, UInt64(n)) }
    }

    // MARK: libhtp callbacks

    static func parser(_ connp: OpaquePointer?) -> HTTPParser? {
        guard let connp, let user = htp_connp_get_user_data(connp) else { return nil }
        return Unmanaged<HTTPParser>.fromOpaque(user).takeUnretainedValue()
    }

    /// The parser and Weir transaction of a libhtp transaction, as unretained references; the transaction is
    /// made on first sight (a response without a request gets its transaction here too).
    static func references(
        _ tx: UnsafeMutablePointer<htp_tx_t>
    ) -> (parser: Unmanaged<HTTPParser>, transaction: Unmanaged<HTTPTransaction>)? {
        guard let connp = tx.pointee.connp, let user = htp_connp_get_user_data(connp) else { return nil }
        let parser = Unmanaged<HTTPParser>.fromOpaque(user)
        if let made = htp_tx_get_user_data(tx) {
            return (parser, Unmanaged<HTTPTransaction>.fromOpaque(made))
        }
        return (parser, parser._withUnsafeGuaranteedRef { $0.adopt(tx) })
    }

    /// Makes the Weir transaction of a libhtp transaction seen for the first time; `live` keeps it.
    private func adopt(_ tx: UnsafeMutablePointer<htp_tx_t>) -> Unmanaged<HTTPTransaction> {
        let made = HTTPTransaction(id: self.nextID, htp: tx)
        self.nextID += 1
        self.live.append(made)
        htp_tx_set_user_data(tx, Unmanaged.passUnretained(made).toOpaque())
        return Unmanaged.passUnretained(made)
    }

    /// Runs `body` with the parser and the Weir transaction of a libhtp transaction, neither retained (every
    /// libhtp callback runs through here, several times per packet).
    ///
    /// Lifetime: libhtp calls back only from inside `htp_connp_req_data`, `htp_connp_res_data`,
    /// `htp_connp_req_close` and `htp_connp_close`, which only the parser's own methods call: the parser is
    /// `self` of a running method (and the stage's flow holds it), so it outlives the callback. The transaction
    /// object is held by the parser's `live` (or `retired`) array for as long as its `htp_tx_t` points at it
    /// (``freeTransactions(through:)`` clears the user data before it lets go of one), and no callback removes
    /// transactions from those arrays.
    @inline(__always)
    static func withTransaction(
        _ tx: UnsafeMutablePointer<htp_tx_t>?,
        _ body: (HTTPParser, HTTPTransaction, UnsafeMutablePointer<htp_tx_t>) -> Void
    ) -> Int32 {
        guard let tx, let refs = Self.references(tx) else { return HTP_OK }
        refs.parser._withUnsafeGuaranteedRef { parser in
            refs.transaction._withUnsafeGuaranteedRef { t in body(parser, t, tx) }
        }
        return HTP_OK
    }

    static func onRequestStart(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        if let tx { _ = Self.references(tx) }
        return HTP_OK
    }

    static func onRequestLine(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { parser, t, tx in
            if parser.kept.uri {
                let uri = Self.normalizedURI(tx.pointee.parsed_uri, includeAll: parser.config.settings.uriIncludeAll)
                if let uri, parser.reserve(uri.count) { t.normalizedURI = uri }
            } else {
                t.uriNotKept = true
            }
            t.requestProgress = max(t.requestProgress, HTTPProgress.line)
            Self.checkRequestFlags(tx, t)
        }
    }

    static func onURINormalize(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { parser, t, tx in
            guard let uri = tx.pointee.parsed_uri else { return }
            let settings = parser.config.settings
            for (enabled, part) in [
                (settings.doubleDecodePath, uri.pointee.path), (settings.doubleDecodeQuery, uri.pointee.query),
            ]
            where enabled {
                guard let part else { continue }
                let before = part.pointee.len
                var flags: UInt64 = 0
                if htp_urldecode_inplace(tx.pointee.cfg, HTP_DECODER_URLENCODED, part, &flags) == HTP_OK,
                    part.pointee.len < before
                {
                    t.raise("double_encoded_uri")
                }
            }
        }
    }

    static func onRequestHeaders(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { parser, t, tx in
            t.requestProgress = max(t.requestProgress, HTTPProgress.headers)
            Self.checkRequestFlags(tx, t)
            // A request without a body (libhtp decided from Content-Length and Transfer-Encoding before this hook)
            // has no file and nothing to decode: its headers are not searched.
            guard tx.pointee.request_transfer_coding != HTP_CODING_NO_BODY else { return }
            // Suricata tracks a PUT body, and a POST body that is not multipart/form-data, as an uploaded file
            // (multipart parts with a filename are files of their own there; Weir does not split them yet).
            let method = tx.pointee.request_method_number
            if method == HTP_M_PUT {
                t.requestIsFile = true
            } else if method == HTP_M_POST {
                let type = t.header("content-type", toServer: true).map { Array($0) } ?? []
                t.requestIsFile = !Self.contains(type, lowercase: Array("multipart/form-data".utf8))
            }
            if let encoding = t.header("content-encoding", toServer: true),
                let format = RequestBodyDecoder.format(contentEncoding: encoding)
            {
                let settings = parser.config.settings
                t.requestDecoder = RequestBodyDecoder(
                    format: format, limit: settings.requestBodyLimit, bombLimit: settings.compressionBombLimit)
            }
        }
    }

    static func onRequestComplete(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { parser, t, _ in
            t.requestDecoder?.finish { Self.keepRequestBody($0, t, parser) }
            t.requestDecoder = nil
            t.requestProgress = HTTPProgress.complete
            parser.triggers |= 1
        }
    }

    static func onResponseStart(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        if let tx { _ = Self.references(tx) }
        return HTP_OK
    }

    static func onResponseLine(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { _, t, _ in t.responseProgress = max(t.responseProgress, HTTPProgress.line) }
    }

    static func onResponseHeaders(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { _, t, _ in t.responseProgress = max(t.responseProgress, HTTPProgress.headers) }
    }

    static func onResponseComplete(_ tx: UnsafeMutablePointer<htp_tx_t>?) -> Int32 {
        Self.withTransaction(tx) { parser, t, tx in
            // A request libhtp never finished (response without request, HTTP/0.9) is complete with its response.
            if t.requestProgress < HTTPProgress.complete { t.requestProgress = HTTPProgress.complete }
            t.responseProgress = HTTPProgress.complete
            parser.triggers |= 2
            // A CONNECT that opened a tunnel (any 2xx answer, RFC 9110 9.3.6), when it is the flow's first
            // transaction, as Suricata requires: the protocol inside is detected anew.
            if tx.pointee.request_method_number == HTP_M_CONNECT, parser.nextID == 1,
                (200..<300).contains(tx.pointee.response_status_number)
            {
                let port = tx.pointee.request_port_number
                parser.tunnelPort = port > 0 && port <= 65535 ? UInt16(port) : 0
            }
        }
    }

    static func onHeaderData(_ d: UnsafeMutablePointer<htp_tx_data_t>?, toServer: Bool) -> Int32 {
        guard let d else { return HTP_OK }
        return Self.withTransaction(d.pointee.tx) { parser, t, _ in
            guard let data = d.pointee.data, d.pointee.len > 0, parser.kept.rawHeaders else { return }
            let bytes = UnsafeRawBufferPointer(start: data, count: d.pointee.len)
            let held = toServer ? t.requestHeadersRaw.count : t.responseHeadersRaw.count
            let room = max(0, 64 * 1024 - held)
            let take = min(room, bytes.count)
            guard take > 0, parser.reserve(take) else { return }
            if toServer {
                t.requestHeadersRaw.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            } else {
                t.responseHeadersRaw.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            }
        }
    }

    static func onBodyData(_ d: UnsafeMutablePointer<htp_tx_data_t>?, toServer: Bool) -> Int32 {
        guard let d else { return HTP_OK }
        return Self.withTransaction(d.pointee.tx) { parser, t, tx in
            if d.pointee.data == nil && d.pointee.len > 0 {
                // A gap libhtp skipped (``gap(_:toServer:context:)``): the file counts the missing bytes, has gaps,
                // and gets no hashes (Suricata's FileAppendGAP), except a forced SHA-256, which goes on over the
                // bytes that are seen (Suricata finalises it when it truncates the file).
                if toServer {
                    t.requestProgress = max(t.requestProgress, HTTPProgress.body)
                    t.requestBodySeen += d.pointee.len
                    t.requestBodyGap = true
                    if !parser.forcedSHA256 {
                        t.requestFileHashes = nil
                    } else if t.requestIsFile && parser.hashing && t.requestFileHashes == nil {
                        // The file opens with the gap: its SHA-256 covers the bytes that follow.
                        t.requestFileHashes = FileHashes(forcedSHA256: true)
                    }
                    if t.requestIsFile, let store = parser.fileStore { store.store(nil, in: &t.requestStore) }
                } else {
                    t.responseProgress = max(t.responseProgress, HTTPProgress.body)
                    t.responseBodySeen += d.pointee.len
                    t.responseBodyGap = true
                    if !parser.forcedSHA256 {
                        t.fileHashes = nil
                    } else if parser.hashing && t.fileHashes == nil {
                        t.fileHashes = FileHashes(forcedSHA256: true)
                    }
                    if let store = parser.fileStore { store.store(nil, in: &t.responseStore) }
                }
                return
            }
            guard let data = d.pointee.data, d.pointee.len > 0 else { return }
            let bytes = UnsafeRawBufferPointer(start: data, count: d.pointee.len)
            if toServer {
                t.requestProgress = max(t.requestProgress, HTTPProgress.body)
                if let decoder = t.requestDecoder {
                    decoder.write(bytes) { Self.keepRequestBody($0, t, parser) }
                } else {
                    Self.keepRequestBody(bytes, t, parser)
                }
            } else {
                // The limit read on its own, not the settings copied (a copy retains their strings).
                let limit = parser.config.settings.responseBodyLimit
                let keptBody = parser.kept.responseBody
                t.responseProgress = max(t.responseProgress, HTTPProgress.body)
                let held = keptBody ? t.responseBody.count : min(t.responseBodySeen, limit)
                t.responseBodySeen += bytes.count
                if parser.hashing && (!t.responseBodyGap || parser.forcedSHA256) {
                    if t.fileHashes == nil { t.fileHashes = FileHashes(forcedSHA256: parser.forcedSHA256) }
                    t.fileHashes?.update(bytes)
                }
                if let store = parser.fileStore { store.store(bytes, in: &t.responseStore) }
                let room = limit > 0 ? limit - held : bytes.count
                let take = max(0, min(room, bytes.count))
                if take < bytes.count { t.responseBodyTruncated = true }
                if keptBody, take > 0, parser.reserve(take) {
                    Self.append(bytes, count: take, to: &t.responseBody, limit: limit,
                        expected: tx.pointee.response_content_length)
                }
            }
        }
    }

    /// Keeps (decoded) request body bytes up to the request body limit; without a rule on the request body
    /// (``HTTPKeptBuffers``), only its size and the limit's flag are kept.
    static func keepRequestBody(_ bytes: UnsafeRawBufferPointer, _ t: HTTPTransaction, _ parser: HTTPParser) {
        if t.requestIsFile && parser.hashing && (!t.requestBodyGap || parser.forcedSHA256) {
            if t.requestFileHashes == nil { t.requestFileHashes = FileHashes(forcedSHA256: parser.forcedSHA256) }
            t.requestFileHashes?.update(bytes)
        }
        if t.requestIsFile, let store = parser.fileStore { store.store(bytes, in: &t.requestStore) }
        let limit = parser.config.settings.requestBodyLimit
        let kept = parser.kept.requestBody
        let held = kept ? t.requestBody.count : min(t.requestBodySeen, limit)
        t.requestBodySeen += bytes.count
        let room = limit > 0 ? limit - held : bytes.count
        let take = max(0, min(room, bytes.count))
        if take < bytes.count { t.requestBodyTruncated = true }
        if kept, take > 0, parser.reserve(take) {
            Self.append(bytes, count: take, to: &t.requestBody, limit: limit,
                expected: t.htp?.pointee.request_content_length)
        }
    }

    /// Appends the first `count` bytes to a stored body; the first piece reserves what `Content-Length`
    /// announced (up to the limit), so a body grows by one allocation instead of a doubling series.
    private static func append(
        _ bytes: UnsafeRawBufferPointer, count: Int, to body: inout [UInt8], limit: Int, expected: Int64?
    ) {
        if body.isEmpty {
            var want = max(count, Int(max(0, expected ?? 0)))
            if limit > 0 { want = min(want, limit) }
            body.reserveCapacity(want)
        }
        body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
    }

    static func onLog(_ log: UnsafeMutablePointer<htp_log_t>?) -> Int32 {
        guard let log, let parser = Self.parser(log.pointee.connp), let message = log.pointee.msg else { return HTP_OK }
        parser.messages += 1
        if parser.messages > 256 {
            if parser.messages == 257 { parser.flowEvents.append(AppLayerEvent("http.too_many_warnings")) }
            return HTP_OK
        }
        let text = String(cString: message)
        let name = HTTPEvents.name(forMessage: text)
        // libhtp 0.5 leaves the message's transaction unset: it belongs to the transaction being parsed in the
        // direction libhtp is working on (as Suricata attributes it), else to the newest one.
        let current =
            log.pointee.tx
            ?? (parser.parsingRequest ? htp_connp_get_in_tx(parser.connp) : htp_connp_get_out_tx(parser.connp))
        if let current, let refs = Self.references(current) {
            // libhtp 0.5 calls `identity` and `none` unknown codings; Suricata 8's parser takes them as "no
            // coding" and raises nothing for them.
            if text == "C-E unknown setting",
                refs.transaction._withUnsafeGuaranteedRef({
                    !Self.hasUnknownCoding($0.header("Content-Encoding", toServer: parser.parsingRequest))
                })
            {
                return HTP_OK
            }
            refs.transaction._withUnsafeGuaranteedRef { $0.raise(name) }
        } else if let last = parser.live.last {
            last.raise(name)
        } else {
            parser.flowEvents.append(AppLayerEvent("http." + name))
        }
        return HTP_OK
    }

    /// Whether `bytes` holds `word` (lowercase ASCII), ignoring case.
    static func contains(_ bytes: [UInt8], lowercase word: [UInt8]) -> Bool {
        guard bytes.count >= word.count, !word.isEmpty else { return word.isEmpty }
        for start in 0...(bytes.count - word.count) {
            var i = 0
            while i < word.count && asciiLowercase(bytes[start + i]) == word[i] { i += 1 }
            if i == word.count { return true }
        }
        return false
    }

    /// Whether a `Content-Encoding` value names a coding neither libhtp nor Suricata 8 knows (Suricata 8's list:
    /// anything holding gzip or deflate, lzma, inflate, none, identity). Tokens are split at commas and spaces.
    static func hasUnknownCoding(_ value: UnsafeRawBufferPointer?) -> Bool {
        guard let value else { return true }
        let known: [[UInt8]] = ["lzma", "inflate", "none", "identity"].map { Array($0.utf8) }
        let lowered = value.map(asciiLowercase)
        for token in lowered.split(whereSeparator: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: " ") || $0 == 9 }) {
            let text = Array(token)
            if known.contains(text) { continue }
            let compressed = ["gzip", "deflate"].contains { Self.contains(text, lowercase: Array($0.utf8)) }
            if !compressed { return true }
        }
        return false
    }

    /// Events from the transaction's flags (libhtp marks these instead of logging them).
    static func checkRequestFlags(_ tx: UnsafeMutablePointer<htp_tx_t>, _ t: HTTPTransaction) {
        let flags = tx.pointee.flags
        if flags & UInt64(HTP_REQUEST_INVALID_T_E) != 0 { t.raise("invalid_transfer_encoding_value_in_request") }
        if flags & UInt64(HTP_REQUEST_INVALID_C_L) != 0 { t.raise("invalid_content_length_field_in_request") }
        if flags & UInt64(HTP_HOST_MISSING) != 0 { t.raise("missing_host_header") }
        if flags & UInt64(HTP_HOST_AMBIGUOUS) != 0 { t.raise("host_header_ambiguous") }
        if flags & UInt64(HTP_HOSTU_INVALID) != 0 { t.raise("request_uri_host_invalid") }
        if flags & UInt64(HTP_HOSTH_INVALID) != 0 { t.raise("request_header_host_invalid") }
        if tx.pointee.request_auth_type == HTP_AUTH_UNRECOGNIZED,
            !Self.isBearer(t.header("authorization", toServer: true))
        {
            t.raise("request_auth_unrecognized")
        }
    }

    /// `Authorization: Bearer …` (RFC 6750), which Suricata 8's HTTP parser recognises and libhtp 0.5 does not:
    /// no `request_auth_unrecognized` for it, or every API client's request would raise the event.
    static func isBearer(_ value: UnsafeRawBufferPointer?) -> Bool {
        guard let value, value.count >= Self.bearer.count else { return false }
        for i in Self.bearer.indices where asciiLowercase(value[i]) != Self.bearer[i] { return false }
        return true
    }

    private static let bearer: [UInt8] = Array("bearer".utf8)

    /// Path, `?query` and `#fragment` of the parsed URI (with `uri-include-all`: scheme, credentials, host and
    /// port in front), the buffer Suricata inspects as `http.uri`.
    static func normalizedURI(_ uri: UnsafeMutablePointer<htp_uri_t>?, includeAll: Bool) -> [UInt8]? {
        guard let uri else { return nil }
        var out: [UInt8] = []
        let u = uri.pointee
        if includeAll {
            if let scheme = bstrBytes(u.scheme) {
                out.append(contentsOf: scheme)
                out.append(contentsOf: Array("://".utf8))
            }
            if u.username != nil || u.password != nil {
                if let user = bstrBytes(u.username) { out.append(contentsOf: user) }
                out.append(0x3A)
                if let password = bstrBytes(u.password) { out.append(contentsOf: password) }
                out.append(0x40)
            }
            if let host = bstrBytes(u.hostname) { out.append(contentsOf: host) }
            if let port = bstrBytes(u.port) {
                out.append(0x3A)
                out.append(contentsOf: port)
            }
        }
        if let path = bstrBytes(u.path) { out.append(contentsOf: path) }
        if let query = bstrBytes(u.query) {
            out.append(0x3F)
            out.append(contentsOf: query)
        }
        if let fragment = bstrBytes(u.fragment) {
            out.append(0x23)
            out.append(contentsOf: fragment)
        }
        return out
    }
}
