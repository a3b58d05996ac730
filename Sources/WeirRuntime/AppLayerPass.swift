// SPDX-License-Identifier: MIT
import Glibc
import WeirAppLayer
import WeirConfig
import WeirCore
import WeirDecode
import WeirDetect
import WeirFlow
import WeirOutput
import WeirStream

/// The app-layer stage as the pipeline runs it: feeds it the stream engine's ordered chunks (and UDP
/// datagrams), runs transaction detection for each packet, and writes the transaction records (`http`,
/// `fileinfo`). One per worker; the pipeline holds it as one value and calls it at three points: after the
/// stream engine, after packet detection, and when a flow ends.
final class AppLayerPass {
    let stage: AppLayerStage
    var detect: DetectContext?
    let outputs: ReplayOutputs
    /// Write `http` records, `fileinfo` records, and the app-layer object in alerts.
    let logTransactions: Bool
    /// Protocols whose transactions get an EVE record (`types: - http`, `- dns`, `- tls`, `- ssh`). A short list,
    /// HTTP first: asked per logged transaction, where hashing the name cost more than comparing a few.
    let loggedProtocols: [String]
    /// What DNS records carry (`types: - dns:` `requests`, `responses`, `types`, `formats`), and their format
    /// version (3, or Suricata 8's deprecated 2).
    let dnsFilter: DNSLogFilter
    let dnsVersion: Int
    /// Protocols whose object goes into alerts on their transactions (`alert: http/tls/ssh/dns`), HTTP first.
    let alertProtocols: [String]
    let logFiles: Bool
    /// `anomaly` records for the parsers' transaction events (`types: applayer`).
    let logTransactionAnomalies: Bool
    let alertAppLayer: Bool
    /// `force-hash` names the `fileinfo` records carry.
    let hashes: Set<String>
    /// `file-store`: files the parsers stored are moved into place here when their transaction is done.
    let fileStore: FileStore?
    /// The pipeline's stream engine (it owns both): a transaction alert on a TCP flow logs the stream as its
    /// `payload`, as Suricata does for a state match.
    var streamEngine: StreamEngine?
    /// `xff` of the alert and http record types, when enabled.
    let alertXFF: EVEXFFOptions?
    let httpXFF: EVEXFFOptions?
    /// `http: dump-all-headers`: the directions whose headers `http` records list; `custom`: the headers (lowercase
    /// names) they list of the other directions.
    let headerArrays: (request: Bool, response: Bool)
    let customHeaders: [String]
    /// Whether `http` records list any headers (either of the two above).
    let writesHeaderArrays: Bool
    /// Alerts of one transaction inspection (storage reused).
    private var txAlerts: [Alert] = []
    /// Renders app-layer objects for alerts.
    private let scratch = JSONWriter(capacity: 2048)

    init(configuration: WeirConfiguration, engine: DetectEngine?, detect: DetectContext?, outputs: ReplayOutputs) {
        var settings = AppLayerStageSettings()
        settings.midstream = configuration.stream.midstream
        // Only `force-filestore` stores files: the `filestore` rule keyword is not supported (start-up says so).
        settings.fileStore = outputs.fileStore?.storesEveryFile == true ? outputs.fileStore : nil
        // Every eve-log's record types together (their union, as the records are rendered once for all).
        let eve = outputs.eveSettings
        // Digests `force-hash` asks for, and those loaded `filemd5`/`filesha1`/`filesha256` rules compare
        // (Suricata turns hashing on for such rules, and `fileinfo` then logs them too).
        // `file-store` forces SHA-256 (a stored file is named by it) and adds its own `force-hash` list.
        let fileStore = outputs.fileStore
        var forcedHashes = Set((eve?.files?.forceHash ?? []).map { $0.lowercased() })
        if fileStore != nil {
            forcedHashes.insert("sha256")
            forcedHashes.formUnion(configuration.outputs.fileStore.forceHash.map { $0.lowercased() })
        }
        let forceHash = forcedHashes.union(engine?.fileHashesNeeded ?? [])
        for (name, proto) in configuration.appLayer.protocols {
            switch proto.enabled {
            case .yes: settings.modes[name] = .parse
            case .no: settings.modes[name] = .disabled
            case .detectionOnly: settings.modes[name] = .detectionOnly
            }
            if let ports = proto.detectionPorts.destination { settings.detectionPorts[name] = ports }
            var values = proto.parserValues
            if !forceHash.isEmpty { values["force-hash"] = "yes" }
            if forcedHashes.contains("sha256") { values["force-sha256"] = "yes" }
            values["encryption-handling"] = proto.encryptionHandling.rawValue
            if name == "tls", let tls = eve?.tls { values["eve-fields"] = Self.tlsFieldNames(tls).joined(separator: ",") }
            settings.parserValues[name] = values
        }
        self.stage = AppLayerStage(settings: settings)
        self.detect = detect
        self.outputs = outputs
        var logged: [String] = []
        if eve?.http != nil { logged.append("http") }
        if let dns = eve?.dns, dns.enabled { logged.append("dns") }
        if eve?.tls != nil { logged.append("tls") }
        if let ssh = eve?.ssh, ssh.enabled { logged.append("ssh") }
        self.loggedProtocols = logged
        let dnsOptions = eve?.dns ?? EVEDNSOptions()
        self.dnsFilter = DNSLogFilter(
            requests: dnsOptions.requests, responses: dnsOptions.responses, formats: dnsOptions.formats,
            types: dnsOptions.types)
        self.dnsVersion = dnsOptions.version ?? Self.environmentDNSVersion
        var alerting: [String] = []
        if eve?.alert?.http ?? false { alerting.append("http") }
        if eve?.alert?.tls ?? false { alerting.append("tls") }
        if eve?.alert?.ssh ?? false { alerting.append("ssh") }
        if eve?.alert?.dns ?? false { alerting.append("dns") }
        self.alertProtocols = alerting
        self.logTransactions = !logged.isEmpty
        self.logFiles = eve?.files != nil
        self.logTransactionAnomalies = outputs.anomalyKinds?.appLayer ?? false
        self.alertAppLayer = !alerting.isEmpty
        self.hashes = forceHash
        self.fileStore = fileStore
        self.alertXFF = eve?.alert?.xff
        self.httpXFF = eve?.http?.xff
        let dump = eve?.http?.dumpAllHeaders
        self.headerArrays = (dump == .both || dump == .request, dump == .both || dump == .response)
        self.customHeaders = eve?.http?.customHeaders ?? []
        self.writesHeaderArrays = self.headerArrays.request || self.headerArrays.response || !self.customHeaders.isEmpty
        if let engine {
            self.stage.bind { engine.stickyBufferID(named: $0) }
            detect?.setBufferDirections(self.stage.bufferDirections)
        }
    }

    // MARK: Data

    /// Feeds the app-layer chunks the stream engine produced for the current packet.
    func handle(stream: StreamEngine, flow: Flow, slot: Int32, timestamp: Timestamp) {
        let chunks = stream.appLayerChunks
        guard !chunks.isEmpty else { return }
        self.stage.handle(
            chunks: chunks,
            slot: slot,
            flowID: flow.flowID,
            serverPort: flow.serverPort,
            clientPort: flow.clientPort,
            serverAddress: flow.serverAddress,
            timestamp: timestamp,
            session: stream.session(slot: slot, flowID: flow.flowID)
        )
    }

    /// Feeds a UDP packet's payload. Returns true when protocol detection turned the flow round (the stage's
    /// datagram handler says so: the flow's first datagram was the answer).
    func handle(datagram: UnsafeRawBufferPointer, flow: Flow, handle: FlowHandle, timestamp: Timestamp) -> Bool {
        self.stage.handle(
            datagram: datagram,
            toServer: handle.toServer,
            slot: handle.slot,
            flowID: flow.flowID,
            serverPort: flow.serverPort,
            clientPort: flow.clientPort,
            serverAddress: flow.serverAddress,
            clientAddress: flow.clientAddress,
            timestamp: timestamp
        )
    }

    /// Runs `body` with the stage, borrowed for the call from this object, which owns it for the pipeline's
    /// life. The per-packet calls go through here: the pipeline reading `appLayer.stage` itself retained and
    /// released the stage around each call (the compiler cannot tell that nothing releases it meanwhile).
    @inline(__always)
    func withStage<R>(_ body: (AppLayerStage) -> R) -> R {
        body(self.stage)
    }

    /// For a track-only encrypted flow: the stream offset of a direction past which nothing is inspected.
    func encryptedLimit(slot: Int32, flowID: UInt64, toServer: Bool) -> UInt64? {
        guard self.stage.isPayloadInspectionOff(slot: slot, flowID: flowID) else { return nil }
        return self.stage.encryptedFrom(slot: slot, flowID: flowID, toServer: toServer) ?? 0
    }

    /// The flow's protocol as rules match it.
    func protocolName(slot: Int32, flowID: UInt64) -> String? {
        self.stage.detectionProtocol(slot: slot, flowID: flowID)
    }

    /// The flow's protocol as EVE logs it (`http`, `failed`), `nil` while unknown (the same name detection
    /// matches).
    func eveProtocol(slot: Int32, flowID: UInt64) -> String? {
        self.stage.detectionProtocol(slot: slot, flowID: flowID)
    }

    /// Flow-level events raised with the current packet (for `app-layer-event`).
    func takeEvents(slot: Int32, flowID: UInt64) -> [String] {
        self.stage.takeEvents(slot: slot, flowID: flowID).map(\.name)
    }

    // MARK: Detection

    /// Inspects the flow's transactions that progressed in the packet's direction and writes their alerts.
    ///
    /// - Parameters:
    ///   - appProtocol: The flow's protocol name when the caller already has it (``AppLayerPacketState``);
    ///     looked up otherwise.
    /// - Returns: The merged verdict of the transaction rules and whether any alerted.
    func inspectTransactions(
        packet: Packet,
        frame: UnsafeRawBufferPointer,
        flow: Flow,
        handle: FlowHandle,
        stream: StreamPacketInfo?,
        inline: Bool,
        force: Bool = false,
        source: EVEPacketSource = .wire,
        streamBuffers: [InspectionBuffer] = [],
        appProtocol known: String? = nil
    ) -> (verdict: PacketVerdict, alerted: Bool) {
        var merged = PacketVerdict()
        var alerted = false
        let appProtocol = known ?? self.protocolName(slot: handle.slot, flowID: flow.flowID)
        // Without transaction rules nothing can match: the transactions are only marked inspected (so they
        // can be freed once logged), without building their buffers for detection.
        let detect = self.detect.flatMap { $0.inspectsTransactions ? $0 : nil }
        let conditions = detect?.usesAppLayerConditions ?? false
        let fileChecks = detect?.usesFileChecks ?? false
        // A transaction rule's payload keywords read the raw stream, as Suricata's stream inspection engine
        // for such rules: the chunks this packet (or the flow's end) brought follow the sticky buffers.
        self.stage.forEachTransaction(
            slot: handle.slot, flowID: flow.flowID, toServer: handle.toServer, force: force,
            buildBuffers: detect != nil, extra: streamBuffers
        ) { tx, buffers in
            guard let detect else { return }
            // Only for rules with app-layer conditions: a closure capturing the transaction (an allocation).
            let answer: ((String, String, Bool) -> Bool)? =
                conditions
                ? (tx as? AppLayerConditionTransaction).map { conditional in
                    { keyword, value, toServer in
                        conditional.matches(keyword: keyword, value: value, toServer: toServer, now: packet.timestamp)
                            ?? false
                    }
                } : nil
            let verdict = detect.inspectTransaction(
                packet: packet, frame: frame, flow: flow, handle: handle, buffers: buffers, appProtocol: appProtocol,
                stream: stream, txID: tx.id, events: tx.events.isEmpty ? [] : tx.events.map(\.name),
                // The state in place (its modify accessor), not copied out and back: a copy retains its match list.
                conditions: answer, file: fileChecks ? Self.fileFacts(tx, flowEnds: force) : nil,
                state: &tx.detectState, alerts: &self.txAlerts)
            if verdict.drop { merged.markDropped(verdict.dropReason ?? .rules) }
            merged.reject = merged.reject || verdict.reject
            if verdict.reject { merged.rejectTarget = verdict.rejectTarget }
            merged.bypass = merged.bypass || verdict.bypass
            merged.pass = merged.pass || verdict.pass
            guard !self.txAlerts.isEmpty else { return }
            alerted = true
            let members =
                self.alertAppLayer && appProtocol.map({ self.alertProtocols.contains($0) }) == true
                ? self.members(of: tx) : nil
            let variables = ReplayOutputs.flowVariables(detect, slot: handle.slot, flowID: flow.flowID)
            let forwardedFor = self.alertForwardedFor(
                slot: handle.slot, flowID: flow.flowID, txID: tx.id, appProtocol: appProtocol)
            // A state match on TCP logs the packet direction's stream, what is kept of it up to the ACK
            // (Suricata's AlertJsonStreamData), and the packet's own payload only when that is empty.
            var streamPayload: [UInt8]?
            if self.outputs.logsAlertPayload, flow.key.proto == IPProtocol.tcp,
                let session = self.streamEngine?.session(slot: handle.slot, flowID: flow.flowID)
            {
                let logged = session.loggedStream(toServer: handle.toServer)
                if !logged.isEmpty { streamPayload = logged }
            }
            for alert in self.txAlerts {
                self.outputs.writeAlert(
                    alert,
                    packet: packet,
                    frame: frame,
                    flow: flow,
                    toServer: handle.toServer,
                    dropped: verdict.drop,
                    inline: inline,
                    streamPayload: streamPayload,
                    source: source,
                    appProto: appProtocol,
                    appLayerMembers: members,
                    verdict: verdict,
                    flowVariables: variables,
                    forwardedFor: forwardedFor
                )
            }
        }
        return (merged, alerted)
    }

    /// The client address an HTTP proxy forwarded, for alerts on the flow (`alert: xff:` enabled and the flow's
    /// protocol HTTP): that of transaction `txID`, or without one the first live transaction's that has one.
    func alertForwardedFor(slot: Int32, flowID: UInt64, txID: UInt64?, appProtocol: String?) -> String? {
        guard let xff = self.alertXFF, appProtocol == "http" else { return nil }
        return self.forwardedFor(xff, slot: slot, flowID: flowID, txID: txID)
    }

    /// The forwarded client address `xff` reads from the flow's HTTP transaction `txID` (or its oldest with one).
    private func forwardedFor(_ xff: EVEXFFOptions, slot: Int32, flowID: UInt64, txID: UInt64?) -> String? {
        self.stage.forwardedFor(
            slot: slot, flowID: flowID, txID: txID, header: xff.header,
            deployment: xff.deployment == .forward ? .forward : .reverse)
    }

    /// What file conditions (`filesize`, `filemd5` …) see of a transaction's first file: a file that is not
    /// complete is open, or truncated when the flow ends (`flowEnds`: the pseudo-packet inspection).
    static func fileFacts(_ tx: any AppLayerTransaction, flowEnds: Bool) -> FileFacts? {
        var facts: FileFacts?
        tx.fileTransaction?.forEachFile { file in
            // The download: file conditions are inspected with the response (uploads are logged, not matched).
            guard facts == nil, !file.toServer else { return }
            let state: FileFacts.State = file.state == .closed ? .closed : (flowEnds ? .truncated : .open)
            var f = FileFacts(size: UInt64(file.size), state: state)
            f.md5 = file.md5
            f.sha1 = file.sha1
            f.sha256 = file.sha256
            facts = f
        }
        return facts
    }

    /// `"http":{…}` of a transaction, as members to put into another object.
    func members(of tx: any AppLayerTransaction) -> [UInt8] {
        self.scratch.reset()
        self.scratch.beginObject()
        tx.writeEVE(self.scratch)
        self.scratch.endObject()
        return self.scratch.withBytes { bytes in
            bytes.count > 2 ? Array(bytes[1..<(bytes.count - 1)]) : []
        }
    }

    // MARK: Logging

    /// What a transaction record takes from the packet being processed: its `pcap_cnt` and `pkt_src`, as
    /// Suricata's transaction loggers write them. Two fields, not the packet: passing the packet itself made
    /// a copy of it (over 400 bytes) on every packet, whether or not anything was logged.
    struct PacketFields {
        var pcapCount: UInt64?
        var source: EVEPacketSource
        /// The packet's direction (transaction anomaly records are written in it).
        var toServer: Bool

        init(_ packet: borrowing Packet, toServer: Bool) {
            self.pcapCount = ReplayOutputs.pcapCount(packet)
            self.source = ReplayOutputs.packetSource(packet)
            self.toServer = toServer
        }
    }

    /// Logs complete transactions and frees those done with.
    /// `packet`: the packet being processed (``PacketFields``); nil at a flow's end.
    func log(flow: Flow, slot: Int32, packet: PacketFields? = nil) {
        self.stage.logAndFree(slot: slot, flowID: flow.flowID) { tx in
            self.write(tx, flow: flow, slot: slot, packet: packet)
        }
    }

    /// The flow ends: inspects what the final data completed (pseudo packets in both directions), logs every
    /// transaction left, and returns the flow's `app_proto` for its record.
    func flowEnded(
        _ flow: Flow,
        slot streamSlot: Int32? = nil,
        stream: TCPSession?,
        timestamp: Timestamp,
        inspect: Bool,
        inline: Bool
    ) -> FlowProtocols {
        let slot = streamSlot ?? flow.slot
        guard streamSlot != nil || self.stage.hasFlow(slot: slot, flowID: flow.flowID) else { return FlowProtocols() }
        if let stream, !stream.appLayerChunks.isEmpty {
            self.stage.handle(
                chunks: stream.appLayerChunks,
                slot: slot,
                flowID: flow.flowID,
                serverPort: flow.serverPort,
                clientPort: flow.clientPort,
                serverAddress: flow.serverAddress,
                timestamp: timestamp,
                session: nil
            )
        }
        if inspect && self.detect != nil {
            for toServer in [true, false] {
                var chunks: [InspectionBuffer] = []
                for chunk in stream?.rawChunks ?? [] where chunk.toServer == toServer && !chunk.block.isGap {
                    guard chunk.block.bytes.count > 0 else { continue }
                    chunks.append(
                        InspectionBuffer(bytes: chunk.block.bytes, kind: .streamChunk(streamOffset: chunk.block.offset)))
                }
                let packet = ReplayPipeline.pseudoPacket(flow: flow, toServer: toServer, timestamp: timestamp)
                let info = StreamPacketInfo(
                    wasEstablished: ReplayPipeline.wasEstablished(flow),
                    addedToStream: false,
                    isPseudo: false
                )
                _ = self.inspectTransactions(
                    packet: packet,
                    frame: UnsafeRawBufferPointer(start: nil, count: 0),
                    flow: flow,
                    handle: FlowHandle(slot: slot, toServer: toServer),
                    stream: flow.key.proto == 6 ? info : nil,
                    inline: inline,
                    force: true,
                    source: .streamFlowTimeout,
                    streamBuffers: chunks
                )
            }
        }
        let proto = self.eveProtocol(slot: slot, flowID: flow.flowID)
        // Each direction's protocol, when both were decided and they differ (Suricata's app_proto_ts/tc).
        var directions: (toServer: String, toClient: String)?
        var original: String?
        var transactions: UInt64 = 0
        if let p = self.stage.appProtocol(slot: slot, flowID: flow.flowID) {
            transactions = p.transactions
            if p.toServer.isKnown, p.toClient.isKnown, p.toServer != p.toClient {
                directions = (p.toServer.name, p.toClient.name)
            }
            // Suricata's `app_proto_orig`: the protocol before a change, when the flow's is another now.
            if p.original != .unknown && p.original != p.flow { original = p.original.name }
        }
        self.stage.logAndFree(slot: slot, flowID: flow.flowID) { tx in self.write(tx, flow: flow, slot: slot, packet: nil) }
        self.stage.flowEnded(slot: slot, flowID: flow.flowID) { tx in self.write(tx, flow: flow, slot: slot, packet: nil) }
        return FlowProtocols(proto: proto, directions: directions, original: original, transactions: transactions)
    }

    /// A flow's protocols for its record: `app_proto`, each direction's when they differ (`app_proto_ts` /
    /// `app_proto_tc`), and the one before a protocol change (`app_proto_orig`).
    struct FlowProtocols {
        var proto: String?
        var directions: (toServer: String, toClient: String)?
        var original: String?
        /// Transactions the flow's parser created (`flow.tx_cnt`).
        var transactions: UInt64 = 0
    }

    /// The EVE header of a transaction record: the flow's client as source (Suricata's flow direction).
    private func header(_ flow: Flow, packet: PacketFields?) -> EVEHeader {
        var header = EVEHeader(
            timestamp: flow.last,
            flowID: flow.flowID,
            sourceIP: flow.clientAddress,
            sourcePort: flow.clientPort,
            destinationIP: flow.serverAddress,
            destinationPort: flow.serverPort,
            ipProtocol: flow.key.proto
        )
        header.ipVersion = flow.clientAddress.isIPv4 ? 4 : 6
        // As every record of a flow: the capture interface and the flow's Community ID (each only when set:
        // reading the optionals unconditionally cost a retain and a call per transaction record).
        if let interface = self.outputs.inInterface { header.inInterface = interface }
        if self.outputs.communityIDSeed != nil { header.communityID = self.outputs.communityID(of: flow) }
        for index in 0..<Int(flow.vlanCount) { header.vlan.append(flow.vlanID(at: index)) }
        if let packet {
            header.pcapCount = packet.pcapCount
            header.packetSource = packet.source
        }
        return header
    }

    /// Writes a transaction's record (`http` …) and its files' `fileinfo` records. The protocol's object is
    /// rendered once into the scratch writer and copied into each record that carries it.
    private func write(_ tx: any AppLayerTransaction, flow: Flow, slot: Int32, packet: PacketFields?) {
        if let store = self.fileStore, let files = tx.fileTransaction {
            self.finishStoredFiles(files, store: store, flow: flow, slot: slot, packet: packet)
        }
        let proto = self.eveProtocol(slot: slot, flowID: flow.flowID)
        let packetFields = packet != nil
        let record = self.logTransactions && proto.map { self.loggedProtocols.contains($0) } == true
            && self.wantsRecord(tx)
        let files = self.logFiles ? tx.fileTransaction : nil
        let anomalies = self.logTransactionAnomalies && !tx.events.isEmpty
        guard record || files != nil || anomalies else { return }
        let header = self.header(flow, packet: packet)
        if anomalies {
            // The parser's events on the transaction, as Suricata's anomaly transaction logger writes them: one
            // record each, with the transaction's id, in the direction of the packet being processed.
            for event in tx.events {
                self.outputs.writeAppLayerAnomaly(
                    header: header, reversed: packet?.toServer == false, event: event.name,
                    appProto: proto ?? "unknown", txID: tx.id, packetFields: packetFields)
            }
        }
        guard record || files != nil else { return }
        if record, type(of: tx) == DNSAppTransaction.self {
            self.writeDNS(unsafeDowncast(tx, to: DNSAppTransaction.self).transaction, header: header, packet: packet)
            return
        }
        self.scratch.reset()
        self.scratch.beginObject()
        tx.writeEVE(self.scratch)
        self.scratch.endObject()
        self.scratch.withBytes { rendered in
            // `"http":{…}` without the braces of the scratch object around it.
            let object =
                rendered.count > 2
                ? UnsafeRawBufferPointer(rebasing: rendered[1..<(rendered.count - 1)])
                : UnsafeRawBufferPointer(start: nil, count: 0)
            if record {
                let forwarded = self.httpXFF == nil ? nil : self.forwardedHeader(header, tx: tx, flow: flow, slot: slot)
                self.outputs.eveWriter?.write { w in
                    if let forwarded {
                        w.writeHeader(forwarded, eventName: proto ?? "unknown", packetFields: packetFields)
                    } else {
                        w.writeHeader(header, eventName: proto ?? "unknown", packetFields: packetFields)
                    }
                    // Suricata's HTTP logger alone puts the transaction id in the header (TLS and SSH records
                    // have none).
                    if proto == "http" { w.field("tx_id", tx.id) }
                    if self.writesHeaderArrays && object.count > 1, type(of: tx) == HTTPTransaction.self {
                        // `dump-all-headers`: the arrays close the record's `http` object (not the alerts' or the
                        // files', as in Suricata).
                        w.raw(UnsafeRawBufferPointer(rebasing: object[0..<(object.count - 1)]))
                        unsafeDowncast(tx, to: HTTPTransaction.self).writeHeaderArrays(
                            w, request: self.headerArrays.request, response: self.headerArrays.response,
                            custom: self.customHeaders)
                        w.endObject()
                    } else if object.count > 0 {
                        w.raw(object)
                    }
                }
                self.outputs.transactionRecords += 1
            }
            files?.forEachFile { file in
                self.outputs.eveWriter?.write { w in
                    w.writeHeader(header, eventName: "fileinfo", packetFields: packetFields, reversed: !file.toServer)
                    if object.count > 0 { w.raw(object) }
                    w.field("app_proto", proto ?? "unknown")
                    file.write(w, hashes: self.hashes, txID: tx.id)
                }
            }
        }
    }

    /// The transaction is done, so are its files: each one being stored moves into the file store under its
    /// SHA-256, with its `fileinfo` record beside it under `write-fileinfo` (Suricata's filestore logger runs
    /// at the file's close, before the file logger, whose record then says `stored` and gives the `file_id`).
    private func finishStoredFiles(
        _ files: any AppLayerFileTransaction, store: FileStore, flow: Flow, slot: Int32, packet: PacketFields?
    ) {
        var header: EVEHeader?
        var object: [UInt8]?
        let proto = self.eveProtocol(slot: slot, flowID: flow.flowID) ?? "unknown"
        files.forEachFile { file in
            guard let stored = file.store, !stored.isFinished else { return }
            let fileHeader = header ?? self.header(flow, packet: packet)
            header = fileHeader
            _ = store.finish(stored, sha256: file.sha256 ?? "", seconds: fileHeader.timestamp.seconds) {
                let members = object ?? self.members(of: files)
                object = members
                let w = JSONWriter(capacity: 1024)
                w.beginObject()
                w.writeHeader(fileHeader, eventName: "fileinfo", packetFields: packet != nil, reversed: !file.toServer)
                if !members.isEmpty { members.withUnsafeBytes { w.raw($0) } }
                w.field("app_proto", proto)
                file.write(w, hashes: self.hashes, txID: files.id)
                w.endObject()
                return w.withBytes { Array($0) }
            }
        }
    }

    /// The header of an `http` record with `http: xff: mode: overwrite`: the proxy's address (the flow's client)
    /// gives way to the client it forwarded for. `extra-data` adds nothing: the record's `http.xff` carries the
    /// header already (the top-level member Suricata also writes is not in its EVE schema). Other records and
    /// settings: `nil`.
    private func forwardedHeader(_ header: EVEHeader, tx: any AppLayerTransaction, flow: Flow, slot: Int32)
        -> EVEHeader?
    {
        guard let xff = self.httpXFF, xff.mode == .overwrite, type(of: tx) == HTTPTransaction.self,
            let forwarded = self.forwardedFor(xff, slot: slot, flowID: flow.flowID, txID: tx.id),
            let address = IPAddress(forwarded)
        else { return nil }
        var header = header
        header.sourceIP = address
        return header
    }

    /// A DNS message's records, in the configured format (``DNSLogFilter``): version 3, one record per
    /// message, a response from the server to the client (Suricata logs UDP messages in the packet's direction,
    /// TCP ones in the message's, which is the same); version 2, a `query` record per question and an `answer`
    /// record, both in the flow's direction. No top-level `tx_id`, as Suricata's DNS logger. The message passed
    /// the filter already (``wantsRecord(_:)``: its direction is logged and one of its questions' types is).
    private func writeDNS(_ dns: DNSTransaction, header flowHeader: EVEHeader, packet: PacketFields?) {
        let filter = self.dnsFilter
        let packetFields = packet != nil
        if self.dnsVersion == 2 {
            if dns.toServer {
                for (index, question) in dns.message.questions.enumerated() {
                    // Suricata stops at the first question of a type not logged.
                    guard filter.logs(type: question.type) else { break }
                    self.outputs.eveWriter?.write { w in
                        w.writeHeader(flowHeader, eventName: "dns", packetFields: packetFields)
                        w.writeDNSQuery(dns, index: index)
                    }
                    self.outputs.transactionRecords += 1
                }
            } else {
                self.outputs.eveWriter?.write { w in
                    w.writeHeader(flowHeader, eventName: "dns", packetFields: packetFields)
                    w.writeDNSAnswer(dns, filter: filter)
                }
                self.outputs.transactionRecords += 1
            }
            return
        }
        self.outputs.eveWriter?.write { w in
            w.writeHeader(flowHeader, eventName: "dns", packetFields: packetFields, reversed: !dns.toServer)
            w.writeDNS(dns, filter: filter)
        }
        self.outputs.transactionRecords += 1
    }

    /// The DNS record format `SURICATA_EVE_DNS_VERSION` asks for when the configuration names none: 2, or 3
    /// for anything else (Suricata reads the same variable).
    static var environmentDNSVersion: Int {
        guard let text = getenv("SURICATA_EVE_DNS_VERSION").map({ String(cString: $0) }) else { return 3 }
        return Int(text) == 2 ? 2 : 3
    }

    /// DNS requests and responses can be left out separately.
    /// The classes are final: an exact type check and an unchecked downcast, not three dynamic casts per record.
    private func wantsRecord(_ tx: any AppLayerTransaction) -> Bool {
        let type = type(of: tx)
        if type == DNSAppTransaction.self {
            return self.dnsFilter.logs(unsafeDowncast(tx, to: DNSAppTransaction.self).transaction)
        }
        if type == TLSTransaction.self { return unsafeDowncast(tx, to: TLSTransaction.self).shouldLog }
        if type == SSHTransaction.self { return unsafeDowncast(tx, to: SSHTransaction.self).session.hasBanner }
        return true
    }

    /// The `tls` record's field names from `types: - tls:` (`custom`, else `extended` or Suricata's basic set).
    static func tlsFieldNames(_ options: EVETLSOptions) -> [String] {
        var names =
            options.custom
            ?? (options.extended
                ? ["subject", "issuer", "subjectaltname", "version", "serial", "fingerprint", "not_before",
                    "not_after", "ja3", "ja3s", "ja4", "client", "client_alpns", "server_alpns", "sni"]
                : ["subject", "issuer", "subjectaltname"])
        if options.sessionResumption { names.append("session_resumed") }
        return names
    }
}
