// SPDX-License-Identifier: MIT
import WeirAppLayer
import WeirCapture
import WeirConfig
import WeirCore
import WeirDecode
import WeirDetect
import WeirFlow
import WeirOutput
import WeirStream

/// A damaged input, as reported in the summary and the stats record.
struct InputDamage {
    var path: String
    var packetsBefore: UInt64
    var message: String

    /// Damage that ended the reading of `path` after `packets` records.
    init(path: String, packetsBefore: UInt64, message: String) {
        self.path = path
        self.packetsBefore = packetsBefore
        self.message = message
    }

    /// The records `file` skipped without stopping (bad record lengths …), nil when none.
    init?(skippedIn file: borrowing PcapFile, path: String) {
        guard let first = file.firstSkippedRecord else { return nil }
        let count = file.skippedRecords
        self.init(
            path: path, packetsBefore: first.number - 1,
            message: "\(count) record\(count == 1 ? "" : "s") skipped (first: record \(first.number), \(first.reason))")
    }

    /// The line reporting it; `readOn`: reading went on past the damage (skipped records), else the next input follows.
    func line(readOn: Bool) -> String {
        "weir: \(self.path): damaged after \(self.packetsBefore) packets: \(self.message); "
            + (readOn ? "read on\n" : "continuing with the next input\n")
    }
}

/// The per-packet path of a replay: one worker that owns its decoder state and flows.
struct ReplayPipeline {
    let configuration: WeirConfiguration
    let outputs: ReplayOutputs
    var flows: FlowTable
    /// One decoder per link type, kept across files so counters and the checksum `auto` policy carry over.
    var decoders: [Int32: PacketDecoder] = [:]
    var packet = Packet()
    var packetNumber: UInt64 = 0
    var firstTimestamp: Timestamp?
    var lastTimestamp = Timestamp(microseconds: 0)
    var lastSweepSecond: Int64 = Int64.min
    var damaged: [InputDamage] = []
    var unreadable: [(String, String)] = []
    var filesRead: UInt64 = 0
    /// Why the replay ended before its input did, and the input files it did not open.
    var stoppedEarly: (reason: String, filesNotRead: Int)? = nil
    /// Live capture: what the summary names as the source ("eth0"); nil for files.
    var liveSource: String? = nil
    var bytesRead: UInt64 = 0
    /// Per-worker detection state; `nil` when no rules were loaded.
    var detect: DetectContext?
    let inline: Bool
    /// Report damaged and skipped inputs on stderr as they happen (they are in the stats either way).
    var reportsInputProblems = true
    /// Write a stats record every `stats.interval` seconds of wall-clock time (replay with one worker); autofp
    /// workers leave it to the run, which writes one record summing them all.
    var writesPeriodicStats = true
    var alerts: [Alert] = []
    var packetsDropped: UInt64 = 0
    /// Where skipped and damaged inputs are reported.
    let messages: MessageOutput
    /// The TCP stream engine; `nil` with `stream.enabled: false`.
    let stream: StreamEngine?
    /// ``stream``, unretained, for the per-packet path.
    let streamEngine: Unmanaged<StreamEngine>?
    /// The stream chunks handed to detection with the current packet (storage reused).
    var streamBuffers: [InspectionBuffer] = []
    /// The stream engine handed out chunks of the direction opposite to the current packet.
    var otherDirectionHasChunks = false
    /// Inline mode: the stream engine rewrote the current packet's payload to the data it had already accepted.
    var payloadNormalised = false
    /// The current packet's TCP session has both directions at the reassembly depth.
    var streamAtDepth = false
    /// Detection asked to bypass the current packet's flow (a `bypass` rule matched).
    var bypassRequested = false
    /// Inline: the current packet was dropped (not to be forwarded).
    var packetDropped = false
    /// Inline: a reject rule matched the current packet; who gets the reset or unreachable.
    var packetRejected: RejectTarget?
    /// Inline: why the current frame was dropped (the first reason given), for `ips.drop_reason.*`.
    var packetDropReason: IPSVerdictCounters.Reason?
    /// Inline: Suricata's `ips.*` verdict counters.
    var ipsCounters = IPSVerdictCounters()
    /// `stream.bypass`: bypass a TCP flow once both directions reach the depth.
    let streamBypass: Bool
    /// Packets and bytes of locally bypassed flows that skipped the stream engine and detection.
    var bypassedPackets: UInt64 = 0
    var bypassedBytes: UInt64 = 0
    /// Live capture with `bypass: yes`: the kernel side of bypass decisions.
    var captureBypass: CaptureBypass? = nil
    /// Holds the current frame with its payload rewritten (inline overlap normalisation).
    let rewrittenFrame = FrameScratch()
    /// The app-layer stage: protocol detection, parsers, transaction detection and records.
    let appLayer: AppLayerPass
    /// Live capture with kernel bypass: tunnelled flows bypassed locally because the kernel cannot key them.
    var tunnelLocalBypasses: UInt64 = 0
    /// IP fragment reassembly; `nil` with `defrag.enabled: false`.
    var defrag: Defragmenter?
    /// Rebuilt datagrams being processed (a rebuilt IPv6 packet can hold another fragment header).
    var defragDepth = 0
    /// The policy of each exception target, resolved for the run's mode (see ``applyException(_:handle:proto:)``).
    var exceptionPolicies = ExceptionPolicies() {
        didSet { self.outputs.exceptionPolicies = self.exceptionPolicies }
    }
    /// How often each policy was applied (`exception_policy.*`).
    var exceptionCounters = ExceptionPolicyCounters(
        policies: ExceptionPolicies(), ips: false, midstream: false, perAppProto: false)
    /// An exception policy left the current packet out of detection (pass-packet, drop-packet …).
    var exceptionSkipsInspection = false
    /// Exceptions the stream engine met with the current packet.
    var streamExceptions = ExceptionTargets()

    /// A pipeline; `streamSettings` `nil` runs without the stream engine (`stream.enabled: false`).
    init(
        configuration: WeirConfiguration, outputs: ReplayOutputs, engine: DetectEngine?, inline: Bool,
        streamSettings: WeirStream.StreamSettings?, messages: MessageOutput
    ) {
        self.messages = messages
        self.configuration = configuration
        self.outputs = outputs
        self.flows = FlowTable(settings: configuration.flowTableSettings)
        let detect = engine.map { $0.makeContext() }
        self.detect = detect
        self.appLayer = AppLayerPass(configuration: configuration, engine: engine, detect: detect, outputs: outputs)
        self.inline = inline
        self.streamBypass = configuration.stream.bypass && streamSettings != nil
        self.defrag = configuration.defrag.enabled ? Defragmenter(settings: configuration.defragSettings) : nil
        if var settings = streamSettings {
            // As Suricata: compare retransmitted data with what was inspected only when a rule asks for the event.
            if let engine, engine.usesStreamEvent(.reassemblyOverlapDifferentData) {
                settings.checkOverlapDifferentData = true
            }
            let engine = StreamEngine(settings: settings)
            self.stream = engine
            self.streamEngine = Unmanaged.passUnretained(engine)
            self.appLayer.streamEngine = engine
        } else {
            self.stream = nil
            self.streamEngine = nil
        }
        self.streamBuffers.reserveCapacity(8)
        self.alerts.reserveCapacity(16)
    }

    /// Reads one capture file to its end or its damage, or until `stop` asks (checked every 64 packets).
    mutating func replay(path: String, progress: inout ProgressLine, stop: ReplayStop? = nil) {
        let file: PcapFile
        do {
            file = try PcapFile(path: path)
        } catch {
            self.unreadable.append((path, error.message))
            if self.reportsInputProblems {
                self.messages.write("weir: skipping \(error)\n")
            }
            return
        }
        guard let linkType = LinkType(rawValue: file.linkType) else {
            self.unreadable.append((path, "unsupported link type \(file.linkType)"))
            if self.reportsInputProblems {
                self.messages.write("weir: skipping \(path): unsupported link type \(file.linkType)\n")
            }
            return
        }
        self.filesRead += 1
        if self.outputs.eveSettings?.pcapFile == true { self.outputs.eveWriter?.pcapFilename = path }
        var decoder = self.decoders[file.linkType]
            ?? PacketDecoder(
                linkType: linkType, checksums: self.configuration.fileChecksumValidation,
                settings: self.configuration.decoderSettings)
        let emit = self.flowEndHandler()
        var packetsInFile: UInt64 = 0
        loop: while true {
            switch file.next() {
            case .record(let record):
                packetsInFile += 1
                self.process(record, decoder: &decoder, emit: emit)
                if packetsInFile & 63 == 0 {
                    if let stop, stop.requested(self.outputs) { break loop }
                    // Counters every `stats.interval` seconds of wall-clock time, as Suricata's stats thread.
                    if self.writesPeriodicStats && self.outputs.statsDueNow() { self.writeStats(current: decoder) }
                }
                if self.packetNumber & 0xfff == 0 {
                    progress.update(
                        fileBytesDone: file.position, packets: self.packetNumber, alerts: self.outputs.alertRecords)
                }
            case .end:
                break loop
            case .damaged(let message):
                let damage = InputDamage(path: path, packetsBefore: packetsInFile, message: message)
                self.damaged.append(damage)
                progress.clear()
                if self.reportsInputProblems { self.messages.write(damage.line(readOn: false)) }
                break loop
            }
        }
        if let damage = InputDamage(skippedIn: file, path: path) {
            self.damaged.append(damage)
            if self.reportsInputProblems {
                progress.clear()
                self.messages.write(damage.line(readOn: true))
            }
        }
        progress.finishFile(size: file.fileSize)
        self.decoders[file.linkType] = decoder
    }

    /// Writes the current packet's decode, stream and app-layer anomalies (eve-log `anomaly` type).
    private mutating func logAnomalies(frame: UnsafeRawBufferPointer, handle: FlowHandle?, stream: StreamPacketInfo?) {
        guard let kinds = self.outputs.anomalyKinds else { return }
        // Most packets have nothing to log: that is decided first, without copying the flow or the packet.
        let decodeDue = kinds.decode && !self.packet.events.isEmpty
        let streamDue = kinds.stream && stream?.events.isEmpty == false
        let appDue =
            kinds.appLayer
            && handle.map { handle in
                let flowID = self.flows[handle.slot].flowID
                return self.appLayer.withStage { $0.hasPendingEvents(slot: handle.slot, flowID: flowID) }
            } == true
        guard decodeDue || streamDue || appDue else { return }
        let flow = handle.map { self.flows[$0.slot] }
        var appEvents: [String] = []
        var appProto: String?
        // As in `inspect`: an ICMP error in a TCP or UDP flow leaves the flow's app-layer events to its own packets.
        if let handle, let flow, flow.key.proto == self.packet.l4Protocol,
            kinds.appLayer,
            let name = self.appLayer.protocolName(slot: handle.slot, flowID: flow.flowID)
        {
            appProto = name
            // Detection takes the events after this; without it, nothing else would, so they are taken here.
            appEvents =
                self.detect == nil
                ? self.appLayer.takeEvents(slot: handle.slot, flowID: flow.flowID)
                : self.appLayer.stage.pendingEvents(slot: handle.slot, flowID: flow.flowID).map(\.name)
        }
        self.outputs.writeAnomalies(
            packet: self.packet, frame: frame, flow: flow, streamEvents: stream?.events, appEvents: appEvents,
            appProto: appProto)
    }

    /// Runs detection on the current packet and writes its alerts.
    private mutating func inspect(
        _ detect: DetectContext, packet: Packet, frame: UnsafeRawBufferPointer, handle: FlowHandle?,
        stream: StreamPacketInfo?
    ) {
        var flow = handle.map { self.flows[$0.slot] }
        // An ICMP error in a TCP or UDP flow is inspected with the flow, but not its app layer: its transactions
        // and events wait for the flow's own packets (Suricata runs transactions only when the packet's protocol
        // is the flow's).
        let appHandle = flow?.key.proto == packet.l4Protocol ? handle : nil
        // One app-layer lookup for the packet: protocol, flow events, protocol-detection flag.
        var app = AppLayerPacketState()
        if let handle = appHandle, let flow {
            let flowID = flow.flowID
            app = self.appLayer.withStage { $0.takePacketState(slot: handle.slot, flowID: flowID) }
        }
        let appName = app.protocolName
        detect.setProtocolDetectedWithPacket(app.protocolDetected)
        defer { detect.setProtocolDetectedWithPacket(false) }
        var verdict = detect.inspect(
            packet: packet, frame: frame, flow: flow, handle: handle, buffers: self.streamBuffers,
            appProtocol: appName, appLayerEvents: app.events, stream: stream, alerts: &self.alerts)
        // Packet and stream rules first, then the transactions this packet's direction moved on.
        var txAlerted = false
        if let appName, let handle = appHandle, let current = flow {
            let (txVerdict, alerted) = self.appLayer.inspectTransactions(
                packet: packet, frame: frame, flow: current, handle: handle, stream: stream, inline: self.inline,
                streamBuffers: self.streamBuffers, appProtocol: appName)
            txAlerted = alerted
            if txVerdict.drop { verdict.markDropped(txVerdict.dropReason ?? .rules) }
            if txVerdict.reject {
                verdict.rejectTarget = verdict.reject ? verdict.rejectTarget.adding(txVerdict.rejectTarget) : txVerdict.rejectTarget
                verdict.reject = true
            }
            verdict.bypass = verdict.bypass || txVerdict.bypass
            verdict.pass = verdict.pass || txVerdict.pass
        }
        if let handle = appHandle, let current = flow {
            self.appLayer.log(
                flow: current, slot: handle.slot, packet: AppLayerPass.PacketFields(packet, toServer: handle.toServer))
        }
        if txAlerted, let handle {
            self.flows[handle.slot].alerted = true
            flow?.alerted = true
        }

        if (verdict.drop || verdict.reject) && self.inline {
            self.packetDropped = true
            self.noteDropReason(verdict.dropReason ?? .rules)
            if verdict.reject { self.packetRejected = verdict.rejectTarget }
            self.packetsDropped += 1
            // Only a drop that reached the flow (Suricata's FLOW_ACTION_DROP) marks it: a packet rule (`dsize` …)
            // drops this packet alone, and the flow record keeps no `action`.
            var flowDropped = false
            if let handle, let current = flow {
                flowDropped = detect.flowDecision(slot: handle.slot, flowID: current.flowID).dropped
            }
            if flowDropped { flow?.isDropped = true }
            self.outputs.writeDrop(
                packet: packet, flow: &flow, toServer: handle?.toServer ?? true,
                reason: verdict.dropReason ?? .rules, cause: self.alerts.first(where: \.isBlocking),
                verdict: verdict)
            if let handle, let flow {
                if flowDropped { self.flows[handle.slot].isDropped = true }
                self.flows[handle.slot].dropLoggedToServer = flow.dropLoggedToServer
                self.flows[handle.slot].dropLoggedToClient = flow.dropLoggedToClient
            }
        }
        if verdict.bypass { self.bypassRequested = true }
        if verdict.pass, let handle, let flow, detect.flowDecision(slot: handle.slot, flowID: flow.flowID).passed {
            self.flows[handle.slot].isPassed = true
        }
        guard !self.alerts.isEmpty else { return }
        if let handle { self.flows[handle.slot].alerted = true }
        let variables = handle.flatMap { h in flow.flatMap { ReplayOutputs.flowVariables(detect, slot: h.slot, flowID: $0.flowID) } }
        // The stream data is copied out only for EVE's `payload`, the one output that prints it.
        let logsPayload = self.outputs.logsAlertPayload
        // By index: a for-in loop copied each alert (and retained its strings) before passing it on.
        for index in self.alerts.indices {
            var streamPayload: [UInt8]?
            if logsPayload, self.alerts[index].streamMatch, let stream = self.stream, let handle {
                streamPayload = Self.streamPayload(stream.rawChunks, toServer: handle.toServer)
            }
            // The forwarded client address only with `alert: xff:` on (checked first: this loop runs per alert).
            if self.appLayer.alertXFF != nil, let handle, let flowID = flow?.flowID {
                let forwardedFor = self.appLayer.alertForwardedFor(
                    slot: handle.slot, flowID: flowID, txID: self.alerts[index].txID, appProtocol: appName)
                self.outputs.writeAlert(
                    self.alerts[index], packet: packet, frame: frame, flow: flow, toServer: handle.toServer,
                    dropped: verdict.drop, inline: self.inline, streamPayload: streamPayload, appProto: appName,
                    verdict: verdict, flowVariables: variables, forwardedFor: forwardedFor)
                continue
            }
            self.outputs.writeAlert(
                self.alerts[index], packet: packet, frame: frame, flow: flow, toServer: handle?.toServer ?? true,
                dropped: verdict.drop, inline: self.inline, streamPayload: streamPayload, appProto: appName,
                verdict: verdict, flowVariables: variables)
        }
    }

    /// One captured frame through decode, flow, stream, detection and outputs (from a file or a live ring).
    /// Inlined into both read loops: it is the whole per-packet path.
    @inline(__always)
    mutating func process(
        _ record: PcapRecord, decoder: inout PacketDecoder, emit: (inout Flow, FlowEndReason) -> Void
    ) {
        self.packetNumber += 1
        self.bytesRead += UInt64(record.bytes.count)
        self.packet.reset()
        self.packet.timestamp = record.timestamp
        self.packet.captureLength = record.bytes.count
        self.packet.wireLength = record.wireLength
        self.packet.packetNumber = self.packetNumber
        self.packetDropped = false
        self.packetRejected = nil
        self.packetDropReason = nil
        defer {
            if self.inline {
                self.ipsCounters.count(
                    dropped: self.packetDropped, rejected: self.packetRejected != nil, reason: self.packetDropReason)
            }
        }
        decoder.decode(record.bytes, into: &self.packet, checksumsVouched: record.checksumsVouched)
        self.account(timestamp: record.timestamp, emit: emit)
        if self.packet.pendingTunnel.payload == .none && !self.packet.isFragment {
            self.processDecoded(record.bytes, emit: emit)
        } else {
            self.processTunnel(record.bytes, decoder: &decoder, emit: emit)
        }
    }

    /// A fragment: inspected on its own without a flow (Suricata gives fragments none), then handed to the
    /// defragmenter; a datagram it completes is decoded and goes through the whole path like a captured packet.
    mutating func processFragment(
        _ frame: UnsafeRawBufferPointer, decoder: inout PacketDecoder, emit: (inout Flow, FlowEndReason) -> Void
    ) {
        guard self.defrag != nil else {
            self.processDecoded(frame, emit: emit)
            return
        }
        let (datagram, events) = self.defrag!.insert(&self.packet, frame: frame)
        if !events.isEmpty { decoder.recordLateEvents(events) }
        // No tracker could be had for a new datagram: the defrag memcap policy applies to this fragment.
        if self.defrag!.trackerRefused { self.applyException(.defragMemcap, handle: nil) }
        // The fragment that completes a datagram keeps its header checks but not its payload, which is inspected in
        // the rebuilt packet (Suricata's PacketDefragPktSetupParent).
        if datagram != nil { self.packet.noPayloadInspection = true }
        let fragment = self.packet
        self.processDecoded(frame, emit: emit, flow: false)
        guard let datagram, self.defragDepth < 4 else { return }
        // A rebuilt packet is a child of the fragment that completed it, at the same tunnel depth (Suricata's
        // PacketDefragPktSetup): its alerts carry that fragment in `tunnel`.
        // Suricata's rebuilt packet is a frame of the tracker's link type: the offset-0 fragment's link header
        // (Ethernet and VLAN tags, PPP, or nothing for raw IP) in front of the datagram. It is decoded from there,
        // so the alert's `packet` logs the whole frame.
        let link = self.defrag!.lastLink
        let rebuiltFrame = link.header + datagram
        var rebuilt = Packet()
        rebuilt.timestamp = fragment.timestamp
        rebuilt.captureLength = rebuiltFrame.count
        rebuilt.wireLength = rebuilt.captureLength
        rebuilt.packetNumber = fragment.packetNumber
        rebuilt.linkType = link.linkType
        rebuilt.vlanCount = fragment.vlanCount
        rebuilt.vlanIDs = fragment.vlanIDs
        rebuilt.tunnelDepth = fragment.tunnelDepth
        rebuilt.decodedLayers = fragment.decodedLayers
        rebuilt.tunnelOrigin = fragment.tunnelOrigin ?? TunnelOrigin(root: fragment)
        rebuilt.tunnelDecoder = fragment.tunnelDecoder
        self.defragDepth += 1
        defer { self.defragDepth -= 1 }
        rebuiltFrame.withUnsafeBytes { bytes in
            decoder.decodeReassembled(bytes, ipOffset: link.header.count, into: &rebuilt)
            self.packet = rebuilt
            self.processTunnel(bytes, decoder: &decoder, emit: emit)
        }
    }

    /// A packet with a tunnel, then the packet inside it (and any tunnel in that), each with its own flow, as
    /// Suricata's PacketTunnelPktSetup: the outer packet first, its payload left out of inspection.
    mutating func processTunnel(
        _ frame: UnsafeRawBufferPointer, decoder: inout PacketDecoder, emit: (inout Flow, FlowEndReason) -> Void
    ) {
        while self.packet.pendingTunnel.payload != .none {
            var inner = Packet()
            inner.timestamp = self.packet.timestamp
            // The inner packet is the tunnel's payload: its flow counts those bytes, as Suricata's copy does.
            let tunnelLength = max(0, min(self.packet.pendingTunnel.length, frame.count - self.packet.pendingTunnel.offset))
            inner.captureLength = tunnelLength
            inner.wireLength = tunnelLength
            inner.packetNumber = self.packet.packetNumber
            guard decoder.decodeTunnel(frame, parent: self.packet, into: &inner) else {
                // Not a tunnel after all (a Teredo guess that did not decode): plain UDP.
                self.packet.pendingTunnel = PendingTunnel()
                break
            }
            self.packet.noPayloadInspection = true
            self.processDecoded(frame, emit: emit)
            self.packet = inner
        }
        if self.packet.isFragment {
            self.processFragment(frame, decoder: &decoder, emit: emit)
        } else {
            self.processDecoded(frame, emit: emit)
        }
    }

    /// The decoded ``packet`` through flow, stream, detection and outputs.
    /// `flow: false` inspects the packet without a flow (a fragment).
    mutating func processDecoded(
        _ frame: UnsafeRawBufferPointer, emit: (inout Flow, FlowEndReason) -> Void, flow: Bool = true
    ) {
        if self.packet.noPayloadInspection {
            // The payload is a tunnel's inner packet, inspected on its own.
            self.packet.payloadLength = 0
        }
        // The packet no longer changes on this path. One copy here is passed by reference to every stage below:
        // reading `self.packet` into a call that also mutates `self` (the flow table, the alert list) made a copy
        // of the whole 441-byte packet at each such call.
        let packet = self.packet
        // Suricata sets up no flow for GRE packets (its GRE decoder never asks for one).
        let wantsFlow = flow && !(packet.l4Protocol == IPProtocol.gre && !packet.hasL4)
        defer { self.exceptionSkipsInspection = false }
        let noFlowBefore = self.flows.statistics.noFlow
        var handle = wantsFlow ? self.flows.process(packet, emit: emit) : nil
        if wantsFlow && handle == nil && self.flows.statistics.noFlow != noFlowBefore {
            // At the flow cap with nothing to evict: the packet goes without a flow (flow memcap policy).
            self.applyException(.flowMemcap, handle: nil)
        }
        if let handle, self.flows[handle.slot].droppedByException {
            // A flow an exception policy dropped: counted in the flow above, dropped inline, never inspected.
            self.dropPacketOfExceptionDroppedFlow(handle)
            return
        }
        if let handle, let kernel = self.captureBypass, self.flows[handle.slot].state != .bypassed,
            self.flows[handle.slot].packetsToServer + self.flows[handle.slot].packetsToClient == 1
        {
            // A flow left in the kernel table by a killed run: adopted, not started afresh mid-stream.
            _ = kernel.adopt(&self.flows[handle.slot], slot: handle.slot)
        }
        if let handle, self.flows[handle.slot].state == .bypassed {
            // Counted in the flow above; no stream or detection work (Suricata's local bypass).
            if self.flows[handle.slot].bypass == .capture, let kernel = self.captureBypass {
                kernel.sawFrame(
                    of: self.flows[handle.slot].flowID,
                    flowEnd: packet.isTCP && packet.tcpFlags & 0x05 != 0)
            }
            self.bypassedPackets += 1
            self.bypassedBytes += UInt64(frame.count)
            self.appLayer.stage.countEncryptedPacket(
                slot: handle.slot, flowID: self.flows[handle.slot].flowID, bytes: frame.count)
            return
        }
        var streamInfo: StreamPacketInfo?
        self.streamBuffers.removeAllKeepingCapacity()
        self.otherDirectionHasChunks = false
        self.payloadNormalised = false
        self.streamAtDepth = false
        self.bypassRequested = false
        // Inline, a flow a rule dropped gets no more stream or app-layer work (Suricata 8.0.4+: its TCP packets
        // leave the stream engine at `StreamTcpCheckFlowDrops`, its UDP packets skip the app layer).
        let flowDropped = self.inline && handle.map { self.flows[$0.slot].isDropped } == true
        if let streamEngine = self.streamEngine, let current = handle, packet.isTCP, !flowDropped {
            // Borrowed for the call (``stream`` owns the engine): no retain and release per packet.
            self.streamExceptions = ExceptionTargets()
            var tracked = current
            streamInfo = streamEngine._withUnsafeGuaranteedRef { stream in
                self.track(stream, packet: packet, frame: frame, handle: &tracked)
            }
            // Protocol detection may have turned a midstream flow round: this packet then travels the other way.
            handle = tracked
            // In flag order, without building an array (a midstream packet meets one on every packet in IDS mode).
            var pending = self.streamExceptions.rawValue
            while pending != 0, let target = ExceptionTarget(rawValue: UInt8(pending.trailingZeroBitCount)) {
                pending &= pending &- 1
                self.applyException(target, handle: tracked)
            }
        } else if let current = handle, packet.isUDP, !flowDropped, packet.payloadLength > 0, packet.payloadOffset >= 0,
            packet.payloadOffset + packet.payloadLength <= frame.count
        {
            let start = packet.payloadOffset
            if self.appLayer.handle(
                datagram: UnsafeRawBufferPointer(rebasing: frame[start..<start + packet.payloadLength]),
                flow: self.flows[current.slot], handle: current, timestamp: packet.timestamp)
            {
                // Protocol detection found the flow's first datagram to be the answer (a DNS response): the
                // flow is turned round, and this packet travels to the client (Suricata's FlowSwap).
                self.flows[current.slot].swapDirection()
                handle = FlowHandle(slot: current.slot, toServer: !current.toServer)
            }
        }
        // The stage's per-packet calls borrow it (``AppLayerPass/withStage(_:)``): no retain and release each.
        if let handle, case let flowID = self.flows[handle.slot].flowID,
            let proto = self.appLayer.withStage({ $0.takeParserError(slot: handle.slot, flowID: flowID) })
        {
            // The packet's data made the parser fail: the app-layer error policy applies to it.
            self.applyException(.appLayerError, handle: handle, proto: proto)
        }
        if let handle, self.flows[handle.slot].droppedByException || self.flows[handle.slot].state == .bypassed,
            self.exceptionSkipsInspection
        {
            // Dropped or bypassed by this packet's exception: nothing more is done with it.
            return
        }
        // An encrypted flow in `track-only` mode past its handshake: tracked, its content no longer inspected.
        let payloadOff =
            handle.map { handle in
                let flowID = self.flows[handle.slot].flowID
                return self.appLayer.withStage { $0.isPayloadInspectionOff(slot: handle.slot, flowID: flowID) }
            }
            ?? false
        // TLS/SSH past the handshake both ways: `encryption-handling` decides (bypass: to the kernel table in
        // live capture with `bypass: yes`, else local bypass; track-only: from the next packet, see above).
        // Taken before this packet's detection and logging: until the table write, every frame of the bulk
        // transfer that follows the handshake still reaches the ring, and user space has to read it.
        if let handle, case let flowID = self.flows[handle.slot].flowID,
            self.appLayer.withStage({ $0.takeEncryptedFlowAction(slot: handle.slot, flowID: flowID) }) == .bypass
        {
            self.bypass(slot: handle.slot)
        }
        if payloadOff, let handle {
            let flowID = self.flows[handle.slot].flowID
            self.appLayer.stage.countEncryptedPacket(slot: handle.slot, flowID: flowID, bytes: frame.count)
            // Stream data from before the encryption point is still inspected (it may be handed over after
            // the point was reached), cut at the point; what follows it is not.
            let end = self.appLayer.stage.encryptedFrom(slot: handle.slot, flowID: flowID, toServer: handle.toServer)
            self.streamBuffers = self.streamBuffers.compactMap { buffer in
                guard case .streamChunk(let offset) = buffer.kind, let end, offset < end else { return nil }
                let keep = Int(min(UInt64(buffer.bytes.count), end - offset))
                return InspectionBuffer(bytes: UnsafeRawBufferPointer(rebasing: buffer.bytes[0..<keep]), kind: buffer.kind)
            }
        }
        self.logAnomalies(frame: frame, handle: handle, stream: streamInfo)
        // Pass-packet / pass-flow / drop-packet, or a flow an exception policy passed: no detection; its
        // transactions are still logged.
        let skipsDetection =
            self.exceptionSkipsInspection || (handle.map { self.flows[$0.slot].passedByException } ?? false)
        if let detect = self.detect, !skipsDetection {
            detect.setPayloadInspectionDisabled(payloadOff)
            defer { detect.setPayloadInspectionDisabled(false) }
            var frame = frame
            if self.payloadNormalised, let normalised = self.stream?.normalisedPayload {
                // As Suricata inline: detection and logging see the data the stream kept, not the
                // overlapping bytes the packet carried.
                frame = self.rewrittenFrame.copy(frame, packet: packet, with: normalised)
            }
            self.inspect(detect, packet: packet, frame: frame, handle: handle, stream: streamInfo)
            if self.otherDirectionHasChunks, let stream = self.stream, let handle {
                // Chunks of the other direction (a closing session flushes both) are inspected with a
                // pseudo packet of that direction, as Suricata's stream-end pseudo packets are.
                let flow = self.flows[handle.slot]
                if Self.inspectChunks(
                    stream.rawChunks, toServer: !handle.toServer, flow: flow, slot: handle.slot,
                    timestamp: packet.timestamp, detect: detect, outputs: self.outputs,
                    inline: self.inline, appProto: self.appLayer.eveProtocol(slot: handle.slot, flowID: flow.flowID),
                    inspectUpTo: self.appLayer.encryptedLimit(slot: handle.slot, flowID: flow.flowID, toServer: !handle.toServer))
                {
                    self.flows[handle.slot].alerted = true
                }
            }
        } else if let handle, self.flows[handle.slot].key.proto == packet.l4Protocol {
            // No rules: the transactions this packet completed are still logged (and freed) now (not with an
            // ICMP error that joined the flow: nothing of the flow's app layer moved with it).
            self.appLayer.log(
                flow: self.flows[handle.slot], slot: handle.slot,
                packet: AppLayerPass.PacketFields(packet, toServer: handle.toServer))
        }
        if let handle, (self.streamBypass && self.streamAtDepth) || self.bypassRequested {
            self.bypass(slot: handle.slot)
        }
    }

    /// Bypasses a flow in the worker: its later packets are counted but not inspected (EVE state
    /// `bypassed`, `bypass: local`; timeout `flow-timeouts.*.bypassed`).
    mutating func bypass(slot: Int32) {
        guard self.flows[slot].state != .bypassed else { return }
        self.flows[slot].state = .bypassed
        let key = self.flows[slot].key
        if key.depth > 0 || self.packet.tunnelDepth > 0 || key.proto == IPProtocol.esp {
            // The kernel keys flows by their outer headers: a tunnelled flow is bypassed here, in the worker (also
            // one whose key holds no depth, `decoder.recursion-level.use-for-tracking: false`); so is an ESP flow,
            // whose key (its SPI, one way) the kernel's flow table does not have.
            self.flows[slot].bypass = .local
            if self.captureBypass != nil { self.tunnelLocalBypasses += 1 }
        } else if let kernel = self.captureBypass, kernel.offer(self.flows[slot], slot: slot, decidedOn: self.packet.timestamp) {
            self.flows[slot].bypass = .capture
        } else {
            self.flows[slot].bypass = .local
        }
    }

    /// Live capture with no packet for a while: lets flow timeouts run on `now` (wall-clock time) and makes
    /// the records written so far visible.
    mutating func idle(now: Timestamp, emit: (inout Flow, FlowEndReason) -> Void) {
        self.account(timestamp: now, emit: emit)
        self.outputs.flush()
    }

    /// Autofp worker: the reader's clock moved on to `now` (every packet of this worker's flows up to it has
    /// been processed), so flow timeouts run as they would in one worker.
    mutating func advanceClock(to now: Timestamp, emit: (inout Flow, FlowEndReason) -> Void) {
        guard self.firstTimestamp != nil else { return }
        self.account(timestamp: now, emit: emit)
    }

    /// Tracks packet time and runs the flow-timeout sweep once per second of it.
    private mutating func account(timestamp: Timestamp, emit: (inout Flow, FlowEndReason) -> Void) {
        if self.firstTimestamp == nil { self.firstTimestamp = timestamp }
        if timestamp > self.lastTimestamp { self.lastTimestamp = timestamp }
        let second = self.lastTimestamp.seconds
        if second != self.lastSweepSecond {
            if self.lastSweepSecond != Int64.min {
                self.flows.expire(now: self.lastTimestamp, emit: emit)
                self.defrag?.expire(now: self.lastTimestamp)
            }
            self.lastSweepSecond = second
        }
    }

    /// Ends every flow, writes the stats record and flushes the outputs.
    mutating func finish(writeStats: Bool = true) {
        self.flows.flush(emit: self.flowEndHandler())
        if writeStats { self.writeStats() }
        outputs.flush()
    }

    /// Seconds between the first and the last packet (or tick).
    var uptimeSeconds: UInt64 {
        UInt64(max(0, self.lastTimestamp.seconds - (self.firstTimestamp?.seconds ?? self.lastTimestamp.seconds)))
    }

    /// Merged decoder counters over every link type.
    var decodeStatistics: DecodeStatistics {
        var merged = DecodeStatistics()
        for decoder in self.decoders.values { merged.merge(decoder.statistics) }
        return merged
    }

    /// Every counter of this worker, Suricata's names where Suricata has the counter and Weir's own otherwise
    /// (``EngineCounter/schemaKnown`` tells them apart; docs/counters.md lists Weir's). This is the one list
    /// that EVE stats records, stats.log, `dump-counters` and metrics all read. `decoders` are decoders not
    /// held in ``decoders`` (a live worker's, until it stops); `current` the decoder a replay is using now,
    /// which stands for the stored one of its link type; `capture` the capture counters to add.
    func allCounters(
        decoders extra: [PacketDecoder] = [], current: PacketDecoder? = nil, capture: [(String, UInt64)] = []
    ) -> [EngineCounter] {
        var pairs: [(String, UInt64)] = []
        pairs.reserveCapacity(640)
        pairs += capture
        var decode = DecodeStatistics()
        for (type, decoder) in self.decoders where type != current?.linkType.rawValue {
            decode.merge(decoder.statistics)
        }
        if let current { decode.merge(current.statistics) }
        for decoder in extra { decode.merge(decoder.statistics) }
        decode.forEachCounter { pairs.append(($0, $1)) }
        // With the stream engine on, its `tcp.*` counters (sessions, midstream pickups …) replace the flow
        // table's estimates of the same name.
        let streamCounters = self.stream?.statistics.namedValues ?? []
        let streamNames = Set(streamCounters.map(\.0))
        for (name, value) in self.flows.statistics.namedValues where !streamNames.contains(name) {
            pairs.append((name, value))
        }
        pairs += streamCounters
        pairs += self.appLayer.stage.counters.values
        // The file store is the workers' one: its counters come with the worker that opened it.
        if self.outputs.ownsNetwork, let store = self.outputs.fileStore { pairs += store.counters }
        if self.liveSource == nil {
            pairs.append(("pcap.files", self.filesRead))
            pairs.append(("pcap.files_damaged", UInt64(self.damaged.count)))
            pairs.append(("pcap.files_unreadable", UInt64(self.unreadable.count)))
            pairs.append(("pcap.bytes", self.bytesRead))
        }
        pairs += self.defrag?.statistics.namedValues ?? []
        pairs += self.exceptionCounters.namedValues
        if self.inline { pairs += self.ipsCounters.namedValues }
        pairs.append(("flow_bypassed.local_pkts", self.bypassedPackets))
        pairs.append(("flow_bypassed.local_bytes", self.bypassedBytes))
        pairs += self.captureBypass?.counters ?? []
        if self.captureBypass != nil {
            pairs.append(("flow_bypassed.capture_fallback_tunnel", self.tunnelLocalBypasses))
        }
        if let detect = self.detect {
            pairs += detect.counters.namedValues
        } else {
            pairs.append(("detect.alert", 0))
        }
        // The network outputs are shared by a live capture's workers: the first one's outputs own them.
        if self.outputs.ownsNetwork { pairs += self.outputs.networkCounters }
        return EngineCounters.make(pairs)
    }

    /// Writes a stats record and stats.log block of this pipeline alone (replay's one worker); `current` is
    /// the decoder of the file being read.
    func writeStats(current: PacketDecoder? = nil) {
        let counters = self.allCounters(current: current)
        self.outputs.stats.write(
            time: self.lastTimestamp, uptime: self.outputs.stats.uptime, totals: counters,
            threads: [(name: "W#01", counters: counters)], outputs: self.outputs)
    }

    /// The one-screen summary printed at the end.
    /// The one-screen summary; `others` are further live-capture workers whose figures are added in.
    func summary(files: Int, seconds: Double, logDirectory: String, others: [ReplayPipeline] = []) -> String {
        var d = self.decodeStatistics
        var f = self.flows.statistics
        var packets = self.packetNumber
        var bytes = self.bytesRead
        var alerts = self.outputs.alertRecords
        var dropped = self.packetsDropped
        var records = self.outputs.eveWriter?.recordCount ?? 0
        for other in others {
            d.merge(other.decodeStatistics)
            let o = other.flows.statistics
            f.total += o.total
            f.tcp += o.tcp
            f.udp += o.udp
            f.icmpv4 += o.icmpv4
            f.icmpv6 += o.icmpv6
            f.other += o.other
            f.evicted += o.evicted
            packets += other.packetNumber
            bytes += other.bytesRead
            alerts += other.outputs.alertRecords
            dropped += other.packetsDropped
            records += other.outputs.eveWriter?.recordCount ?? 0
        }
        let rate = seconds > 0 ? Double(packets) / seconds : 0
        var events: [(String, UInt64)] = []
        for event in DecodeEvent.allCases where d.count(of: event) > 0 { events.append((event.name, d.count(of: event))) }
        events.sort { $0.1 > $1.1 }
        let eventTotal = events.reduce(0) { $0 + $1.1 }
        var s = "weir: read \(Format.count(packets)) packets (\(Format.bytes(bytes))) from "
        if let live = self.liveSource {
            s += "\(live) in \(Format.seconds(seconds)) (\(Format.rate(rate)))\n"
        } else {
            s += "\(files) file\(files == 1 ? "" : "s") in \(Format.seconds(seconds)) (\(Format.rate(rate)))\n"
        }
        s += "  flows:    \(Format.count(f.total)) (tcp \(Format.count(f.tcp)), udp \(Format.count(f.udp)), "
        s += "icmp \(Format.count(f.icmpv4 + f.icmpv6)), other \(Format.count(f.other)))"
        if f.evicted > 0 { s += "; \(Format.count(f.evicted)) evicted at the flow cap" }
        s += "\n"
        s += "  decoder:  \(Format.count(d.invalid)) invalid packets, \(Format.count(eventTotal)) decode events"
        if !events.isEmpty {
            s += " (" + events.prefix(5).map { "\($0.0) \(Format.count($0.1))" }.joined(separator: ", ")
            s += events.count > 5 ? ", …)" : ")"
        }
        s += "\n"
        s += "  alerts:   \(Format.count(alerts))"
        if self.inline { s += "; IPS: \(Format.count(dropped)) packets dropped" }
        s += "\n"
        for damage in self.damaged {
            s += "  damaged:  \(damage.path): after \(Format.count(damage.packetsBefore)) packets: \(damage.message)\n"
        }
        for (path, why) in self.unreadable { s += "  skipped:  \(path): \(why)\n" }
        if let stopped = self.stoppedEarly {
            s += "  stopped:  by \(stopped.reason) after packet \(Format.count(packets))"
            if stopped.filesNotRead > 0 {
                s += "; \(stopped.filesNotRead) input file\(stopped.filesNotRead == 1 ? "" : "s") not read"
            }
            s += "\n"
        }
        if let eve = self.outputs.eve {
            // With several eve-log outputs each takes its own record types: count what reached this file.
            if (self.outputs.eveOutputs?.routes.count ?? 1) > 1 {
                records = eve.linesWritten
                for other in others { records += other.outputs.eve?.linesWritten ?? 0 }
            }
            if eve.writeError != nil {
                // What reached the file, not what was rendered: the rest was lost to the write error.
                records = eve.linesWritten
                for other in others { records += other.outputs.eve?.linesWritten ?? 0 }
                s += "  eve:      \(eve.path) (\(Format.count(records)) complete records written before the error)\n"
            } else {
                s += "  eve:      \(eve.path) (\(Format.count(records)) records)\n"
            }
        }
        for sink in self.outputs.networkSinks {
            let c = sink.counters
            s += "  eve:      \(sink.label): \(Format.count(c.written)) records written, "
            s += "\(Format.count(c.dropped)) dropped, \(Format.count(c.reconnects)) reconnects\n"
        }
        return s
    }
}

/// Number formatting for human-readable summaries (no Foundation).
enum Format {
    static func count(_ n: UInt64) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func fixed(_ x: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let n = Int64((x * scale).rounded())
        let whole = n / Int64(scale)
        let frac = n % Int64(scale)
        if places == 0 { return String(whole) }
        var f = String(frac)
        while f.count < places { f = "0" + f }
        return "\(whole).\(f)"
    }

    static func bytes(_ n: UInt64) -> String {
        let x = Double(n)
        if x >= 1e9 { return fixed(x / 1e9, 2) + " GB" }
        if x >= 1e6 { return fixed(x / 1e6, 1) + " MB" }
        if x >= 1e3 { return fixed(x / 1e3, 1) + " kB" }
        return "\(n) B"
    }

    static func seconds(_ s: Double) -> String { fixed(s, s < 10 ? 3 : 1) + " s" }

    static func rate(_ pps: Double) -> String {
        if pps >= 1e6 { return fixed(pps / 1e6, 2) + " Mpps" }
        if pps >= 1e3 { return fixed(pps / 1e3, 1) + " kpps" }
        return fixed(pps, 0) + " pps"
    }
}

/// The progress line on stderr: bytes read out of the total, packet rate and alerts so far, redrawn about four
/// times a second; drawn only when stderr is a terminal.
struct ProgressLine {
    let enabled: Bool
    let totalBytes: Int64
    var doneBytes: Int64 = 0
    var lastDraw = -1.0
    let start = monotonicSeconds()
    var drawn = false

    init(enabled: Bool, totalBytes: Int64) {
        self.enabled = enabled
        self.totalBytes = max(totalBytes, 1)
    }

    mutating func update(fileBytesDone: Int64, packets: UInt64, alerts: UInt64) {
        guard self.enabled else { return }
        let now = monotonicSeconds()
        guard self.lastDraw < 0 || now - self.lastDraw >= 0.25 else { return }
        self.lastDraw = now
        let done = self.doneBytes + fileBytesDone
        let share = Double(done) / Double(self.totalBytes) * 100
        let rate = Double(packets) / max(now - self.start, 1e-6)
        FileDescriptorOutput.standardError.write(
            "\r\u{1B}[Kweir: \(Format.bytes(UInt64(max(done, 0)))) of \(Format.bytes(UInt64(self.totalBytes))) read "
                + "(\(Format.fixed(min(share, 100), 1))%), \(Format.count(packets)) packets, \(Format.rate(rate)), "
                + "\(Format.count(alerts)) alerts")
        self.drawn = true
    }

    mutating func finishFile(size: Int64) { self.doneBytes += size }

    mutating func clear() {
        if self.drawn {
            FileDescriptorOutput.standardError.write("\r\u{1B}[K")
            self.drawn = false
        }
    }
}
