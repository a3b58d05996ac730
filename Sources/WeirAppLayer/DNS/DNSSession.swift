// SPDX-License-Identifier: MIT

/// DNS parser anomalies, as Suricata's `app-layer-event:dns.<name>` spells them.
public enum DNSEvent: String, Sendable, CaseIterable {
    case malformedData = "malformed_data"
    case notRequest = "not_request"
    case notResponse = "not_response"
    case zFlagSet = "z_flag_set"
    case invalidOpcode = "invalid_opcode"
    case nameTooLong = "name_too_long"
    case infiniteLoop = "infinite_loop"
    case tooManyLabels = "too_many_labels"
    case invalidAdditionals = "invalid_additionals"
    case invalidAuthorities = "invalid_authorities"
}

/// One DNS transaction: a single message, as in Suricata 8 (a request and its response are two
/// transactions), with the response linked to the request it answers by the DNS id.
public struct DNSTransaction: Sendable {
    /// The flow-wide transaction number, from 0 (EVE `tx_id`).
    public var txID: UInt64
    /// The message.
    public var message: DNSMessage
    /// Sent by the client (a request).
    public var toServer: Bool
    /// Anomalies of this message.
    public var events: [DNSEvent]
    /// For a response: the transaction number of the request with the same DNS id, when seen.
    public var answersRequest: UInt64?
}

/// The DNS state of one flow, over UDP (one message per datagram) or TCP (each message behind a 2-byte
/// length; several per segment, or one split across segments).
///
/// Parsed messages become ``DNSTransaction``s that the caller takes with ``takeTransactions()``
/// (detection and logging); malformed messages become events and never stop the flow's inspection.
///
/// Suricata counterpart: `rust/src/dns/dns.rs`.
public struct DNSSession: Sendable {
    /// Requests remembered for pairing with responses, per flow; the oldest is forgotten past this.
    public static let maxOutstanding = 256
    /// Largest TCP message collected (the length prefix's range).
    public static let maxTCPMessage = 65535

    /// Transactions parsed and not yet taken.
    public private(set) var transactions: [DNSTransaction] = []
    /// Events that belong to no transaction (a message that could not be decoded), with direction.
    public private(set) var events: [(event: DNSEvent, toServer: Bool)] = []
    /// Transactions created so far.
    public private(set) var transactionCount: UInt64 = 0
    /// Responses paired with a request.
    public private(set) var pairedResponses: UInt64 = 0
    /// Requests forgotten before their response (the ``maxOutstanding`` bound).
    public private(set) var forgottenRequests: UInt64 = 0
    /// A TCP direction failed (a message that is not DNS): its remaining bytes are not parsed.
    public private(set) var tcpFailedToServer = false
    public private(set) var tcpFailedToClient = false

    /// Data was lost in a TCP direction: the next data is parsed once it looks like the start of a message
    /// again (one flag for both directions, as Suricata's DNS state keeps it).
    public private(set) var afterGap = false

    private var outstanding: [UInt16: UInt64] = [:]
    private var outstandingOrder: [UInt16] = []
    private var bufferToServer: [UInt8] = []
    private var bufferToClient: [UInt8] = []

    public init() {}

    /// Bytes held for partial TCP messages (counted against the memcap by the caller).
    public var bufferedBytes: Int { self.bufferToServer.count + self.bufferToClient.count }

    /// Returns and clears the parsed transactions.
    public mutating func takeTransactions() -> [DNSTransaction] {
        defer { self.transactions.removeAll(keepingCapacity: true) }
        return self.transactions
    }

    /// Returns and clears the events that belong to no transaction.
    public mutating func takeEvents() -> [(event: DNSEvent, toServer: Bool)] {
        defer { self.events.removeAll(keepingCapacity: true) }
        return self.events
    }

    /// Parses one UDP payload. Returns false when it is not a DNS message (header checks fail), which
    /// protocol detection uses.
    @discardableResult
    public mutating func parseUDP(_ payload: [UInt8], toServer: Bool) -> Bool {
        self.parseMessage(payload, toServer: toServer)
    }

    /// Bytes of one TCP direction were lost: the partial message held for it goes, and parsing waits for data
    /// that starts a message (``parseTCP(_:toServer:)``).
    public mutating func gap(toServer: Bool) {
        self.afterGap = true
        if toServer { self.bufferToServer.removeAll() } else { self.bufferToClient.removeAll() }
    }

    /// Feeds the next bytes of one TCP direction.
    public mutating func parseTCP(_ data: [UInt8], toServer: Bool) {
        if toServer ? self.tcpFailedToServer : self.tcpFailedToClient { return }
        if self.afterGap {
            // As Suricata after a gap: data that probes as DNS (or is too short to tell) resumes parsing.
            // Responses that do not are dropped; requests are parsed anyway (Suricata's request path does
            // not return there), so junk ends that direction as a parse failure.
            if data.withUnsafeBytes({ DNSParser.probe($0, tcp: true) }) != .noMatch {
                self.afterGap = false
            } else if !toServer {
                return
            }
        }
        var buffer = toServer ? self.bufferToServer : self.bufferToClient
        buffer.append(contentsOf: data)
        var start = 0
        var failed = false
        while buffer.count - start >= 2 {
            let length = Int(buffer[start]) << 8 | Int(buffer[start + 1])
            if length == 0 {
                start += 2
                continue
            }
            guard buffer.count - start - 2 >= length else { break }
            let message = Array(buffer[start + 2..<start + 2 + length])
            start += 2 + length
            if !self.parseMessage(message, toServer: toServer) {
                failed = true
                break
            }
        }
        if failed {
            buffer.removeAll()
            if toServer { self.tcpFailedToServer = true } else { self.tcpFailedToClient = true }
        } else if start > 0 {
            buffer.removeFirst(start)
        }
        if toServer { self.bufferToServer = buffer } else { self.bufferToClient = buffer }
    }

    /// Decodes one message into a transaction; false when it is not DNS or is malformed.
    private mutating func parseMessage(_ bytes: [UInt8], toServer: Bool) -> Bool {
        let message: DNSMessage
        do {
            message = try DNSMessage.decode(bytes)
        } catch {
            switch error {
            case .invalidHeader: break
            case .truncated, .malformedName: self.flagLast(.malformedData, toServer: toServer)
            }
            return false
        }
        if toServer && message.isResponse {
            self.flagLast(.notRequest, toServer: toServer)
            return false
        }
        var events: [DNSEvent] = []
        if message.invalidAdditionals { events.append(.invalidAdditionals) }
        if message.invalidAuthorities { events.append(.invalidAuthorities) }
        if !toServer && !message.isResponse { events.append(.notResponse) }
        if message.flags & 0x0040 != 0 { events.append(.zFlagSet) }
        if message.opcode >= 7 { events.append(.invalidOpcode) }
        if message.nameTruncated { events.append(.nameTooLong) }
        if message.infiniteLoop { events.append(.infiniteLoop) }
        if message.labelLimit { events.append(.tooManyLabels) }
        var transaction = DNSTransaction(
            txID: self.transactionCount,
            message: message,
            toServer: toServer,
            events: events,
            answersRequest: nil
        )
        if toServer {
            self.remember(message.id, transaction.txID)
        } else if let request = self.outstanding.removeValue(forKey: message.id) {
            transaction.answersRequest = request
            self.outstandingOrder.removeAll { $0 == message.id }
            self.pairedResponses += 1
        }
        self.transactionCount += 1
        self.transactions.append(transaction)
        return true
    }

    /// Suricata sets a message-level event on the flow's latest transaction.
    private mutating func flagLast(_ event: DNSEvent, toServer: Bool) {
        if let last = self.transactions.indices.last {
            self.transactions[last].events.append(event)
        } else {
            self.events.append((event, toServer))
        }
    }

    private mutating func remember(_ id: UInt16, _ txID: UInt64) {
        if self.outstanding.updateValue(txID, forKey: id) == nil { self.outstandingOrder.append(id) }
        if self.outstandingOrder.count > Self.maxOutstanding {
            let oldest = self.outstandingOrder.removeFirst()
            self.outstanding.removeValue(forKey: oldest)
            self.forgottenRequests += 1
        }
    }
}
