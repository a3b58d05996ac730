// SPDX-License-Identifier: MIT

extension WeirConfiguration {
    static func decodeOutputs(
        _ items: [(node: ConfigNode, path: [String])],
        context: DecodeContext
    ) throws(ConfigError) -> OutputSettings {
        var result = OutputSettings()
        for item in items {
            let reader = try MappingReader(item.node, path: item.path, context: context)
            if let eve = try reader.mapping("eve-log") { result.eveLogs.append(try Self.decodeEVE(eve)) }
            if let fast = try reader.mapping("fast") {
                var output = FastLogOutput(enabled: true)
                output.enabled = try fast.bool("enabled", output.enabled)
                output.filename = try fast.string("filename", output.filename)
                output.append = try fast.bool("append", output.append)
                try fast.finish()
                result.fast = output
            }
            if let stats = try reader.mapping("stats") {
                var output = StatsLogOutput(enabled: true)
                output.enabled = try stats.bool("enabled", output.enabled)
                output.filename = try stats.string("filename", output.filename)
                output.append = try stats.bool("append", output.append)
                output.totals = try stats.bool("totals", output.totals)
                output.threads = try stats.bool("threads", output.threads)
                output.nullValues = try stats.bool("null-values", output.nullValues)
                if output.enabled && !output.totals && !output.threads, let (_, node) = try stats.scalarText("totals") {
                    // As Suricata: a stats log with neither would be empty.
                    throw stats.fail(node, "totals", "totals and threads cannot both be off")
                }
                try stats.finish()
                result.stats = output
            }
            if let store = try reader.mapping("file-store") {
                result.fileStore = try Self.decodeFileStore(store)
            }
            try reader.finish()
        }
        return result
    }

    /// `file-store`: version 2 only (Suricata removed version 1 and refuses to start the output without
    /// `version: 2`; here that is a start-up error naming the key, so files are never silently not stored).
    private static func decodeFileStore(_ store: MappingReader) throws(ConfigError) -> FileStoreOutput {
        var output = FileStoreOutput(enabled: false)
        output.enabled = try store.bool("enabled", false)
        let version = try store.int("version", 1, in: 1...2)
        if output.enabled && version < 2 {
            let node = store.value("version") ?? store.node
            throw store.fail(node, "version", "file-store version 1 was removed; set version: 2")
        }
        output.directory = try store.string("dir", output.directory)
        output.writeFileInfo = try store.bool("write-fileinfo", output.writeFileInfo)
        output.forceFilestore = try store.bool("force-filestore", output.forceFilestore)
        // No libmagic here: the eve-log files type reads and ignores it too.
        _ = try store.bool("force-magic", false)
        output.forceHash = try store.stringList("force-hash") ?? output.forceHash
        for name in output.forceHash where !["md5", "sha1", "sha256"].contains(name.lowercased()) {
            throw store.fail(store.value("force-hash") ?? store.node, "force-hash", "unknown digest '\(name)'")
        }
        if let (text, _) = try store.scalarText("stream-depth"), text.lowercased() == "no" {
            output.streamDepth = 0
        } else {
            output.streamDepth = try store.size("stream-depth", output.streamDepth)
        }
        output.maxOpenFiles = try store.int("max-open-files", output.maxOpenFiles, in: 0...1_000_000)
        // `xff` only changes the fileinfo sidecar's addresses in Suricata; the sidecar has the flow's own.
        store.skip("xff")
        try store.finish()
        return output
    }

    private static func decodeEVE(_ eve: MappingReader) throws(ConfigError) -> EVELogOutput {
        var output = EVELogOutput()
        output.enabled = try eve.bool("enabled", output.enabled)
        output.fileType = try eve.enumeration("filetype", output.fileType)
        output.filename = try eve.string("filename", output.filename)
        if output.fileType == .unixDgram || output.fileType == .unixStream,
            let (path, node) = try eve.scalarText("filename"), path.utf8.count > 107
        {
            throw eve.fail(node, "filename", "a Unix socket path is at most 107 bytes long")
        }
        output.prefix = try eve.string("prefix", output.prefix)
        output.queueSize = try eve.size("queue-size", output.queueSize, minimum: 4096)
        output.syslog.identity = try eve.string("identity", output.syslog.identity)
        output.syslog.facility = try eve.enumeration("facility", output.syslog.facility)
        output.syslog.level = try eve.enumeration("level", output.syslog.level)
        if let redis = try eve.mapping("redis") {
            output.redis.server = try redis.string("server", output.redis.server)
            output.redis.port = try redis.int("port", output.redis.port, in: 1...65_535)
            output.redis.mode = try redis.enumeration("mode", output.redis.mode)
            output.redis.key = try redis.string("key", output.redis.key)
            // Replies are always read off the packet path, by the output's own writer thread.
            _ = try redis.bool("async", false)
            output.redis.streamMaxLength = try redis.int(
                "stream-maxlen", output.redis.streamMaxLength, in: 0...Int(Int32.max))
            output.redis.streamTrimExact = try redis.bool("stream-trim-exact", output.redis.streamTrimExact)
            if let pipelining = try redis.mapping("pipelining") {
                let enabled = try pipelining.bool("enabled", false)
                // Suricata's default batch is 10 records.
                let batch = try pipelining.int("batch-size", 10, in: 1...100_000)
                output.redis.batchSize = enabled ? batch : 1
                try pipelining.finish()
            }
            try redis.finish()
        }
        output.communityID = try eve.bool("community-id", output.communityID)
        output.ethernet = try eve.bool("ethernet", output.ethernet)
        output.communityIDSeed = UInt16(try eve.int("community-id-seed", Int(output.communityIDSeed), in: 0...65_535))
        output.pcapFile = try eve.bool("pcap-file", output.pcapFile)
        output.metadata = try eve.bool("metadata", output.metadata)
        for item in try eve.list("types") ?? [] {
            // A type is either a bare name (`- flow`) or a one-key mapping (`- alert: {payload: yes}`).
            var node = item.node
            if let name = node.scalar {
                node = ConfigNode(
                    .mapping([
                        ConfigEntry(key: name, keyLocation: node.location, node: ConfigNode(.null, at: node.location))
                    ]),
                    at: node.location
                )
            }
            // A list item is one record type: the first key names it. Keys written beside it (a setting indented
            // one level too little, `- stats:` then `totals: yes` under the dash) are not read by Suricata, which
            // takes the item's first key only: they are reported as ignored.
            if let entries = node.entries, entries.count > 1 {
                for extra in entries.dropFirst() {
                    eve.context.ignoredKeys.append(
                        IgnoredKey(key: (item.path + [extra.key]).joined(separator: "."), location: extra.keyLocation))
                }
                node = ConfigNode(.mapping([entries[0]]), at: node.location)
            }
            // Every record type takes Suricata's generic `enabled` switch: `enabled: no` leaves the type out
            // (its other settings unread, as Suricata skips them); otherwise the switch is taken off here.
            if let entries = node.entries, entries.count == 1, let settings = entries[0].node.entries,
                let switchIndex = settings.firstIndex(where: { $0.key == "enabled" })
            {
                let switchNode = settings[switchIndex].node
                guard let text = switchNode.scalar, let on = ConfigValueParser.bool(text) else {
                    throw ConfigError(
                        .badValue, at: switchNode.location,
                        key: (item.path + [entries[0].key, "enabled"]).joined(separator: "."),
                        "'\(switchNode.scalar ?? switchNode.kindName)' is not a boolean (use yes/no, true/false, on/off or 1/0)")
                }
                if !on { continue }
                var kept = settings
                kept.remove(at: switchIndex)
                var entry = entries[0]
                entry.node = ConfigNode(.mapping(kept), at: entry.node.location)
                node = ConfigNode(.mapping([entry]), at: node.location)
            }
            let types = try MappingReader(node, path: item.path, context: eve.context)
            if let alert = try types.mapping("alert") {
                var options = EVEAlertOptions()
                options.http = try alert.bool("http", options.http)
                options.tls = try alert.bool("tls", options.tls)
                options.ssh = try alert.bool("ssh", options.ssh)
                options.dns = try alert.bool("dns", options.dns)
                options.payload = try alert.bool("payload", options.payload)
                options.payloadPrintable = try alert.bool("payload-printable", options.payloadPrintable)
                options.payloadLength = try alert.bool("payload-length", options.payloadLength)
                options.payloadBufferSize = try alert.size("payload-buffer-size", options.payloadBufferSize)
                options.packet = try alert.bool("packet", options.packet)
                options.metadata = try Self.decodeMetadataFlag(alert, options.metadata)
                options.verdict = try alert.bool("verdict", options.verdict)
                options.xff = try Self.decodeXFF(alert)
                try alert.finish()
                output.alert = options
            }
            if let drop = try types.mapping("drop") {
                var options = EVEDropOptions()
                options.alerts = try drop.bool("alerts", options.alerts)
                options.flows = try drop.enumeration("flows", options.flows)
                options.verdict = try drop.bool("verdict", options.verdict)
                try drop.finish()
                output.drop = options
            }
            if let flow = try types.mapping("flow") {
                try flow.finish()
                output.flow = true
            }
            if let stats = try types.mapping("stats") {
                var options = EVEStatsOptions()
                options.totals = try stats.bool("totals", options.totals)
                options.threads = try stats.bool("threads", options.threads)
                options.deltas = try stats.bool("deltas", options.deltas)
                options.nullValues = try stats.bool("null-values", options.nullValues)
                if !options.totals && !options.threads, let (_, node) = try stats.scalarText("totals") {
                    throw stats.fail(node, "totals", "totals and threads cannot both be off")
                }
                try stats.finish()
                output.stats = options
            }
            if let http = try types.mapping("http") {
                var options = EVEHTTPOptions()
                options.extended = try http.bool("extended", options.extended)
                options.xff = try Self.decodeXFF(http)
                options.dumpAllHeaders = try http.optionalEnumeration(
                    "dump-all-headers", EVEHTTPOptions.HeaderDump.self)
                if let custom = try http.stringList("custom") {
                    options.customHeaders = try Self.customHeaders(custom, http, extended: options.extended)
                }
                try http.finish()
                output.http = options
            }
            if let dns = try types.mapping("dns") {
                var options = EVEDNSOptions()
                options.enabled = try dns.bool("enabled", options.enabled)
                options.requests = try dns.bool("requests", options.requests)
                options.responses = try dns.bool("responses", options.responses)
                if dns.contains("version") {
                    options.version = try dns.int("version", 3, in: 1...3) == 2 ? 2 : 3
                }
                if let formats = try dns.stringList("formats") {
                    for format in formats where !["detailed", "grouped"].contains(format.lowercased()) {
                        throw dns.fail(
                            dns.value("formats") ?? dns.node, "formats",
                            "'\(format)' is not a DNS answer format (detailed, grouped)")
                    }
                    // An empty list keeps the defaults (both), as Suricata.
                    options.formats = formats.isEmpty ? nil : formats.map { $0.lowercased() }
                }
                if let types = try dns.stringList("types") {
                    for type in types where !EVEDNSOptions.typeNames.contains(type.lowercased()) {
                        throw dns.fail(
                            dns.value("types") ?? dns.node, "types",
                            "'\(type)' is not a DNS record type Suricata logs by")
                    }
                    options.types = types.map { $0.lowercased() }
                }
                try dns.finish()
                output.dns = options
            }
            if let tls = try types.mapping("tls") {
                var options = EVETLSOptions()
                options.extended = try tls.bool("extended", options.extended)
                options.custom = try tls.stringList("custom")
                options.sessionResumption = try tls.bool("session-resumption", options.sessionResumption)
                try tls.finish()
                output.tls = options
            }
            if let ssh = try types.mapping("ssh") {
                var options = EVESSHOptions()
                options.enabled = try ssh.bool("enabled", options.enabled)
                try ssh.finish()
                output.ssh = options
            }
            if let files = try types.mapping("files") {
                var options = EVEFilesOptions()
                options.forceMagic = try files.bool("force-magic", options.forceMagic)
                options.forceHash = try files.stringList("force-hash") ?? options.forceHash
                try files.finish()
                output.files = options
            }
            if let anomaly = try types.mapping("anomaly") {
                var options = EVEAnomalyOptions()
                options.enabled = try anomaly.bool("enabled", options.enabled)
                if let kinds = try anomaly.mapping("types") {
                    options.decode = try kinds.bool("decode", options.decode)
                    options.stream = try kinds.bool("stream", options.stream)
                    options.appLayer = try kinds.bool("applayer", options.appLayer)
                    try kinds.finish()
                }
                options.packetHeader = try anomaly.bool("packethdr", options.packetHeader)
                try anomaly.finish()
                output.anomaly = options
            }
            try types.finish()
        }
        try eve.finish()
        return output
    }

    /// `custom` of the http type: the headers its entries name (by Suricata's field name or by the header's own,
    /// letter case ignored), without `referer` when extended logging writes it already, as Suricata skips it.
    private static func customHeaders(_ names: [String], _ http: MappingReader, extended: Bool)
        throws(ConfigError) -> [String]
    {
        var headers: [String] = []
        for name in names {
            guard
                let field = EVEHTTPOptions.customFields.first(where: {
                    $0.name == name || $0.header.lowercased() == name.lowercased()
                })
            else {
                let node = http.value("custom") ?? http.node
                throw http.fail(node, "custom", "'\(name)' is not an HTTP field Suricata logs")
            }
            if extended && field.header == "referer" { continue }
            if !headers.contains(field.header) { headers.append(field.header) }
        }
        return headers
    }

    /// `xff:` of a record type: its options when `enabled`, else `nil` (the other keys are not read then, as
    /// Suricata reads none of them).
    private static func decodeXFF(_ parent: MappingReader) throws(ConfigError) -> EVEXFFOptions? {
        guard let xff = try parent.mapping("xff") else { return nil }
        guard try xff.bool("enabled", false) else {
            for key in ["mode", "deployment", "header"] { xff.skip(key) }
            try xff.finish()
            return nil
        }
        var options = EVEXFFOptions()
        options.mode = try xff.enumeration("mode", options.mode)
        options.deployment = try xff.enumeration("deployment", options.deployment)
        options.header = try xff.string("header", options.header)
        try xff.finish()
        return options
    }

    /// `metadata` is a boolean in Suricata 6+, or a mapping of `app-layer`/`flow`/`rule` switches; the
    /// mapping form counts as enabled.
    private static func decodeMetadataFlag(_ alert: MappingReader, _ base: Bool) throws(ConfigError) -> Bool {
        guard let node = alert.node["metadata"] else { return base }
        if case .mapping = node.value {
            alert.skip("metadata")
            return true
        }
        return try alert.bool("metadata", base)
    }
}
