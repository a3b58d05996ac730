// SPDX-License-Identifier: MIT

/// What a keyword is, for the parser's dispatch and for `weir list-keywords`.
public enum KeywordKind: Sendable, Equatable {
    /// Rule metadata (`msg`, `sid` …).
    case meta
    /// An option that is not bound to a buffer (`flow`, `ttl` …).
    case option
    /// A keyword that inspects the current buffer (`content`, `pcre`, `byte_test` …).
    case payloadMatch
    /// A modifier of the previous `content` (`nocase`, `depth` …).
    case contentModifier
    /// A sticky buffer; the payload is the canonical buffer name (legacy spellings map to it).
    case stickyBuffer(String)
    /// A legacy content modifier that moves the previous content into a buffer (`http_uri` → `http.uri`).
    case legacyModifier(String)
    /// A buffer transform.
    case transform

    /// A short label for listings.
    public var label: String {
        switch self {
        case .meta: "meta"
        case .option: "option"
        case .payloadMatch: "payload"
        case .contentModifier: "modifier"
        case .stickyBuffer: "buffer"
        case .legacyModifier: "legacy-modifier"
        case .transform: "transform"
        }
    }
}

/// One row of the keyword table (Suricata's `sigmatch_table` row, minus the code).
public struct KeywordDescriptor: Sendable {
    /// The keyword as written in rules.
    public var name: String
    /// What kind of keyword it is.
    public var kind: KeywordKind
    /// Whether the parser turns it into a typed model (otherwise the rule is reported unsupported).
    public var isParsed: Bool
    /// Whether the detection engine matches it (for a sticky buffer: whether a parser fills the buffer).
    public var isMatched: Bool
    /// One-line description.
    public var summary: String
    /// Value syntax, empty for keywords without a value.
    public var syntax: String
}

/// The table of every keyword Weir recognises, driving the parser's dispatch and `weir list-keywords`.
public enum KeywordRegistry {
    /// Keywords the detection engine evaluates; the engine adds a name here when it implements the keyword,
    /// which sets ``KeywordDescriptor/isMatched`` (and `weir list-keywords` shows it).
    static let engineMatched: Set<String> = [
        "content", "nocase", "depth", "offset", "distance", "within", "startswith", "endswith", "rawbytes",
        "fast_pattern", "pcre", "byte_test", "byte_jump", "byte_extract", "byte_math", "isdataat", "bsize",
        "dsize", "ttl", "tos", "flags", "tcp.flags", "fragbits", "fragoffset", "ipopts", "itype", "icode", "icmp_id", "icmp_seq",
        "ip_proto", "sameip", "flow", "flowbits", "xbits", "flowint", "threshold", "detection_filter", "noalert",
        "decode-event", "pkt_data", "app-layer-protocol", "urilen", "base64_decode", "base64_data", "ack", "seq",
        "window", "tcp.ack", "tcp.seq", "tcp.window", "tcp.mss", "flow.age", "flow.pkts", "flow.bytes",
        // Packet-header buffers, sliced from each packet's frame (PacketHeaderBuffer); `igmp.hdr`, `sctp.hdr` and
        // `ether.hdr` are not served yet.
        "ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr", "icmpv4.hdr", "icmpv6.hdr",
        // The VLAN keywords (up to three tags, as the decoder keeps them).
        "vlan.id", "vlan.layers",
        // The HTTP parser (WeirAppLayer/HTTP): its buffers by canonical name, their legacy spellings, and
        // app-layer events.
        "http.uri", "http.uri.raw", "http.method", "http.protocol", "http.request_line", "http.start",
        "http.header", "http.header.raw", "http.header_names", "http.cookie", "http.user_agent", "http.host",
        "http.host.raw", "http.accept", "http.accept_enc", "http.accept_lang", "http.referer", "http.content_type",
        "http.content_len", "http.connection", "http.location", "http.server", "http.request_body",
        "http.response_line", "http.stat_code", "http.stat_msg", "http.response_body", "file.data", "file_data",
        "http.request_header", "http.response_header", "http_request_header", "http_response_header",
        "uricontent", "http_uri", "http_raw_uri", "http_method", "http_header", "http_raw_header", "http_cookie",
        "http_client_body", "http_server_body", "http_stat_code", "http_stat_msg", "http_user_agent", "http_host",
        "http_raw_host", "http_accept", "http_accept_enc", "http_accept_lang", "http_connection",
        "http_content_len", "http_content_type", "http_header_names", "http_location", "http_protocol",
        "http_referer", "http_request_line", "http_response_line", "http_server", "http_start",
        "app-layer-event",
        // File keywords on the files of HTTP transactions (the response body).
        "file.name", "filename", "fileext", "filesize", "filemd5", "filesha1", "filesha256",
        // Transforms.
        "dotprefix", "strip_whitespace", "compress_whitespace", "to_lowercase", "to_uppercase", "url_decode", "xor",
        "to_md5", "to_sha1", "to_sha256", "header_lowercase", "strip_pseudo_headers", "pcrexform", "from_base64",
        // TLS, SSH and DNS (WeirAppLayer's TLS/, SSH/, DNS/): buffers, legacy spellings and option keywords.
        "tls.sni", "tls_sni", "tls.cert_subject", "tls_cert_subject", "tls.cert_issuer", "tls_cert_issuer",
        "tls.cert_serial", "tls_cert_serial", "tls.cert_fingerprint", "tls_cert_fingerprint", "tls.certs",
        "tls.subjectaltname", "tls.alpn", "tls.random", "tls.random_time", "tls.random_bytes", "ja3.hash",
        "ja3_hash", "ja3.string", "ja3_string", "ja3s.hash", "ja3s_hash", "ja3s.string", "ja3s_string", "ja4.hash",
        "ssl_state", "ssl_version", "tls.version", "tls.fingerprint", "tls.subject", "tls.issuerdn",
        "tls.cert_chain_len", "tls_cert_notbefore", "tls_cert_notafter", "tls_cert_expired", "tls_cert_valid",
        "ssh.proto", "ssh_proto", "ssh.software", "ssh_software", "ssh.hassh", "ssh.hassh.string",
        "ssh.hassh.server", "ssh.hassh.server.string", "ssh.protoversion", "ssh.softwareversion", "dns.query",
        "dns_query", "dns.queries.rrname", "dns.query.name", "dns.answers.rrname", "dns.answer.name",
        "dns.authorities.rrname", "dns.additionals.rrname", "dns.response.rrname", "dns.opcode", "dns.rcode",
        "dns.rrtype",
    ]

    /// All keywords, in listing order.
    public static let all: [KeywordDescriptor] = buildTable()

    static let index: [String: Int] = {
        var map: [String: Int] = [:]
        for (i, descriptor) in all.enumerated() where map[descriptor.name] == nil { map[descriptor.name] = i }
        return map
    }()

    /// The kind and parsed flag of a keyword, without copying its strings (the parser's hot path).
    static func lookup(_ name: String) -> (kind: KeywordKind, isParsed: Bool, name: String)? {
        guard let i = index[name] else { return nil }
        return (kinds[i], parsedFlags[i], all[i].name)
    }

    static let kinds: [KeywordKind] = all.map(\.kind)
    static let parsedFlags: [Bool] = all.map(\.isParsed)

    /// The descriptor for a keyword (lowercase), or `nil` for an unknown keyword.
    public static func descriptor(named name: String) -> KeywordDescriptor? {
        index[name].map { all[$0] }
    }

    /// Whether a canonical buffer name is known and typed.
    public static func isTypedBuffer(_ name: String) -> Bool {
        if name == BufferID.payload.name { return true }
        guard let d = descriptor(named: name), case .stickyBuffer = d.kind else { return false }
        return d.isParsed
    }

    /// The canonical sticky buffer for a legacy spelling (`http_uri` → `http.uri`, `dns_query` → `dns.query`).
    public static func canonicalBuffer(for name: String) -> String? {
        guard let d = descriptor(named: name) else { return nil }
        switch d.kind {
        case .stickyBuffer(let canonical), .legacyModifier(let canonical): return canonical
        default: return nil
        }
    }

    private static func buildTable() -> [KeywordDescriptor] {
        var table: [KeywordDescriptor] = []
        func add(_ name: String, _ kind: KeywordKind, _ parsed: Bool, _ summary: String, _ syntax: String = "") {
            table.append(
                KeywordDescriptor(
                    name: name,
                    kind: kind,
                    isParsed: parsed,
                    isMatched: engineMatched.contains(name),
                    summary: summary,
                    syntax: syntax
                )
            )
        }
        // Metadata.
        add("msg", .meta, true, "alert message", "\"text\"")
        add("sid", .meta, true, "signature id", "<1..4294967295>")
        add("rev", .meta, true, "signature revision", "<n>")
        add("gid", .meta, true, "generator id", "<n>")
        add("classtype", .meta, true, "classification (category and default priority)", "<name>")
        add("priority", .meta, true, "alert priority, overrides the classtype's", "<1..255>")
        add("reference", .meta, true, "external reference", "<system>,<id>")
        add("metadata", .meta, true, "key/value metadata", "<key> <value>[, …]")
        add("target", .meta, true, "which side is the target", "src_ip|dest_ip")
        // Payload.
        add("content", .payloadMatch, true, "match a byte string in the current buffer", "[!]\"text|hex|\"")
        add("uricontent", .payloadMatch, true, "legacy: content in http.uri", "[!]\"text\"")
        add(
            "pcre",
            .payloadMatch,
            true,
            "match a Perl-compatible regular expression",
            "[!]\"/regex/[ismxAEGROB][UIPQHDMCSYVWZ]\""
        )
        add(
            "byte_test",
            .payloadMatch,
            true,
            "compare bytes read from the buffer",
            "<count>,[!]<op>,<value>,<offset>[,relative][,big|little|dce][,string,hex|dec|oct][,bitmask <m>]"
        )
        add(
            "byte_jump",
            .payloadMatch,
            true,
            "move the detection pointer by a value read from the buffer",
            "<count>,<offset>[,relative][,multiplier <n>][,big|little|dce][,string,<base>][,align][,from_beginning|from_end][,post_offset <n>][,bitmask <m>]"
        )
        add(
            "byte_extract",
            .payloadMatch,
            true,
            "read a value into a variable for later keywords",
            "<count>,<offset>,<name>[,relative][,multiplier <n>][,endian][,string,<base>][,align 2|4][,bitmask <m>]"
        )
        add(
            "byte_math",
            .payloadMatch,
            true,
            "compute a value from the buffer into a variable",
            "bytes <n>,offset <n>,oper <op>,rvalue <v>,result <name>[,relative][,endian <e>][,string <b>][,bitmask <m>]"
        )
        add("isdataat", .payloadMatch, true, "check that data exists at a position", "[!]<n>[,relative][,rawbytes]")
        add("bsize", .payloadMatch, true, "size of the current buffer", "<int-cmp>")
        add("absent", .payloadMatch, true, "the buffer is absent", "[or_else]")
        add(
            "base64_decode",
            .payloadMatch,
            true,
            "decode base64 for base64_data",
            "[bytes <n>][,offset <n>][,relative]"
        )
        add(
            "asn1",
            .payloadMatch,
            true,
            "check BER-encoded data for overflows",
            "[bitstring_overflow][,double_overflow][,oversize_length <n>][,absolute_offset <n>|relative_offset <n>]"
        )
        add("filename", .payloadMatch, true, "content on file.name, case-insensitive", "[!]\"name\"")
        add("fileext", .payloadMatch, true, "file.name ends with .ext, case-insensitive", "[!]\"ext\"")
        for name in ["dataset", "datarep", "entropy", "lua", "luajit", "replace"] {
            add(name, .payloadMatch, false, "buffer keyword not typed yet", "…")
        }
        // Content modifiers.
        add("nocase", .contentModifier, true, "case-insensitive content")
        add("depth", .contentModifier, true, "content must end within n bytes of the buffer start", "<n>|<var>")
        add("offset", .contentModifier, true, "content search starts at n", "<n>|<var>")
        add("distance", .contentModifier, true, "content starts n bytes after the previous match", "<n>|<var>")
        add("within", .contentModifier, true, "content ends within n bytes after the previous match", "<n>|<var>")
        add("startswith", .contentModifier, true, "content is at the buffer start")
        add("endswith", .contentModifier, true, "content is at the buffer end")
        add(
            "fast_pattern",
            .contentModifier,
            true,
            "use this content for the multi-pattern prefilter",
            "[only|<offset>,<length>]"
        )
        add("rawbytes", .contentModifier, true, "match raw bytes (no-op in Suricata)")
        // Non-buffer options.
        add(
            "flow",
            .option,
            true,
            "flow direction and state",
            "to_server|to_client|established|not_established|stateless|only_stream|no_stream|only_frag|no_frag[,…]"
        )
        add(
            "flowbits",
            .option,
            true,
            "per-flow boolean variables",
            "set|unset|toggle|isset|isnotset,<name>[|<name>…] | noalert"
        )
        add(
            "xbits",
            .option,
            true,
            "per-host or per-pair bits with expiry",
            "<op>,<name>,track ip_src|ip_dst|ip_pair[,expire <s>]"
        )
        add("flowint", .option, true, "per-flow integer variables", "<name>,<op>[,<value>]")
        add(
            "threshold",
            .option,
            true,
            "alert rate limiting",
            "type limit|threshold|both|backoff,track by_src|by_dst|by_rule|by_both|by_flow,count <n>,seconds <s>"
        )
        add("detection_filter", .option, true, "alert only after a rate is reached", "track <t>,count <n>,seconds <s>")
        for keyword in IntegerKeyword.allCases where keyword.isRuleKeyword {
            add(keyword.rawValue, .option, true, "integer field comparison", "<int-cmp> (max \(keyword.maximum))")
        }
        add("filesize", .option, true, "size of a transaction's file (final once closed)", "<int-cmp>")
        for kind in FileHashKind.allCases {
            add(
                kind.keyword, .option, true, "the file's \(kind.rawValue) is in a hash list (one per line)",
                "[!]<list file>")
        }
        add("urilen", .option, true, "length of the HTTP URI", "<int-cmp>[,norm|raw]")
        add("vlan.id", .option, true, "VLAN id on one, any or all VLAN layers", "<int-cmp>[,any|all|-3..2]")
        add("tos", .option, true, "IP type of service", "[!]<n>|[!]x<hex>")
        add("flags", .option, true, "TCP flags", "[!+*]<FSRPAUCE0>[,<mask>]")
        add("tcp.flags", .option, true, "TCP flags (Suricata 8 name)", "[!+*]<FSRPAUCE0>[,<mask>]")
        add("fragbits", .option, true, "IP fragmentation bits", "[!+*]<MDR>")
        add("fragoffset", .option, true, "IP fragment offset", "[<|>]<number>")
        add("ipopts", .option, true, "IP option present", "rr|eol|nop|ts|sec|esec|lsrr|lsrre|ssrr|satid|rtralt|any")
        add("ip_proto", .option, true, "IP protocol number or name", "[!<>]<n>|<name>")
        add("sameip", .option, true, "source equals destination address")
        add("noalert", .option, true, "match without alerting")
        add("bypass", .option, true, "bypass the flow after a match")
        add(
            "app-layer-protocol",
            .option,
            true,
            "detected application protocol",
            "[!]<proto>[,final|original|either|to_server|to_client|direction]"
        )
        add("decode-event", .option, true, "decoder anomaly event", "<event>")
        add("stream-event", .option, true, "TCP stream anomaly event", "<event>")
        add("app-layer-event", .option, true, "app-layer anomaly event", "<proto>.<event>")
        for name in [
            "ipv4-csum", "tcpv4-csum", "tcpv6-csum", "udpv4-csum", "udpv6-csum", "icmpv4-csum", "icmpv6-csum",
            "igmp-csum",
        ] {
            add(name, .option, true, "checksum validity", "valid|invalid")
        }
        add("stream_size", .option, true, "bytes seen in the stream", "server|client|both|either,<op>,<n>")
        add(
            "tag",
            .option,
            true,
            "log more packets after a match",
            "session|host[,<count>,packets|seconds|bytes[,src|dst]]"
        )
        add("ssl_state", .option, true, "TLS handshake state", "[!]<state>[|…]")
        add("ssl_version", .option, true, "TLS/SSL version", "<version>[,…]")
        add("tls.version", .option, true, "TLS version", "<version>")
        for (name, summary, syntax) in [
            ("tls.fingerprint", "TLS server certificate SHA-1 fingerprint (legacy)", "[!]\"<aa:bb:…>\""),
            ("tls.subject", "TLS server certificate subject contains (legacy)", "[!]\"<text>\""),
            ("tls.issuerdn", "TLS server certificate issuer contains (legacy)", "[!]\"<text>\""),
            ("tls.cert_chain_len", "TLS certificate chain length", "<uint>"),
            ("tls_cert_notbefore", "TLS certificate not-before date", "[<|>]<date>[<><date>]"),
            ("tls_cert_notafter", "TLS certificate not-after date", "[<|>]<date>[<><date>]"),
            ("tls_cert_expired", "TLS certificate expired", ""), ("tls_cert_valid", "TLS certificate valid", ""),
            ("dns.opcode", "DNS opcode", "[!]<uint>"), ("dns.rcode", "DNS rcode", "[!]<uint|name>"),
            ("dns.rrtype", "DNS record type", "[!]<uint|name>"),
            ("ssh.protoversion", "SSH protocol version (legacy)", "<version>|2_compat"),
            ("ssh.softwareversion", "SSH software version prefix (legacy)", "<text>"),
        ] {
            add(name, .option, true, summary, syntax)
        }
        add("ftpbounce", .option, true, "FTP PORT bounce")
        add("prefilter", .option, true, "use the previous keyword as prefilter")
        add("requires", .option, true, "skip the rule unless the engine has a version, feature or keyword",
            "feature <name>, keyword <name>, version <op> <ver> [| …]")
        add("alert", .option, true, "also alert (Suricata 8 firewall rules)")
        add("frame", .stickyBuffer("frame"), false, "inspect an app-layer frame (not typed yet)", "<frame name>")
        for name in [
            "filestore", "filemagic", "geoip",
            "iprep", "hostbits", "config", "tls.store", "dce_iface", "dce_opnum", "dcerpc.iface", "dcerpc.opnum", "dnp3_func",
            "dnp3_ind", "dnp3.ind", "dnp3_obj", "modbus", "cip_service", "enip_command", "enip.cip_attribute",
            "enip.cip_class", "enip.cip_instance", "enip.cip_status", "enip.device_type", "enip.identity_status",
            "enip.product_code", "enip.protocol_version", "enip.revision", "enip.serial", "enip.state",
            "enip.status", "enip.vendor_id", "ftp.dynamic_port",
            "ftp.mode", "ftp.reply_received", "ftpdata_command", "http2.errorcode", "http2.frametype",
            "http2.priority", "http2.settings", "http2.window", "http2.size_update", "ike.chosen_sa_attribute",
            "ike.exchtype", "ike.key_exchange_payload_length", "ike.nonce_payload_length", "krb5_err_code",
            "krb5_msg_type", "krb5.ticket_encryption", "ldap.request.operation", "ldap.responses.count",
            "ldap.responses.operation", "ldap.responses.result_code", "mqtt.connack.session_present",
            "mqtt.connect.flags", "mqtt.flags", "mqtt.protocol_version", "mqtt.qos", "mqtt.reason_code", "mqtt.type",
            "nfs_procedure", "nfs_version", "nfs.version", "ntp.mode", "ntp.stratum", "ntp.version", "rfb.secresult",
            "rfb.sectype", "sctp.chunk_cnt", "sctp.chunk_type", "sctp.vtag", "smb.version", "snmp.pdu_type",
            "snmp.version", "snmp.trap_type", "dhcp.leasetime", "dhcp.rebinding_time", "dhcp.renewal_time",
            "tcp.session", "tcp.wscale", "vxlan_vni", "websocket.flags", "websocket.mask",
            "websocket.opcode", "app-layer-state", "rpc", "pktvar", "flowvar", "flow.elephant",
        ] {
            add(name, .option, false, "recognised, not typed yet", "…")
        }
        // Sticky buffers: canonical names.
        let buffers: [(String, String)] = [
            ("pkt_data", "packet payload or reassembled stream (resets the sticky buffer)"),
            ("file.data", "file data (HTTP bodies, SMTP attachments …)"),
            // Suricata's file_data list seen from the response only: the sticky keyword makes the rule to-client.
            ("http.response_body", "HTTP response body (the response's file.data)"),
            ("base64_data", "data decoded by base64_decode"),
            ("http.uri", "normalised HTTP request URI"), ("http.uri.raw", "raw HTTP request URI"),
            ("http.method", "HTTP request method"), ("http.header", "normalised HTTP headers"),
            ("http.header.raw", "raw HTTP headers"), ("http.cookie", "HTTP Cookie / Set-Cookie"),
            ("http.request_body", "HTTP request body"),
            ("http.stat_code", "HTTP status code"), ("http.stat_msg", "HTTP status message"),
            ("http.user_agent", "HTTP User-Agent"), ("http.host", "normalised HTTP Host"),
            ("http.host.raw", "raw HTTP Host"), ("http.accept", "HTTP Accept"),
            ("http.accept_enc", "HTTP Accept-Encoding"),
            ("http.accept_lang", "HTTP Accept-Language"), ("http.connection", "HTTP Connection"),
            ("http.content_len", "HTTP Content-Length"), ("http.content_type", "HTTP Content-Type"),
            ("http.header_names", "HTTP header names in order"), ("http.location", "HTTP Location"),
            ("http.protocol", "HTTP protocol version"), ("http.referer", "HTTP Referer"),
            ("http.request_line", "HTTP request line"), ("http.response_line", "HTTP response line"),
            ("http.server", "HTTP Server"), ("http.start", "HTTP start line and headers"),
            ("http.request_header", "one request header as Name: Value"),
            ("http.response_header", "one response header as Name: Value"),
            ("http2.header_name", "HTTP/2 header name"), ("dns.query", "DNS query name"),
            ("dns.queries.rrname", "DNS query names"), ("dns.answers.rrname", "DNS answer names"),
            ("dns.authorities.rrname", "DNS authority names"), ("dns.additionals.rrname", "DNS additional names"),
            ("dns.response.rrname", "DNS response names"), ("dns.query.name", "DNS query names"),
            ("dns.answer.name", "DNS answer names"), ("mdns.queries.rrname", "mDNS query names"),
            ("mdns.answers.rrname", "mDNS answer names"), ("mdns.authorities.rrname", "mDNS authority names"),
            ("mdns.additionals.rrname", "mDNS additional names"), ("mdns.response.rrname", "mDNS response names"),
            ("llmnr.queries.rrname", "LLMNR query names"), ("llmnr.answers.rrname", "LLMNR answer names"),
            ("llmnr.authorities.rrname", "LLMNR authority names"),
            ("llmnr.additionals.rrname", "LLMNR additional names"),
            ("llmnr.response.rrname", "LLMNR response names"), ("tls.sni", "TLS server name"),
            ("tls.cert_subject", "TLS certificate subject"), ("tls.cert_issuer", "TLS certificate issuer"),
            ("tls.cert_serial", "TLS certificate serial"), ("tls.cert_fingerprint", "TLS certificate fingerprint"),
            ("tls.certs", "each TLS certificate"), ("tls.subjectaltname", "TLS subject alternative names"),
            ("tls.alpn", "TLS ALPN"), ("tls.random", "TLS random"), ("tls.random_time", "TLS random time"),
            ("tls.random_bytes", "TLS random bytes"), ("ja3.hash", "JA3 hash"), ("ja3.string", "JA3 string"),
            ("ja3s.hash", "JA3S hash"), ("ja3s.string", "JA3S string"), ("ja4.hash", "JA4 hash"),
            ("ssh.proto", "SSH protocol version"), ("ssh.software", "SSH software version"),
            ("ssh.hassh", "HASSH"), ("ssh.hassh.string", "HASSH string"), ("ssh.hassh.server", "HASSH server"),
            ("ssh.hassh.server.string", "HASSH server string"), ("file.name", "file name"),
            ("file.magic", "file magic"),
            ("dce_stub_data", "DCERPC stub data"), ("dcerpc.stub_data", "DCERPC stub data"), ("dnp3_data", "DNP3 data"),
            ("smb.named_pipe", "SMB named pipe"), ("smb.share", "SMB share"), ("smb.ntlmssp_user", "NTLMSSP user"),
            ("smb.ntlmssp_domain", "NTLMSSP domain"), ("krb5.cname", "Kerberos client name"),
            ("krb5.sname", "Kerberos service name"), ("snmp.community", "SNMP community"), ("snmp.usm", "SNMP USM"),
            ("snmp.trap_address", "SNMP trap address"), ("snmp.trap_oid", "SNMP trap OID"),
            ("sip.method", "SIP method"), ("sip.uri", "SIP URI"), ("sip.protocol", "SIP protocol"),
            ("sip.request_line", "SIP request line"), ("sip.response_line", "SIP response line"),
            ("sip.stat_code", "SIP status code"), ("sip.stat_msg", "SIP status message"), ("sip.from", "SIP From"),
            ("sip.to", "SIP To"), ("sip.via", "SIP Via"), ("sip.user_agent", "SIP User-Agent"),
            ("sip.content_type", "SIP Content-Type"), ("sip.content_length", "SIP Content-Length"),
            ("smtp.helo", "SMTP HELO"), ("smtp.mail_from", "SMTP MAIL FROM"), ("smtp.rcpt_to", "SMTP RCPT TO"),
            ("ftp.command", "FTP command"), ("ftp.command_data", "FTP command data"), ("ftp.reply", "FTP reply"),
            ("ftp.completion_code", "FTP completion code"), ("ike.init_spi", "IKE initiator SPI"),
            ("ike.resp_spi", "IKE responder SPI"), ("ike.vendor", "IKE vendor id"),
            ("ike.key_exchange_payload", "IKE key exchange"), ("ike.nonce_payload", "IKE nonce"),
            ("mqtt.connect.clientid", "MQTT client id"), ("mqtt.connect.username", "MQTT user name"),
            ("mqtt.connect.password", "MQTT password"), ("mqtt.connect.protocol_string", "MQTT protocol string"),
            ("mqtt.connect.willtopic", "MQTT will topic"), ("mqtt.connect.willmessage", "MQTT will message"),
            ("mqtt.publish.topic", "MQTT publish topic"), ("mqtt.publish.message", "MQTT publish message"),
            ("mqtt.subscribe.topic", "MQTT subscribe topic"), ("mqtt.unsubscribe.topic", "MQTT unsubscribe topic"),
            ("quic.sni", "QUIC SNI"), ("quic.ua", "QUIC user agent"), ("quic.version", "QUIC version"),
            ("quic.cyu.hash", "QUIC CYU hash"), ("quic.cyu.string", "QUIC CYU string"), ("rfb.name", "RFB name"),
            ("pgsql.query", "PostgreSQL query"), ("websocket.payload", "WebSocket payload"),
            ("ldap.request.dn", "LDAP request DN"), ("ldap.request.attribute_type", "LDAP request attribute"),
            ("ldap.responses.dn", "LDAP response DN"), ("ldap.responses.attribute_type", "LDAP response attribute"),
            ("ldap.responses.message", "LDAP response message"), ("email.from", "email From"), ("email.to", "email To"),
            ("email.cc", "email Cc"), ("email.subject", "email Subject"), ("email.date", "email Date"),
            ("email.message_id", "email Message-Id"), ("email.x_mailer", "email X-Mailer"),
            ("email.url", "email URLs"), ("email.received", "email Received"), ("email.body_md5", "email body MD5"),
            ("enip.product_name", "ENIP product name"), ("ntp.reference_id", "NTP reference id"),
            ("tcp.hdr", "TCP header"), ("udp.hdr", "UDP header"), ("ipv4.hdr", "IPv4 header"),
            ("ipv6.hdr", "IPv6 header"),
            ("icmpv4.hdr", "ICMPv4 header"), ("icmpv6.hdr", "ICMPv6 header"), ("igmp.hdr", "IGMP header"),
            ("sctp.hdr", "SCTP header"), ("sctp.chunk_data", "SCTP chunk data"), ("ether.hdr", "Ethernet header"),
            ("ip.src", "source address bytes"), ("ip.dst", "destination address bytes"),
            ("template.buffer", "template parser buffer"), ("sdp.origin", "SDP origin"),
            ("sdp.session_name", "SDP session name"), ("sdp.session_info", "SDP session info"), ("sdp.uri", "SDP URI"),
            ("sdp.email", "SDP email"), ("sdp.phone_number", "SDP phone"), ("sdp.connection_data", "SDP connection"),
            ("sdp.bandwidth", "SDP bandwidth"), ("sdp.time", "SDP time"), ("sdp.repeat_time", "SDP repeat time"),
            ("sdp.timezone", "SDP time zone"), ("sdp.encryption_key", "SDP key"), ("sdp.attribute", "SDP attribute"),
            ("sdp.media.media", "SDP media"), ("sdp.media.media_info", "SDP media info"),
            ("sdp.media.connection_data", "SDP media connection"), ("sdp.media.encryption_key", "SDP media key"),
        ]
        for (name, summary) in buffers { add(name, .stickyBuffer(name), true, summary) }
        // Legacy sticky spellings (Suricata registers these as aliases of the dotted names).
        let stickyAliases: [(String, String)] = [
            ("file_data", "file.data"), ("dns_query", "dns.query"), ("tls_sni", "tls.sni"),
            ("tls_cert_subject", "tls.cert_subject"), ("tls_cert_issuer", "tls.cert_issuer"),
            ("tls_cert_serial", "tls.cert_serial"), ("tls_cert_fingerprint", "tls.cert_fingerprint"),
            ("ja3_hash", "ja3.hash"), ("ja3_string", "ja3.string"), ("ja3s_hash", "ja3s.hash"),
            ("ja3s_string", "ja3s.string"), ("ssh_proto", "ssh.proto"), ("ssh_software", "ssh.software"),
            ("http_accept", "http.accept"), ("http_accept_enc", "http.accept_enc"),
            ("http_accept_lang", "http.accept_lang"), ("http_connection", "http.connection"),
            ("http_content_len", "http.content_len"), ("http_content_type", "http.content_type"),
            ("http_header_names", "http.header_names"), ("http_location", "http.location"),
            ("http_protocol", "http.protocol"), ("http_referer", "http.referer"),
            ("http_request_line", "http.request_line"), ("http_response_line", "http.response_line"),
            ("http_server", "http.server"), ("http_start", "http.start"), ("smb_named_pipe", "smb.named_pipe"),
            ("smb_share", "smb.share"), ("krb5_cname", "krb5.cname"), ("krb5_sname", "krb5.sname"),
            ("http_request_header", "http.request_header"), ("http_response_header", "http.response_header"),
        ]
        for (name, canonical) in stickyAliases {
            add(
                name,
                .stickyBuffer(canonical),
                true,
                "legacy spelling of sticky buffer \(canonical)"
            )
        }
        // Legacy content modifiers (move the previous content into a buffer).
        let legacyModifiers: [(String, String)] = [
            ("http_uri", "http.uri"), ("http_raw_uri", "http.uri.raw"), ("http_method", "http.method"),
            ("http_header", "http.header"), ("http_raw_header", "http.header.raw"), ("http_cookie", "http.cookie"),
            ("http_client_body", "http.request_body"), ("http_server_body", "file.data"),
            ("http_stat_code", "http.stat_code"), ("http_stat_msg", "http.stat_msg"),
            ("http_user_agent", "http.user_agent"), ("http_host", "http.host"), ("http_raw_host", "http.host.raw"),
        ]
        for (name, canonical) in legacyModifiers {
            add(
                name,
                .legacyModifier(canonical),
                true,
                "legacy content modifier: previous content goes to \(canonical)"
            )
        }
        // Transforms.
        let transforms: [(String, Bool, String, String)] = [
            ("dotprefix", true, "prefix the buffer with a dot", ""),
            ("strip_whitespace", true, "remove all whitespace", ""),
            ("compress_whitespace", true, "collapse whitespace runs to one space", ""),
            ("to_lowercase", true, "lowercase the buffer", ""), ("to_uppercase", true, "uppercase the buffer", ""),
            ("to_md5", true, "replace the buffer by its MD5", ""),
            ("to_sha1", true, "replace the buffer by its SHA-1", ""),
            ("to_sha256", true, "replace the buffer by its SHA-256", ""),
            ("url_decode", true, "decode %xx and +", ""), ("header_lowercase", true, "lowercase header names", ""),
            ("strip_pseudo_headers", true, "remove HTTP/2 pseudo headers", ""),
            ("domain", true, "registered domain of a host name", ""), ("tld", true, "top-level domain", ""),
            ("xor", true, "XOR with a key", "\"<hex key>\""),
            ("pcrexform", true, "replace the buffer by a regex capture", "\"<regex>\""),
            ("from_base64", true, "decode base64", "[bytes <n>][,offset <n>][,mode strict|rfc2045|rfc4648]"),
            ("subslice", false, "a slice of the buffer", "<offset>[,<length>]"),
            ("gunzip", false, "gzip-decompress the buffer", "[max-size <n>]"),
            ("zlib_deflate", false, "zlib-decompress the buffer", "[max-size <n>]"),
            ("luaxform", false, "transform with a Lua script", "<script>"),
        ]
        for (name, parsed, summary, syntax) in transforms { add(name, .transform, parsed, summary, syntax) }
        return table
    }
}
