// SPDX-License-Identifier: MIT
import WeirCore

extension WeirConfiguration {
    /// The top-level keys Weir reads (besides `include`, which the loader consumes).
    static let topLevelKeys = [
        "vars", "default-rule-path", "rule-files", "classification-file", "reference-config-file", "threshold-file",
        "default-log-dir", "af-packet", "pcap-file", "checksum-checks", "stream", "flow", "flow-timeouts", "outputs",
        "stats", "action-order", "packet-alert-max", "app-layer", "detect", "kernel-version-override", "bypass",
        "max-pending-packets", "runmode", "host-mode", "host-os-policy", "decoder", "defrag", "sensor-name", "threading",
        "unix-command", "metrics", "exception-policy", "vlan",
    ]

    /// Decodes a whole tree: starts from the defaults and applies every key the tree has.
    static func decode(_ root: ConfigNode, context: DecodeContext) throws(ConfigError) -> WeirConfiguration {
        let top = try MappingReader(root, path: [], context: context)
        var config = WeirConfiguration()
        if let vars = try top.mapping("vars") { config.vars = try Self.decodeVars(vars) }
        config.defaultRulePath = try top.optionalString("default-rule-path")
        config.ruleFiles = try top.stringList("rule-files") ?? []
        config.classificationFile = try top.optionalString("classification-file")
        config.referenceConfigFile = try top.optionalString("reference-config-file")
        config.thresholdFile = try top.optionalString("threshold-file")
        config.defaultLogDirectory = try top.string("default-log-dir", config.defaultLogDirectory)
        config.sensorName = try top.optionalString("sensor-name")
        if let interfaces = try top.list("af-packet") { config.afPacket = try Self.decodeAFPacket(interfaces, top) }
        if let pcap = try top.mapping("pcap-file") {
            config.pcapFile.checksumChecks = try pcap.enumeration("checksum-checks", config.pcapFile.checksumChecks)
            try pcap.finish()
        }
        config.checksumChecks = try top.optionalEnumeration("checksum-checks", ChecksumMode.self)
        config.exceptionPolicy.master = try Self.exceptionPolicy(top, "exception-policy")
        if let stream = try top.mapping("stream") {
            config.stream = try Self.decodeStream(stream, policies: &config.exceptionPolicy)
        }
        if let decoder = try top.mapping("decoder") { config.decoder = try Self.decodeDecoder(decoder, vars: config.vars) }
        if let defrag = try top.mapping("defrag") {
            config.exceptionPolicy.targets[.defragMemcap] = try Self.exceptionPolicy(defrag, "memcap-policy")
            config.defrag = try Self.decodeDefrag(defrag)
        }
        if let policies = try top.mapping("host-os-policy") { config.hostOSPolicy = try Self.decodeHostOSPolicy(policies) }
        if let flow = try top.mapping("flow") {
            config.flow.memcap = try flow.size("memcap", config.flow.memcap)
            config.exceptionPolicy.targets[.flowMemcap] = try Self.exceptionPolicy(flow, "memcap-policy")
            config.flow.hashSize = try flow.int("hash-size", config.flow.hashSize, in: 1...(1 << 30))
            config.flow.prealloc = try flow.int("prealloc", config.flow.prealloc, in: 0...(1 << 30))
            config.flow.emergencyRecovery = try flow.int(
                "emergency-recovery",
                config.flow.emergencyRecovery,
                in: 0...100
            )
            try flow.finish()
        }
        if let vlan = try top.mapping("vlan") {
            config.vlan.useForTracking = try vlan.bool("use-for-tracking", config.vlan.useForTracking)
            try vlan.finish()
        }
        if let timeouts = try top.mapping("flow-timeouts") {
            config.flowTimeouts = try Self.decodeFlowTimeouts(timeouts)
        }
        if let outputs = try top.list("outputs") {
            config.outputs = try Self.decodeOutputs(outputs, context: context)
        }
        if let stats = try top.mapping("stats") {
            config.stats.enabled = try stats.bool("enabled", config.stats.enabled)
            config.stats.interval = try stats.int("interval", config.stats.interval, in: 1...86_400)
            if let policy = try stats.mapping("exception-policy") {
                config.exceptionPolicy.perAppProtoErrorCounters = try policy.bool(
                    "per-app-proto-errors", config.exceptionPolicy.perAppProtoErrorCounters)
                try policy.finish()
            }
            try stats.finish()
        }
        if let order = try top.list("action-order") { config.actionOrder = try Self.decodeActionOrder(order, top) }
        let alertMax = try top.int("packet-alert-max", config.packetAlertMax, in: 0...65_535)
        // Suricata treats 0 as "not set" and falls back to its default of 15.
        config.packetAlertMax = alertMax == 0 ? 15 : alertMax
        if let appLayer = try top.mapping("app-layer") {
            config.exceptionPolicy.targets[.appLayerError] = try Self.exceptionPolicy(appLayer, "error-policy")
            config.appLayer = try Self.decodeAppLayer(appLayer)
        }
        if let detect = try top.mapping("detect") {
            config.detect.profile = try detect.enumeration("profile", config.detect.profile)
            config.detect.sghMPMContext = try detect.enumeration("sgh-mpm-context", config.detect.sghMPMContext)
            config.detect.inspectionRecursionLimit = try detect.int(
                "inspection-recursion-limit",
                config.detect.inspectionRecursionLimit,
                in: 0...1_000_000
            )
            config.detect.ruleReload = try detect.bool("rule-reload", config.detect.ruleReload)
            try detect.finish()
        }
        if let unix = try top.mapping("unix-command") {
            config.unixCommand.enabled = try unix.enumeration("enabled", config.unixCommand.enabled)
            config.unixCommand.filename = try unix.optionalString("filename")
            try unix.finish()
        }
        if let metrics = try top.mapping("metrics") {
            config.metrics.enabled = try metrics.bool("enabled", config.metrics.enabled)
            if let (text, node) = try metrics.scalarText("listen") {
                // HOST:PORT, [IPv6]:PORT; the address itself is checked when the endpoint opens.
                let port = text.split(separator: ":").last.flatMap { UInt16($0) } ?? 0
                let host = text.hasPrefix("[") ? text.split(separator: "]").first.map { $0.dropFirst() } : text.split(separator: ":").first
                guard port > 0, let host, !host.isEmpty, text.hasPrefix("[") || text.split(separator: ":").count == 2 else {
                    throw metrics.fail(node, "listen", "'\(text)' is not HOST:PORT (127.0.0.1:9637, [::1]:9637)")
                }
                config.metrics.listen = text
            }
            try metrics.finish()
        }
        if let (text, node) = try top.scalarText("kernel-version-override") {
            guard let version = KernelVersion(parsing: text) else {
                throw top.fail(node, "kernel-version-override", "'\(text)' is not a kernel version like 4.9 or 5.10.0")
            }
            config.kernelVersionOverride = version
        }
        if let bypass = try top.mapping("bypass") {
            config.bypass.flowTableSize = try bypass.int(
                "flow-table-size",
                config.bypass.flowTableSize,
                in: 1...(1 << 26)
            )
            config.bypass.blockListSize = try bypass.int(
                "block-list-size",
                config.bypass.blockListSize,
                in: 1...(1 << 24)
            )
            config.bypass.pinPath = try bypass.string("pin-path", config.bypass.pinPath)
            try bypass.finish()
        }
        config.maxPendingPackets = try top.int("max-pending-packets", config.maxPendingPackets, in: 1...65_535)
        config.runMode = try top.optionalEnumeration("runmode", RunMode.self)
        if let threading = try top.mapping("threading") { try Self.decodeThreading(threading, into: &config) }
        config.hostMode = try top.enumeration("host-mode", config.hostMode)
        try top.finish()
        return config
    }

    private static func decodeVars(_ vars: MappingReader) throws(ConfigError) -> Vars {
        var result = Vars()
        if let groups = try vars.mapping("address-groups") {
            result.addressGroups = try Self.decodeGroups(groups, into: result.addressGroups)
        }
        if let groups = try vars.mapping("port-groups") {
            result.portGroups = try Self.decodeGroups(groups, into: result.portGroups)
        }
        try vars.finish()
        return result
    }

    /// Group values replace defaults of the same name and add new names; a YAML list is joined into
    /// Suricata's `[a,b]` text, numbers stay text.
    private static func decodeGroups(
        _ groups: MappingReader,
        into defaults: [(name: String, value: String)]
    ) throws(ConfigError) -> [(name: String, value: String)] {
        var result = defaults
        for entry in groups.node.entries ?? [] {
            groups.skip(entry.key)
            let text: String
            switch entry.node.value {
            case .scalar(let value, _): text = value
            case .sequence(let items):
                var parts: [String] = []
                for item in items {
                    guard let part = item.scalar else {
                        throw groups.fail(item, entry.key, "group list items must be single values")
                    }
                    parts.append(part)
                }
                text = "[" + parts.joined(separator: ",") + "]"
            case .null, .mapping:
                throw groups.fail(
                    entry.node,
                    entry.key,
                    "expected a value such as \"[10.0.0.0/8]\", found \(entry.node.kindName)"
                )
            }
            if let index = result.firstIndex(where: { $0.name == entry.key }) {
                result[index].value = text
            } else {
                result.append((entry.key, text))
            }
        }
        return result
    }

    private static func decodeAFPacket(
        _ items: [(node: ConfigNode, path: [String])],
        _ top: MappingReader
    ) throws(ConfigError) -> [AFPacketInterface] {
        var base = AFPacketInterface(interface: "default")
        var readers: [MappingReader] = []
        for item in items {
            let reader = try MappingReader(item.node, path: item.path, context: top.context)
            guard let (name, _) = try reader.scalarText("interface") else {
                throw ConfigError(
                    .badValue,
                    at: item.node.location,
                    key: item.path.joined(separator: "."),
                    "an af-packet entry needs an 'interface'"
                )
            }
            if name == "default" {
                base = try Self.decodeInterface(reader, base: base)
            } else {
                readers.append(reader)
            }
        }
        var result: [AFPacketInterface] = []
        for reader in readers {
            result.append(try Self.decodeInterface(reader, base: base))
        }
        return result
    }

    private static func decodeInterface(
        _ reader: MappingReader,
        base: AFPacketInterface
    ) throws(ConfigError) -> AFPacketInterface {
        var result = base
        result.interface = try reader.string("interface", base.interface)
        if let (text, node) = try reader.scalarText("threads") {
            if text.lowercased() == "auto" {
                result.threads = nil
            } else if let count = ConfigValueParser.integer(text), count >= 1, count <= 1024 {
                result.threads = Int(count)
            } else {
                throw reader.fail(node, "threads", "'\(text)' is not 'auto' or a thread count from 1 to 1024")
            }
        }
        result.clusterID = try reader.int("cluster-id", base.clusterID, in: 0...65_535)
        result.clusterType = try reader.enumeration("cluster-type", base.clusterType)
        result.defrag = try reader.bool("defrag", base.defrag)
        result.copyMode = try reader.enumeration("copy-mode", base.copyMode)
        result.copyInterface = try reader.optionalString("copy-iface") ?? base.copyInterface
        result.bypass = try reader.bool("bypass", base.bypass)
        result.xdpMode = try reader.enumeration("xdp-mode", base.xdpMode)
        result.xdpFilterFile = try reader.optionalString("xdp-filter-file") ?? base.xdpFilterFile
        result.ringSize = try reader.int("ring-size", base.ringSize, in: 1...(1 << 24))
        result.blockSize = Int(try reader.size("block-size", UInt64(base.blockSize), minimum: 4096))
        if reader.contains("block-timeout") {
            result.blockTimeout = try reader.int("block-timeout", AFPacketInterface.defaultBlockTimeout, in: 1...60_000)
        } else {
            result.blockTimeout = base.blockTimeout
        }
        result.useMmap = try reader.bool("use-mmap", base.useMmap)
        result.tpacketV3 = try reader.bool("tpacket-v3", base.tpacketV3)
        result.checksumChecks = try reader.enumeration("checksum-checks", base.checksumChecks)
        result.dedicated = try reader.bool("dedicated", base.dedicated)
        result.promiscuous = try reader.bool("promisc", base.promiscuous)
        if let (text, node) = try reader.scalarText("fail-mode") {
            guard let mode = AFPacketFailMode.parse(text) else {
                throw reader.fail(node, "fail-mode", "'\(text)' is not open or closed")
            }
            result.failMode = mode
        }
        result.heartbeatPeriod = try reader.int("heartbeat-period", base.heartbeatPeriod, in: 10...60_000)
        result.heartbeatTimeout = try reader.int("heartbeat-timeout", base.heartbeatTimeout, in: 20...600_000)
        if result.failMode != nil, result.copyMode == .none, result.interface != "default" {
            throw ConfigError(
                .badValue, at: reader.node.location, key: reader.dotted("fail-mode"),
                "fail-mode applies to copy-mode ips or tap pairs")
        }
        if result.heartbeatTimeout <= result.heartbeatPeriod {
            throw ConfigError(
                .badValue, at: reader.node.location, key: reader.dotted("heartbeat-timeout"),
                "heartbeat-timeout (\(result.heartbeatTimeout) ms) must be longer than heartbeat-period (\(result.heartbeatPeriod) ms)")
        }
        if result.copyMode != .none, result.copyInterface == nil, result.interface != "default" {
            throw ConfigError(
                .badValue,
                at: reader.node.location,
                key: reader.dotted("copy-iface"),
                "copy-mode \(result.copyMode.rawValue) needs a copy-iface"
            )
        }
        try reader.finish()
        return result
    }

    private static func decodeHostOSPolicy(_ reader: MappingReader) throws(ConfigError) -> [HostOSPolicyEntry] {
        guard case .mapping(let entries) = reader.node.value else { return [] }
        var out: [HostOSPolicyEntry] = []
        for entry in entries {
            let name = entry.key.lowercased()
            guard HostOSPolicyEntry.policyNames.contains(name) else {
                throw ConfigError(
                    .badValue, at: entry.keyLocation, key: reader.dotted(entry.key),
                    "unknown OS policy (one of \(HostOSPolicyEntry.policyNames.sorted().joined(separator: ", ")))")
            }
            out.append(HostOSPolicyEntry(policy: name, networks: try reader.stringList(entry.key) ?? []))
        }
        try reader.finish()
        return out
    }

    /// An exception policy value (`drop-flow`, `ignore` …) under `key`; `nil` when absent.
    static func exceptionPolicy(_ reader: MappingReader, _ key: String) throws(ConfigError) -> ExceptionPolicy? {
        guard let (text, node) = try reader.scalarText(key) else { return nil }
        guard let policy = ExceptionPolicy(configValue: text) else {
            throw reader.fail(
                node, key, "'\(text)' is not a valid exception policy (one of \(ExceptionPolicy.configChoices))")
        }
        return policy
    }

    private static func decodeStream(
        _ stream: MappingReader, policies: inout ExceptionPolicySettings
    ) throws(ConfigError) -> StreamSettings {
        var result = StreamSettings()
        policies.targets[.streamMemcap] = try Self.exceptionPolicy(stream, "memcap-policy")
        policies.targets[.streamMidstream] = try Self.exceptionPolicy(stream, "midstream-policy")
        result.enabled = try stream.bool("enabled", result.enabled)
        result.memcap = try stream.size("memcap", result.memcap)
        result.checksumValidation = try stream.bool("checksum-validation", result.checksumValidation)
        result.inline = try stream.enumeration("inline", result.inline)
        result.midstream = try stream.bool("midstream", result.midstream)
        result.asyncOneside = try stream.bool("async-oneside", result.asyncOneside)
        result.dropInvalid = try stream.bool("drop-invalid", result.dropInvalid)
        result.bypass = try stream.bool("bypass", result.bypass)
        result.preallocSessions = try stream.int("prealloc-sessions", result.preallocSessions, in: 0...(1 << 26))
        result.maxSynAckQueued = try stream.int("max-synack-queued", result.maxSynAckQueued, in: 0...255)
        result.maxSynQueued = try stream.int("max-syn-queued", result.maxSynQueued, in: 0...255)
        if let reassembly = try stream.mapping("reassembly") {
            var r = result.reassembly
            r.memcap = try reassembly.size("memcap", r.memcap)
            policies.targets[.streamReassemblyMemcap] = try Self.exceptionPolicy(reassembly, "memcap-policy")
            r.depth = try reassembly.size("depth", r.depth)
            r.toServerChunkSize = try reassembly.size("toserver-chunk-size", r.toServerChunkSize)
            r.toClientChunkSize = try reassembly.size("toclient-chunk-size", r.toClientChunkSize)
            r.randomizeChunkSize = try reassembly.bool("randomize-chunk-size", r.randomizeChunkSize)
            r.segmentPrealloc = try reassembly.int("segment-prealloc", r.segmentPrealloc, in: 0...(1 << 26))
            r.checkOverlapDifferentData = try reassembly.bool(
                "check-overlap-different-data", r.checkOverlapDifferentData)
            try reassembly.finish()
            result.reassembly = r
        }
        try stream.finish()
        return result
    }

    private static func decodeFlowTimeouts(_ reader: MappingReader) throws(ConfigError) -> FlowTimeoutSettings {
        var result = FlowTimeoutSettings()
        func read(_ name: String, _ base: FlowTimeouts) throws(ConfigError) -> FlowTimeouts {
            guard let section = try reader.mapping(name) else { return base }
            let limit = 0...(86_400 * 365)
            var t = base
            t.new = try section.int("new", base.new, in: limit)
            t.established = try section.int("established", base.established, in: limit)
            t.closed = try section.int("closed", base.closed, in: limit)
            t.bypassed = try section.int("bypassed", base.bypassed, in: limit)
            t.emergencyNew = try section.int("emergency-new", base.emergencyNew, in: limit)
            t.emergencyEstablished = try section.int("emergency-established", base.emergencyEstablished, in: limit)
            t.emergencyClosed = try section.int("emergency-closed", base.emergencyClosed, in: limit)
            t.emergencyBypassed = try section.int("emergency-bypassed", base.emergencyBypassed, in: limit)
            try section.finish()
            return t
        }
        result.default = try read("default", result.default)
        result.tcp = try read("tcp", result.tcp)
        result.udp = try read("udp", result.udp)
        result.icmp = try read("icmp", result.icmp)
        try reader.finish()
        return result
    }

    private static func decodeActionOrder(
        _ items: [(node: ConfigNode, path: [String])],
        _ top: MappingReader
    ) throws(ConfigError) -> [RuleAction] {
        var order: [RuleAction] = []
        for item in items {
            let key = item.path.joined(separator: ".")
            guard let text = item.node.scalar, let action = RuleAction.parse(text) else {
                throw ConfigError(
                    .badValue,
                    at: item.node.location,
                    key: key,
                    "'\(item.node.scalar ?? item.node.kindName)' is not one of \(RuleAction.choices)"
                )
            }
            guard !order.contains(action) else {
                throw ConfigError(.badValue, at: item.node.location, key: key, "'\(text)' is listed twice")
            }
            order.append(action)
        }
        let missing = RuleAction.allCases.filter { !order.contains($0) }
        if !missing.isEmpty {
            let at = top.node["action-order"]?.location ?? .builtIn
            throw ConfigError(
                .badValue,
                at: at,
                key: "action-order",
                "every action must be listed once; missing \(missing.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return order
    }

    private static func decodeAppLayer(_ appLayer: MappingReader) throws(ConfigError) -> AppLayerSettings {
        var result = AppLayerSettings()
        if let protocols = try appLayer.mapping("protocols") {
            for entry in protocols.node.entries ?? [] {
                guard let base = AppLayerSettings.defaultProtocols[entry.key] else { continue }
                guard let reader = try protocols.mapping(entry.key) else { continue }
                var settings = try Self.decodeProtocol(reader, base: base)
                for transport in ["tcp", "udp"] {
                    guard let sub = try reader.mapping(transport) else { continue }
                    settings.transports[transport] = try Self.decodeProtocol(sub, base: AppLayerProtocolSettings())
                    try sub.finish()
                    // Suricata's DNS keeps its ports per transport; expose them on the protocol as well.
                    if settings.detectionPorts.destination == base.detectionPorts.destination,
                        let ports = settings.transports[transport]?.detectionPorts.destination
                    {
                        settings.detectionPorts.destination = ports
                    }
                }
                try reader.finish()
                result.protocols[entry.key] = settings
            }
            try protocols.finish()
        }
        try appLayer.finish()
        return result
    }

    /// Scalars of a subtree as `prefix.key.sub` → value.
    static func flatten(_ node: ConfigNode, prefix: String, into out: inout [String: String]) {
        switch node.value {
        case .scalar(let text, _): out[prefix] = text
        case .mapping(let entries):
            for entry in entries { Self.flatten(entry.node, prefix: prefix + "." + entry.key, into: &out) }
        case .sequence(let items):
            for (i, item) in items.enumerated() { Self.flatten(item, prefix: prefix + ".\(i)", into: &out) }
        case .null: break
        }
    }

    private static func decodeProtocol(
        _ reader: MappingReader,
        base: AppLayerProtocolSettings
    ) throws(ConfigError) -> AppLayerProtocolSettings {
        var result = base
        result.enabled = try reader.enumeration("enabled", base.enabled)
        result.detectionEnabled = try reader.bool("detection-enabled", base.detectionEnabled)
        result.encryptionHandling = try reader.enumeration("encryption-handling", base.encryptionHandling)
        // Parser tuning is handed to the parser as flat keys (it knows its own options).
        for key in ["libhtp", "memcap", "byterange", "ja3-fingerprints", "ja4-fingerprints", "hassh", "max-tx"] {
            if let node = reader.node[key] { Self.flatten(node, prefix: key, into: &result.parserValues) }
        }
        // libhtp's options are checked one by one (the rest of the tuning keys stay Suricata keys).
        if reader.path.last == "http", let libhtp = try reader.mapping("libhtp") { try LibHTPSettings.check(libhtp) }
        if let ports = try reader.mapping("detection-ports") {
            func portText(_ key: String) throws(ConfigError) -> String? {
                guard let list = try ports.stringList(key) else { return nil }
                guard let node = ports.node[key], case .sequence = node.value else { return list.first }
                return "[" + list.joined(separator: ", ") + "]"
            }
            result.detectionPorts.destination = try portText("dp") ?? base.detectionPorts.destination
            result.detectionPorts.source = try portText("sp") ?? base.detectionPorts.source
            try ports.finish()
        }
        return result
    }
}
