// SPDX-License-Identifier: MIT
import CWeirLinux
import WeirAppLayer
import WeirConfig
import WeirCore
import WeirDecode
import WeirDetect
import WeirFlow
import WeirOutput
import WeirStream

/// The replay's open output files and the EVE writer feeding them.
final class ReplayOutputs {
    /// The first regular EVE file (the summary's and the crash flush's).
    let eve: FileSink?
    /// Every enabled eve-log: files, sockets, syslog, Redis.
    let eveOutputs: EVEOutputs?
    /// Written through for every record; no access to it overlaps another (renderers get the writer's own
    /// JSON buffer), so its exclusivity is not checked at run time.
    @exclusivity(unchecked) var eveWriter: EVEWriter<EVEOutputs>?
    /// What the EVE writer renders: every eve-log's record types together (see ``EVEOutputs``).
    let eveSettings: EVELogOutput?
    let fast: FileSink?
    /// fast.log's lines, written in batches (see ``LineBatch``).
    private let fastBatch: LineBatch?
    /// `stats.log`, when the `stats` output is enabled (and `stats.enabled` is on).
    let statsLog: FileSink?
    /// Whether EVE writes flow records, and the `community_id` seed when it writes community ids: read for every
    /// flow, kept apart from ``eveSettings`` (reading a field through that optional copied the whole settings).
    let logsFlows: Bool
    let communityIDSeed: UInt16?
    /// eve-log `ethernet: yes`: packet records carry the packet's `ether` object.
    let logsEthernet: Bool
    /// The anomaly records asked for (``anomalyKinds(_:)``), nil when none: checked once per packet.
    let anomalyKinds: (decode: Bool, stream: Bool, appLayer: Bool)?
    /// When and how counters are written (`stats.interval`, the eve-log `stats` type, stats.log).
    let stats: StatsReporter
    /// Each signature's `alert.metadata` object, rendered once at start-up, indexed by
    /// ``Alert/signatureIndex``; empty when `metadata` is off.
    var alertMetadata: [[UInt8]?] = []
    /// What each alert record carries (`types: - alert`), copied out of ``eveSettings`` once: binding the alert
    /// options per alert copied them, and they hold a string (`xff.header`). `nil` when EVE logs no alerts.
    let alertRecordOptions:
        (
            payload: Bool, payloadPrintable: Bool, payloadLength: Bool, payloadBufferSize: Int, packet: Bool,
            verdict: Bool, xff: EVEXFFOptions.Mode?
        )?
    /// Alerts carry their payload in some form (`payload`, `payload-printable` or `payload-length`); decided
    /// once (reading it through ``eveSettings`` per packet copied the alert options and their strings).
    let logsAlertPayload: Bool
    /// The interface the current packet came in on (EVE `in_iface`); `nil` for capture files.
    var inInterface: String?
    /// Records written per type, for the summary.
    var flowRecords: UInt64 = 0
    /// The run's exception policies, for the flow records' `exception_policy` entries.
    var exceptionPolicies = ExceptionPolicies()
    var alertRecords: UInt64 = 0
    var droppedPackets: UInt64 = 0
    var transactionRecords: UInt64 = 0

    /// Opens the outputs; `append` leaves existing files in place (further workers of one live capture,
    /// whose whole-record writes interleave in the files the first worker created), and `network` hands
    /// them the first worker's network outputs (one connection and one queue for all workers); `stats` and
    /// `sensorName` are the configuration's `stats` section and `sensor-name` (EVE `host`).
    init(
        directory: String, settings: OutputSettings, stats: StatsSettings = StatsSettings(), sensorName: String? = nil,
        append: Bool = false, network: [NetworkSink]? = nil, fileStore: FileStore? = nil,
        messages: MessageOutput? = nil
    ) throws(RuntimeError) {
        if settings.eveLogs.contains(where: \.enabled) {
            let outputs = try EVEOutputs(
                directory: directory, outputs: settings.eveLogs, append: append, network: network, messages: messages)
            self.eveOutputs = outputs
            self.eve = outputs.files.first
            self.eveWriter = EVEWriter(sink: outputs)
            self.eveWriter?.host = sensorName
            self.eveSettings = outputs.settings
        } else {
            self.eveOutputs = nil
            self.eve = nil
            self.eveWriter = nil
            self.eveSettings = nil
        }
        self.ownsNetwork = network == nil
        // One file store for all workers: the first opens it, the others are handed it (`network` says which).
        if let fileStore {
            self.fileStore = fileStore
        } else if network == nil && settings.fileStore.enabled {
            let configured = settings.fileStore.directory
            let path = configured.hasPrefix("/") ? configured : directory + "/" + configured
            let sink = messages ?? MessageOutput(sink: { FileDescriptorOutput.standardError.write($0) })
            do {
                try makeDirectories(path)
                self.fileStore = try FileStore(
                    directory: path, storesEveryFile: settings.fileStore.forceFilestore,
                    writesFileInfo: settings.fileStore.writeFileInfo, maxOpenFiles: settings.fileStore.maxOpenFiles,
                    warn: { sink.write($0) })
            } catch let error as FileStoreError {
                throw RuntimeError("file-store: \(error.message)")
            } catch {
                throw RuntimeError("file-store: \(error)")
            }
        } else {
            self.fileStore = nil
        }
        // The crash flush writes the pending batch to one file as it is: only when that file is the one EVE
        // output and has no prefix.
        if let outputs = self.eveOutputs, outputs.routes.count == 1, outputs.routes[0].prefix.isEmpty,
            let file = outputs.files.first
        {
            self.crashSlot = cweir_crash_flush_register(file.fd)
        } else {
            self.crashSlot = -1
        }
        if settings.fast.enabled {
            let fast = try FileSink(
                path: directory + "/" + settings.fast.filename, append: settings.fast.append || append)
            self.fast = fast
            self.fastBatch = LineBatch(sink: fast)
        } else {
            self.fast = nil
            self.fastBatch = nil
        }
        self.stats = StatsReporter(settings: stats, eve: self.eveSettings?.stats, log: settings.stats)
        self.anomalyKinds = Self.anomalyKinds(self.eveSettings)
        self.alertRecordOptions = self.eveSettings?.alert.map {
            (
                $0.payload, $0.payloadPrintable, $0.payloadLength, Int(min($0.payloadBufferSize, 1 << 30)),
                $0.packet, $0.verdict, $0.xff?.mode
            )
        }
        self.logsFlows = self.eveSettings?.flow == true
        self.logsAlertPayload = self.eveSettings?.alert?.logsPayload == true
        self.communityIDSeed = self.eveSettings?.communityID == true ? self.eveSettings?.communityIDSeed : nil
        self.logsEthernet = self.eveSettings?.ethernet == true
        if stats.enabled && settings.stats.enabled {
            self.statsLog = try FileSink(
                path: directory + "/" + settings.stats.filename, append: settings.stats.append || append)
        } else {
            self.statsLog = nil
        }
    }

    /// The EVE writer's crash-flush slot: after each record the complete records still in its batch are
    /// published, so a fatal signal writes them out before the process dies (-1: none).
    let crashSlot: Int32

    /// Whether these outputs opened their network sinks (not another worker's shared ones).
    private(set) var ownsNetwork = true

    deinit {
        if self.crashSlot >= 0 { cweir_crash_flush_unregister(self.crashSlot) }
        // A run that ended without ``closeNetwork()`` (an in-process caller, an error path) still stops the
        // writer threads; after a close this returns at once.
        if self.ownsNetwork { self.closeNetwork() }
    }

    /// Publishes the EVE batch's complete records for the crash flush; called after every record.
    @inline(__always)
    func publishPending() {
        guard self.crashSlot >= 0 else { return }
        let slot = self.crashSlot
        self.eveWriter?.withPendingBytes { cweir_crash_flush_publish(slot, $0.baseAddress, $0.count) }
    }

    var writeError: String? {
        for file in self.eveOutputs?.files ?? [] { if let error = file.writeError { return error } }
        return self.fast?.writeError ?? self.statsLog?.writeError
    }

    /// Writes the EVE `flow` record of a flow that ended.
    func writeFlow(
        _ flow: Flow, reason: FlowEndReason, appProto: String? = nil,
        directions: (toServer: String, toClient: String)? = nil, originalAppProto: String? = nil,
        stream: TCPStreamFacts? = nil, transactions: UInt64 = 0
    ) {
        guard self.logsFlows else { return }
        // The header is built inside the record and completed there: a header value of its own was copied into
        // the record and destroyed (two copies of its strings and lists per flow).
        var record = EVEFlowRecord(
            header: EVEHeader(
                timestamp: flow.last, flowID: flow.flowID, sourceIP: flow.clientAddress,
                sourcePort: Self.hasPorts(flow.key.proto) ? flow.clientPort : nil,
                destinationIP: flow.serverAddress,
                destinationPort: Self.hasPorts(flow.key.proto) ? flow.serverPort : nil,
                ipProtocol: flow.key.proto),
            start: flow.start, end: flow.last, state: Self.state(flow.state), reason: Self.reason(reason))
        record.header.ipVersion = flow.clientAddress.isIPv4 ? 4 : 6
        for index in 0..<Int(flow.vlanCount) { record.header.vlan.append(flow.vlanID(at: index)) }
        if Self.isICMP(flow.key.proto) {
            // As Suricata: the first packet's type and code, and when the other side answered, the type's
            // counterpart (0 when it has none) with code 0.
            record.header.icmpType = flow.icmpType
            record.header.icmpCode = flow.icmpCode
            if flow.packetsToClient > 0 {
                record.header.responseICMPType =
                    CommunityID.icmpCounterpart(of: flow.icmpType, ipProtocol: flow.key.proto) ?? 0
                record.header.responseICMPCode = 0
            }
        }
        if flow.key.proto == IPProtocol.esp {
            // The key holds the SPI in its port fields, unordered (the flow is one way).
            record.spi = UInt32(flow.key.firstPort) << 16 | UInt32(flow.key.secondPort)
        }
        record.header.communityID = self.communityID(of: flow)
        record.packetsToServer = flow.packetsToServer
        record.packetsToClient = flow.packetsToClient
        record.bytesToServer = flow.bytesToServer
        record.bytesToClient = flow.bytesToClient
        record.alerted = flow.alerted
        record.appProto = appProto
        if let directions {
            record.appProtoToServer = directions.toServer
            record.appProtoToClient = directions.toClient
        }
        record.appProtoOriginal = originalAppProto
        switch flow.bypass {
        case .local: record.bypass = .local
        case .capture:
            // Suricata's shape: the totals include the kernel's share, which `bypassed` also shows alone.
            record.bypass = .capture
            record.bypassed = EVEFlowCounters(
                packetsToServer: flow.bypassedPacketsToServer, packetsToClient: flow.bypassedPacketsToClient,
                bytesToServer: flow.bypassedBytesToServer, bytesToClient: flow.bypassedBytesToClient)
            record.packetsToServer += flow.bypassedPacketsToServer
            record.packetsToClient += flow.bypassedPacketsToClient
            record.bytesToServer += flow.bypassedBytesToServer
            record.bytesToClient += flow.bypassedBytesToClient
        case nil: break
        }
        if flow.isDropped {
            record.action = .drop
        } else if flow.isPassed {
            record.action = .pass
        }
        for target in flow.exceptions.targets {
            record.exceptionPolicies.append(
                EVEExceptionPolicy(target: target.eveName, policy: self.exceptionPolicies[target].eveName))
        }
        if flow.key.proto == 6 {
            record.tcp = EVETCPInfo(
                flags: flow.tcpFlagsToServer | flow.tcpFlagsToClient, flagsToServer: flow.tcpFlagsToServer,
                flagsToClient: flow.tcpFlagsToClient, state: Self.tcpState(flow.tcpState))
            if let stream {
                record.tcp?.gapToServer = stream.gapToServer
                record.tcp?.gapToClient = stream.gapToClient
                record.tcp?.maxRegionsToServer = stream.maxRegionsToServer
                record.tcp?.maxRegionsToClient = stream.maxRegionsToClient
            }
        }
        record.transactionCount = transactions
        self.eveWriter?.write(record)
        self.publishPending()
        self.flowRecords += 1
    }

    /// `community_id` of a flow's records when the EVE output asks for it; `nil` otherwise. ICMP flows hash the
    /// type of their first packet and its counterpart, as Suricata does (``CommunityID/v1(icmpFlowFrom:to:ipProtocol:type:seed:)``).
    func communityID(of flow: Flow) -> String? {
        guard let seed = self.communityIDSeed else { return nil }
        if Self.isICMP(flow.key.proto) {
            return CommunityID.v1(
                icmpFlowFrom: flow.clientAddress, to: flow.serverAddress, ipProtocol: flow.key.proto,
                type: flow.icmpType, seed: seed)
        }
        return CommunityID.v1(
            source: flow.clientAddress, destination: flow.serverAddress, ipProtocol: flow.key.proto,
            sourcePort: flow.clientPort, destinationPort: flow.serverPort, seed: seed)
    }

    /// ``StatsReporter/isDueNow()``, asked through this object so that the replay loop's check borrows the
    /// reporter (the pipeline reading `outputs.stats` itself retains and releases it).
    func statsDueNow() -> Bool { self.stats.isDueNow() }

    static func isICMP(_ proto: UInt8) -> Bool { proto == IPProtocol.icmp || proto == IPProtocol.icmpv6 }

    /// `community_id` of a flow-based record when the EVE output asks for it; `nil` otherwise.
    func communityID(_ source: IPAddress, _ destination: IPAddress, _ proto: UInt8, _ sport: UInt16, _ dport: UInt16)
        -> String?
    {
        guard let seed = self.communityIDSeed else { return nil }
        return CommunityID.v1(
            source: source, destination: destination, ipProtocol: proto, sourcePort: sport, destinationPort: dport,
            seed: seed)
    }

    /// Adds `in_iface` (live capture) and `community_id` to a packet record's header: the flow's (so every
    /// record of a flow carries the same one), or without a flow the packet's own (ICMP: its type and code).
    func addPacketFields(to header: inout EVEHeader, packet: Packet, flow: Flow?) {
        header.inInterface = self.inInterface
        guard self.communityIDSeed != nil, packet.ipVersion != 0 else { return }
        let icmp = packet.l4Protocol == IPProtocol.icmp || packet.l4Protocol == IPProtocol.icmpv6
        if let flow {
            header.communityID = self.communityID(of: flow)
        } else if icmp {
            header.communityID = self.communityID(
                packet.source, packet.destination, packet.l4Protocol, UInt16(packet.icmpType), UInt16(packet.icmpCode))
        } else {
            let ports = Self.hasPorts(packet)
            header.communityID = self.communityID(
                packet.source, packet.destination, packet.l4Protocol, ports ? packet.sourcePort : 0,
                ports ? packet.destinationPort : 0)
        }
    }

    /// Whether EVE prints ports for a packet: TCP, UDP and SCTP with their header decoded (Suricata's
    /// `JsonAddrInfoInit`).
    /// With `ethernet: yes`, the packet's Ethernet header as `ether` (Suricata's packet records: a packet decoded
    /// from an Ethernet header, so not a rebuilt datagram, which is decoded from its IP header).
    func addEther(to header: inout EVEHeader, packet: Packet, frame: UnsafeRawBufferPointer) {
        guard self.logsEthernet, packet.linkType == .ethernet, !packet.isReassembled else { return }
        let start = min(max(0, packet.frameStart), frame.count)
        header.ether = EVEEther(frame: UnsafeRawBufferPointer(rebasing: frame[start...]))
    }

    static func hasPorts(_ packet: Packet) -> Bool {
        packet.hasL4 && Self.hasPorts(packet.l4Protocol)
    }

    /// Whether EVE prints ports for a protocol: TCP, UDP and SCTP.
    static func hasPorts(_ proto: UInt8) -> Bool {
        proto == IPProtocol.tcp || proto == IPProtocol.udp || proto == IPProtocol.sctp
    }

    /// The EVE header of a packet-level record (alert, drop): the packet's own addresses and ports.
    /// The EVE `pkt_src` of a packet: the wire, a tunnel decoder, or defragmentation.
    static func packetSource(_ packet: Packet) -> EVEPacketSource {
        if packet.isReassembled { return .defrag }
        guard packet.tunnelOrigin != nil else { return .wire }
        switch packet.tunnelDecoder {
        case .gre: return .greTunnel
        case .ipv4: return .ipv4Tunnel
        case .ipv6: return .ipv6Tunnel
        case .teredo: return .teredoTunnel
        case .vxlan: return .vxlan
        case .geneve: return .geneve
        }
    }

    /// A packet's `pcap_cnt`: none for one decoded from a tunnel (its `tunnel` object carries the root's).
    static func pcapCount(_ packet: Packet) -> UInt64? {
        packet.tunnelOrigin == nil ? packet.packetNumber : nil
    }

    static func header(for packet: Packet, flow: Flow?) -> EVEHeader {
        var header = Self.baseHeader(for: packet, flow: flow)
        Self.completeHeader(&header, for: packet)
        return header
    }

    /// The header's fields set at creation (``completeHeader(_:for:)`` sets the rest in place).
    @inline(__always)
    static func baseHeader(for packet: Packet, flow: Flow?) -> EVEHeader {
        let ports = Self.hasPorts(packet)
        return EVEHeader(
            timestamp: packet.timestamp, flowID: flow?.flowID, sourceIP: packet.source,
            sourcePort: ports ? packet.sourcePort : nil, destinationIP: packet.destination,
            destinationPort: ports ? packet.destinationPort : nil, ipProtocol: packet.l4Protocol)
    }

    /// Sets the packet's fields of a header made by ``baseHeader(for:flow:)``, in place: completing a header
    /// value of its own and moving it into a record copied it and destroyed the original (once per alert).
    static func completeHeader(_ header: inout EVEHeader, for packet: Packet) {
        // As Suricata: a packet decoded from a tunnel has no `pcap_cnt` of its own (its `tunnel` object carries the
        // root's); a reassembled one keeps the number of the fragment that completed it.
        header.pcapCount = Self.pcapCount(packet)
        header.packetSource = Self.packetSource(packet)
        header.ipVersion = packet.ipVersion == 4 || packet.ipVersion == 6 ? packet.ipVersion : 0
        header.hasAddresses = header.ipVersion != 0
        for index in 0..<Int(packet.vlanCount) { header.vlan.append(packet.vlanID(at: index)) }
        if packet.hasL4 && (packet.l4Protocol == IPProtocol.icmp || packet.l4Protocol == IPProtocol.icmpv6) {
            header.icmpType = packet.icmpType
            header.icmpCode = packet.icmpCode
        }
    }

    /// A flow's flowbits and flowints as the alert's `metadata` object, nil when it has none.
    static func flowVariables(_ detect: DetectContext?, slot: Int32, flowID: UInt64) -> [UInt8]? {
        guard let detect else { return nil }
        let (bits, ints) = detect.flowVariables(slot: slot, flowID: flowID)
        return EVEHeader.flowVariablesJSON(flowbits: bits, flowints: ints)
    }

    /// The anomaly kinds an eve-log asks for (`types.anomaly`), nil when none.
    static func anomalyKinds(_ eve: EVELogOutput?) -> (decode: Bool, stream: Bool, appLayer: Bool)? {
        guard let options = eve?.anomaly, options.enabled, options.decode || options.stream || options.appLayer
        else { return nil }
        return (options.decode, options.stream, options.appLayer)
    }

    /// Writes the packet's anomalies as EVE `anomaly` records, as Suricata's anomaly logger: one per decode
    /// event (`type: decode`, `event: decoder.…`), per stream event (`type: stream`, `event: stream.…`) and per
    /// app-layer event (`type: applayer`, with `app_proto` and the `layer` that raised it), as configured.
    func writeAnomalies(
        packet: Packet, frame: UnsafeRawBufferPointer, flow: Flow?, streamEvents: StreamEventSet?, appEvents: [String],
        appProto: String?
    ) {
        guard let kinds = self.anomalyKinds, self.eveWriter != nil else { return }
        let packetHeader = self.eveSettings?.anomaly?.packetHeader == true
        func write(type: StaticString, event: String, appProto: String? = nil, layer: StaticString? = nil) {
            var header = Self.header(for: packet, flow: flow)
            self.addPacketFields(to: &header, packet: packet, flow: flow)
            self.addEther(to: &header, packet: packet, frame: frame)
            self.eveWriter?.write { w in
                w.writeHeader(header, eventName: "anomaly")
                w.beginObject("anomaly")
                if let appProto { w.field("app_proto", appProto) }
                w.field("type", type)
                w.field("event", event)
                if let layer { w.field("layer", layer) }
                w.endObject()
                if packetHeader && frame.count > 0 {
                    // As Suricata: the first 32 bytes of the packet.
                    let start = min(max(0, packet.frameStart), frame.count)
                    w.key("packet")
                    w.base64(UnsafeRawBufferPointer(rebasing: frame[start..<min(frame.count, start + 32)]))
                    w.packetInfo(linkType: Int(packet.linkType.rawValue))
                }
            }
            self.publishPending()
        }
        if kinds.decode {
            packet.events.forEach { event in
                write(type: "decode", event: event == .tooManyLayers ? "decoder.too_many_layers" : "decoder." + event.name)
            }
        }
        if kinds.stream, let streamEvents, !streamEvents.isEmpty {
            for event in streamEvents.elements { write(type: "stream", event: event.statsName) }
        }
        if kinds.appLayer, let appProto {
            for name in appEvents {
                // `proto.event` comes from a parser; a name without its protocol is the framework's own.
                if name.contains(".") {
                    write(
                        type: "applayer", event: Self.appLayerEventName(name, appProto: appProto), appProto: appProto,
                        layer: "proto_parser")
                } else {
                    write(type: "applayer", event: name.uppercased(), appProto: appProto, layer: "proto_detect")
                }
            }
        }
    }

    /// A parser event's name as Suricata logs it, from its name in the protocol's event table: upper case for
    /// the tables written in C (HTTP, TLS), lower case for the Rust parsers' (DNS, SSH). Rules match either.
    static func appLayerEventName(_ name: String, appProto: String) -> String {
        guard let dot = name.firstIndex(of: ".") else { return name.uppercased() }
        let event = String(name[name.index(after: dot)...])
        return appProto == "http" || appProto == "tls" ? event.uppercased() : event
    }

    /// An `anomaly` record for an event a parser set on a transaction (`layer: proto_parser`, with `tx_id`).
    func writeAppLayerAnomaly(
        header: EVEHeader, reversed: Bool, event: String, appProto: String, txID: UInt64, packetFields: Bool
    ) {
        self.eveWriter?.write { w in
            w.writeHeader(header, eventName: "anomaly", packetFields: packetFields, reversed: reversed)
            w.field("tx_id", txID)
            w.beginObject("anomaly")
            w.field("app_proto", appProto)
            w.field("type", "applayer")
            w.field("event", Self.appLayerEventName(event, appProto: appProto))
            w.field("layer", "proto_parser")
            w.endObject()
        }
        self.publishPending()
    }

    /// Writes an EVE `drop` record for a packet an IPS verdict dropped, as Suricata's `drop` output. With
    /// `flows: start`, a packet of a dropped flow is logged once per direction, and one a rule dropped always;
    /// with `flows: all` every one. `reason` is `drop.reason`; `cause` is the alert of the rule that dropped the
    /// packet, written as `alert{…}` with `alerts: yes`.
    func writeDrop(
        packet: Packet, flow: inout Flow?, toServer: Bool, reason: DropReason, cause: Alert? = nil,
        verdict: PacketVerdict? = nil
    ) {
        self.droppedPackets += 1
        guard let options = self.eveSettings?.drop else { return }
        if options.flows == .start, var f = flow {
            let logged = toServer ? f.dropLoggedToServer : f.dropLoggedToClient
            let firstOfFlow = f.isDropped && !logged
            if !firstOfFlow && (reason == .flowDrop || reason == .exceptionPolicyFlowDrop) { return }
            if f.isDropped && !logged {
                if toServer { f.dropLoggedToServer = true } else { f.dropLoggedToClient = true }
                flow = f
            }
        }
        var header = Self.header(for: packet, flow: flow)
        self.addPacketFields(to: &header, packet: packet, flow: flow)
        var record = EVEDropRecord(
            header: header, length: UInt32(clamping: packet.ipTotalLength),
            tos: packet.tos, ttl: packet.ttl, ipID: UInt16(truncatingIfNeeded: packet.ipID))
        if packet.isTCP {
            record.tcp = EVEDropRecord.TCPFields(
                sequence: packet.tcpSequence, acknowledgement: packet.tcpAcknowledgement, window: packet.tcpWindow,
                flags: packet.tcpFlags, reserved: 0, urgentPointer: 0)
        } else if packet.isUDP {
            record.udpLength = UInt16(clamping: packet.payloadLength + 8)
        } else if packet.hasL4 && packet.icmpHasIDAndSequence {
            record.icmpID = packet.icmpID
            record.icmpSequence = packet.icmpSequence
        }
        record.reason = reason.rawValue
        if options.alerts, let cause { record.alert = self.eveAlert(for: cause, inline: true) }
        if options.verdict, let verdict {
            record.verdict = Self.eveVerdict(verdict, packet: packet, inline: true)
        }
        self.eveWriter?.write(record)
        self.publishPending()
    }

    /// The `alert{…}` object of an alert record (or of a drop record with `alerts: yes`).
    private func eveAlert(for alert: Alert, inline: Bool) -> EVEAlert {
        let blocked = alert.isBlocking && inline
        let metadata =
            alert.signatureIndex >= 0 && alert.signatureIndex < self.alertMetadata.count
            ? self.alertMetadata[alert.signatureIndex] : nil
        // Made whole in one expression: setting a field afterwards copied and destroyed the whole value.
        return EVEAlert(
            action: blocked ? .blocked : .allowed, gid: alert.gid, signatureID: alert.sid, rev: alert.rev,
            signature: alert.message, category: alert.category, severity: UInt32(max(alert.severity, 0)),
            metadataJSON: metadata)
    }

    /// fast.log's date and time text of the current second.
    private let fastTime = FastLogFormatter.SecondsText()

    /// Writes one alert to EVE (`alert` record) and fast.log. `streamPayload` is the stream data logged as the
    /// payload of an alert that matched the stream (`stream: 1`); `source` is the packet's `pkt_src`.
    func writeAlert(
        _ alert: Alert, packet: Packet, frame: UnsafeRawBufferPointer, flow: Flow?, toServer: Bool,
        dropped: Bool, inline: Bool, streamPayload: [UInt8]? = nil, source: EVEPacketSource = .wire,
        appProto: String? = nil, appLayerMembers: [UInt8]? = nil, verdict: PacketVerdict? = nil,
        flowVariables: [UInt8]? = nil, forwardedFor: String? = nil
    ) {
        let ports = Self.hasPorts(packet)
        // One record value, filled in place: fast.log reads its header and alert object, EVE writes it whole.
        var record = EVEAlertRecord(
            header: Self.baseHeader(for: packet, flow: flow), alert: self.eveAlert(for: alert, inline: inline))
        Self.completeHeader(&record.header, for: packet)
        if source != .wire { record.header.packetSource = source }
        self.addPacketFields(to: &record.header, packet: packet, flow: flow)
        self.addEther(to: &record.header, packet: packet, frame: frame)
        if self.eveSettings?.metadata != false { record.header.flowVariablesJSON = flowVariables }
        if let fast = self.fastBatch {
            let marker: FastLogFormatter.DropMarker =
                alert.isBlocking ? (inline ? .dropped : .wouldDrop) : .none
            // The packet's own bytes, for the line of a packet without addresses.
            let start = min(max(0, packet.frameStart), frame.count)
            let raw = UnsafeRawBufferPointer(rebasing: frame[start...])
            if let out = fast.reserve(FastLogFormatter.lineBound(header: record.header, alert: record.alert)) {
                fast.commit(
                    FastLogFormatter.write(
                        header: record.header, alert: record.alert, marker: marker, rawPacket: raw, at: out,
                        time: self.fastTime))
            } else {
                var line: [UInt8] = []
                FastLogFormatter.append(
                    header: record.header, alert: record.alert, marker: marker, rawPacket: raw, to: &line)
                line.withUnsafeBytes { fast.append($0) }
            }
        }
        if let alertOptions = self.alertRecordOptions {
            record.transactionID = alert.txID
            record.appProto = appProto
            record.appLayerMembers = appLayerMembers
            if let flow {
                record.direction = toServer ? .toServer : .toClient
                record.flow = EVEAlertFlow(
                    counters: EVEFlowCounters(
                        packetsToServer: flow.packetsToServer, packetsToClient: flow.packetsToClient,
                        bytesToServer: flow.bytesToServer, bytesToClient: flow.bytesToClient),
                    start: flow.start, sourceIP: flow.clientAddress, destinationIP: flow.serverAddress,
                    sourcePort: ports ? flow.clientPort : nil, destinationPort: ports ? flow.serverPort : nil)
            }
            if alertOptions.payload || alertOptions.payloadPrintable || alertOptions.payloadLength {
                if let streamPayload {
                    record.payload = streamPayload
                    // Stream data up to `payload-buffer-size`, as Suricata's payload buffer holds.
                    let excess = streamPayload.count - alertOptions.payloadBufferSize
                    if excess > 0 { record.payload?.removeLast(excess) }
                    record.payloadIsStream = true
                } else {
                    let start = max(0, min(packet.payloadOffset, frame.count))
                    let end = min(frame.count, start + max(0, packet.payloadLength))
                    record.payload = Array(frame[start..<end])
                }
                record.payloadBase64 = alertOptions.payload
                record.payloadPrintable = alertOptions.payloadPrintable
                record.payloadLength = alertOptions.payloadLength
            }
            if let origin = packet.tunnelOrigin {
                record.tunnel = EVETunnel(
                    sourceIP: origin.source, sourcePort: origin.sourcePort, destinationIP: origin.destination,
                    destinationPort: origin.destinationPort, ipProtocol: origin.proto, depth: packet.tunnelDepth,
                    pcapCount: origin.packetNumber)
            }
            if alertOptions.packet && frame.count > 0 {
                // A tunnelled packet is its own bytes, as raw IP or Ethernet from where its tunnel put it.
                let start = min(max(0, packet.frameStart), frame.count)
                record.packet = Array(frame[start...])
                record.linkType = Int(packet.linkType.rawValue)
            }
            if alertOptions.verdict, let verdict {
                record.verdict = Self.eveVerdict(verdict, packet: packet, inline: inline)
            }
            // Suricata's alert XFF: the address as `alert.xff`, or in place of the packet's source address (of its
            // destination for a packet to the client).
            if let forwardedFor, let mode = alertOptions.xff {
                if mode == .extraData {
                    self.eveWriter?.write(record, xff: forwardedFor)
                } else {
                    if let address = IPAddress(forwardedFor) {
                        if toServer { record.header.sourceIP = address } else { record.header.destinationIP = address }
                    }
                    self.eveWriter?.write(record)
                }
            } else {
                self.eveWriter?.write(record)
            }
            self.publishPending()
        }
        self.alertRecords += 1
    }

    /// `detect.engines` for the stats records: the detection engine's last load or reload (live capture
    /// sets it at start and after each reload; empty leaves the object out).
    var detectEngines: [EVEDetectEngine] = []

    /// Writes a `stats` record (``StatsReporter`` decides when and what), with ``detectEngines`` under `detect`
    /// when the record carries totals.
    func writeStats(_ record: EVEStatsRecord) {
        guard self.eveSettings?.stats != nil else { return }
        var record = record
        if !record.counters.isEmpty { record.detectEngines = self.detectEngines }
        self.eveWriter?.write(record)
        self.publishPending()
    }

    /// Appends a stats.log block, whole.
    func writeStatsLog(_ block: String) {
        guard let log = self.statsLog else { return }
        let bytes = Array(block.utf8)
        bytes.withUnsafeBytes { log.write($0) }
        log.flush()
    }

    func flush() {
        self.eveWriter?.flush()
        self.publishPending()
        self.fastBatch?.flush()
    }

    /// Log rotation: whatever is buffered goes to the old files, then each file is opened again at its path.
    /// Returns the problems (the old file stays in use for each).
    func reopen() -> [String] {
        self.flush()
        var problems: [String] = []
        for sink in (self.eveOutputs?.files ?? []) + [self.fast, self.statsLog].compactMap({ $0 }) {
            do { try sink.reopen() } catch { problems.append(error.message) }
        }
        // Sockets, syslog and Redis connect again (the queue is kept).
        for sink in self.eveOutputs?.network ?? [] { sink.reconnect() }
        return problems
    }

    /// The packet's `verdict` as Suricata words it: a reject is `drop` in IPS mode (`alert` otherwise) with
    /// its target and reply; a drop is `drop` in IPS mode; a pass rule's packet is `pass`; anything else `alert`.
    static func eveVerdict(_ verdict: PacketVerdict, packet: Packet, inline: Bool) -> EVEVerdict {
        if verdict.reject {
            let target: String
            switch verdict.rejectTarget {
            case .source: target = "to_client"
            case .destination: target = "to_server"
            case .both: target = "both"
            }
            let reply: [String]
            switch packet.l4Protocol {
            case IPProtocol.tcp: reply = ["tcp-reset"]
            case IPProtocol.udp, IPProtocol.icmp, IPProtocol.icmpv6: reply = ["icmp-prohib"]
            default: reply = []
            }
            return EVEVerdict(action: inline ? "drop" : "alert", rejectTarget: target, reject: reply)
        }
        if verdict.drop && inline { return EVEVerdict(action: "drop") }
        return EVEVerdict(action: verdict.pass ? "pass" : "alert")
    }

    /// The network outputs (shared by the workers of a live capture).
    var networkSinks: [NetworkSink] { self.eveOutputs?.network ?? [] }

    /// `file-store` (version 2), shared by the workers; nil when it is not enabled.
    let fileStore: FileStore?

    /// The network outputs' Weir-only counters: `eve_log.N.FILETYPE.records_written`, `.records_dropped` and
    /// `.reconnects` (N: the entry's place among the eve-logs), for the run's counters.
    var networkCounters: [(String, UInt64)] {
        guard let outputs = self.eveOutputs else { return [] }
        return zip(outputs.network, outputs.networkNames).flatMap { $0.namedCounters(prefix: $1) }
    }

    /// Ends the network outputs: what is queued is sent (for up to a few seconds), the rest is counted as dropped.
    func closeNetwork() {
        for sink in self.networkSinks { sink.close() }
    }

    static func state(_ s: FlowState) -> EVEFlowState {
        switch s {
        case .new: return .new
        case .established: return .established
        case .closed: return .closed
        case .bypassed: return .bypassed
        }
    }

    static func reason(_ r: FlowEndReason) -> EVEFlowEndReason {
        switch r {
        case .timeout: return .timeout
        case .forced: return .forced
        case .shutdown: return .shutdown
        }
    }

    static func tcpState(_ s: TCPState) -> EVETCPState? {
        switch s {
        case .none: return nil
        case .synSent: return .synSent
        case .synReceived: return .synReceived
        case .established: return .established
        case .finWait1: return .finWait1
        case .finWait2: return .finWait2
        case .closeWait: return .closeWait
        case .closing: return .closing
        case .lastAck: return .lastAck
        case .timeWait: return .timeWait
        case .closed: return .closed
        }
    }
}
