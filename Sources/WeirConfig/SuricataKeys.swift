// SPDX-License-Identifier: MIT

/// Suricata settings that Weir accepts in a `suricata.yaml` but does not use.
///
/// Users point Weir at their real Suricata configuration, so a key Suricata knows must never stop start-up:
/// it is reported once in the "ignored Suricata keys" warning. A key in neither this table nor Weir's
/// typed sections is an error. Each pattern is a dotted key; `*` stands for one path part (list indices,
/// interface entries). A pattern covers the whole subtree below it.
enum SuricataKeys {
    /// The patterns, grouped by section. Sources: Suricata's `suricata.yaml.in` (7.x to 9.0-dev) and user guide.
    static let ignoredPatterns: [String] = [
        // Whole top-level sections about engine parts Weir does not have (or configures elsewhere).
        "logging", "legacy", "engine-analysis", "pcre", "host", "defrag.host-config",
        "profiling", "nfq", "nflog", "ipfw", "napatech", "pfring", "netmap", "dpdk", "af-xdp", "pcap",
        "windivert", "plugins", "security", "coredump", "magic-file", "run-as", "pid-file", "daemon-directory",
        "umask", "asn1-max-frames", "datasets", "decoder.erspan", "mpm-algo", "spm-algo", "cuda", "mpipe",
        "luajit", "capture", "reputation-categories-file", "default-reputation-path",
        "reputation-files", "geoip-database", "ippair", "livedev", "autofp-scheduler",
        "default-packet-size", "detect-engine", "heartbeat", "firewall", "ja3-fingerprints", "multi-detect",
        "lua", "suricata-version", "app-layer.expectations",
        // threading: the stack size, NUMA auto-pinning, and the CPU sets of thread kinds Weir does not have
        "threading.stack-size", "threading.autopin", "threading.cpu-affinity.decode-cpu-set",
        "threading.cpu-affinity.stream-cpu-set", "threading.cpu-affinity.reject-cpu-set",
        "threading.cpu-affinity.output-cpu-set", "threading.cpu-affinity.*.decode-cpu-set",
        "threading.cpu-affinity.*.stream-cpu-set", "threading.cpu-affinity.*.reject-cpu-set",
        "threading.cpu-affinity.*.output-cpu-set",
        // stats
        "stats.decoder-events", "stats.decoder-events-prefix", "stats.stream-events",
        // outputs Weir does not write
        "outputs.*.unified2-alert", "outputs.*.http-log", "outputs.*.tls-log", "outputs.*.tls-store",
        "outputs.*.dns-log", "outputs.*.pcap-log", "outputs.*.alert-debug", "outputs.*.alert-prelude",
        "outputs.*.syslog", "outputs.*.drop", "outputs.*.file-log", "outputs.*.lua",
        "outputs.*.tcp-data", "outputs.*.http-body-data", "outputs.*.file", "outputs.*.dnp3",
        "outputs.*.fast.filetype", "outputs.*.stats.filetype",
        // eve-log settings for transports and enrichments Weir does not offer
        "outputs.*.eve-log.xff",
        "outputs.*.eve-log.ethernet", "outputs.*.eve-log.threaded", "outputs.*.eve-log.rotate-interval",
        "outputs.*.eve-log.buffer-size", "outputs.*.eve-log.filemode",
        "outputs.*.eve-log.suricata-version", "outputs.*.eve-log.output-buffer-size",
        // eve-log record types of app-layer parsers and features Weir does not have
        "outputs.*.eve-log.types.*.smtp", "outputs.*.eve-log.types.*.imap",
        "outputs.*.eve-log.types.*.pop3", "outputs.*.eve-log.types.*.netflow",
        "outputs.*.eve-log.types.*.dhcp", "outputs.*.eve-log.types.*.nfs", "outputs.*.eve-log.types.*.smb",
        "outputs.*.eve-log.types.*.tftp", "outputs.*.eve-log.types.*.ike", "outputs.*.eve-log.types.*.ikev2",
        "outputs.*.eve-log.types.*.krb5", "outputs.*.eve-log.types.*.snmp", "outputs.*.eve-log.types.*.rfb",
        "outputs.*.eve-log.types.*.sip", "outputs.*.eve-log.types.*.mqtt", "outputs.*.eve-log.types.*.rdp",
        "outputs.*.eve-log.types.*.dcerpc", "outputs.*.eve-log.types.*.ftp", "outputs.*.eve-log.types.*.ftp-data",
        "outputs.*.eve-log.types.*.quic", "outputs.*.eve-log.types.*.pgsql", "outputs.*.eve-log.types.*.ldap",
        "outputs.*.eve-log.types.*.http2", "outputs.*.eve-log.types.*.websocket", "outputs.*.eve-log.types.*.arp",
        "outputs.*.eve-log.types.*.bittorrent-dht", "outputs.*.eve-log.types.*.frame",
        "outputs.*.eve-log.types.*.metadata", "outputs.*.eve-log.types.*.dnp3", "outputs.*.eve-log.types.*.modbus",
        "outputs.*.eve-log.types.*.enip", "outputs.*.eve-log.types.*.doh2", "outputs.*.eve-log.types.*.mdns",
        "outputs.*.eve-log.types.*.ntp", "outputs.*.eve-log.types.*.tls-store", "outputs.*.eve-log.types.*.stream",
        "outputs.*.eve-log.types.*.pcap", "outputs.*.eve-log.types.*.template", "outputs.*.eve-log.types.*.sdp",
        "outputs.*.eve-log.types.*.alert.smtp",
        "outputs.*.eve-log.types.*.alert.dnp3", "outputs.*.eve-log.types.*.alert.xff",
        "outputs.*.eve-log.types.*.alert.http-body", "outputs.*.eve-log.types.*.alert.http-body-printable",
        "outputs.*.eve-log.types.*.alert.tagged-packets", "outputs.*.eve-log.types.*.alert.websocket-payload",
        "outputs.*.eve-log.types.*.alert.websocket-payload-printable",
        "outputs.*.eve-log.types.*.alert.reference", "outputs.*.eve-log.types.*.alert.ethernet",
        "outputs.*.eve-log.types.*.flow.exception-policy",
        // Suricata 4's `files` digest switches, superseded by `force-hash` (Suricata 8 ignores them too)
        "outputs.*.eve-log.types.*.files.force-md5", "outputs.*.eve-log.types.*.files.force-sha1",
        "outputs.*.eve-log.types.*.files.force-sha256",
        // fingerprint switches some configurations carry in the tls record type (Suricata reads them from
        // app-layer.protocols.tls.ja3-fingerprints / ja4-fingerprints)
        "outputs.*.eve-log.types.*.tls.ja3", "outputs.*.eve-log.types.*.tls.ja4",
        // the pre-6.0 spelling of app-layer.protocols.tls.encryption-handling, which Suricata 8 no longer reads
        "app-layer.protocols.tls.encrypt-handling",
        // VN-Tag is always decoded (Suricata has no switch for it either); the stats record type writes no file
        "decoder.vntag", "outputs.*.eve-log.types.*.stats.filename",
        // capture settings Weir's AF_PACKET source does not take
        "af-packet.*.ebpf-lb-file", "af-packet.*.ebpf-filter-file", "af-packet.*.pinned-maps",
        "af-packet.*.pinned-maps-name", "af-packet.*.xdp-cpu-redirect", "af-packet.*.mmap-locked",
        "af-packet.*.disable-promisc", "af-packet.*.buffer-size", "af-packet.*.rollover",
        "af-packet.*.use-emergency-flush", "af-packet.*.bpf-filter", "af-packet.*.v2-block-size",
        "pcap-file.buffer-size", "pcap-file.tenant-id", "pcap-file.delete-when-done", "pcap-file.recursive",
        "pcap-file.continuous", "pcap-file.bpf-filter",
        // engine tuning without a Weir counterpart
        "stream.liberal-timestamps",
        "stream.reassembly.raw", "stream.reassembly.chunk-prealloc",
        "stream.reassembly.zero-copy-size",
        "stream.reassembly.randomize-chunk-range", "stream.reassembly.urgent", "stream.reassembly.max-regions",
        "flow.managers", "flow.recyclers", "flow.rate-tracking", "flow-timeouts.sctp",
        "detect.custom-values", "detect.prefilter", "detect.grouping", "detect.profiling", "detect.thresholds",
        "detect.stream-tx-log-limit", "detect.guess-applayer-tx", "detect.delayed-detect",
        "detect.sgh-mpm-caching", "detect.sgh-mpm-caching-path", "detect.luajit-states",
        "detect.stats",
        // application-layer parsers Weir does not have
        "app-layer.protocols.smb", "app-layer.protocols.smtp", "app-layer.protocols.imap",
        "app-layer.protocols.pop3", "app-layer.protocols.ftp", "app-layer.protocols.nfs",
        "app-layer.protocols.tftp", "app-layer.protocols.krb5", "app-layer.protocols.ikev2",
        "app-layer.protocols.ike", "app-layer.protocols.ntp", "app-layer.protocols.dhcp",
        "app-layer.protocols.snmp", "app-layer.protocols.sip", "app-layer.protocols.rfb",
        "app-layer.protocols.mqtt", "app-layer.protocols.rdp", "app-layer.protocols.modbus",
        "app-layer.protocols.dnp3", "app-layer.protocols.enip", "app-layer.protocols.dcerpc",
        "app-layer.protocols.quic", "app-layer.protocols.pgsql", "app-layer.protocols.telnet",
        "app-layer.protocols.websocket", "app-layer.protocols.bittorrent-dht", "app-layer.protocols.ldap",
        "app-layer.protocols.mdns", "app-layer.protocols.doh2", "app-layer.protocols.template",
        "app-layer.protocols.msn", "app-layer.protocols.imap", "app-layer.protocols.pop3",
        "app-layer.protocols.sdp", "app-layer.protocols.ssdp", "app-layer.protocols.arp",
        // tuning of the parsers Weir has
        "app-layer.protocols.http.memcap", "app-layer.protocols.http.byterange",
        // libhtp options Weir's parser does not apply (the others are checked in LibHTPSettings)
        "app-layer.protocols.http.libhtp.default-config.path-url-encoding-invalid-handling",
        "app-layer.protocols.http.libhtp.default-config.compression-bomb-count",
        "app-layer.protocols.http.libhtp.default-config.max-tx",
        "app-layer.protocols.http.libhtp.default-config.randomize-inspection-sizes",
        "app-layer.protocols.http.libhtp.default-config.randomize-inspection-range",
        "app-layer.protocols.http.libhtp.default-config.http-body-inline",
        "app-layer.protocols.http.libhtp.default-config.swf-decompression",
        "app-layer.protocols.http.libhtp.server-config.*.*.path-url-encoding-invalid-handling",
        "app-layer.protocols.http.libhtp.server-config.*.*.compression-bomb-count",
        "app-layer.protocols.http.libhtp.server-config.*.*.max-tx",
        "app-layer.protocols.http.libhtp.server-config.*.*.randomize-inspection-sizes",
        "app-layer.protocols.http.libhtp.server-config.*.*.randomize-inspection-range",
        "app-layer.protocols.http.libhtp.server-config.*.*.http-body-inline",
        "app-layer.protocols.http.libhtp.server-config.*.*.swf-decompression",
        "app-layer.protocols.tls.ja3-fingerprints", "app-layer.protocols.tls.ja4-fingerprints",
        "app-layer.protocols.tls.stream-depth", "app-layer.protocols.ssh.hassh",
        "app-layer.protocols.dns.global-memcap", "app-layer.protocols.dns.state-memcap",
        "app-layer.protocols.dns.request-flood", "app-layer.protocols.http2.max-streams",
        "app-layer.protocols.http2.max-table-size", "app-layer.protocols.http2.max-reassembly-size",
        "app-layer.protocols.*.max-tx", "app-layer.protocols.*.stream-depth",
    ]

    private static let patterns: [[Substring]] = ignoredPatterns.map { $0.split(separator: ".") }

    /// Whether the key at `path` (list indices included) is a Suricata key Weir ignores.
    static func isIgnored(_ path: [String]) -> Bool {
        for pattern in patterns where pattern.count <= path.count {
            var matches = true
            for (index, part) in pattern.enumerated() where part != "*" && part != path[index] {
                matches = false
                break
            }
            if matches { return true }
        }
        return false
    }
}
