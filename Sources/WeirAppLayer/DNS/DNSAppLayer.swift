// SPDX-License-Identifier: MIT
import WeirDetect
import WeirOutput

extension AppProtocol {
    /// DNS over UDP or TCP.
    public static let dns = AppProtocol("dns")
}

/// One DNS message as an app-layer transaction (Suricata 8: a request and its response are two).
public final class DNSAppTransaction: AppLayerTransaction {
    public let transaction: DNSTransaction
    public var id: UInt64 { self.transaction.txID }
    public let events: [AppLayerEvent]
    public var detectState = TransactionDetectState()
    public var isLogged = false
    // Buffers (stable storage for detection).
    let queryNames: [[UInt8]]
    let answerNames: [[UInt8]]
    let authorityNames: [[UInt8]]
    let additionalNames: [[UInt8]]
    /// Every name of a response: queries, owners and name data of every section (`dns.response.rrname`).
    let responseNames: [[UInt8]]

    init(_ transaction: DNSTransaction) {
        self.transaction = transaction
        self.events = transaction.events.map { AppLayerEvent("dns." + $0.rawValue) }
        let message = transaction.message
        self.queryNames = message.questions.map(\.name.value).filter { !$0.isEmpty }
        self.answerNames = message.answers.map(\.name.value).filter { !$0.isEmpty }
        self.authorityNames = message.authorities.map(\.name.value).filter { !$0.isEmpty }
        self.additionalNames = message.additionals.map(\.name.value).filter { !$0.isEmpty }
        var names = self.queryNames
        for record in message.answers + message.authorities + message.additionals {
            if !record.name.value.isEmpty { names.append(record.name.value) }
            switch record.data {
            case .name(let name) where !name.value.isEmpty: names.append(name.value)
            case .soa(let mname, let rname, _, _, _, _, _): names += [mname.value, rname.value].filter { !$0.isEmpty }
            case .srv(_, _, _, let target) where !target.value.isEmpty: names.append(target.value)
            default: break
            }
        }
        self.responseNames = transaction.toServer ? [] : names
    }

    /// A DNS message is whole when parsed. It belongs to its own direction only: the other direction is
    /// "done" before it starts (-1), so detection inspects a request with requests and a response with
    /// responses, once.
    public func progress(toServer: Bool) -> Int { toServer == self.transaction.toServer ? 1 : -1 }
    public func completeProgress(toServer: Bool) -> Int { toServer == self.transaction.toServer ? 1 : -1 }
    public func writeEVE(_ writer: JSONWriter) { writer.writeDNS(self.transaction) }
}

/// The DNS parser of one flow, over UDP datagrams or a TCP stream.
public final class DNSParser: AppLayerParser {
    private var session = DNSSession()
    private var live: [DNSAppTransaction] = []
    private let counters: AppLayerCounters
    /// Live transactions kept per flow before the oldest are dropped unlogged (`dns.memcap`-style bound).
    private let maxLive: Int

    public init(settings: AppLayerParserSettings) {
        self.counters = settings.counters
        self.maxLive = Int(settings.values["max-tx"] ?? "") ?? 4096
    }

    public func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext) {
        if context.isDatagram {
            self.session.parseUDP(Array(bytes), toServer: toServer)
        } else {
            self.session.parseTCP(Array(bytes), toServer: toServer)
            if toServer ? self.session.tcpFailedToServer : self.session.tcpFailedToClient {
                context.parserFailed = true
            }
        }
        for (event, _) in self.session.takeEvents() {
            context.raise(AppLayerEvent("dns." + event.rawValue))
            self.counters.add("dns.events")
        }
        let parsed = self.session.takeTransactions()
        if !parsed.isEmpty {
            for transaction in parsed {
                self.live.append(DNSAppTransaction(transaction))
                self.counters.add(transaction.toServer ? "dns.requests" : "dns.responses")
            }
            if self.live.count > self.maxLive {
                let excess = self.live.count - self.maxLive
                self.live.removeFirst(excess)
                self.counters.add("dns.memcap_dropped_tx", UInt64(excess))
            }
            if !context.isDatagram { context.triggerRawInspection(toServer: toServer) }
        }
    }

    public func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext) {
        // Suricata's DNS parser accepts gaps: the message cut by it is lost, and parsing resumes at the next
        // data that starts a message.
        guard length > 0, !context.isDatagram else { return }
        self.session.gap(toServer: toServer)
    }

    public func endOfStream(toServer: Bool, context: inout AppLayerParseContext) {}
    public var transactionCount: Int { self.live.count }
    public func transaction(at index: Int) -> any AppLayerTransaction { self.live[index] }
    public func freeTransactions(through id: UInt64) { self.live.removeAll { $0.id <= id } }
    public var memoryUse: Int { self.session.bufferedBytes + self.live.count * 256 }
    public var transactionsCreated: UInt64 { self.session.transactionCount }
}

extension DNSParser {
    /// A DNS message: the header counts fit the length and the body decodes (TCP: after the length prefix).
    static func probe(_ bytes: UnsafeRawBufferPointer, tcp: Bool) -> AppLayerProbeResult {
        var message = Array(bytes)
        if tcp {
            guard message.count >= 2 else { return .needMoreData }
            let length = Int(message[0]) << 8 | Int(message[1])
            guard length >= 12 else { return .noMatch }
            message.removeFirst(2)
            if message.count < length {
                // Suricata decides on the header alone until the whole message is there: a long first
                // message (a 16 kB query) is recognised from its first segment.
                guard message.count >= 12 else { return .needMoreData }
                return Self.headerPlausible(message, length: length) ? .match : .noMatch
            }
            message = Array(message.prefix(length))
        }
        guard message.count >= 12 else { return tcp ? .needMoreData : .noMatch }
        do {
            _ = try DNSMessage.decode(message)
            return Self.headerPlausible(message, length: message.count) ? .match : .noMatch
        } catch {
            return .noMatch
        }
    }

    private static func headerPlausible(_ header: [UInt8], length: Int) -> Bool {
        func word(_ index: Int) -> Int { Int(header[index]) << 8 | Int(header[index + 1]) }
        let records = word(4) + word(6) + word(8) + word(10)
        return 2 * records <= length && (records > 0 || length == 12) && (header[2] & 0x80 != 0 || word(4) > 0)
    }

    /// The protocol as the stage registers it (probed on its detection ports, as Suricata's DNS probing
    /// parser is).
    public static let descriptor = AppLayerProtocolDescriptor(
        proto: .dns,
        transports: [17, 6],
        probes: [
            AppLayerProbe(direction: .both, portBound: true) { bytes, toServer in
                // Over UDP the stage hands one datagram; a TCP stream starts with the 2-byte length.
                if DNSParser.probe(bytes, tcp: false) == .match {
                    // The QR bit says which way the message travels: a response sent to the "server" is the
                    // other side's (a capture that starts with the answer), as Suricata's probe reports it.
                    let isResponse = bytes[2] & 0x80 != 0
                    return isResponse == toServer ? .matchOtherDirection : .match
                }
                // Over TCP the QR bit follows the length prefix; a response sent to the "server" is the other
                // side's too (Suricata's DNS-over-TCP probe reports the direction the same way).
                let overTCP = DNSParser.probe(bytes, tcp: true)
                if overTCP == .match, bytes.count > 4 {
                    let isResponse = bytes[4] & 0x80 != 0
                    return isResponse == toServer ? .matchOtherDirection : .match
                }
                return overTCP
            }
        ],
        defaultDetectionPorts: "53",
        makeParser: { DNSParser(settings: $0) },
        buffers: DNSParser.buffers,
        eventNames: DNSEvent.allCases.map(\.rawValue)
    )

    private static func names(
        _ name: String,
        toServer: Bool,
        _ pick: @escaping @Sendable (DNSAppTransaction) -> [[UInt8]]
    ) -> AppLayerBufferDescriptor {
        AppLayerBufferDescriptor(name: name, toServer: toServer, progress: 1) { tx, body in
            guard let tx = tx as? DNSAppTransaction, tx.transaction.toServer == toServer else { return }
            for name in pick(tx) { name.withUnsafeBytes { body($0) } }
        }
    }

    static let buffers: [AppLayerBufferDescriptor] = {
        var list = [names("dns.query", toServer: true) { $0.queryNames }]
        for toServer in [true, false] {
            list += [
                names("dns.queries.rrname", toServer: toServer) { $0.queryNames },
                names("dns.query.name", toServer: toServer) { $0.queryNames },
                names("dns.answers.rrname", toServer: toServer) { $0.answerNames },
                names("dns.answer.name", toServer: toServer) { $0.answerNames },
                names("dns.authorities.rrname", toServer: toServer) { $0.authorityNames },
                names("dns.additionals.rrname", toServer: toServer) { $0.additionalNames },
            ]
        }
        list.append(names("dns.response.rrname", toServer: false) { $0.responseNames })
        return list
    }()
}

extension AppLayerRegistry {
    /// The parsers of this folder and its siblings (TLS, SSH, DNS), for ``AppLayerRegistry/builtIn``.
    public static var encryptedAndDNS: [AppLayerProtocolDescriptor] {
        [TLSParser.descriptor, SSHParser.descriptor, DNSParser.descriptor]
    }
}
