// SPDX-License-Identifier: MIT

/// A decoder anomaly, named as Suricata names it (`decode-event:<name>` in rules, `decoder.event.<name>` in
/// stats).
///
/// Raw values are stable (they index ``DecodeStatistics`` counters and ``DecodeEventSet`` bits) and below 256;
/// groups leave gaps so that new events can join their group without renumbering. Events Suricata defines for
/// decoders Weir does not have (ARP, IGMP, SCTP, ESP) are not listed.
public enum DecodeEvent: UInt8, CaseIterable, Sendable {
    // MARK: IPv4 (decode-ipv4.c)
    case ipv4PktTooSmall = 0
    case ipv4HlenTooSmall = 1
    case ipv4IplenSmallerThanHlen = 2
    case ipv4TruncPkt = 3
    case ipv4OptInvalid = 4
    case ipv4OptInvalidLen = 5
    case ipv4OptMalformed = 6
    case ipv4OptPadRequired = 7
    case ipv4OptEolRequired = 8
    case ipv4OptDuplicate = 9
    /// Defined by Suricata but only reachable through an internal coding error there; never raised by Weir.
    case ipv4OptUnknown = 10
    case ipv4WrongIPVersion = 11
    case ipv4ICMPv6 = 12
    case ipv4UnknownProtocol = 13

    // MARK: ICMPv4 (decode-icmpv4.c)
    case icmpv4PktTooSmall = 20
    case icmpv4UnknownType = 21
    case icmpv4UnknownCode = 22
    case icmpv4IPv4TruncPkt = 23
    case icmpv4IPv4UnknownVersion = 24

    // MARK: ICMPv6 (decode-icmpv6.c)
    case icmpv6UnknownType = 30
    case icmpv6UnknownCode = 31
    case icmpv6PktTooSmall = 32
    case icmpv6IPv6UnknownVersion = 33
    case icmpv6IPv6TruncPkt = 34
    case icmpv6MLDMessageWithInvalidHopLimit = 35
    case icmpv6UnassignedType = 36
    case icmpv6ExperimentationType = 37

    // MARK: IPv6 (decode-ipv6.c)
    case ipv6PktTooSmall = 40
    case ipv6TruncPkt = 41
    case ipv6TruncExthdr = 42
    case ipv6ExthdrDuplFH = 43
    case ipv6ExthdrUselessFH = 44
    case ipv6ExthdrDuplRH = 45
    case ipv6ExthdrDuplHH = 46
    case ipv6ExthdrDuplDH = 47
    case ipv6ExthdrDuplAH = 48
    case ipv6ExthdrDuplEH = 49
    case ipv6ExthdrInvalidOptlen = 50
    case ipv6WrongIPVersion = 51
    case ipv6ExthdrAHReservedNotNull = 52
    case ipv6HopoptsUnknownOpt = 53
    case ipv6HopoptsOnlyPadding = 54
    case ipv6DstoptsUnknownOpt = 55
    case ipv6DstoptsOnlyPadding = 56
    case ipv6RHType0 = 57
    case ipv6ZeroLenPadN = 58
    case ipv6FHNonZeroReservedField = 59
    case ipv6DataAfterNoneHeader = 60
    case ipv6UnknownNextHeader = 61
    case ipv6ICMPv4 = 62
    case ipv6FragInvalidLength = 63
    case ipv6IPv4InIPv6TooSmall = 64
    case ipv6IPv4InIPv6WrongVersion = 65
    case ipv6IPv6InIPv6TooSmall = 66
    case ipv6IPv6InIPv6WrongVersion = 67

    // MARK: TCP (decode-tcp.c)
    case tcpPktTooSmall = 80
    case tcpHlenTooSmall = 81
    case tcpInvalidOptlen = 82
    case tcpOptInvalidLen = 83
    case tcpOptDuplicate = 84

    // MARK: UDP (decode-udp.c)
    case udpPktTooSmall = 90
    case udpHlenTooSmall = 91
    case udpLenInvalid = 92

    // MARK: Link layers (decode-sll.c, decode-ethernet.c, decode-vlan.c, decode-null.c, decode-raw.c)
    case sllPktTooSmall = 100
    case ethernetPktTooSmall = 104
    case ethernetUnknownEthertype = 105
    case vlanHeaderTooSmall = 108
    case vlanUnknownType = 109
    case vlanTooManyLayers = 110
    case ltnullPktTooSmall = 112
    case ltnullUnsupportedType = 113
    case iprawInvalidIPVersion = 116

    // MARK: Tunnels and link layers (decode-gre.c, decode-ppp.c, decode-pppoe.c, decode-mpls.c, decode-vxlan.c,
    // decode-geneve.c, decode-erspan.c, decode-chdlc.c, decode-nsh.c, decode-vntag.c, decode-etag.c)
    case grePktTooSmall = 130
    case greWrongVersion = 131
    case greVersion0Recur = 132
    case greVersion0Flags = 133
    case greVersion0HdrTooBig = 134
    case greVersion0MalformedSreHdr = 135
    case greVersion1Chksum = 136
    case greVersion1Route = 137
    case greVersion1Ssr = 138
    case greVersion1Recur = 139
    case greVersion1Flags = 140
    case greVersion1NoKey = 141
    case greVersion1WrongProtocol = 142
    case greVersion1MalformedSreHdr = 143
    case greVersion1HdrTooBig = 144
    case pppPktTooSmall = 146
    case pppVjuPktTooSmall = 147
    case pppIP4PktTooSmall = 148
    case pppIP6PktTooSmall = 149
    case pppWrongType = 150
    case pppUnsupProto = 151
    case pppoePktTooSmall = 152
    case pppoeWrongCode = 153
    case pppoeMalformedTags = 154
    case mplsHeaderTooSmall = 156
    case mplsPktTooSmall = 157
    case mplsBadLabelRouterAlert = 158
    case mplsBadLabelImplicitNull = 159
    case mplsBadLabelReserved = 160
    case mplsUnknownPayloadType = 161
    case vxlanUnknownPayloadType = 163
    case geneveUnknownPayloadType = 164
    case erspanHeaderTooSmall = 166
    case erspanUnsupportedVersion = 167
    case erspanTooManyVlanLayers = 168
    case dcePktTooSmall = 170
    case chdlcPktTooSmall = 171
    case nshHeaderTooSmall = 173
    case nshUnsupportedVersion = 174
    case nshBadHeaderLength = 175
    case nshReservedType = 176
    case nshUnsupportedType = 177
    case nshUnknownPayload = 178
    case sctpPktTooSmall = 179
    case espPktTooSmall = 184
    case vntagHeaderTooSmall = 180
    case vntagUnknownType = 181
    case etagHeaderTooSmall = 182
    case etagUnknownType = 183
    case ieee8021ahHeaderTooSmall = 185

    // MARK: Fragment reassembly (defrag.c)
    case ipv4FragPktTooLarge = 190
    case ipv6FragPktTooLarge = 191
    case ipv4FragOverlap = 192
    case ipv6FragOverlap = 193
    case ipv4FragIgnored = 194
    case ipv6FragIgnored = 195

    // MARK: Generic
    /// Suricata's `decoder.max-layers` guard: a packet (with its tunnel parents) has more decoded layers than the
    /// setting allows.
    case tooManyLayers = 120

    /// Suricata's dotted name, for example `ipv4.hlen_too_small`.
    public var name: String {
        switch self {
        case .ipv4PktTooSmall: return "ipv4.pkt_too_small"
        case .ipv4HlenTooSmall: return "ipv4.hlen_too_small"
        case .ipv4IplenSmallerThanHlen: return "ipv4.iplen_smaller_than_hlen"
        case .ipv4TruncPkt: return "ipv4.trunc_pkt"
        case .ipv4OptInvalid: return "ipv4.opt_invalid"
        case .ipv4OptInvalidLen: return "ipv4.opt_invalid_len"
        case .ipv4OptMalformed: return "ipv4.opt_malformed"
        case .ipv4OptPadRequired: return "ipv4.opt_pad_required"
        case .ipv4OptEolRequired: return "ipv4.opt_eol_required"
        case .ipv4OptDuplicate: return "ipv4.opt_duplicate"
        case .ipv4OptUnknown: return "ipv4.opt_unknown"
        case .ipv4WrongIPVersion: return "ipv4.wrong_ip_version"
        case .ipv4ICMPv6: return "ipv4.icmpv6"
        case .ipv4UnknownProtocol: return "ipv4.unknown_protocol"
        case .icmpv4PktTooSmall: return "icmpv4.pkt_too_small"
        case .icmpv4UnknownType: return "icmpv4.unknown_type"
        case .icmpv4UnknownCode: return "icmpv4.unknown_code"
        case .icmpv4IPv4TruncPkt: return "icmpv4.ipv4_trunc_pkt"
        case .icmpv4IPv4UnknownVersion: return "icmpv4.ipv4_unknown_ver"
        case .icmpv6UnknownType: return "icmpv6.unknown_type"
        case .icmpv6UnknownCode: return "icmpv6.unknown_code"
        case .icmpv6PktTooSmall: return "icmpv6.pkt_too_small"
        case .icmpv6IPv6UnknownVersion: return "icmpv6.ipv6_unknown_version"
        case .icmpv6IPv6TruncPkt: return "icmpv6.ipv6_trunc_pkt"
        case .icmpv6MLDMessageWithInvalidHopLimit: return "icmpv6.mld_message_with_invalid_hl"
        case .icmpv6UnassignedType: return "icmpv6.unassigned_type"
        case .icmpv6ExperimentationType: return "icmpv6.experimentation_type"
        case .ipv6PktTooSmall: return "ipv6.pkt_too_small"
        case .ipv6TruncPkt: return "ipv6.trunc_pkt"
        case .ipv6TruncExthdr: return "ipv6.trunc_exthdr"
        case .ipv6ExthdrDuplFH: return "ipv6.exthdr_dupl_fh"
        case .ipv6ExthdrUselessFH: return "ipv6.exthdr_useless_fh"
        case .ipv6ExthdrDuplRH: return "ipv6.exthdr_dupl_rh"
        case .ipv6ExthdrDuplHH: return "ipv6.exthdr_dupl_hh"
        case .ipv6ExthdrDuplDH: return "ipv6.exthdr_dupl_dh"
        case .ipv6ExthdrDuplAH: return "ipv6.exthdr_dupl_ah"
        case .ipv6ExthdrDuplEH: return "ipv6.exthdr_dupl_eh"
        case .ipv6ExthdrInvalidOptlen: return "ipv6.exthdr_invalid_optlen"
        case .ipv6WrongIPVersion: return "ipv6.wrong_ip_version"
        case .ipv6ExthdrAHReservedNotNull: return "ipv6.exthdr_ah_res_not_null"
        case .ipv6HopoptsUnknownOpt: return "ipv6.hopopts_unknown_opt"
        case .ipv6HopoptsOnlyPadding: return "ipv6.hopopts_only_padding"
        case .ipv6DstoptsUnknownOpt: return "ipv6.dstopts_unknown_opt"
        case .ipv6DstoptsOnlyPadding: return "ipv6.dstopts_only_padding"
        case .ipv6RHType0: return "ipv6.rh_type_0"
        case .ipv6ZeroLenPadN: return "ipv6.zero_len_padn"
        case .ipv6FHNonZeroReservedField: return "ipv6.fh_non_zero_reserved_field"
        case .ipv6DataAfterNoneHeader: return "ipv6.data_after_none_header"
        case .ipv6UnknownNextHeader: return "ipv6.unknown_next_header"
        case .ipv6ICMPv4: return "ipv6.icmpv4"
        case .ipv6FragInvalidLength: return "ipv6.frag_invalid_length"
        case .ipv6IPv4InIPv6TooSmall: return "ipv6.ipv4_in_ipv6_too_small"
        case .ipv6IPv4InIPv6WrongVersion: return "ipv6.ipv4_in_ipv6_wrong_version"
        case .ipv6IPv6InIPv6TooSmall: return "ipv6.ipv6_in_ipv6_too_small"
        case .ipv6IPv6InIPv6WrongVersion: return "ipv6.ipv6_in_ipv6_wrong_version"
        case .tcpPktTooSmall: return "tcp.pkt_too_small"
        case .tcpHlenTooSmall: return "tcp.hlen_too_small"
        case .tcpInvalidOptlen: return "tcp.invalid_optlen"
        case .tcpOptInvalidLen: return "tcp.opt_invalid_len"
        case .tcpOptDuplicate: return "tcp.opt_duplicate"
        case .udpPktTooSmall: return "udp.pkt_too_small"
        case .udpHlenTooSmall: return "udp.hlen_too_small"
        case .udpLenInvalid: return "udp.len_invalid"
        case .sllPktTooSmall: return "sll.pkt_too_small"
        case .ethernetPktTooSmall: return "ethernet.pkt_too_small"
        case .ethernetUnknownEthertype: return "ethernet.unknown_ethertype"
        case .vlanHeaderTooSmall: return "vlan.header_too_small"
        case .vlanUnknownType: return "vlan.unknown_type"
        case .vlanTooManyLayers: return "vlan.too_many_layers"
        case .ltnullPktTooSmall: return "ltnull.pkt_too_small"
        case .ltnullUnsupportedType: return "ltnull.unsupported_type"
        case .iprawInvalidIPVersion: return "ipraw.invalid_ip_version"
        case .grePktTooSmall: return "gre.pkt_too_small"
        case .greWrongVersion: return "gre.wrong_version"
        case .greVersion0Recur: return "gre.version0_recur"
        case .greVersion0Flags: return "gre.version0_flags"
        case .greVersion0HdrTooBig: return "gre.version0_hdr_too_big"
        case .greVersion0MalformedSreHdr: return "gre.version0_malformed_sre_hdr"
        case .greVersion1Chksum: return "gre.version1_chksum"
        case .greVersion1Route: return "gre.version1_route"
        case .greVersion1Ssr: return "gre.version1_ssr"
        case .greVersion1Recur: return "gre.version1_recur"
        case .greVersion1Flags: return "gre.version1_flags"
        case .greVersion1NoKey: return "gre.version1_no_key"
        case .greVersion1WrongProtocol: return "gre.version1_wrong_protocol"
        case .greVersion1MalformedSreHdr: return "gre.version1_malformed_sre_hdr"
        case .greVersion1HdrTooBig: return "gre.version1_hdr_too_big"
        case .pppPktTooSmall: return "ppp.pkt_too_small"
        case .pppVjuPktTooSmall: return "ppp.vju_pkt_too_small"
        case .pppIP4PktTooSmall: return "ppp.ip4_pkt_too_small"
        case .pppIP6PktTooSmall: return "ppp.ip6_pkt_too_small"
        case .pppWrongType: return "ppp.wrong_type"
        case .pppUnsupProto: return "ppp.unsup_proto"
        case .pppoePktTooSmall: return "pppoe.pkt_too_small"
        case .pppoeWrongCode: return "pppoe.wrong_code"
        case .pppoeMalformedTags: return "pppoe.malformed_tags"
        case .mplsHeaderTooSmall: return "mpls.header_too_small"
        case .mplsPktTooSmall: return "mpls.pkt_too_small"
        case .mplsBadLabelRouterAlert: return "mpls.bad_label_router_alert"
        case .mplsBadLabelImplicitNull: return "mpls.bad_label_implicit_null"
        case .mplsBadLabelReserved: return "mpls.bad_label_reserved"
        case .mplsUnknownPayloadType: return "mpls.unknown_payload_type"
        case .vxlanUnknownPayloadType: return "vxlan.unknown_payload_type"
        case .geneveUnknownPayloadType: return "geneve.unknown_payload_type"
        case .erspanHeaderTooSmall: return "erspan.header_too_small"
        case .erspanUnsupportedVersion: return "erspan.unsupported_version"
        case .erspanTooManyVlanLayers: return "erspan.too_many_vlan_layers"
        case .dcePktTooSmall: return "dce.pkt_too_small"
        case .chdlcPktTooSmall: return "chdlc.pkt_too_small"
        case .nshHeaderTooSmall: return "nsh.header_too_small"
        case .nshUnsupportedVersion: return "nsh.unsupported_version"
        case .nshBadHeaderLength: return "nsh.bad_header_length"
        case .nshReservedType: return "nsh.reserved_type"
        case .nshUnsupportedType: return "nsh.unsupported_type"
        case .nshUnknownPayload: return "nsh.unknown_payload"
        case .vntagHeaderTooSmall: return "vntag.header_too_small"
        case .sctpPktTooSmall: return "sctp.pkt_too_small"
        case .espPktTooSmall: return "esp.pkt_too_small"
        case .vntagUnknownType: return "vntag.unknown_type"
        case .etagHeaderTooSmall: return "etag.header_too_small"
        case .etagUnknownType: return "etag.unknown_type"
        case .ieee8021ahHeaderTooSmall: return "ieee8021ah.header_too_small"
        case .ipv4FragPktTooLarge: return "ipv4.frag_pkt_too_large"
        case .ipv6FragPktTooLarge: return "ipv6.frag_pkt_too_large"
        case .ipv4FragOverlap: return "ipv4.frag_overlap"
        case .ipv6FragOverlap: return "ipv6.frag_overlap"
        case .ipv4FragIgnored: return "ipv4.frag_ignored"
        case .ipv6FragIgnored: return "ipv6.frag_ignored"
        case .tooManyLayers: return "too_many_layers"
        }
    }

    /// Looks an event up by its Suricata name (`ipv4.trunc_pkt`).
    ///
    /// The `decoder.` and `decoder.event.` prefixes used in stats are accepted too. Returns `nil` for names Weir
    /// does not know.
    public init?(name: some StringProtocol) {
        var text = Substring(name)
        if text.hasPrefix("decoder.event.") {
            text = text.dropFirst("decoder.event.".count)
        } else if text.hasPrefix("decoder.") {
            text = text.dropFirst("decoder.".count)
        }
        for event in DecodeEvent.allCases where event.name == text {
            self = event
            return
        }
        return nil
    }

    /// One past the largest raw value: the size of per-event counter tables.
    public static let tableSize: Int = Int(DecodeEvent.allCases.map(\.rawValue).max() ?? 0) + 1
}
