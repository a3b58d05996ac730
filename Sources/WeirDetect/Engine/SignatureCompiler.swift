// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirStream

/// Turns typed rules (``Rule``) into engine ``Signature``s: interns flowbit/flowint/xbit names and sticky
/// buffers, compiles pcre, picks the fast pattern, and checks what the engine cannot run.
package struct SignatureCompiler {
    /// Gives signatures their category and severity.
    package var classifications: ClassificationTable
    /// Interned flowbit names.
    package var flowbitIDs: [String: Int] = [:]
    /// Interned flowint names.
    package var flowintIDs: [String: Int] = [:]
    /// Interned xbit names.
    package var xbitIDs: [String: Int] = [:]
    /// Sticky buffer name → id.
    package var stickyIDs: [String: Int] = [:]
    /// Transformed views of sticky buffers, each with its own id.
    package var derivedBuffers: [DerivedBuffer] = []
    /// Compiled regexes by (pattern, options), shared between rules.
    var regexCache: [String: CompiledRegex] = [:]

    /// Makes a compiler.
    package init(classifications: ClassificationTable) { self.classifications = classifications }

    /// Application protocols that also run over UDP.
    static let udpApplications: Set<String> = [
        "dns", "ntp", "dhcp", "snmp", "tftp", "sip", "ike", "ikev2", "quic", "krb5", "nfs", "mdns", "llmnr",
        "bittorrent-dht", "dcerpc-udp", "enip",
    ]

    /// Compiles one rule, or says why the engine cannot run it.
    package mutating func compile(_ loaded: LoadedRule) -> Result<Signature, SignatureCompileError> {
        let rule = loaded.rule
        func fail(_ keyword: String, _ reason: String) -> Result<Signature, SignatureCompileError> {
            .failure(
                SignatureCompileError(
                    gid: rule.gid,
                    sid: rule.sid,
                    file: loaded.file,
                    line: loaded.line,
                    keyword: keyword,
                    reason: reason
                )
            )
        }
        let unsupported = rule.unsupportedKeywords
        if let first = unsupported.first { return fail(first, "keyword not supported") }

        let s = Signature(sid: rule.sid)
        s.file = loaded.file
        s.line = loaded.line
        s.gid = rule.gid
        s.rev = rule.rev
        s.message = rule.message
        s.classtype = rule.classtype
        s.metadata = rule.metadata.filter { !$0.value.isEmpty }.map { ($0.key, $0.value) }
        let (category, severity) = self.classifications.categoryAndSeverity(of: rule)
        s.category = category ?? ""
        s.severity = severity
        switch rule.action.kind {
        case .alert: s.action = .alert
        case .drop: s.action = .drop
        case .pass: s.action = .pass
        case .reject, .rejectsrc, .rejectdst, .rejectboth:
            s.action = .reject
            s.rejectKind = rule.action.kind.rawValue
        case .accept, .config: return fail("action", "firewall action \(rule.action.kind.rawValue) not supported")
        }

        switch rule.proto.name {
        case "ip", "pkthdr": s.proto = .ip
        case "ipv4", "ip4":
            s.proto = .ip
            s.ipVersion = 4
        case "ipv6", "ip6":
            s.proto = .ip
            s.ipVersion = 6
        case "tcp": s.proto = .transport(IPProtocol.tcp)
        case "tcp-pkt":
            // Packets only, never reassembled data (Suricata 7's tcp-pkt).
            s.proto = .transport(IPProtocol.tcp)
            s.payloadScope = .packetOnly
        case "tcp-stream":
            s.proto = .transport(IPProtocol.tcp)
            s.payloadScope = .streamOnly
        case "udp", "udp-pkt": s.proto = .transport(IPProtocol.udp)
        case "icmp": s.proto = .icmpAny
        case "icmpv4": s.proto = .transport(IPProtocol.icmp)
        case "icmpv6": s.proto = .transport(IPProtocol.icmpv6)
        case "sctp": s.proto = .transport(IPProtocol.sctp)
        case "igmp": s.proto = .transport(IPProtocol.igmp)
        case "ether", "arp": return fail("protocol", "\(rule.proto.name) rules are not supported")
        default:
            let name = rule.proto.name
            let transports: [UInt8] =
                Self.udpApplications.contains(name) ? [IPProtocol.tcp, IPProtocol.udp] : [IPProtocol.tcp]
            s.proto = .application(name: name == "http1" ? "http" : name, transports: transports)
        }
        s.source = Self.addresses(loaded.sourceSet)
        s.destination = Self.addresses(loaded.destinationSet)
        s.sourcePorts = Self.ports(loaded.sourcePortSet)
        s.destinationPorts = Self.ports(loaded.destinationPortSet)
        s.bidirectional = rule.direction == .both
        if rule.direction == .transactional { return fail("direction", "=> (transactional) rules are not supported") }

        for option in rule.options {
            switch option {
            case .flow(let f):
                var c = s.flow ?? FlowCondition()
                c.toServer = c.toServer || f.contains(.toServer)
                c.toClient = c.toClient || f.contains(.toClient)
                c.established = c.established || f.contains(.established)
                c.notEstablished = c.notEstablished || f.contains(.notEstablished)
                c.stateless = c.stateless || f.contains(.stateless)
                c.onlyStream = c.onlyStream || f.contains(.onlyStream)
                c.noStream = c.noStream || f.contains(.noStream)
                if f.contains(.onlyStream) { s.payloadScope = .streamOnly }
                if f.contains(.noStream) { s.payloadScope = .packetOnly }
                c.onlyFragment = c.onlyFragment || f.contains(.onlyFrag)
                c.noFragment = c.noFragment || f.contains(.noFrag)
                s.flow = c
            case .flowbits(let command):
                let ids = command.names.map { Self.intern($0, in: &self.flowbitIDs) }
                switch command.operation {
                case .set: s.flowbits.append(.set(ids))
                case .unset: s.flowbits.append(.unset(ids))
                case .toggle: s.flowbits.append(.toggle(ids))
                case .isset: s.flowbits.append(.isSet(ids, anyOf: !command.requiresAll))
                case .isnotset: s.flowbits.append(.isNotSet(ids, anyOf: !command.requiresAll))
                case .noalert: s.noalert = true
                }
            case .xbits(let command, let track, let expire):
                let trackKind: XbitTrack
                switch track {
                case .sourceIP: trackKind = .sourceIP
                case .destinationIP: trackKind = .destinationIP
                case .ipPair: trackKind = .ipPair
                case .tx: return fail("xbits", "track tx is not supported")
                }
                for name in command.names {
                    let id = Self.intern(name, in: &self.xbitIDs)
                    let cmd: XbitOperation.Command
                    switch command.operation {
                    case .set: cmd = .set
                    case .unset: cmd = .unset
                    case .toggle: cmd = .toggle
                    case .isset: cmd = .isSet
                    case .isnotset: cmd = .isNotSet
                    case .noalert:
                        s.noalert = true
                        continue
                    }
                    s.xbits.append(XbitOperation(command: cmd, bit: id, track: trackKind, expire: Int64(expire ?? 30)))
                }
            case .flowint(let command):
                let id = Self.intern(command.name, in: &self.flowintIDs)
                var value = FlowintValue.none
                switch command.value {
                case .literal(let v): value = .literal(v)
                case .variable(let name): value = .variable(Self.intern(name, in: &self.flowintIDs))
                case nil: break
                }
                let op: FlowintOperation.Operator
                switch command.op {
                case .assign: op = .assign
                case .add: op = .add
                case .subtract: op = .subtract
                case .equal: op = .equal
                case .notEqual: op = .notEqual
                case .less: op = .less
                case .greater: op = .greater
                case .lessOrEqual: op = .lessOrEqual
                case .greaterOrEqual: op = .greaterOrEqual
                case .isset: op = .isSet
                case .notset, .isnotset: op = .isNotSet
                }
                s.flowints.append(FlowintOperation(variable: id, op: op, value: value))
            case .threshold(let t):
                guard let spec = Self.thresholdSpec(t, detectionFilter: false) else {
                    return fail("threshold", "type \(t.kind.rawValue) is not supported")
                }
                s.threshold = spec
            case .detectionFilter(let t):
                guard let spec = Self.thresholdSpec(t, detectionFilter: true) else {
                    return fail("detection_filter", "unsupported form")
                }
                s.threshold = spec
            case .integer(let keyword, let match):
                let c = Self.condition(match)
                switch keyword {
                case .ttl: s.headerChecks.append(.ttl(c))
                case .dsize:
                    s.headerChecks.append(.dsize(c))
                    // Suricata: dsize makes a rule inspect packets (SIG_FLAG_REQUIRE_PACKET), not the stream.
                    if s.payloadScope == .packetAndStream { s.payloadScope = .packetOnly }
                case .itype: s.headerChecks.append(.itype(c))
                case .icode: s.headerChecks.append(.icode(c))
                case .icmpID: s.headerChecks.append(.icmpID(c))
                case .icmpSeq: s.headerChecks.append(.icmpSequence(c))
                case .ack, .tcpAck: s.headerChecks.append(.tcpAck(c))
                case .seq, .tcpSeq: s.headerChecks.append(.tcpSeq(c))
                case .window, .tcpWindow: s.headerChecks.append(.tcpWindowSize(c))
                case .tcpMSS: s.headerChecks.append(.tcpMSS(c))
                case .vlanLayers:
                    s.headerChecks.append(.vlanLayers(c))
                    // Suricata: a packet keyword (SIG_FLAG_REQUIRE_PACKET), never matched on stream data.
                    if s.payloadScope == .packetAndStream { s.payloadScope = .packetOnly }
                case .flowAge: s.flowValueChecks.append(FlowValueCheck(field: .age, condition: c))
                case .flowPkts: s.flowValueChecks.append(FlowValueCheck(field: .packets, condition: c))
                case .flowBytes: s.flowValueChecks.append(FlowValueCheck(field: .bytes, condition: c))
                case .flowPktsToServer: s.flowValueChecks.append(FlowValueCheck(field: .packetsToServer, condition: c))
                case .flowPktsToClient: s.flowValueChecks.append(FlowValueCheck(field: .packetsToClient, condition: c))
                case .flowBytesToServer: s.flowValueChecks.append(FlowValueCheck(field: .bytesToServer, condition: c))
                case .flowBytesToClient: s.flowValueChecks.append(FlowValueCheck(field: .bytesToClient, condition: c))
                case .flowPktsEither: s.flowValueChecks.append(FlowValueCheck(field: .packetsEither, condition: c))
                case .flowBytesEither: s.flowValueChecks.append(FlowValueCheck(field: .bytesEither, condition: c))
                default: return fail(keyword.rawValue, "keyword not implemented by the engine")
                }
            case .tos(let value, let negated): s.headerChecks.append(.tos(value, negated: negated))
            case .tcpFlags(let f):
                s.headerChecks.append(
                    .tcpFlags(BitsCondition(bits: f.flags, modifier: Self.modifier(f.modifier), ignore: f.ignored))
                )
            case .fragbits(let bits, let modifier):
                s.headerChecks.append(.fragbits(BitsCondition(bits: bits, modifier: Self.modifier(modifier))))
            case .fragoffset(let comparison, let value):
                s.headerChecks.append(.fragOffset(comparison: comparison == "<" ? -1 : comparison == ">" ? 1 : 0, value))
            case .ipopts(let name):
                guard let mask = Self.ipOptionMask(name) else { return fail("ipopts", "unknown option \(name)") }
                s.headerChecks.append(.ipOption(mask: mask))
            case .ipProto(let match): s.headerChecks.append(.ipProto(Self.condition(match)))
            case .sameIP: s.headerChecks.append(.sameIP)
            case .vlanID(let m):
                let layer: VLANIDCondition.Layer
                switch m.layer {
                case .any: layer = .any
                case .all: layer = .all
                case .index(let index): layer = .index(index)
                }
                s.headerChecks.append(.vlanID(VLANIDCondition(Self.condition(m.match), layer: layer)))
                // Suricata: a packet keyword (SIG_FLAG_REQUIRE_PACKET), never matched on stream data.
                if s.payloadScope == .packetAndStream { s.payloadScope = .packetOnly }
            case .noalert: s.noalert = true
            case .bypass: s.bypass = true
            case .tag, .prefilter: break
            case .alert: return fail("alert", "firewall-mode alert option is not supported")
            case .event(.stream, let name):
                // Names as in Suricata's stream-events.rules, with or without the `stream.` prefix.
                let bare = name.hasPrefix("stream.") ? String(name.dropFirst(7)) : name
                guard let event = StreamEvent(name: bare) else {
                    return fail("stream-event", "event \(name) is not raised by Weir")
                }
                s.streamEvents.append(event)
            case .event(.appLayer, let name):
                // Parser events (`http.request_header_invalid`) and the app layer's own detection events.
                s.appLayerEvents.append(name.lowercased())
            case .event(let kind, let name):
                guard kind == .decode, let event = DecodeEvent(name: name) else {
                    return fail(kind.rawValue, "event \(name) is not raised by Weir")
                }
                s.headerChecks.append(.decodeEvent(event))
                s.checksDecodeEvents = true
            case .appLayerProtocol(let name, let negated, _):
                // Matched against the protocol the app-layer stage reports for the flow (`inspect(appProtocol:)`).
                s.appLayerProtocols.append((name == "http1" ? "http" : name, negated))
            case .urilen(let match, let raw):
                // A length check on the (raw) URI buffer, evaluated when the app-layer stage supplies it.
                let name = raw ? BufferID.httpRawURI.name : BufferID.httpURI.name
                let id = Self.intern(name, in: &self.stickyIDs)
                s.buffers.append(
                    BufferProgram(
                        stickyBuffer: id,
                        program: PayloadProgram(steps: [.bufferSize(Self.condition(match))])
                    )
                )
            case .checksum(let layer, _): return fail(layer, "checksum keywords are not implemented")
            case .streamSize(let side, let match):
                guard let which = StreamSizeCheck.Side(rawValue: side) else {
                    return fail("stream_size", "unknown side \(side)")
                }
                s.streamSizes.append(StreamSizeCheck(side: which, condition: Self.condition(match)))
            case .sslState(let states): s.appLayerConditions.append(("ssl_state", states.joined(separator: "|")))
            case .sslVersion(let versions): s.appLayerConditions.append(("ssl_version", versions.joined(separator: ",")))
            case .tlsVersion(let version): s.appLayerConditions.append(("tls.version", version))
            case .appLayerCondition(let keyword, let value):
                s.appLayerConditions.append((keyword, value))
                if keyword.hasPrefix("tls_cert") || ["tls.fingerprint", "tls.subject", "tls.issuerdn", "tls.cert_chain_len"]
                    .contains(keyword)
                {
                    s.conditionDirections = 2
                }
            case .filesize(let match):
                s.fileChecks.append(.size(match))
                // Weir's files are HTTP response bodies: inspected with the response.
                s.conditionDirections = 2
            case .fileHash(let match):
                guard let hashes = match.hashes else {
                    return fail(match.kind.keyword, "hash list \(match.list) was not loaded")
                }
                s.fileChecks.append(.hash(match.kind, hashes, negated: match.isNegated))
                s.conditionDirections = 2
            case .ftpbounce: return fail("ftpbounce", "needs the app-layer stage")
            case .unsupported(let name, _): return fail(name, "keyword not supported")
            }
        }

        // Payload programs.
        // Variables get slots in rule order across sections (a byte_extract may feed a later section).
        var variables: [String: Int] = [:]
        var definitions: [(rank: Int, name: String)] = []
        for section in rule.sections {
            for (k, match) in section.matches.enumerated() {
                let rank = k < section.order.count ? section.order[k] : k
                if case .byteExtract(let b) = match { definitions.append((rank, b.name)) }
                if case .byteMath(let b) = match { definitions.append((rank, b.result)) }
            }
        }
        for definition in definitions.sorted(by: { $0.rank < $1.rank }) where variables[definition.name] == nil {
            variables[definition.name] = variables.count
        }
        var sectionBufferIDs: [Int?] = []
        var compiledSections: [(name: String, sticky: Int?, steps: [PayloadStep])] = []
        for section in rule.sections {
            var transforms: [BufferTransform] = []
            for transform in section.transforms {
                switch transform {
                case .dotprefix: transforms.append(.dotprefix)
                case .stripWhitespace: transforms.append(.stripWhitespace)
                case .compressWhitespace: transforms.append(.compressWhitespace)
                case .toLowercase: transforms.append(.toLowercase)
                case .toUppercase: transforms.append(.toUppercase)
                case .urlDecode: transforms.append(.urlDecode)
                case .xor(let key): transforms.append(.xor(key))
                case .toMD5: transforms.append(.toMD5)
                case .toSHA1: transforms.append(.toSHA1)
                case .toSHA256: transforms.append(.toSHA256)
                case .headerLowercase: transforms.append(.headerLowercase)
                case .stripPseudoHeaders: transforms.append(.stripPseudoHeaders)
                case .pcrexform(let pattern):
                    // Suricata takes the pattern as written, without delimiters or flags.
                    do {
                        let regex = try CompiledRegex(pattern: pattern, options: [])
                        transforms.append(.pcrexform(RegexTransform(pattern: pattern, regex: regex)))
                    } catch {
                        return fail("pcrexform", error.description)
                    }
                case .fromBase64(let arguments):
                    var offset = 0
                    var bytes = 0
                    for part in (arguments ?? "").split(separator: ",") {
                        let words = part.split(separator: " ")
                        guard words.count == 2, let n = Int(words[1]) else { continue }
                        if words[0] == "offset" { offset = n } else if words[0] == "bytes" { bytes = n }
                    }
                    transforms.append(.fromBase64(offset: offset, bytes: bytes))
                default: return fail(transform.keyword, "transform not implemented by the engine")
                }
            }
            if !transforms.isEmpty && section.buffer == .payload {
                return fail(section.transforms[0].keyword, "transforms on the packet payload are not implemented")
            }
            var steps: [PayloadStep] = []
            for match in section.matches {
                switch self.step(for: match, variables: &variables) {
                case .success(let step): steps.append(step)
                case .failure(let error): return fail(error.keyword, error.reason)
                }
            }
            // `http.response_body` is Suricata's file_data list seen from the response: the same buffer (one
            // prefilter database, one scan of the body), with the rule made to-client.
            let bufferName = section.buffer == .httpResponseBody ? BufferID.fileData.name : section.buffer.name
            if section.buffer == .httpResponseBody { s.conditionDirections = 2 }
            var sticky: Int? =
                section.buffer == .payload ? nil : Self.intern(bufferName, in: &self.stickyIDs)
            if let base = sticky, !transforms.isEmpty {
                // The transformed view is a buffer of its own: own id, own prefilter database.
                let name =
                    bufferName + "|" + section.transforms.map(\.keyword).joined(separator: "|")
                    + "|\(transforms)"
                let known = self.stickyIDs[name] != nil
                let id = Self.intern(name, in: &self.stickyIDs)
                if !known { self.derivedBuffers.append(DerivedBuffer(id: id, base: base, transforms: transforms)) }
                sticky = id
                sectionBufferIDs.append(id)
            } else {
                sectionBufferIDs.append(sticky)
            }
            compiledSections.append((bufferName, sticky, steps))
        }
        // base64_data is the terminal list of the base64_decode before it (Suricata's DETECT_SM_LIST_BASE64_DATA).
        var index = 0
        // `urilen` added its URI program above.
        var readsAppLayerBuffer = s.buffers.contains { $0.stickyBuffer != nil }
        while index < compiledSections.count {
            var (name, sticky, steps) = compiledSections[index]
            if name == "base64_data" { return fail("base64_data", "base64_data without a base64_decode before it") }
            if let k = steps.lastIndex(where: { if case .base64Decode = $0 { return true } else { return false } }) {
                guard index + 1 < compiledSections.count, compiledSections[index + 1].name == "base64_data",
                    case .base64Decode(var decode) = steps[k]
                else { return fail("base64_decode", "base64_decode needs base64_data and content after it") }
                decode.data = PayloadProgram(steps: compiledSections[index + 1].steps)
                steps[k] = .base64Decode(decode)
                index += 1
            }
            if sticky != nil && PacketHeaderBuffer(name: name) == nil { readsAppLayerBuffer = true }
            s.buffers.append(BufferProgram(stickyBuffer: sticky, program: PayloadProgram(steps: steps)))
            index += 1
        }
        s.variableSlots = variables.count
        // Packet-header buffers (`tcp.hdr` …) are packet data: a rule reading only those (and the payload) is a
        // packet rule, inspected on every packet, as Suricata registers them as packet inspection engines.
        s.isTransactional =
            readsAppLayerBuffer || s.appLayerEvents.contains { $0.contains(".") } || !s.appLayerConditions.isEmpty
            || !s.fileChecks.isEmpty
        if case .application = s.proto {
        } else if !s.appLayerProtocols.isEmpty, s.buffers.isEmpty, s.appLayerEvents.isEmpty, s.headerChecks.isEmpty,
            s.flowValueChecks.isEmpty, !s.flowbits.contains(where: { $0.isCondition }), s.xbits.isEmpty,
            s.flowints.isEmpty,
            s.flow.map({ !$0.established && !$0.notEstablished && !$0.onlyStream && !$0.noStream }) ?? true
        {
            s.isProtocolDetectionOnly = true
        }

        // Fast pattern: the explicit or longest positive content; chop honoured.
        if let (si, mi) = rule.fastPatternContent, rule.sections[si].buffer.name != "base64_data",
            case .content(let c) = rule.sections[si].matches[mi], !c.isNegated,
            !c.pattern.isEmpty
        {
            var bytes = c.pattern
            if case .chop(let offset, let length) = c.fastPattern, offset >= 0, length > 0,
                offset + length <= bytes.count
            {
                bytes = Array(bytes[offset..<offset + length])
            }
            s.fastPattern = PrefilterPattern(bytes: bytes, nocase: c.nocase)
            s.fastPatternBuffer = sectionBufferIDs[si]
        }
        return .success(s)
    }

    struct StepError: Error {
        var keyword: String
        var reason: String
    }

    mutating func step(for match: PayloadMatch, variables: inout [String: Int]) -> Result<PayloadStep, StepError> {
        func operand(_ value: IntegerOrVariable?) -> Result<ValueOperand?, StepError> {
            switch value {
            case nil: return .success(nil)
            case .literal(let v): return .success(.literal(v))
            case .variable(let name):
                guard let slot = variables[name] else {
                    return .failure(
                        StepError(keyword: name, reason: "variable used before byte_extract/byte_math sets it")
                    )
                }
                return .success(.variable(slot))
            }
        }
        func format(_ f: ByteFormat) -> NumberFormat {
            var n = NumberFormat()
            n.littleEndian = f.endian == .little || f.endian == .dce
            switch f.stringBase {
            case .hex: n.stringBase = 16
            case .dec: n.stringBase = 10
            case .oct: n.stringBase = 8
            case nil: break
            }
            return n
        }
        switch match {
        case .content(let c):
            var step = ContentStep(pattern: c.pattern, nocase: c.nocase, negated: c.isNegated)
            do {
                step.offset = try operand(c.offset).get()
                step.depth = try operand(c.depth).get()
                step.distance = try operand(c.distance).get()
                step.within = try operand(c.within).get()
            } catch { return .failure(error) }
            if case .literal(let w) = c.within, w < c.pattern.count {
                return .failure(
                    StepError(
                        keyword: "within",
                        reason: "within (\(w)) is less than the content length (\(c.pattern.count))"
                    )
                )
            }
            if case .literal(let d) = c.depth, d < c.pattern.count {
                return .failure(
                    StepError(
                        keyword: "depth",
                        reason: "depth (\(d)) is less than the content length (\(c.pattern.count))"
                    )
                )
            }
            if c.startsWith {
                step.depth = .literal(Int64(c.pattern.count))
                if step.offset == nil { step.offset = .literal(0) }
            }
            step.endsWith = c.endsWith
            return .success(.content(step))
        case .pcre(let p):
            var options: CompiledRegex.Options = []
            if p.flags.contains(.caseless) { options.insert(.caseless) }
            if p.flags.contains(.dotAll) { options.insert(.dotAll) }
            if p.flags.contains(.multiline) { options.insert(.multiline) }
            if p.flags.contains(.extended) { options.insert(.extended) }
            if p.flags.contains(.anchored) { options.insert(.anchored) }
            if p.flags.contains(.dollarEndOnly) { options.insert(.dollarEndOnly) }
            if p.flags.contains(.ungreedy) { options.insert(.ungreedy) }
            let key = "\(options.rawValue)/" + p.pattern
            let regex: CompiledRegex
            if let cached = self.regexCache[key] {
                regex = cached
            } else {
                do throws(RegexCompileError) {
                    regex = try CompiledRegex(pattern: p.pattern, options: options)
                } catch {
                    return .failure(StepError(keyword: "pcre", reason: error.description))
                }
                self.regexCache[key] = regex
            }
            return .success(.pcre(PCREStep(regex: regex, negated: p.isNegated, relative: p.flags.contains(.relative))))
        case .byteTest(let b):
            let op: ByteTestStep.Operator
            switch b.op {
            case .lt: op = .less
            case .gt: op = .greater
            case .eq: op = .equal
            case .le: op = .lessOrEqual
            case .ge: op = .greaterOrEqual
            case .and: op = .and
            case .xor: op = .xor
            }
            guard case .success(let value?) = operand(b.value), case .success(let offset?) = operand(b.offset) else {
                return .failure(StepError(keyword: "byte_test", reason: "unknown variable"))
            }
            guard case .success(let count?) = operand(b.count) else {
                return .failure(StepError(keyword: "byte_test", reason: "unknown variable"))
            }
            var step = ByteTestStep(count: 0, op: op, value: value, offset: offset)
            step.count = count
            step.negated = b.isNegated
            step.relative = b.relative
            step.format = format(b.format)
            step.bitmask = b.bitmask
            return .success(.byteTest(step))
        case .byteJump(let b):
            guard case .success(let offset?) = operand(b.offset) else {
                return .failure(StepError(keyword: "byte_jump", reason: "unknown variable"))
            }
            guard case .success(let count?) = operand(b.count) else {
                return .failure(StepError(keyword: "byte_jump", reason: "unknown variable"))
            }
            var step = ByteJumpStep(count: 0, offset: offset)
            step.count = count
            step.relative = b.relative
            step.multiplier = UInt64(max(b.multiplier ?? 1, 0))
            step.format = format(b.format)
            step.align = b.align
            step.fromBeginning = b.fromBeginning
            step.fromEnd = b.fromEnd
            step.postOffset = Int64(b.postOffset ?? 0)
            step.bitmask = b.bitmask
            return .success(.byteJump(step))
        case .byteExtract(let b):
            let slot = variables[b.name] ?? variables.count
            variables[b.name] = slot
            var step = ByteExtractStep(count: b.count, offset: Int64(b.offset), slot: slot)
            step.relative = b.relative
            step.multiplier = UInt64(max(b.multiplier ?? 1, 0))
            step.format = format(b.format)
            step.align = UInt64(max(b.align ?? 0, 0))
            step.bitmask = b.bitmask
            return .success(.byteExtract(step))
        case .byteMath(let b):
            guard case .success(let rvalue?) = operand(b.rvalue) else {
                return .failure(StepError(keyword: "byte_math", reason: "unknown variable"))
            }
            let slot = variables[b.result] ?? variables.count
            variables[b.result] = slot
            let op: ByteMathStep.Operator
            switch b.op {
            case .add: op = .add
            case .sub: op = .subtract
            case .mul: op = .multiply
            case .div: op = .divide
            case .shl: op = .shiftLeft
            case .shr: op = .shiftRight
            }
            guard case .success(let count?) = operand(b.count) else {
                return .failure(StepError(keyword: "byte_math", reason: "unknown variable"))
            }
            var step = ByteMathStep(count: 0, offset: Int64(b.offset), op: op, rvalue: rvalue, slot: slot)
            step.count = count
            step.relative = b.relative
            step.format = format(b.format)
            step.bitmask = b.bitmask
            return .success(.byteMath(step))
        case .isdataat(let i):
            guard case .success(let position?) = operand(i.position) else {
                return .failure(StepError(keyword: "isdataat", reason: "unknown variable"))
            }
            return .success(.isDataAt(IsDataAtStep(position: position, negated: i.isNegated, relative: i.relative)))
        case .bsize(let m): return .success(.bufferSize(Self.condition(m)))
        case .absent: return .failure(StepError(keyword: "absent", reason: "not implemented by the engine"))
        case .asn1: return .failure(StepError(keyword: "asn1", reason: "not implemented by the engine"))
        case .base64Decode(let bytes, let offset, let relative):
            // The base64_data program is attached by `compile` once the following section is compiled.
            return .success(
                .base64Decode(Base64DecodeStep(bytes: bytes ?? 0, offset: offset ?? 0, relative: relative, data: nil))
            )
        case .unsupported(let name, _): return .failure(StepError(keyword: name, reason: "keyword not supported"))
        }
    }

    /// The names of an intern table, indexed by id.
    static func names(_ table: [String: Int]) -> [String] {
        var names = [String](repeating: "", count: table.count)
        for (name, id) in table where id < names.count { names[id] = name }
        return names
    }

    static func intern(_ name: String, in table: inout [String: Int]) -> Int {
        if let id = table[name] { return id }
        let id = table.count
        table[name] = id
        return id
    }

    static func condition(_ m: IntegerMatch) -> UIntCondition {
        switch m.op {
        case .equal: return UIntCondition(.equal, m.value)
        case .notEqual: return UIntCondition(.notEqual, m.value)
        case .less: return UIntCondition(.less, m.value)
        case .lessOrEqual: return UIntCondition(.lessOrEqual, m.value)
        case .greater: return UIntCondition(.greater, m.value)
        case .greaterOrEqual: return UIntCondition(.greaterOrEqual, m.value)
        case .range: return UIntCondition(.range, m.value, m.high)
        case .notRange: return UIntCondition(.notRange, m.value, m.high)
        case .maskEqual: return UIntCondition(.maskEqual, m.value, m.high)
        case .maskNotEqual: return UIntCondition(.maskNotEqual, m.value, m.high)
        }
    }

    static func modifier(_ m: FlagModifier) -> BitsModifier {
        switch m {
        case .exact: return .exact
        case .all: return .all
        case .any: return .any
        case .not: return .not
        }
    }

    static func thresholdSpec(_ t: Threshold, detectionFilter: Bool) -> ThresholdSpec? {
        let track: ThresholdTrack
        switch t.track {
        case .bySource: track = .bySource
        case .byDestination: track = .byDestination
        case .byRule: track = .byRule
        case .byBoth: track = .byBoth
        case .byFlow: track = .byFlow
        }
        let kind: ThresholdSpec.Kind
        if detectionFilter {
            kind = .detectionFilter
        } else {
            switch t.kind {
            case .limit: kind = .limit
            case .threshold: kind = .threshold
            case .both: kind = .both
            case .backoff:
                // Suricata supports backoff by flow only; no time window.
                guard t.track == .byFlow, let multiplier = t.multiplier, multiplier >= 1, t.count >= 1 else {
                    return nil
                }
                var spec = ThresholdSpec(kind: .backoff, track: .byFlow, count: Int(t.count), seconds: 0)
                spec.multiplier = Int(multiplier)
                return spec
            }
        }
        var unique: ThresholdSpec.UniquePort?
        switch t.uniqueOn {
        case "src_port": unique = .sourcePort
        case "dst_port": unique = .destinationPort
        case nil: break
        default: return nil
        }
        return ThresholdSpec(kind: kind, track: track, count: Int(t.count), seconds: Int64(t.seconds), uniqueOn: unique)
    }

    /// `ipopts` names (Suricata's `detect-ipopts.c`) as bits of ``WeirDecode/Packet/ipv4Options``.
    static func ipOptionMask(_ name: String) -> UInt32? {
        func bit(_ o: IPv4Option) -> UInt32 { 1 << UInt32(o.rawValue) }
        switch name.lowercased() {
        case "rr": return bit(.recordRoute)
        case "eol": return bit(.endOfList)
        case "nop": return bit(.noOperation)
        case "ts": return bit(.timestamp)
        case "sec": return bit(.security)
        case "esec": return bit(.extendedSecurity)
        case "lsrr", "lsrre": return bit(.looseSourceRoute)
        case "ssrr": return bit(.strictSourceRoute)
        case "satid": return bit(.streamID)
        case "any": return UInt32.max
        default: return nil
        }
    }

    static func addresses(_ set: AddressSet) -> AddressMatcher {
        if set.isAll { return .any }
        return AddressMatcher(ranges: set.ranges.map { $0.lower...$0.upper })
    }

    static func ports(_ set: PortSet) -> PortMatcher {
        if set.isAll { return .any }
        return PortMatcher(ranges: set.ranges)
    }
}

extension DetectEngine {
    /// Builds the engine from loaded rules: each rule is compiled to a signature or reported in ``rejected``.
    ///
    /// - Parameters:
    ///   - rules: Rules from ``RuleFileLoader``, in file order.
    ///   - settings: Action order, alert cap, IPS mode, thresholds.
    ///   - classifications: Gives alerts their category and severity.
    /// - Throws: ``PatternCompileError`` only if Vectorscan refuses a group for a reason no single pattern
    ///   explains; a pattern it cannot compile costs only the rules that use it (they are in ``rejected``).
    public convenience init(
        rules: [LoadedRule],
        settings: DetectSettings,
        classifications: ClassificationTable = .suricataDefault
    ) throws(PatternCompileError) {
        var compiler = SignatureCompiler(classifications: classifications)
        var signatures: [Signature] = []
        var rejected: [SignatureCompileError] = []
        signatures.reserveCapacity(rules.count)
        for rule in rules {
            switch compiler.compile(rule) {
            case .success(let s): signatures.append(s)
            case .failure(var e):
                // A regex PCRE2 refuses is a broken rule; the other refusals are keywords not run yet.
                e.isError = e.keyword == "pcre"
                rejected.append(e)
            }
        }
        try self.init(
            signatures: signatures,
            settings: settings,
            stickyBufferIDs: compiler.stickyIDs,
            flowbitCount: compiler.flowbitIDs.count,
            flowintCount: compiler.flowintIDs.count,
            xbitCount: compiler.xbitIDs.count,
            rejected: rejected,
            derivedBuffers: compiler.derivedBuffers,
            variableNames: DetectVariableNames(
                flowbits: compiler.flowbitIDs, flowints: compiler.flowintIDs, xbits: compiler.xbitIDs)
        )
    }
}
