// SPDX-License-Identifier: MIT

/// The TLS (SSL 3.0 to TLS 1.3, and SSLv2-style client hellos) state of one flow, fed with each
/// direction's reassembled stream.
///
/// Records may span segments (a partial header or body waits in the direction's buffer) and handshake
/// messages may span records (they are collected until whole). Application-data records are skipped
/// without copying, so the cost after the handshake is one header read per record. A direction is
/// *encrypted* from its ChangeCipherSpec or first application-data record on; its handshake is *finished*
/// once its Finished message (or, in TLS 1.3, its first application-data record) has gone by.
/// Malformed input becomes a ``TLSEvent``; a record layer that makes no sense stops parsing of that
/// direction (the raw stream is still inspected by the caller).
///
/// Suricata counterpart: `app-layer-ssl.c`.
public struct TLSSession: Sendable {
    /// Parse settings.
    public struct Options: Sendable, Equatable {
        /// Largest handshake message collected (a certificate chain); longer ones are an event.
        public var maxHandshakeBytes: Int = 256 * 1024
        /// Compute JA3/JA3S (`app-layer.protocols.tls.ja3-fingerprints`).
        public var ja3: Bool = true
        /// Compute JA4 (`app-layer.protocols.tls.ja4-fingerprints`).
        public var ja4: Bool = true

        public init() {}
    }

    /// One direction's record-layer state.
    public struct Side: Sendable {
        /// The partial record (header and body) waiting for more bytes.
        var pending: [UInt8] = []
        /// Bytes of an application-data record body still to skip.
        var skip: Int = 0
        /// Handshake bytes collected across records, not yet a whole message.
        var handshake: [UInt8] = []
        /// This direction speaks SSLv2 record framing.
        var sslv2 = false
        /// Records seen.
        public internal(set) var records: UInt64 = 0
        /// A ChangeCipherSpec was seen.
        public internal(set) var changeCipherSpec = false
        /// An application-data record was seen.
        public internal(set) var applicationData = false
        /// Stream offset (bytes of this direction fed so far) where encryption began; `nil` while clear.
        public internal(set) var encryptedFrom: UInt64?
        /// This direction's handshake is over (Finished sent, or application data flowing).
        public internal(set) var handshakeFinished = false
        /// Parsing of this direction stopped on a malformed record.
        public internal(set) var failed = false
        /// Bytes fed so far.
        public internal(set) var offset: UInt64 = 0

        /// Whether bytes from here on are encrypted.
        public var isEncrypted: Bool { self.encryptedFrom != nil }
    }

    public let options: Options
    /// Client to server.
    public internal(set) var client = Side()
    /// Server to client.
    public internal(set) var server = Side()
    /// The first ClientHello.
    public internal(set) var clientHello: TLSHello?
    /// The ServerHello (the last one, after a HelloRetryRequest).
    public internal(set) var serverHello: TLSHello?
    /// The server's certificate chain, leaf first.
    public internal(set) var serverCertificates: [TLSCertificate] = []
    /// The client's certificate chain, when it sent one.
    public internal(set) var clientCertificates: [TLSCertificate] = []
    /// Client version: the first valid `supported_versions` entry, else the hello's version.
    public internal(set) var clientVersion: UInt16 = 0
    /// Server version: the selected `supported_versions` value, else the ServerHello's version.
    public internal(set) var serverVersion: UInt16 = 0
    /// The server resumed the client's session (same session id, or no certificate before encryption).
    public internal(set) var sessionResumed = false
    /// TLS 1.3 (or a draft): no certificate will be seen in the clear, so the session is logged without.
    public internal(set) var logWithoutCertificate = false
    /// The server asked for a client certificate.
    public internal(set) var needClientCertificate = false
    /// `ssl_state` flags seen.
    public internal(set) var sawClientHello = false
    public internal(set) var sawServerHello = false
    public internal(set) var sawClientKeyExchange = false
    public internal(set) var sawServerKeyExchange = false
    /// Alerts seen in the clear.
    public internal(set) var alerts: [TLSAlert] = []
    /// The handshake message types of the last handshake record parsed in each direction (what `ssl_state`
    /// matches: Suricata's `current_flags`, which a packet's own record sets).
    public internal(set) var clientMessageFlags = MessageFlags()
    public internal(set) var serverMessageFlags = MessageFlags()
    private var currentMessageFlags = MessageFlags()

    /// `ssl_state` values.
    public struct MessageFlags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let clientHello = MessageFlags(rawValue: 1)
        public static let serverHello = MessageFlags(rawValue: 2)
        public static let clientKeyExchange = MessageFlags(rawValue: 4)
        public static let serverKeyExchange = MessageFlags(rawValue: 8)
        public static let unknown = MessageFlags(rawValue: 16)
    }
    /// Progress per side.
    public internal(set) var clientProgress = TLSClientProgress.inProgress
    public internal(set) var serverProgress = TLSServerProgress.inProgress
    /// Fingerprints, computed when the hellos arrive (as configured).
    public internal(set) var ja3: TLSFingerprintText?
    public internal(set) var ja3s: TLSFingerprintText?
    public internal(set) var ja4: String?
    public internal(set) var ja4s: String?
    /// Events raised since the last ``takeEvents()``, each with the direction it came from.
    public internal(set) var events: [(event: TLSEvent, toServer: Bool)] = []

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Both directions have finished their handshake (the point `encryption-handling: bypass` acts on).
    public var handshakeFinishedBothWays: Bool { self.client.handshakeFinished && self.server.handshakeFinished }

    /// Both directions are encrypted.
    public var encryptedBothWays: Bool { self.client.isEncrypted && self.server.isEncrypted }

    /// The version EVE logs: the server's, else the client's.
    public var logVersion: UInt16 { self.serverVersion != 0 ? self.serverVersion : self.clientVersion }

    /// Returns and clears the pending events.
    public mutating func takeEvents() -> [(event: TLSEvent, toServer: Bool)] {
        defer { self.events.removeAll(keepingCapacity: true) }
        return self.events
    }

    // MARK: Feeding

    /// Feeds the next bytes of one direction's stream.
    public mutating func parse(_ data: [UInt8], toServer: Bool) {
        data.withUnsafeBytes { self.parse($0, toServer: toServer) }
    }

    /// Feeds the next bytes of one direction's stream.
    public mutating func parse(_ data: UnsafeRawBufferPointer, toServer: Bool) {
        if toServer {
            var side = self.client
            self.client = Side()
            self.feed(&side, data, toServer: true)
            self.client = side
        } else {
            var side = self.server
            self.server = Side()
            self.feed(&side, data, toServer: false)
            self.server = side
        }
        self.updateHandshakeDone()
    }

    /// The flow ended: both sides are finished (Suricata marks the transaction complete on EOF).
    public mutating func finish() {
        self.raiseClient(.finished)
        self.raiseServer(.finished)
    }

    private mutating func feed(_ side: inout Side, _ data: UnsafeRawBufferPointer, toServer: Bool) {
        var index = 0
        let count = data.count
        defer { side.offset += UInt64(count) }
        while index < count, !side.failed {
            if side.skip > 0 {
                let step = min(side.skip, count - index)
                side.skip -= step
                index += step
                continue
            }
            // The first byte of a direction decides SSLv2 framing (high bit set, and not a TLS record type).
            if side.records == 0, side.pending.isEmpty, data[index] & 0x80 != 0 {
                side.sslv2 = true
            }
            let headerLength = side.sslv2 ? 2 : 5
            if side.pending.count < headerLength {
                let step = min(headerLength - side.pending.count, count - index)
                side.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<index + step]))
                index += step
                if side.pending.count < headerLength { break }
                if !self.checkHeader(&side, toServer: toServer, headerEnd: side.offset + UInt64(index)) { break }
                if side.skip > 0 { continue }
            }
            let bodyLength = self.recordBodyLength(side)
            let needed = headerLength + bodyLength - side.pending.count
            if needed > 0 {
                let step = min(needed, count - index)
                side.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<index + step]))
                index += step
                if step < needed { break }
            }
            let record = side.pending
            side.pending.removeAll(keepingCapacity: true)
            side.records += 1
            let recordStart = side.offset + UInt64(index) - UInt64(record.count)
            if side.sslv2 {
                self.handleSSLv2(record, side: &side, toServer: toServer, recordStart: recordStart)
            } else {
                self.handleRecord(record, side: &side, toServer: toServer, recordStart: recordStart)
            }
        }
    }

    private func recordBodyLength(_ side: Side) -> Int {
        if side.sslv2 { return Int(side.pending[0] & 0x7f) << 8 | Int(side.pending[1]) }
        return Int(side.pending[3]) << 8 | Int(side.pending[4])
    }

    /// Validates a complete record header; application data is turned into a skip. False stops the side.
    private mutating func checkHeader(_ side: inout Side, toServer: Bool, headerEnd: UInt64) -> Bool {
        if side.sslv2 {
            if self.recordBodyLength(side) == 0 {
                self.fail(&side, .invalidSSLv2Header, toServer: toServer)
                return false
            }
            return true
        }
        let type = side.pending[0]
        let major = side.pending[1]
        let length = self.recordBodyLength(side)
        guard (20...24).contains(type) else {
            self.fail(&side, .invalidRecordType, toServer: toServer)
            return false
        }
        guard major == 3 else {
            self.fail(&side, .invalidRecordVersion, toServer: toServer)
            return false
        }
        guard length <= 16384 + 2048 else {
            self.fail(&side, .invalidRecordLength, toServer: toServer)
            return false
        }
        if type == 23 {
            let recordStart = headerEnd - 5
            side.pending.removeAll(keepingCapacity: true)
            side.records += 1
            side.skip = length
            self.applicationData(&side, toServer: toServer, at: recordStart)
        }
        return true
    }

    private mutating func fail(_ side: inout Side, _ event: TLSEvent, toServer: Bool) {
        self.events.append((event, toServer))
        side.failed = true
        side.pending.removeAll()
        side.handshake.removeAll()
    }

    // MARK: Records

    private mutating func handleRecord(_ record: [UInt8], side: inout Side, toServer: Bool, recordStart: UInt64) {
        let body = Array(record[5...])
        switch record[0] {
        case 20:
            side.changeCipherSpec = true
            // In TLS 1.3 a client may send its compatibility CCS before the ServerHello; its next hello
            // (after a HelloRetryRequest) is still in the clear, so encryption starts with the next
            // application-data record instead.
            if !(toServer && self.clientVersion > TLSVersion.tls12 && !self.sawServerHello) {
                if side.encryptedFrom == nil { side.encryptedFrom = recordStart + UInt64(record.count) }
            }
            if toServer { self.raiseClient(.handshakeDone) }
        case 21:
            if body.count < 2 {
                self.events.append((.invalidAlertMessage, toServer))
            } else if body.count == 2 && !side.isEncrypted {
                self.alerts.append(TLSAlert(level: body[0], description: body[1], fromClient: toServer))
                if body[0] == 2 {
                    self.raiseClient(.finished)
                    self.raiseServer(.finished)
                }
            }
        case 22:
            if side.isEncrypted {
                // The Finished message, encrypted under the new keys.
                side.handshakeFinished = true
                return
            }
            guard body.count >= 1 else {
                self.events.append((.invalidSSLRecord, toServer))
                return
            }
            side.handshake.append(contentsOf: body)
            self.currentMessageFlags = []
            self.drainHandshake(&side, toServer: toServer)
            if toServer {
                self.clientMessageFlags = self.currentMessageFlags
            } else {
                self.serverMessageFlags = self.currentMessageFlags
            }
        case 24:
            self.heartbeat(body, side: side, toServer: toServer)
        default:
            break
        }
    }

    private mutating func applicationData(_ side: inout Side, toServer: Bool, at offset: UInt64) {
        side.applicationData = true
        // 0-RTT data before the ServerHello does not end the client's handshake.
        if toServer, self.clientHello?.hasEarlyData == true, !self.sawServerHello { return }
        if side.encryptedFrom == nil { side.encryptedFrom = offset }
        side.handshakeFinished = true
        if toServer { self.raiseClient(.handshakeDone) } else { self.raiseServer(.handshakeDone) }
    }

    private mutating func heartbeat(_ body: [UInt8], side: Side, toServer: Bool) {
        self.events.append((.heartbeatMessage, toServer))
        guard !side.isEncrypted else { return }
        guard body.count >= 3 else {
            self.events.append((.invalidHeartbeatMessage, toServer))
            return
        }
        let payloadLength = Int(body[1]) << 8 | Int(body[2])
        // type, length, payload, at least 16 bytes of padding (RFC 6520).
        if 3 + payloadLength + 16 > body.count { self.events.append((.overflowHeartbeatMessage, toServer)) }
    }

    // MARK: Handshake messages

    private mutating func drainHandshake(_ side: inout Side, toServer: Bool) {
        var start = 0
        while side.handshake.count - start >= 4 {
            let type = side.handshake[start]
            let length =
                Int(side.handshake[start + 1]) << 16 | Int(side.handshake[start + 2]) << 8
                | Int(side.handshake[start + 3])
            if length > self.options.maxHandshakeBytes {
                self.fail(&side, .handshakeInvalidLength, toServer: toServer)
                return
            }
            guard side.handshake.count - start - 4 >= length else { break }
            let body = Array(side.handshake[start + 4..<start + 4 + length])
            start += 4 + length
            if !self.handleHandshake(type: type, body: body, toServer: toServer) {
                self.fail(&side, .invalidHandshakeMessage, toServer: toServer)
                return
            }
        }
        if start > 0 { side.handshake.removeFirst(start) }
    }

    /// Handles one whole handshake message; false for a message type that makes no sense.
    private mutating func handleHandshake(type: UInt8, body: [UInt8], toServer: Bool) -> Bool {
        switch type {
        case 1: self.currentMessageFlags.insert(.clientHello)
        case 2: self.currentMessageFlags.insert(.serverHello)
        case 12: self.currentMessageFlags.insert(.serverKeyExchange)
        case 16: self.currentMessageFlags.insert(.clientKeyExchange)
        default: self.currentMessageFlags.insert(.unknown)
        }
        switch type {
        case 1:
            self.clientHelloMessage(body, toServer: toServer)
        case 2:
            self.serverHelloMessage(body, toServer: toServer)
        case 11:
            self.certificateMessage(body, toServer: toServer)
        case 12:
            self.sawServerKeyExchange = true
        case 16:
            self.sawClientKeyExchange = true
        case 13:
            if !toServer { self.needClientCertificate = true }
        case 14:
            if !toServer { self.raiseServer(.helloDone) }
        case 0, 3, 4, 5, 6, 8, 15, 20, 21, 22, 23, 24, 25, 254:
            break
        default:
            return false
        }
        return true
    }

    private mutating func clientHelloMessage(_ body: [UInt8], toServer: Bool) {
        var problems: [TLSHelloError] = []
        guard let hello = try? TLSHello.decode(body, isClient: true, isDTLS: false, problems: &problems) else {
            self.events.append((.handshakeInvalidLength, toServer))
            return
        }
        self.report(problems, toServer: toServer)
        self.sawClientHello = true
        guard self.clientHello == nil else { return }
        self.clientHello = hello
        self.clientVersion = hello.effectiveVersion
        if self.options.ja3 { self.ja3 = TLSFingerprint.ja3(hello) }
        if self.options.ja4 { self.ja4 = TLSFingerprint.ja4(hello) }
        self.raiseClient(.helloDone)
    }

    private mutating func serverHelloMessage(_ body: [UInt8], toServer: Bool) {
        var problems: [TLSHelloError] = []
        guard let hello = try? TLSHello.decode(body, isClient: false, isDTLS: false, problems: &problems) else {
            self.events.append((.handshakeInvalidLength, toServer))
            return
        }
        self.report(problems, toServer: toServer)
        self.sawServerHello = true
        self.serverHello = hello
        var version = hello.supportedVersions.first ?? hello.legacyVersion
        if hello.supportedVersions.isEmpty {
            // Drafts 1-21 put the version in the hello itself; 0x0304 there means a draft before 16.
            if version == TLSVersion.tls13 || (0x7f01..<0x7f10).contains(version) {
                version = TLSVersion.tls13PreDraft16
            }
        }
        self.serverVersion = version
        if version > TLSVersion.tls12 && version != 0xffff { self.logWithoutCertificate = true }
        if let clientID = self.clientHello?.sessionID, !clientID.isEmpty, clientID == hello.sessionID,
            version <= TLSVersion.tls12
        {
            self.sessionResumed = true
        }
        if self.options.ja3 { self.ja3s = TLSFingerprint.ja3s(hello) }
        if self.options.ja4 { self.ja4s = TLSFingerprint.ja4s(hello) }
        self.raiseServer(.hello)
    }

    private mutating func certificateMessage(_ body: [UInt8], toServer: Bool) {
        var reader = WireReader(body)
        // TLS 1.3 certificates carry a request context first; they are only seen in the clear in odd cases.
        let isTLS13 =
            (toServer ? self.clientVersion : self.serverVersion) >= TLSVersion.tls13
            && self.serverVersion != 0 && self.serverVersion >= TLSVersion.tls13
        if isTLS13 {
            guard let contextLength = reader.u8(), reader.skip(Int(contextLength)) else {
                self.events.append((.certificateInvalidLength, toServer))
                return
            }
        }
        guard let listLength = reader.u24(), var list = reader.sub(Int(listLength)) else {
            self.events.append((.certificateInvalidLength, toServer))
            return
        }
        var chain: [TLSCertificate] = []
        while !list.isAtEnd {
            guard let length = list.u24(), let der = list.take(Int(length)) else {
                self.events.append((.certificateInvalidLength, toServer))
                break
            }
            if isTLS13 {
                guard let extensionsLength = list.u16(), list.skip(Int(extensionsLength)) else {
                    self.events.append((.certificateInvalidLength, toServer))
                    break
                }
            }
            do {
                chain.append(try TLSCertificate(der: der))
            } catch {
                self.events.append((chain.isEmpty ? .invalidCertificate : .certificateInvalidDER, toServer))
                // Suricata stops at the first undecodable certificate of the chain.
                break
            }
        }
        if toServer {
            if self.clientCertificates.isEmpty { self.clientCertificates = chain }
            self.raiseClient(.certificateDone)
        } else {
            if self.serverCertificates.isEmpty { self.serverCertificates = chain }
            self.raiseServer(.certificateDone)
        }
    }

    private mutating func report(_ problems: [TLSHelloError], toServer: Bool) {
        for problem in problems {
            let event: TLSEvent =
                switch problem {
                case .invalidLength: .handshakeInvalidLength
                case .invalidSNIType: .invalidSNIType
                case .invalidSNILength: .invalidSNILength
                case .multipleSNI: .multipleSNIExtensions
                }
            self.events.append((event, toServer))
        }
    }

    // MARK: SSLv2

    private mutating func handleSSLv2(_ record: [UInt8], side: inout Side, toServer: Bool, recordStart: UInt64) {
        if side.isEncrypted { return }
        var reader = WireReader(record, start: 2)
        guard let messageType = reader.u8() else { return }
        switch messageType {
        case 1 where toServer:
            // CLIENT-HELLO: version, cipher-specs length, session-id length, challenge length, specs.
            guard let version = reader.u16(), let specsLength = reader.u16(), let idLength = reader.u16(),
                let challengeLength = reader.u16(), var specs = reader.sub(Int(specsLength)),
                let sessionID = reader.take(Int(idLength)), let challenge = reader.take(Int(challengeLength))
            else {
                self.events.append((.invalidSSLv2Header, toServer))
                return
            }
            var hello = TLSHello()
            hello.legacyVersion = version
            hello.sessionID = sessionID
            hello.random = challenge
            while let high = specs.u8(), let low = specs.u16() {
                // Three-byte SSLv2 specs; those with a zero first byte are TLS cipher suites.
                if high == 0 { hello.ciphers.append(low) }
            }
            self.sawClientHello = true
            if self.clientHello == nil {
                self.clientHello = hello
                self.clientVersion = version
                if self.options.ja3 { self.ja3 = TLSFingerprint.ja3(hello) }
                if self.options.ja4 { self.ja4 = TLSFingerprint.ja4(hello) }
            }
            self.raiseClient(.helloDone)
        case 4 where !toServer:
            // SERVER-HELLO: session-id-hit, certificate type, version.
            guard reader.skip(2), let version = reader.u16() else {
                self.events.append((.invalidSSLv2Header, toServer))
                return
            }
            self.sawServerHello = true
            self.serverVersion = version
            self.raiseServer(.hello)
            // Everything after the SSLv2 server hello is under the session keys.
            side.encryptedFrom = recordStart + UInt64(record.count)
            side.handshakeFinished = true
            self.client.encryptedFrom = self.client.encryptedFrom ?? self.client.offset
        case 2 where toServer, 3 where toServer:
            // CLIENT-MASTER-KEY / CLIENT-FINISHED: the client's side is keyed from here.
            self.sawClientKeyExchange = true
            side.encryptedFrom = side.encryptedFrom ?? recordStart + UInt64(record.count)
            side.handshakeFinished = true
        default:
            break
        }
    }

    // MARK: Progress

    private mutating func updateHandshakeDone() {
        let certificatesSeen =
            self.needClientCertificate ? !self.clientCertificates.isEmpty : !self.serverCertificates.isEmpty
        if certificatesSeen {
            self.raiseClient(.handshakeDone)
            self.raiseServer(.handshakeDone)
        }
        // A resumed or TLS 1.3 session shows no certificate: it is logged once both sides are encrypted.
        if self.client.handshakeFinished && self.server.handshakeFinished {
            self.raiseClient(.handshakeDone)
            self.raiseServer(.handshakeDone)
        }
    }

    private mutating func raiseClient(_ progress: TLSClientProgress) {
        if progress > self.clientProgress { self.clientProgress = progress }
    }

    private mutating func raiseServer(_ progress: TLSServerProgress) {
        if progress > self.serverProgress { self.serverProgress = progress }
    }
}
