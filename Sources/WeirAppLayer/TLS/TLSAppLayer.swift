// SPDX-License-Identifier: MIT
import WeirDetect
import WeirOutput

extension AppProtocol {
    /// TLS and SSL.
    public static let tls = AppProtocol("tls")
}

/// The single transaction of a TLS flow (as in Suricata): the handshake, with the buffers detection reads.
public final class TLSTransaction: AppLayerTransaction {
    public let id: UInt64 = 0
    /// The flow's TLS state.
    public internal(set) var session: TLSSession
    public var events: [AppLayerEvent] = []
    public var detectState = TransactionDetectState()
    public var isLogged = false
    /// EVE fields of the `tls` record.
    let logFields: TLSLogFields
    // Buffers, built once when their part of the handshake is parsed (stable storage for detection).
    private(set) var sni: [UInt8]?
    private(set) var clientALPNs: [[UInt8]] = []
    private(set) var serverALPNs: [[UInt8]] = []
    private(set) var clientRandom: [UInt8]?
    private(set) var serverRandom: [UInt8]?
    private(set) var ja3String: [UInt8]?
    private(set) var ja3Hash: [UInt8]?
    private(set) var ja3sString: [UInt8]?
    private(set) var ja3sHash: [UInt8]?
    private(set) var ja4: [UInt8]?
    /// The server's certificate buffers, and the client's (mutual TLS: Suricata serves the certificate buffers
    /// to the server from it).
    private(set) var serverCertificate: CertificateBuffers?
    private(set) var clientCertificate: CertificateBuffers?

    /// The buffers of one side's certificate chain: its leaf's names, serial and fingerprint, and every DER.
    struct CertificateBuffers {
        let subject: [UInt8]
        let issuer: [UInt8]
        let serial: [UInt8]
        let fingerprint: [UInt8]
        let chain: [[UInt8]]
        let subjectAltNames: [[UInt8]]

        init?(_ chain: [TLSCertificate]) {
            guard let leaf = chain.first else { return nil }
            self.subject = Array(leaf.subject.utf8)
            self.issuer = Array(leaf.issuer.utf8)
            self.serial = Array(leaf.serial.utf8)
            self.fingerprint = Array(leaf.fingerprint.utf8)
            self.chain = chain.map(\.der)
            self.subjectAltNames = leaf.subjectAltNames.map { Array($0.utf8) }
        }
    }

    init(options: TLSSession.Options, logFields: TLSLogFields) {
        self.session = TLSSession(options: options)
        self.logFields = logFields
    }

    public func progress(toServer: Bool) -> Int {
        toServer ? self.session.clientProgress.rawValue : self.session.serverProgress.rawValue
    }

    /// Done (and logged) once the handshake is over, as Suricata's TLS logger runs at HANDSHAKE_DONE.
    public func completeProgress(toServer: Bool) -> Int {
        toServer ? TLSClientProgress.handshakeDone.rawValue : TLSServerProgress.handshakeDone.rawValue
    }

    public func writeEVE(_ writer: JSONWriter) {
        writer.writeTLS(self.session, fields: self.logFields)
    }

    /// Whether the session gets a `tls` record (a certificate, a resumed session when resumption is logged,
    /// or TLS 1.3).
    public var shouldLog: Bool { self.session.shouldLog(logResumed: self.logFields.contains(.sessionResumed)) }

    /// Builds the buffers that became available.
    func refreshBuffers() {
        let session = self.session
        if self.sni == nil, let hello = session.clientHello {
            self.sni = hello.serverName ?? []
            self.clientALPNs = hello.alpns
            self.clientRandom = hello.random
            if let ja3 = session.ja3 {
                self.ja3String = Array(ja3.string.utf8)
                self.ja3Hash = Array(ja3.hash.utf8)
            }
            self.ja4 = session.ja4.map { Array($0.utf8) }
        }
        if self.serverRandom == nil, let hello = session.serverHello {
            self.serverRandom = hello.random
            self.serverALPNs = hello.alpns
            if let ja3s = session.ja3s {
                self.ja3sString = Array(ja3s.string.utf8)
                self.ja3sHash = Array(ja3s.hash.utf8)
            }
        }
        if self.serverCertificate == nil { self.serverCertificate = CertificateBuffers(session.serverCertificates) }
        if self.clientCertificate == nil { self.clientCertificate = CertificateBuffers(session.clientCertificates) }
    }
}

/// The TLS parser of one flow (``AppLayerParser`` over ``TLSSession``).
public final class TLSParser: AppLayerParser, AppLayerEncryptedParser {
    public let transactionState: TLSTransaction
    private var live = true
    public let encryptionHandling: EncryptedFlowHandling
    private let counters: AppLayerCounters

    /// A parser configured from `app-layer.protocols.tls`.
    public init(settings: AppLayerParserSettings) {
        var options = TLSSession.Options()
        options.ja3 =
            settings.values["ja3-fingerprints"].map { !["no", "false", "0"].contains($0.lowercased()) } ?? true
        options.ja4 =
            settings.values["ja4-fingerprints"].map { !["no", "false", "0"].contains($0.lowercased()) } ?? true
        var mode = EncryptedFlowHandling(configValue: settings.values["encryption-handling"])
        if settings.values["encryption-handling"] == nil,
            ["yes", "true", "1"].contains(settings.values["no-reassemble"]?.lowercased() ?? "")
        {
            mode = .bypass
        }
        self.encryptionHandling = mode
        // The runtime passes the `tls` record's fields (`eve-fields`); without it: extended, resumed logged.
        var fields = TLSLogFields.extended.union(.sessionResumed)
        if let names = settings.values["eve-fields"] {
            fields = []
            for name in names.split(separator: ",") {
                if let field = TLSLogFields.names[String(name).lowercased()] { fields.insert(field) }
            }
        }
        self.transactionState = TLSTransaction(options: options, logFields: fields)
        self.counters = settings.counters
    }

    public var handshakeFinishedBothWays: Bool { self.transactionState.session.handshakeFinishedBothWays }

    public func encryptedFrom(toServer: Bool) -> UInt64? {
        toServer
            ? self.transactionState.session.client.encryptedFrom : self.transactionState.session.server.encryptedFrom
    }

    public func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext) {
        let tx = self.transactionState
        let before = (tx.session.clientProgress, tx.session.serverProgress)
        tx.session.parse(bytes, toServer: toServer)
        for (event, _) in tx.session.takeEvents() {
            tx.events.append(AppLayerEvent("tls." + event.rawValue))
            self.counters.add("tls.events")
        }
        if tx.session.clientProgress != before.0 || tx.session.serverProgress != before.1 {
            tx.refreshBuffers()
            context.triggerRawInspection(toServer: toServer)
        }
        let side = toServer ? tx.session.client : tx.session.server
        if side.failed { context.parserFailed = true }
    }

    public func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext) {
        // Past the handshake a gap loses only encrypted bytes; during it, the records cannot be found again.
        let side = toServer ? self.transactionState.session.client : self.transactionState.session.server
        if !side.isEncrypted { context.parserFailed = true }
    }

    public func endOfStream(toServer: Bool, context: inout AppLayerParseContext) {}

    public var transactionCount: Int { self.live ? 1 : 0 }
    public func transaction(at index: Int) -> any AppLayerTransaction { self.transactionState }
    public func freeTransactions(through id: UInt64) { self.live = false }
    /// The flow's one transaction exists with the parser (as Suricata's TLS state is its own transaction), so
    /// `app_layer.tx.tls` never grows.
    public var transactionsCreated: UInt64 { 1 }

    public var memoryUse: Int {
        let session = self.transactionState.session
        return session.serverCertificates.reduce(0) { $0 + $1.der.count } + 512
    }
}

extension TLSParser {
    /// The first bytes of a TLS stream: a handshake record of SSL 3.0 to TLS 1.3, or an SSLv2 client hello.
    static func probe(_ bytes: UnsafeRawBufferPointer, toServer: Bool) -> AppLayerProbeResult {
        guard let first = bytes.first else { return .needMoreData }
        if first == 0x16 {
            if bytes.count >= 2, bytes[1] != 3 { return .noMatch }
            if bytes.count >= 3 { return bytes[2] <= 4 ? .match : .noMatch }
            return .needMoreData
        }
        // SSLv2 record with a 2-byte header: CLIENT-HELLO (1) to the server or SERVER-HELLO (4) back.
        if first & 0x80 != 0 {
            guard bytes.count >= 5 else { return .needMoreData }
            let type = bytes[2]
            let major = toServer ? bytes[3] : bytes[5 < bytes.count ? 5 : 3]
            if toServer && type == 1 && (major == 2 || major == 3) { return .match }
            if !toServer && type == 4 { return .match }
            return .noMatch
        }
        return .noMatch
    }

    /// The protocol as the stage registers it.
    public static let descriptor = AppLayerProtocolDescriptor(
        proto: .tls,
        transports: [6],
        probes: [AppLayerProbe(direction: .both) { bytes, toServer in TLSParser.probe(bytes, toServer: toServer) }],
        defaultDetectionPorts: "443",
        makeParser: { TLSParser(settings: $0) },
        buffers: TLSParser.buffers,
        eventNames: TLSEvent.allCases.map(\.rawValue)
    )

    private static func single(
        _ name: String,
        toServer: Bool,
        _ progress: Int,
        _ pick: @escaping @Sendable (TLSTransaction) -> [UInt8]?
    ) -> AppLayerBufferDescriptor {
        AppLayerBufferDescriptor(name: name, toServer: toServer, progress: progress) { tx, body in
            guard let tx = tx as? TLSTransaction, let bytes = pick(tx) else { return }
            bytes.withUnsafeBytes { body($0) }
        }
    }

    private static func multi(
        _ name: String,
        toServer: Bool,
        _ progress: Int,
        _ pick: @escaping @Sendable (TLSTransaction) -> [[UInt8]]
    ) -> AppLayerBufferDescriptor {
        AppLayerBufferDescriptor(name: name, toServer: toServer, progress: progress) { tx, body in
            guard let tx = tx as? TLSTransaction else { return }
            for bytes in pick(tx) { bytes.withUnsafeBytes { body($0) } }
        }
    }

    static let buffers: [AppLayerBufferDescriptor] = {
        let hello = TLSClientProgress.helloDone.rawValue
        let serverHello = TLSServerProgress.hello.rawValue
        let certificate = TLSServerProgress.certificateDone.rawValue
        let clientCertificate = TLSClientProgress.certificateDone.rawValue
        return [
            single("tls.sni", toServer: true, hello) { $0.sni.flatMap { $0.isEmpty ? nil : $0 } },
            single("ja3.hash", toServer: true, hello) { $0.ja3Hash },
            single("ja3.string", toServer: true, hello) { $0.ja3String },
            single("ja4.hash", toServer: true, hello) { $0.ja4 },
            multi("tls.alpn", toServer: true, hello) { $0.clientALPNs },
            multi("tls.alpn", toServer: false, serverHello) { $0.serverALPNs },
            single("tls.random", toServer: true, hello) { $0.clientRandom },
            single("tls.random", toServer: false, serverHello) { $0.serverRandom },
            single("tls.random_time", toServer: true, hello) { $0.clientRandom.map { Array($0.prefix(4)) } },
            single("tls.random_time", toServer: false, serverHello) { $0.serverRandom.map { Array($0.prefix(4)) } },
            single("tls.random_bytes", toServer: true, hello) { $0.clientRandom.map { Array($0.dropFirst(4)) } },
            single("tls.random_bytes", toServer: false, serverHello) { $0.serverRandom.map { Array($0.dropFirst(4)) } },
            single("ja3s.hash", toServer: false, serverHello) { $0.ja3sHash },
            single("ja3s.string", toServer: false, serverHello) { $0.ja3sString },
            single("tls.cert_subject", toServer: false, certificate) { $0.serverCertificate?.subject },
            single("tls.cert_issuer", toServer: false, certificate) { $0.serverCertificate?.issuer },
            single("tls.cert_serial", toServer: false, certificate) { $0.serverCertificate?.serial },
            single("tls.cert_fingerprint", toServer: false, certificate) { $0.serverCertificate?.fingerprint },
            multi("tls.certs", toServer: false, certificate) { $0.serverCertificate?.chain ?? [] },
            multi("tls.subjectaltname", toServer: false, certificate) { $0.serverCertificate?.subjectAltNames ?? [] },
            // To the server: the client's certificate, as Suricata registers these buffers both ways.
            single("tls.cert_subject", toServer: true, clientCertificate) { $0.clientCertificate?.subject },
            single("tls.cert_issuer", toServer: true, clientCertificate) { $0.clientCertificate?.issuer },
            single("tls.cert_serial", toServer: true, clientCertificate) { $0.clientCertificate?.serial },
            single("tls.cert_fingerprint", toServer: true, clientCertificate) { $0.clientCertificate?.fingerprint },
            multi("tls.certs", toServer: true, clientCertificate) { $0.clientCertificate?.chain ?? [] },
        ]
    }()
}
