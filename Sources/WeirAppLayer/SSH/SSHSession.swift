// SPDX-License-Identifier: MIT
import Crypto

/// SSH parser anomalies, as Suricata's `app-layer-event:ssh.<name>` spells them.
public enum SSHEvent: String, Sendable, CaseIterable {
    case invalidBanner = "invalid_banner"
    case longBanner = "long_banner"
    case invalidRecord = "invalid_record"
    case longKexRecord = "long_kex_record"
}

/// One side's SSH progress (Suricata's `SSHConnectionState`, the values `ssh_state` matches).
public enum SSHProgress: Int, Sendable, Comparable {
    case inProgress = 0, bannerWaitEOL, bannerDone, finished

    /// The `ssh_state` keyword's name.
    public var name: String {
        switch self {
        case .inProgress: "in_progress"
        case .bannerWaitEOL: "banner_wait_eol"
        case .bannerDone: "banner_done"
        case .finished: "finished"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The SSH state of one flow: each side's banner, its KEXINIT (HASSH), and NEWKEYS, after which that
/// side is encrypted and not parsed further.
///
/// Suricata counterpart: `rust/src/ssh/`.
public struct SSHSession: Sendable {
    /// Longest banner line kept (longer ones are an event, and cut).
    public static let maxBannerLength = 256
    /// Longest binary packet collected whole (a KEXINIT); longer packets are skipped.
    public static let maxPacketLength = 65535

    /// One direction.
    public struct Side: Sendable {
        /// Protocol version from the banner (`2.0`, `1.99`).
        public internal(set) var protoVersion: [UInt8] = []
        /// Software version from the banner (`OpenSSH_9.2p1`).
        public internal(set) var softwareVersion: [UInt8] = []
        /// HASSH (client) or HASSH-server text: `kex;enc;mac;comp`.
        public internal(set) var hasshString: String?
        /// MD5 of ``hasshString``, lower-case hex.
        public internal(set) var hassh: String?
        /// Progress.
        public internal(set) var progress = SSHProgress.inProgress
        /// Stream offset where encryption began (after this side's NEWKEYS packet).
        public internal(set) var encryptedFrom: UInt64?
        /// Parsing stopped on malformed input.
        public internal(set) var failed = false
        /// Bytes fed so far.
        public internal(set) var offset: UInt64 = 0
        /// Bytes waiting (a partial banner line or packet).
        var pending: [UInt8] = []
        /// Bytes of an over-long packet still to skip.
        var skip: Int = 0
    }

    /// Client to server.
    public internal(set) var client = Side()
    /// Server to client.
    public internal(set) var server = Side()
    /// Events since the last ``takeEvents()``.
    public internal(set) var events: [(event: SSHEvent, toServer: Bool)] = []
    /// Compute HASSH (`app-layer.protocols.ssh.hassh`).
    public let computeHASSH: Bool

    public init(computeHASSH: Bool = true) {
        self.computeHASSH = computeHASSH
    }

    /// Both sides have sent NEWKEYS.
    public var encryptedBothWays: Bool { self.client.progress == .finished && self.server.progress == .finished }

    /// Returns and clears the pending events.
    public mutating func takeEvents() -> [(event: SSHEvent, toServer: Bool)] {
        defer { self.events.removeAll(keepingCapacity: true) }
        return self.events
    }

    /// Feeds the next bytes of one direction's stream.
    public mutating func parse(_ data: [UInt8], toServer: Bool) {
        data.withUnsafeBytes { self.parse($0, toServer: toServer) }
    }

    /// Feeds the next bytes of one direction's stream.
    public mutating func parse(_ data: UnsafeRawBufferPointer, toServer: Bool) {
        var side = toServer ? self.client : self.server
        self.feed(&side, data, toServer: toServer)
        if toServer { self.client = side } else { self.server = side }
    }

    private mutating func feed(_ side: inout Side, _ data: UnsafeRawBufferPointer, toServer: Bool) {
        let count = data.count
        var index = 0
        defer { side.offset += UInt64(count) }
        while index < count, !side.failed, side.progress != .finished {
            if side.skip > 0 {
                let step = min(side.skip, count - index)
                side.skip -= step
                index += step
                continue
            }
            if side.progress < .bannerDone {
                // Collect up to the end of the banner line.
                guard let newline = (index..<count).first(where: { data[$0] == 0x0a }) else {
                    side.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<count]))
                    index = count
                    if side.progress == .inProgress, side.pending.count >= Self.maxBannerLength {
                        self.banner(&side, side.pending, toServer: toServer, complete: false)
                        side.pending.removeAll()
                    } else if side.progress == .bannerWaitEOL {
                        side.pending.removeAll()
                    }
                    break
                }
                side.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<newline]))
                index = newline + 1
                var line = side.pending
                side.pending.removeAll(keepingCapacity: true)
                if side.progress == .bannerWaitEOL {
                    side.progress = .bannerDone
                    continue
                }
                if line.last == 0x0d { line.removeLast() }
                self.banner(&side, line, toServer: toServer, complete: true)
                continue
            }
            // Binary packets: uint32 packet_length, byte padding_length, payload (message code first).
            if side.pending.count < 6 {
                let step = min(6 - side.pending.count, count - index)
                side.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<index + step]))
                index += step
                if side.pending.count < 6 { break }
            }
            let packetLength =
                Int(side.pending[0]) << 24 | Int(side.pending[1]) << 16 | Int(side.pending[2]) << 8
                | Int(side.pending[3])
            let messageCode = side.pending[5]
            guard packetLength >= 2, Int(side.pending[4]) < packetLength else {
                self.events.append((.invalidRecord, toServer))
                side.failed = true
                side.pending.removeAll()
                return
            }
            let total = 4 + packetLength
            if total > Self.maxPacketLength + 4 {
                if messageCode == 20 { self.events.append((.longKexRecord, toServer)) }
                side.skip = total - side.pending.count
                side.pending.removeAll(keepingCapacity: true)
                continue
            }
            let step = min(total - side.pending.count, count - index)
            side.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<index + step]))
            index += step
            if side.pending.count < total { break }
            let packet = side.pending
            side.pending.removeAll(keepingCapacity: true)
            switch messageCode {
            case 20:
                if self.computeHASSH, side.hassh == nil { self.kexinit(&side, packet, toServer: toServer) }
            case 21:
                side.progress = .finished
                side.encryptedFrom = side.offset + UInt64(index)
            default:
                break
            }
        }
    }

    /// `SSH-protoversion-softwareversion SP comments`.
    private mutating func banner(_ side: inout Side, _ line: [UInt8], toServer: Bool, complete: Bool) {
        let prefix: [UInt8] = Array("SSH-".utf8)
        guard line.count > 4, Array(line[0..<4]) == prefix,
            let dash = line[4...].firstIndex(of: UInt8(ascii: "-")), dash > 4
        else {
            self.events.append((.invalidBanner, toServer))
            side.failed = true
            return
        }
        side.protoVersion = Array(line[4..<dash].prefix(Self.maxBannerLength))
        let rest = line[(dash + 1)...]
        let end = rest.firstIndex(where: { $0 == 0x20 || $0 == 0x0d || $0 == 0x0a }) ?? rest.endIndex
        side.softwareVersion = Array(rest[rest.startIndex..<end].prefix(Self.maxBannerLength))
        if !complete || line.count >= Self.maxBannerLength { self.events.append((.longBanner, toServer)) }
        side.progress = complete ? .bannerDone : .bannerWaitEOL
    }

    /// KEXINIT: 16-byte cookie, then name-lists: kex, host key, enc c2s, enc s2c, mac c2s, mac s2c,
    /// comp c2s, comp s2c, languages c2s, languages s2c.
    private mutating func kexinit(_ side: inout Side, _ packet: [UInt8], toServer: Bool) {
        var reader = WireReader(packet, start: 6)
        guard reader.skip(16) else { return }
        var lists: [[UInt8]] = []
        for _ in 0..<8 {
            guard let length = reader.u32(), let list = reader.take(Int(length)) else { return }
            lists.append(list)
        }
        // Client: the client-to-server lists; server: the server-to-client lists.
        let picks = toServer ? [0, 2, 4, 6] : [0, 3, 5, 7]
        let text = picks.map { String(decoding: lists[$0], as: UTF8.self) }.joined(separator: ";")
        side.hasshString = text
        side.hassh = HexText.string(Insecure.MD5.hash(data: Array(text.utf8)))
    }
}
