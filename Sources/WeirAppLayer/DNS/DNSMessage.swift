// SPDX-License-Identifier: MIT

/// A decoded DNS name: the labels joined by `.`, and what went wrong decoding it.
public struct DNSName: Sendable, Equatable {
    /// The name in presentation form, bytes as on the wire (`www.example.com`; empty for the root).
    public var value: [UInt8]
    /// Longer than ``DNSMessage/maxNameLength`` and cut there.
    public var truncated = false

    public init(value: [UInt8], truncated: Bool = false) {
        self.value = value
        self.truncated = truncated
    }

    /// The name as text.
    public var text: String { String(decoding: self.value, as: UTF8.self) }
}

/// One question.
public struct DNSQuestion: Sendable, Equatable {
    public var name: DNSName
    public var type: UInt16
    public var rrClass: UInt16
}

/// A resource record's data, for the types Suricata logs in detail.
public enum DNSRData: Sendable, Equatable {
    /// A or AAAA address bytes.
    case address([UInt8])
    /// CNAME, NS, PTR, MX (preference dropped, as Suricata logs it): a name.
    case name(DNSName)
    /// TXT character strings (each is logged as its own answer).
    case text([[UInt8]])
    /// SOA.
    case soa(
        mname: DNSName,
        rname: DNSName,
        serial: UInt32,
        refresh: UInt32,
        retry: UInt32,
        expire: UInt32,
        minimum: UInt32
    )
    /// SRV.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// SSHFP.
    case sshfp(algorithm: UInt8, fingerprintType: UInt8, fingerprint: [UInt8])
    /// OPT (EDNS) options: code and data.
    case options([(code: UInt16, data: [UInt8])])
    /// NULL: raw bytes, logged as a string.
    case null([UInt8])
    /// Anything else, kept raw and not logged.
    case other([UInt8])

    public static func == (lhs: DNSRData, rhs: DNSRData) -> Bool {
        switch (lhs, rhs) {
        case (.address(let a), .address(let b)): a == b
        case (.name(let a), .name(let b)): a == b
        case (.text(let a), .text(let b)): a == b
        case let (.soa(a1, a2, a3, a4, a5, a6, a7), .soa(b1, b2, b3, b4, b5, b6, b7)):
            a1 == b1 && a2 == b2 && a3 == b3 && a4 == b4 && a5 == b5 && a6 == b6 && a7 == b7
        case let (.srv(a1, a2, a3, a4), .srv(b1, b2, b3, b4)): a1 == b1 && a2 == b2 && a3 == b3 && a4 == b4
        case let (.sshfp(a1, a2, a3), .sshfp(b1, b2, b3)): a1 == b1 && a2 == b2 && a3 == b3
        case (.options(let a), .options(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.code == $1.code && $0.data == $1.data }
        case (.null(let a), .null(let b)): a == b
        case (.other(let a), .other(let b)): a == b
        default: false
        }
    }
}

/// One resource record (answer, authority or additional).
public struct DNSResourceRecord: Sendable, Equatable {
    public var name: DNSName
    public var type: UInt16
    public var rrClass: UInt16
    public var ttl: UInt32
    public var data: DNSRData
}

/// A whole DNS message.
///
/// Suricata counterpart: `rust/src/dns/parser.rs`.
public struct DNSMessage: Sendable, Equatable {
    /// Names longer than this (presentation form) are cut and flagged, as Suricata (and dnsmasq) do.
    public static let maxNameLength = 1025
    /// Labels plus pointers followed in one name before giving up.
    public static let maxLabels = 255

    /// The transaction id.
    public var id: UInt16
    /// The flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    public var flags: UInt16
    public var questions: [DNSQuestion] = []
    public var answers: [DNSResourceRecord] = []
    public var authorities: [DNSResourceRecord] = []
    public var additionals: [DNSResourceRecord] = []
    /// A name was longer than ``maxNameLength``.
    public var nameTruncated = false
    /// A compression pointer pointed at itself (or the name looped).
    public var infiniteLoop = false
    /// A name had more than ``maxLabels`` labels and pointers.
    public var labelLimit = false
    /// The authority section could not be decoded (the message is kept without it).
    public var invalidAuthorities = false
    /// The additional section could not be decoded.
    public var invalidAdditionals = false

    /// A response (QR set).
    public var isResponse: Bool { self.flags & 0x8000 != 0 }
    /// The opcode (0 query, 1 iquery, 2 status, 4 notify, 5 update).
    public var opcode: UInt8 { UInt8((self.flags >> 11) & 0xf) }
    /// The rcode (low four bits).
    public var rcode: UInt8 { UInt8(self.flags & 0xf) }

    /// Why a message could not be decoded.
    public enum DecodeError: Error, Sendable {
        /// Header counts that cannot fit the message (not DNS, or damaged).
        case invalidHeader
        /// The message ends inside a question or answer.
        case truncated
        /// A name that cannot be decoded (bad label type, pointer out of range, loop before any data).
        case malformedName
    }

    /// Decodes one message (a UDP payload, or one TCP message without its length prefix).
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> DNSMessage {
        var reader = WireReader(bytes)
        guard let id = reader.u16(), let flags = reader.u16(), let questionCount = reader.u16(),
            let answerCount = reader.u16(), let authorityCount = reader.u16(), let additionalCount = reader.u16()
        else { throw .invalidHeader }
        // Header sanity as Suricata probes it: every record needs at least two bytes; a request needs a
        // question; no records means nothing may follow the header.
        let records = Int(questionCount) + Int(answerCount) + Int(authorityCount) + Int(additionalCount)
        guard 2 * records <= bytes.count else { throw .invalidHeader }
        guard records > 0 || bytes.count == 12 else { throw .invalidHeader }
        guard flags & 0x8000 != 0 || questionCount > 0 else { throw .invalidHeader }

        var message = DNSMessage(id: id, flags: flags)
        for _ in 0..<questionCount {
            let name = try message.readName(&reader)
            guard let type = reader.u16(), let rrClass = reader.u16() else { throw .truncated }
            message.questions.append(DNSQuestion(name: name, type: type, rrClass: rrClass))
        }
        for _ in 0..<answerCount { message.answers.append(try message.readRecord(&reader)) }
        // Damaged authority or additional sections keep what came before (Suricata's events for them).
        do {
            for _ in 0..<authorityCount { message.authorities.append(try message.readRecord(&reader)) }
        } catch {
            message.invalidAuthorities = true
            message.authorities.removeAll()
            return message
        }
        do {
            for _ in 0..<additionalCount { message.additionals.append(try message.readRecord(&reader)) }
        } catch {
            message.invalidAdditionals = true
            message.additionals.removeAll()
        }
        return message
    }

    private init(id: UInt16, flags: UInt16) {
        self.id = id
        self.flags = flags
    }

    private mutating func readRecord(_ reader: inout WireReader) throws(DecodeError) -> DNSResourceRecord {
        let name = try self.readName(&reader)
        guard let type = reader.u16(), let rrClass = reader.u16(), let ttl = reader.u32(),
            let length = reader.u16(), let start = Optional(reader.position), reader.skip(Int(length))
        else { throw .truncated }
        let end = start + Int(length)
        var data = WireReader(reader.bytes, start: start, end: end)
        let rdata = self.readData(type: type, &data, start: start, end: end)
        return DNSResourceRecord(name: name, type: type, rrClass: rrClass, ttl: ttl, data: rdata)
    }

    private mutating func readData(type: UInt16, _ data: inout WireReader, start: Int, end: Int) -> DNSRData {
        let raw = Array(data.bytes[start..<end])
        switch type {
        case 1 where raw.count == 4, 28 where raw.count == 16:
            return .address(raw)
        case 2, 5, 12:
            return (try? self.readName(&data)).map(DNSRData.name) ?? .other(raw)
        case 15:
            guard data.skip(2), let name = try? self.readName(&data) else { return .other(raw) }
            return .name(name)
        case 16:
            var strings: [[UInt8]] = []
            while let length = data.u8(), let text = data.take(Int(length)) { strings.append(text) }
            return .text(strings)
        case 10:
            return .null(raw)
        case 6:
            guard let mname = try? self.readName(&data), let rname = try? self.readName(&data),
                let serial = data.u32(), let refresh = data.u32(), let retry = data.u32(), let expire = data.u32(),
                let minimum = data.u32()
            else { return .other(raw) }
            return .soa(
                mname: mname,
                rname: rname,
                serial: serial,
                refresh: refresh,
                retry: retry,
                expire: expire,
                minimum: minimum
            )
        case 33:
            guard let priority = data.u16(), let weight = data.u16(), let port = data.u16(),
                let target = try? self.readName(&data)
            else { return .other(raw) }
            return .srv(priority: priority, weight: weight, port: port, target: target)
        case 44:
            guard let algorithm = data.u8(), let fingerprintType = data.u8() else { return .other(raw) }
            return .sshfp(
                algorithm: algorithm,
                fingerprintType: fingerprintType,
                fingerprint: data.take(data.remaining) ?? []
            )
        case 41:
            var options: [(code: UInt16, data: [UInt8])] = []
            while let code = data.u16(), let length = data.u16(), let value = data.take(Int(length)) {
                options.append((code, value))
            }
            return .options(options)
        default:
            return .other(raw)
        }
    }

    /// Reads a possibly compressed name. A pointer to itself is an infinite loop (an error when it is the
    /// name's first pointer, else the name read so far); longer loops end at 255 labels and pointers.
    private mutating func readName(_ reader: inout WireReader) throws(DecodeError) -> DNSName {
        var name: [UInt8] = []
        var truncated = false
        var cursor = reader
        var jumped = false
        var steps = 0
        walk: while true {
            guard let length = cursor.u8() else { throw .truncated }
            if length == 0 { break walk }
            switch length & 0xc0 {
            case 0x00:
                guard let label = cursor.take(Int(length)) else { throw .truncated }
                if !truncated {
                    if !name.isEmpty { name.append(UInt8(ascii: ".")) }
                    name.append(contentsOf: label)
                }
            case 0xc0:
                let pointerAt = cursor.position - 1
                guard let low = cursor.u8() else { throw .truncated }
                let target = Int(length & 0x3f) << 8 | Int(low)
                let firstPointer = !jumped
                if firstPointer {
                    reader = cursor
                    jumped = true
                }
                if target == pointerAt {
                    self.infiniteLoop = true
                    if firstPointer { throw .malformedName }
                    break walk
                }
                guard target < cursor.end else { throw .malformedName }
                cursor = WireReader(cursor.bytes, start: target)
            default:
                throw .malformedName
            }
            steps += 1
            if steps > Self.maxLabels {
                self.labelLimit = true
                guard jumped else { throw .malformedName }
                truncated = true
                break walk
            }
            if name.count > Self.maxNameLength {
                name.removeLast(name.count - Self.maxNameLength)
                truncated = true
                self.nameTruncated = true
                if jumped { break walk }
            }
        }
        if !jumped { reader = cursor }
        return DNSName(value: name, truncated: truncated)
    }
}
