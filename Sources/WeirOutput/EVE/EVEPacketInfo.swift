// SPDX-License-Identifier: MIT

extension JSONWriter {
    /// Writes `"packet_info":{"linktype":N,"linktype_name":"…"}` after a logged `packet`: the data link type
    /// of the bytes logged (libpcap's DLT value) and its name as Suricata 8 prints it.
    public func packetInfo(linkType: Int) {
        self.beginObject("packet_info")
        self.field("linktype", Int64(linkType))
        self.field("linktype_name", Self.linkTypeName(linkType))
        self.endObject()
    }

    /// The name Suricata gives a data link type in `packet_info.linktype_name` (its table of the link types it
    /// decodes); `n/a` for any other value.
    public static func linkTypeName(_ linkType: Int) -> StaticString {
        switch linkType {
        case 0: "NULL"
        case 1: "EN10MB"
        case 9: "PPP"
        case 12: "RAW"
        case 101: "RAW2"
        case 104: "C_HDLC"
        case 113: "LINUX_SLL"
        case 228: "IPv4"
        case 229: "IPv6"
        case 276: "LINUX_SLL2"
        case 778: "GRE_RAW"
        default: "n/a"
        }
    }
}
