// SPDX-License-Identifier: MIT
import Crypto
import WeirCore

/// Community ID flow hashing, version 1 (Corelight's published spec), as EVE's `community_id` carries it so that
/// Weir's records join with Zeek's and other tools' on the same flow.
///
/// The hash covers a 2-byte seed, both addresses, the IP protocol, a zero byte and, for TCP, UDP, SCTP, ICMP and
/// ICMPv6, two 16-bit "ports" (ICMP's are type and code, with request/reply types mapped onto each other so
/// that both directions of a conversation hash alike). The endpoints are ordered (smaller address first, then
/// smaller port) unless the ICMP message has no counterpart, and the SHA-1 digest is base64-encoded after `1:`.
public enum CommunityID {
    /// The `1:…` identifier of a flow seen from `source` to `destination`, as the spec defines it.
    ///
    /// - Parameters:
    ///   - sourcePort: the source port, or for ICMP and ICMPv6 the message type.
    ///   - destinationPort: the destination port, or for ICMP and ICMPv6 the message code.
    ///   - seed: `community-id-seed` (0 unless configured).
    public static func v1(
        source: IPAddress, destination: IPAddress, ipProtocol: UInt8, sourcePort: UInt16, destinationPort: UInt16,
        seed: UInt16 = 0
    ) -> String {
        var sport = sourcePort
        var dport = destinationPort
        var hasPorts = true
        var oneWay = false
        switch ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp:
            break
        case IPProtocol.icmp, IPProtocol.icmpv6:
            let type = UInt8(truncatingIfNeeded: sourcePort)
            if let counterpart = Self.icmpCounterpart(of: type, ipProtocol: ipProtocol) {
                dport = UInt16(counterpart)
            } else {
                oneWay = true
            }
            sport = UInt16(type)
        default:
            hasPorts = false
        }
        return Self.identifier(
            seed: seed, (source.bytes, sport), (destination.bytes, dport), ipProtocol: ipProtocol,
            hasPorts: hasPorts, ordered: !oneWay)
    }

    /// The identifier of an ICMP or ICMPv6 flow as Suricata writes it on the flow's records: the "ports" are the
    /// type of the flow's first packet and that type's counterpart (0 when it has none, where the spec would
    /// take the code), and the endpoints are always ordered. For echo and the other request/reply pairs this is
    /// the spec's value; for error messages it is Suricata's, which its users' data already holds.
    public static func v1(icmpFlowFrom source: IPAddress, to destination: IPAddress, ipProtocol: UInt8, type: UInt8,
        seed: UInt16 = 0) -> String
    {
        let counterpart = Self.icmpCounterpart(of: type, ipProtocol: ipProtocol) ?? 0
        return Self.identifier(
            seed: seed, (source.bytes, UInt16(type)), (destination.bytes, UInt16(counterpart)), ipProtocol: ipProtocol,
            hasPorts: true, ordered: true)
    }

    /// The request/reply counterpart of an ICMP (`ipProtocol` 1) or ICMPv6 (58) message type, when it has one.
    public static func icmpCounterpart(of type: UInt8, ipProtocol: UInt8) -> UInt8? {
        ICMPMessage.counterpart(of: type, ipProtocol: ipProtocol)
    }

    /// SHA-1 over seed, addresses, protocol, a zero byte and the two ports, base64 after `1:`.
    private static func identifier(
        seed: UInt16, _ a: ([UInt8], UInt16), _ b: ([UInt8], UInt16), ipProtocol: UInt8, hasPorts: Bool,
        ordered: Bool
    ) -> String {
        var first = a
        var second = b
        if ordered && !Self.ordered(first, second) { swap(&first, &second) }
        var input: [UInt8] = [UInt8(seed >> 8), UInt8(truncatingIfNeeded: seed)]
        input += first.0
        input += second.0
        input += [ipProtocol, 0]
        if hasPorts {
            input += [UInt8(first.1 >> 8), UInt8(truncatingIfNeeded: first.1)]
            input += [UInt8(second.1 >> 8), UInt8(truncatingIfNeeded: second.1)]
        }
        return "1:" + Self.base64(Array(Insecure.SHA1.hash(data: input)))
    }

    /// Whether `a` comes first: the smaller address, or for equal addresses the smaller (or equal) port.
    private static func ordered(_ a: ([UInt8], UInt16), _ b: ([UInt8], UInt16)) -> Bool {
        if a.0 != b.0 { return a.0.lexicographicallyPrecedes(b.0) }
        return a.1 <= b.1
    }

    /// Standard base64 with padding.
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
