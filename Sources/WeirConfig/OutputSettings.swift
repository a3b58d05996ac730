// SPDX-License-Identifier: MIT

/// `outputs`: the loggers, read from Suricata's list form (`- eve-log: {...}`, `- fast: {...}`, `- stats: {...}`).
///
/// A configuration file without an `outputs` key keeps ``defaultOutputs``; a file with one gets exactly
/// what it lists (an output not listed is disabled), as in Suricata.
public struct OutputSettings: Sendable, Equatable {
    /// Every `eve-log` entry, in file order (Suricata allows several, each with its own file).
    public var eveLogs: [EVELogOutput] = []
    /// `fast`: the one-line-per-alert log.
    public var fast = FastLogOutput(enabled: false)
    /// `stats`: the text stats log.
    public var stats = StatsLogOutput(enabled: false)
    /// `file-store` (version 2): extracted files, stored by their SHA-256.
    public var fileStore = FileStoreOutput(enabled: false)

    /// No outputs at all.
    public init() {}

    /// The first enabled `eve-log`, the one most callers want.
    public var eveLog: EVELogOutput? { self.eveLogs.first(where: \.enabled) }

    /// Weir's outputs without a file, as Suricata's shipped suricata.yaml: `eve.json` with alert, anomaly,
    /// drop, flow and stats records, `fast.log`, and `stats.log`.
    public static let defaultOutputs: OutputSettings = {
        var outputs = OutputSettings()
        var eve = EVELogOutput()
        eve.alert = EVEAlertOptions()
        eve.drop = EVEDropOptions()
        eve.flow = true
        eve.stats = EVEStatsOptions()
        // Suricata's shipped yaml logs app-layer anomalies (decode and stream ones are off there).
        eve.anomaly = EVEAnomalyOptions()
        // As Suricata's shipped suricata.yaml: HTTP transactions and files are logged.
        eve.http = EVEHTTPOptions()
        eve.files = EVEFilesOptions()
        eve.dns = EVEDNSOptions()
        eve.tls = EVETLSOptions()
        eve.ssh = EVESSHOptions()
        outputs.eveLogs = [eve]
        outputs.fast = FastLogOutput(enabled: true)
        outputs.stats = StatsLogOutput(enabled: true)
        return outputs
    }()
}

/// One `eve-log` output. Record types are `nil` when not listed under `types`.
public struct EVELogOutput: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool = true
    /// `filetype`.
    public var fileType: EVEFileType = .regular
    /// `filename`, relative to the log folder unless absolute: the file, or for `unix_dgram` and
    /// `unix_stream` the listening socket's path.
    public var filename: String = "eve.json"
    /// `prefix`: text put before each record (`@cee: ` for syslog daemons that parse CEE), any filetype.
    public var prefix: String = ""
    /// `redis`: the server, mode and key of `filetype: redis`.
    public var redis = EVERedisSettings()
    /// `identity`, `facility`, `level`: the syslog tag and priority of `filetype: syslog`.
    public var syslog = EVESyslogSettings()
    /// `queue-size` (Weir): the most bytes of records a network output (`unix_dgram`, `unix_stream`, `syslog`,
    /// `redis`) holds while its peer is slow or down; records that do not fit are dropped and counted.
    public var queueSize: UInt64 = 16 << 20
    /// `types: - alert`.
    public var alert: EVEAlertOptions? = nil
    /// `types: - drop`.
    public var drop: EVEDropOptions? = nil
    /// `types: - flow`: one record per flow at its end.
    public var flow: Bool = false
    /// `types: - stats`.
    public var stats: EVEStatsOptions? = nil
    /// `types: - anomaly`.
    public var anomaly: EVEAnomalyOptions? = nil
    /// `community-id`: add the Community ID v1 flow hash (`community_id`) to flow-based records.
    public var communityID: Bool = false
    /// `community-id-seed`: the seed of that hash (0 to 65535).
    public var communityIDSeed: UInt16 = 0
    /// `ethernet`: add the packet's Ethernet addresses (`ether` object) to packet records.
    public var ethernet: Bool = false
    /// `metadata`: the flow's variables (`metadata.flowbits`, `flowints`) in records (on unless `no`).
    public var metadata: Bool = true
    /// `pcap-file`: add `pcap_filename`, the capture file being read, to every record (replay only).
    public var pcapFile: Bool = false
    /// `types: - http`: one record per HTTP transaction.
    public var http: EVEHTTPOptions? = nil
    /// `types: - files`: `fileinfo` records.
    public var files: EVEFilesOptions? = nil
    /// `types: - dns`: one record per DNS message (Suricata 8's version 3).
    public var dns: EVEDNSOptions? = nil
    /// `types: - tls`: one record per TLS session once its handshake is done.
    public var tls: EVETLSOptions? = nil
    /// `types: - ssh`: one record per SSH session.
    public var ssh: EVESSHOptions? = nil

    /// An enabled `eve.json` output with no record types.
    public init() {}
}

/// `redis:` settings of an eve-log with `filetype: redis` (Suricata's keys and defaults).
public struct EVERedisSettings: Sendable, Equatable {
    /// `server`: a host name or address, or a Unix socket path (any value containing `/`).
    public var server: String = "127.0.0.1"
    /// `port`.
    public var port: Int = 6379
    /// `mode`: which command carries each record.
    public var mode: EVERedisMode = .lpush
    /// `key`: the list, channel or stream name.
    public var key: String = "suricata"
    /// `pipelining.enabled` / `pipelining.batch-size`: records sent per round trip (1 without pipelining).
    public var batchSize: Int = 1
    /// `stream-maxlen`: the stream's length cap in `xadd` mode (0: no cap).
    public var streamMaxLength: Int = 100_000
    /// `stream-trim-exact`: trim the stream exactly (`MAXLEN =`) instead of approximately (`MAXLEN ~`).
    public var streamTrimExact: Bool = false
    /// Defaults.
    public init() {}
}

/// `redis.mode`: the Redis command each EVE record is sent with.
public enum EVERedisMode: String, ConfigEnum {
    /// `LPUSH` onto a list (`list` is Suricata's alias and default).
    case lpush
    /// `RPUSH` onto a list.
    case rpush
    /// `PUBLISH` to a channel (`channel` is the alias).
    case publish
    /// `XADD` to a stream (`stream` is the alias).
    case xadd

    public static var aliases: [String: EVERedisMode] { ["list": .lpush, "channel": .publish, "stream": .xadd] }

    /// The Redis command name.
    public var command: String {
        switch self {
        case .lpush: return "LPUSH"
        case .rpush: return "RPUSH"
        case .publish: return "PUBLISH"
        case .xadd: return "XADD"
        }
    }
}

/// The syslog settings of an eve-log with `filetype: syslog`.
public struct EVESyslogSettings: Sendable, Equatable {
    /// `identity`: the tag before each message.
    public var identity: String = "weir"
    /// `facility` (Suricata's default, `local5`).
    public var facility: SyslogFacility = .local5
    /// `level` (`Info`).
    public var level: SyslogLevel = .info
    /// Defaults.
    public init() {}
}

/// A syslog facility by its usual name.
public enum SyslogFacility: String, ConfigEnum {
    case kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp
    case local0, local1, local2, local3, local4, local5, local6, local7

    /// The facility's number (RFC 5424 codes 0–23, with `authpriv` 10 and `ftp` 11 as on Linux).
    public var code: Int {
        switch self {
        case .kern: return 0
        case .user: return 1
        case .mail: return 2
        case .daemon: return 3
        case .auth: return 4
        case .syslog: return 5
        case .lpr: return 6
        case .news: return 7
        case .uucp: return 8
        case .cron: return 9
        case .authpriv: return 10
        case .ftp: return 11
        case .local0: return 16
        case .local1: return 17
        case .local2: return 18
        case .local3: return 19
        case .local4: return 20
        case .local5: return 21
        case .local6: return 22
        case .local7: return 23
        }
    }
}

/// A syslog severity, spelled as Suricata's `level` (letter case ignored).
public enum SyslogLevel: String, ConfigEnum {
    case emergency, alert, critical, error, warning, notice, info, debug

    public static var aliases: [String: SyslogLevel] {
        ["emerg": .emergency, "crit": .critical, "err": .error, "warn": .warning, "informational": .info]
    }

    /// The severity's number (0 emergency … 7 debug).
    public var code: Int {
        switch self {
        case .emergency: return 0
        case .alert: return 1
        case .critical: return 2
        case .error: return 3
        case .warning: return 4
        case .notice: return 5
        case .info: return 6
        case .debug: return 7
        }
    }
}

/// `types: - http:` options.
public struct EVEHTTPOptions: Sendable, Equatable {
    /// `extended`: more fields (Weir writes the extended set either way).
    public var extended: Bool = true
    /// `xff`: the client address an HTTP proxy forwarded, in `http` records; `nil` when not enabled.
    public var xff: EVEXFFOptions?
    /// `dump-all-headers`: every request and/or response header in `request_headers` / `response_headers`.
    public var dumpAllHeaders: HeaderDump?
    /// The directions `dump-all-headers` logs.
    public enum HeaderDump: String, ConfigEnum {
        case both
        case request
        case response
    }
    /// `custom`: headers listed in `request_headers` / `response_headers` (of the directions `dump-all-headers`
    /// does not log whole), as the lowercase header names they stand for.
    public var customHeaders: [String] = []

    /// The names `custom` takes (Suricata's `http_fields`): its spelling with underscores, and the header it
    /// logs. Suricata's own table maps `etag` to `etags`, which is kept.
    public static let customFields: [(name: String, header: String)] = [
        "accept", "accept-charset", "accept-encoding", "accept-language", "accept-datetime", "authorization",
        "cache-control", "cookie", "from", "max-forwards", "origin", "pragma", "proxy-authorization", "range", "te",
        "via", "x-requested-with", "dnt", "x-forwarded-proto", "x-authenticated-user", "x-flash-version",
        "accept-range", "age", "allow", "connection", "content-encoding", "content-language", "content-length",
        "content-location", "content-md5", "content-range", "content-type", "date", "etag", "expires",
        "last-modified", "link", "location", "proxy-authenticate", "referer", "refresh", "retry-after", "server",
        "set-cookie", "trailer", "transfer-encoding", "upgrade", "vary", "warning", "www-authenticate",
        "true-client-ip", "org-src-ip", "x-bluecoat-via",
    ].map { header in
        (header.replacingOccurrences(of: "-", with: "_"), header == "etag" ? "etags" : header)
    }
    /// Defaults.
    public init() {}
}

/// `types: - dns:` options.
public struct EVEDNSOptions: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool = true
    /// `requests`: log requests.
    public var requests: Bool = true
    /// `responses`: log responses.
    public var responses: Bool = true
    /// `version`: the record format, 3 (Suricata 8's default: one record per message) or 2 (deprecated in
    /// Suricata 8: `query` records, one per question, and `answer` records). 1 is read as 3, as Suricata does.
    /// nil when not written: then `SURICATA_EVE_DNS_VERSION` from the environment decides, as in Suricata.
    public var version: Int? = nil
    /// `formats`: the forms of a response's answers, `detailed` (the `answers` list) and `grouped` (`grouped`,
    /// the answers' data by record type); nil (both) when not written.
    public var formats: [String]? = nil
    /// `types`: the record types (lower-case names, `a`, `aaaa`, `mx` …) whose messages are logged; nil for all.
    public var types: [String]? = nil
    /// Defaults.
    public init() {}

    /// The record type names `types` takes, Suricata's list.
    public static let typeNames: [String] = [
        "a", "ns", "md", "mf", "cname", "soa", "mb", "mg", "mr", "null", "wks", "ptr", "hinfo", "minfo", "mx", "txt",
        "rp", "afsdb", "x25", "isdn", "rt", "nsap", "nsapptr", "sig", "key", "px", "gpos", "aaaa", "loc", "nxt",
        "srv", "atma", "naptr", "kx", "cert", "a6", "dname", "opt", "apl", "ds", "sshfp", "ipseckey", "rrsig", "nsec",
        "dnskey", "dhcid", "nsec3", "nsec3param", "tlsa", "hip", "cds", "cdnskey", "https", "spf", "tkey", "tsig",
        "maila", "any", "uri",
    ]
}

/// `types: - tls:` options.
public struct EVETLSOptions: Sendable, Equatable {
    /// `extended`: version, serial, fingerprint, dates, JA3/JA4, SNI, ALPNs (as Suricata's shipped yaml).
    public var extended: Bool = true
    /// `custom`: the field names to log instead (`subject`, `ja3`, `chain` …).
    public var custom: [String]? = nil
    /// `session-resumption`: log resumed sessions (which have no certificate).
    public var sessionResumption: Bool = true
    /// Defaults.
    public init() {}
}

/// `types: - ssh:` options.
public struct EVESSHOptions: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool = true
    /// Defaults.
    public init() {}
}

/// `types: - files:` options.
public struct EVEFilesOptions: Sendable, Equatable {
    /// `force-magic` (accepted; Weir has no libmagic).
    public var forceMagic: Bool = false
    /// `force-hash`: digests to compute for every file (`md5`, `sha1`, `sha256`).
    public var forceHash: [String] = []
    /// Defaults.
    public init() {}
}

/// `types: - alert:` options.
public struct EVEAlertOptions: Sendable, Equatable {
    /// `http`: the transaction's `http` object in alerts on HTTP transactions.
    public var http: Bool = true
    /// `tls`, `ssh`, `dns`: the transaction's object in alerts on those protocols.
    public var tls: Bool = true
    public var ssh: Bool = true
    public var dns: Bool = true
    /// `payload`: the packet or stream payload, base64.
    public var payload: Bool = false
    /// `payload-printable`: the payload as printable text (non-printables as `.`).
    public var payloadPrintable: Bool = false
    /// `payload-length`: the payload's length in bytes.
    public var payloadLength: Bool = false
    /// `payload-buffer-size`, bytes (4 KiB): the most of a stream an alert's payload shows.
    public var payloadBufferSize: UInt64 = 4096
    /// `packet`: the whole packet, base64.
    public var packet: Bool = false
    /// `metadata`: rule metadata and app-layer metadata.
    public var metadata: Bool = true
    /// `verdict`: the engine's final verdict on the packet.
    public var verdict: Bool = false
    /// `xff`: the client address an HTTP proxy forwarded, in alerts on HTTP flows; `nil` when not enabled.
    public var xff: EVEXFFOptions?
    /// Defaults.
    public init() {}

    /// Any of `payload`, `payload-printable`, `payload-length`: alerts carry their payload in some form (each
    /// setting on its own, as Suricata's flags).
    public var logsPayload: Bool { self.payload || self.payloadPrintable || self.payloadLength }
}

/// `xff:` of the `alert` and `http` record types (Suricata's `HttpXFFGetCfg`): the address in the configured
/// header is logged as `xff` (`extra-data`) or replaces the record's address of the packet's source, the server's
/// for a response (`overwrite`); `deployment` says which end of the proxy chain is the client's.
public struct EVEXFFOptions: Sendable, Equatable {
    public enum Mode: String, ConfigEnum {
        case extraData = "extra-data"
        case overwrite
    }
    public enum Deployment: String, ConfigEnum {
        case reverse
        case forward
    }
    /// `mode` (`extra-data` by default, as Suricata falls back to it).
    public var mode = Mode.extraData
    /// `deployment` (`reverse` by default).
    public var deployment = Deployment.reverse
    /// `header` (`X-Forwarded-For` by default).
    public var header = "X-Forwarded-For"
    /// Defaults.
    public init() {}
}

/// `types: - drop:` options.
public struct EVEDropOptions: Sendable, Equatable {
    /// `alerts`: also log the alerts that caused a drop.
    public var alerts: Bool = false
    /// `flows`.
    public var flows: DropFlowsMode = .start
    /// `verdict`: the engine's final verdict on the packet.
    public var verdict: Bool = false
    /// Defaults.
    public init() {}
}

/// `types: - stats:` options.
public struct EVEStatsOptions: Sendable, Equatable {
    /// `totals`: counters merged over all threads.
    public var totals: Bool = true
    /// `threads`: counters per thread.
    public var threads: Bool = false
    /// `deltas`: also the change since the last record.
    public var deltas: Bool = false
    /// `null-values`: also counters at 0 (on unless `no`, as in Suricata).
    public var nullValues: Bool = true
    /// Defaults.
    public init() {}
}

/// `types: - anomaly:` options.
public struct EVEAnomalyOptions: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool = true
    /// `types.decode`: decoder anomalies.
    public var decode: Bool = false
    /// `types.stream`: stream anomalies.
    public var stream: Bool = false
    /// `types.applayer`: app-layer anomalies.
    public var appLayer: Bool = true
    /// `packethdr`: include the packet header.
    public var packetHeader: Bool = false
    /// Defaults.
    public init() {}
}

/// `fast` output.
public struct FastLogOutput: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool
    /// `filename`.
    public var filename: String = "fast.log"
    /// `append`: append to an existing file instead of truncating it.
    public var append: Bool = true

    /// A fast.log output, enabled or not.
    public init(enabled: Bool) { self.enabled = enabled }
}

/// `file-store` output, version 2 (Suricata's `output-filestore.c`): each stored file goes to
/// `<dir>/<first two hex digits of its SHA-256>/<SHA-256>`, written under `<dir>/tmp` while it is open.
public struct FileStoreOutput: Sendable, Equatable {
    /// `enabled` (off unless set, as Suricata's outputs).
    public var enabled: Bool
    /// `dir`: absolute, or relative to the log directory (Suricata's default: `filestore`).
    public var directory = "filestore"
    /// `write-fileinfo`: a `<file>.<seconds>.<file id>.json` fileinfo record beside each stored file.
    public var writeFileInfo = false
    /// `force-filestore`: store every file (else only those a rule's `filestore` marks).
    public var forceFilestore = false
    /// `force-hash`: digests every file gets, as the eve-log `files` type's list (SHA-256 always).
    public var forceHash: [String] = []
    /// `stream-depth`: bytes of a file's stream reassembled (0: the stream's own depth).
    public var streamDepth: UInt64 = 0
    /// `max-open-files`: files kept open between writes (0: no limit).
    public var maxOpenFiles = 0

    /// A file-store output, enabled or not.
    public init(enabled: Bool) { self.enabled = enabled }
}

/// `stats` output (text `stats.log`).
public struct StatsLogOutput: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool
    /// `filename`.
    public var filename: String = "stats.log"
    /// `append`.
    public var append: Bool = true
    /// `totals`.
    public var totals: Bool = true
    /// `threads`.
    public var threads: Bool = false
    /// `null-values`: also list counters at 0 (off by default, as in Suricata).
    public var nullValues: Bool = false

    /// A stats.log output, enabled or not.
    public init(enabled: Bool) { self.enabled = enabled }
}
