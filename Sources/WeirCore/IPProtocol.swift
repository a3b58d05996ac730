// SPDX-License-Identifier: MIT

/// IANA protocol numbers that Weir decodes, and the names EVE prints for them.
public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let igmp: UInt8 = 2
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let gre: UInt8 = 47
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let sctp: UInt8 = 132

    /// The EVE `proto` value: Suricata's upper-case name where it has one, else the number.
    public static func eveName(_ proto: UInt8) -> String {
        switch proto {
        case icmp: return "ICMP"
        case igmp: return "IGMP"
        case tcp: return "TCP"
        case udp: return "UDP"
        case gre: return "GRE"
        case esp: return "ESP"
        case ah: return "AH"
        case icmpv6: return "IPv6-ICMP"
        case sctp: return "SCTP"
        case 0: return "HOPOPT"
        case 4: return "IP-in-IP"
        case 41: return "IPv6"
        case 43: return "IPv6-Route"
        case 44: return "IPv6-Frag"
        case 59: return "IPv6-NoNxt"
        case 60: return "IPv6-Opts"
        default: return String(proto)
        }
    }
}

/// ICMP and ICMPv6 message types that pair up as request and reply.
public enum ICMPMessage {
    /// The request/reply counterpart of an ICMP (`ipProtocol` 1) or ICMPv6 (58) message type, when it has one:
    /// echo, timestamp, information, router and address-mask messages for ICMP; echo, MLD, router and neighbour
    /// discovery, node information and home-agent address discovery for ICMPv6 (the pairs Suricata and the
    /// Community ID spec use).
    @inlinable
    public static func counterpart(of type: UInt8, ipProtocol: UInt8) -> UInt8? {
        if ipProtocol == IPProtocol.icmp {
            switch type {
            case 8: return 0
            case 0: return 8
            case 10: return 9
            case 9: return 10
            case 13: return 14
            case 14: return 13
            case 15: return 16
            case 16: return 15
            case 17: return 18
            case 18: return 17
            default: return nil
            }
        }
        switch type {
        case 128, 130, 133, 135, 139, 144: return type + 1
        case 129, 131, 134, 136, 140, 145: return type - 1
        default: return nil
        }
    }
}
