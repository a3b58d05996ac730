// SPDX-License-Identifier: MIT

extension RuleBuilder {
    /// Parses a typed option that is not bound to a buffer.
    func parseOption(_ name: String, option: RuleScanner.Option) throws(RuleParseError) -> RuleOption {
        if name == "flow.pkts" || name == "flow.bytes", let value = option.value, let comma = value.firstIndex(of: ",")
        {
            // Suricata 8: `flow.pkts:toserver,>3`, `toclient`, or `either` (one of the two directions' counters).
            let direction = value[..<comma].trimmingSpaces()
            let rest = value[value.index(after: comma)...]
            let keyword: IntegerKeyword
            switch (name, direction) {
            case ("flow.pkts", "toserver"): keyword = .flowPktsToServer
            case ("flow.pkts", "toclient"): keyword = .flowPktsToClient
            case ("flow.bytes", "toserver"): keyword = .flowBytesToServer
            case ("flow.bytes", "toclient"): keyword = .flowBytesToClient
            case ("flow.pkts", "either"): keyword = .flowPktsEither
            case ("flow.bytes", "either"): keyword = .flowBytesEither
            default: throw self.error(option, "direction must be toserver, toclient or either")
            }
            switch IntegerMatch.parse(rest, maximum: keyword.maximum) {
            case .success(let match): return .integer(keyword, match)
            case .failure(let failure): throw self.error(option, failure.reason)
            }
        }
        if name == "vlan.layers" {
            // An 8-bit integer whose values must stay within VLAN_MAX_LAYERS (so `>3` parses, never matching).
            let match = try self.parseInteger(option, maximum: UInt64(UInt8.max))
            guard match.value <= IntegerKeyword.vlanLayers.maximum, match.high <= IntegerKeyword.vlanLayers.maximum
            else { throw self.error(option, "a packet has 0 to 3 VLAN layers") }
            return .integer(.vlanLayers, match)
        }
        if name == "vlan.id" { return .vlanID(try self.parseVLANID(option)) }
        if let keyword = IntegerKeyword(rawValue: name), keyword.isRuleKeyword {
            return .integer(keyword, try self.parseInteger(option, maximum: keyword.maximum))
        }
        switch name {
        case "flow": return .flow(try self.parseFlow(option))
        case "flowbits": return .flowbits(try self.parseBits(option, allowNoName: true).0)
        case "xbits":
            let (command, rest) = try self.parseBits(option, allowNoName: true)
            var track: XbitsTrack?
            var expire: Int?
            for word in rest {
                let pieces = word.split(separator: " ", maxSplits: 1)
                let value = pieces.count > 1 ? pieces[1].trimmingSpaces() : ""
                switch pieces.first ?? "" {
                case "track":
                    guard let t = XbitsTrack(rawValue: String(value)) else {
                        throw self.error(option, "invalid xbits track '\(value)'")
                    }
                    track = t
                case "expire":
                    guard let n = Int(value), n > 0 else { throw self.error(option, "invalid expire '\(value)'") }
                    expire = n
                default: throw self.error(option, "unknown xbits option '\(word)'")
                }
            }
            guard let track else {
                if command.operation == .noalert { return .xbits(command, track: .ipPair, expire: nil) }
                throw self.error(option, "xbits needs 'track ip_src|ip_dst|ip_pair'")
            }
            return .xbits(command, track: track, expire: expire)
        case "flowint": return .flowint(try self.parseFlowint(option))
        case "threshold": return .threshold(try self.parseThreshold(option, isDetectionFilter: false))
        case "detection_filter": return .detectionFilter(try self.parseThreshold(option, isDetectionFilter: true))
        case "urilen":
            let value = try self.requireValue(option)
            var text = value
            var raw = false
            if let comma = value.firstIndex(of: ",") {
                let mode = value[value.index(after: comma)...].trimmingSpaces()
                switch mode {
                case "raw": raw = true
                case "norm": raw = false
                default: throw self.error(option, "urilen buffer must be 'norm' or 'raw'")
                }
                text = value[..<comma]
            }
            switch IntegerMatch.parse(text, maximum: 65535) {
            case .success(let match): return .urilen(match, raw: raw)
            case .failure(let failure): throw self.error(option, failure.reason)
            }
        case "tos":
            var value = try self.requireValue(option)
            var negated = false
            if value.hasPrefix("!") {
                negated = true
                value = value.dropFirst().trimmingSpaces()
            }
            var parsed: UInt64?
            if value.hasPrefix("x") || value.hasPrefix("X") {
                parsed = UInt64(value.dropFirst(), radix: 16)
            } else {
                parsed = IntegerMatch.parseUnsigned(value)
            }
            guard let n = parsed, n <= 255 else { throw self.error(option, "tos must be 0-255") }
            return .tos(value: UInt8(n), isNegated: negated)
        case "flags", "tcp.flags": return .tcpFlags(try self.parseTCPFlags(option))
        case "fragbits":
            let value = try self.requireValue(option)
            var bits: UInt8 = 0
            var modifier = FlagModifier.exact
            for ch in value where ch != " " {
                switch ch {
                case "M": bits |= 0x01
                case "D": bits |= 0x02
                case "R": bits |= 0x04
                case "+": modifier = .all
                case "*": modifier = .any
                case "!": modifier = .not
                default: throw self.error(option, "invalid fragbits character '\(ch)'")
                }
            }
            guard bits != 0 else { throw self.error(option, "fragbits needs M, D or R") }
            return .fragbits(bits: bits, modifier: modifier)
        case "fragoffset":
            var value = Substring(try self.requireValue(option))
            while value.first == " " { value = value.dropFirst() }
            var comparison: Character = "="
            if let first = value.first, first == "<" || first == ">" {
                comparison = first
                value = value.dropFirst()
                while value.first == " " { value = value.dropFirst() }
            }
            let digits = value.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = UInt16(digits) else {
                throw self.error(option, "fragoffset needs [<|>]<number> (0-65535)")
            }
            return .fragoffset(comparison: comparison, value: number)
        case "ipopts":
            let value = String(try self.requireValue(option))
            guard
                ["rr", "eol", "nop", "ts", "sec", "esec", "lsrr", "lsrre", "ssrr", "satid", "rtralt", "any"].contains(
                    value
                )
            else {
                throw self.error(option, "unknown ip option '\(value)'")
            }
            return .ipopts(value)
        case "ip_proto":
            var value = try self.requireValue(option)
            var prefix = ""
            if let first = value.first, first == "!" || first == "<" || first == ">" {
                prefix = String(first)
                value = value.dropFirst().trimmingSpaces()
            }
            let number: UInt64
            if let n = IntegerMatch.parseUnsigned(value), n <= 255 {
                number = n
            } else if let n = RuleBuilder.ipProtocolNumbers[value.lowercased()] {
                number = UInt64(n)
            } else {
                throw self.error(option, "unknown IP protocol '\(value)'")
            }
            switch IntegerMatch.parse(Substring(prefix + String(number)), maximum: 255) {
            case .success(let match): return .ipProto(match)
            case .failure(let failure): throw self.error(option, failure.reason)
            }
        case "sameip":
            try self.requireNoValue(option)
            return .sameIP
        case "noalert":
            try self.requireNoValue(option)
            return .noalert
        case "bypass":
            try self.requireNoValue(option)
            return .bypass
        case "ftpbounce":
            try self.requireNoValue(option)
            return .ftpbounce
        case "filesize":
            return .filesize(try self.parseInteger(option, maximum: UInt64.max))
        case "filemd5", "filesha1", "filesha256":
            let value = try self.requireValue(option)
            let negated = value.hasPrefix("!")
            let list = (negated ? value.dropFirst() : value).trimmingSpaces()
            guard !list.isEmpty else { throw self.error(option, "needs the name of a hash list file") }
            let kind: FileHashKind = name == "filemd5" ? .md5 : (name == "filesha1" ? .sha1 : .sha256)
            return .fileHash(
                FileHashMatch(kind: kind, list: String(list), isNegated: negated, valueOffset: option.valueOffset))
        case "prefilter":
            try self.requireNoValue(option)
            return .prefilter
        case "alert":
            try self.requireNoValue(option)
            return .alert
        case "app-layer-protocol":
            let args = try self.arguments(option)
            var protoName = args[0]
            var negated = false
            if protoName.hasPrefix("!") {
                negated = true
                protoName = protoName.dropFirst().trimmingSpaces()
            }
            guard !protoName.isEmpty, protoName.utf8.allSatisfy({ isVariableByte($0) || $0 == UInt8(ascii: "|") })
            else {
                throw self.error(option, "invalid protocol name '\(protoName)'")
            }
            guard args.count <= 2 else { throw self.error(option, "too many arguments") }
            return .appLayerProtocol(
                name: String(protoName),
                isNegated: negated,
                mode: args.count == 2 ? String(args[1]) : nil
            )
        case "decode-event", "stream-event", "app-layer-event":
            let value = try self.requireValue(option)
            var eventName = value
            if eventName.hasPrefix("!") { eventName = eventName.dropFirst() }
            guard !eventName.isEmpty, eventName.utf8.allSatisfy(isVariableByte) else {
                throw self.error(option, "invalid event name '\(value)'")
            }
            guard let kind = EventKind(rawValue: name) else { throw self.error(option, "unknown event keyword") }
            return .event(kind, name: String(value))
        case "ipv4-csum", "tcpv4-csum", "tcpv6-csum", "udpv4-csum", "udpv6-csum", "icmpv4-csum", "icmpv6-csum",
            "igmp-csum":
            let value = try self.requireValue(option)
            switch value {
            case "valid": return .checksum(layer: name, valid: true)
            case "invalid": return .checksum(layer: name, valid: false)
            default: throw self.error(option, "expected 'valid' or 'invalid'")
            }
        case "stream_size":
            let args = try self.arguments(option)
            guard args.count == 3 else { throw self.error(option, "expected side, operator, bytes") }
            guard ["server", "client", "both", "either"].contains(args[0]) else {
                throw self.error(option, "invalid stream_size side '\(args[0])'")
            }
            let text = args[1] == "=" ? args[2] : Substring(String(args[1]) + String(args[2]))
            guard ["<", ">", "=", "!=", "<=", ">="].contains(args[1]) else {
                throw self.error(option, "invalid stream_size operator '\(args[1])'")
            }
            switch IntegerMatch.parse(text, maximum: UInt64(UInt32.max)) {
            case .success(let match): return .streamSize(side: String(args[0]), match)
            case .failure(let failure): throw self.error(option, failure.reason)
            }
        case "tag":
            let args = try self.arguments(option)
            guard ["session", "host"].contains(args[0]) else {
                throw self.error(option, "tag type must be session or host")
            }
            var count: Int?
            var metric: String?
            var direction: String?
            if args.count >= 3 {
                guard let n = Int(args[1]), n > 0 else { throw self.error(option, "invalid tag count '\(args[1])'") }
                guard ["packets", "seconds", "bytes"].contains(args[2]) else {
                    throw self.error(option, "invalid tag metric '\(args[2])'")
                }
                count = n
                metric = String(args[2])
            } else if args.count == 2 {
                throw self.error(option, "tag needs type, count, metric")
            }
            if args.count >= 4 {
                guard ["src", "dst"].contains(args[3]) else {
                    throw self.error(option, "invalid tag direction '\(args[3])'")
                }
                direction = String(args[3])
            }
            guard args.count <= 4 else { throw self.error(option, "too many tag arguments") }
            return .tag(kind: String(args[0]), count: count, metric: metric, direction: direction)
        case "ssl_state":
            let value = try self.requireValue(option)
            var states: [String] = []
            for item in value.split(separator: "|").map({ $0.trimmingSpaces() }) {
                let bare = item.hasPrefix("!") ? item.dropFirst() : item
                guard ["client_hello", "server_hello", "client_keyx", "server_keyx", "unknown"].contains(bare) else {
                    throw self.error(option, "unknown ssl state '\(item)'")
                }
                states.append(String(item))
            }
            return .sslState(states)
        case "ssl_version":
            let args = try self.arguments(option)
            for item in args {
                let bare = item.hasPrefix("!") ? item.dropFirst() : item
                guard ["sslv2", "sslv3", "tls1.0", "tls1.1", "tls1.2", "tls1.3"].contains(bare) else {
                    throw self.error(option, "unknown ssl version '\(item)'")
                }
            }
            return .sslVersion(args.map(String.init))
        case "tls.version":
            let value = try self.requireValue(option)
            return .tlsVersion(String(value))
        case "tls.fingerprint", "tls.subject", "tls.issuerdn", "tls.cert_chain_len", "tls_cert_notbefore",
            "tls_cert_notafter", "dns.opcode", "dns.rcode", "dns.rrtype", "ssh.protoversion", "ssh.softwareversion":
            let value = try self.requireValue(option)
            return .appLayerCondition(keyword: name, value: String(value))
        case "tls_cert_expired", "tls_cert_valid":
            return .appLayerCondition(keyword: name, value: "")
        default:
            throw self.error(option, "keyword is registered as parsed but has no parser", atValue: false)
        }
    }

    static let ipProtocolNumbers: [String: UInt8] = [
        "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipip": 4, "ipencap": 4, "st": 5, "tcp": 6, "egp": 8,
        "igp": 9, "pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33,
        "xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "idrp": 45,
        "rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "skip": 57, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59,
        "ipv6-opts": 60, "rspf": 73, "vmtp": 81, "eigrp": 88, "ospf": 89, "ax.25": 93, "ipip4": 94, "etherip": 97,
        "encap": 98, "pim": 103, "ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "sctp": 132, "fc": 133,
        "mobility-header": 135, "udplite": 136, "mpls-in-ip": 137, "manet": 138, "hip": 139, "shim6": 140,
        "wesp": 141, "rohc": 142,
    ]

    func parseFlow(_ option: RuleScanner.Option) throws(RuleParseError) -> FlowOptions {
        let args = try self.arguments(option)
        var flow: FlowOptions = []
        for word in args {
            let item: FlowOptions
            switch word {
            case "to_server", "from_client": item = .toServer
            case "to_client", "from_server": item = .toClient
            case "established": item = .established
            case "not_established": item = .notEstablished
            case "stateless": item = .stateless
            case "only_stream": item = .onlyStream
            case "no_stream": item = .noStream
            case "only_frag": item = .onlyFrag
            case "no_frag": item = .noFrag
            default: throw self.error(option, "unknown flow option '\(word)'")
            }
            if flow.contains(item) { throw self.error(option, "flow option '\(word)' given twice") }
            flow.insert(item)
        }
        if flow.isSuperset(of: [.toServer, .toClient]) {
            throw self.error(option, "to_server and to_client are exclusive")
        }
        if flow.isSuperset(of: [.established, .notEstablished]) || flow.isSuperset(of: [.established, .stateless]) {
            throw self.error(option, "established, not_established and stateless are exclusive")
        }
        if flow.isSuperset(of: [.onlyStream, .noStream]) {
            throw self.error(option, "only_stream and no_stream are exclusive")
        }
        if flow.isSuperset(of: [.onlyFrag, .noFrag]) {
            throw self.error(option, "only_frag and no_frag are exclusive")
        }
        return flow
    }

    func parseBits(_ option: RuleScanner.Option, allowNoName: Bool) throws(RuleParseError) -> (BitsCommand, [Substring])
    {
        let args = try self.arguments(option)
        guard let operation = BitsCommand.Operation(rawValue: String(args[0]).lowercased()) else {
            throw self.error(option, "unknown operation '\(args[0])'")
        }
        if operation == .noalert {
            guard args.count == 1 || String(option.name) == "xbits" else {
                throw self.error(option, "noalert takes no name")
            }
            return (BitsCommand(operation: .noalert, names: []), Array(args.dropFirst()))
        }
        guard args.count >= 2, !args[1].isEmpty else { throw self.error(option, "\(operation.rawValue) needs a name") }
        let nameText = args[1]
        let requiresAll = nameText.contains("&")
        if requiresAll && nameText.contains("|") { throw self.error(option, "cannot mix '&' and '|' in names") }
        let names = nameText.split(separator: requiresAll ? "&" : "|", omittingEmptySubsequences: false).map {
            $0.trimmingSpaces()
        }
        for bit in names where bit.isEmpty || bit.contains(where: { $0 == " " || $0 == "\t" }) {
            throw self.error(option, "invalid bit name '\(bit)'")
        }
        if names.count > 1, operation != .isset, operation != .isnotset, operation != .set, operation != .unset,
            operation != .toggle
        {
            throw self.error(option, "several names only with isset/isnotset")
        }
        if String(option.name) == "flowbits", args.count > 2 { throw self.error(option, "too many arguments") }
        return (
            BitsCommand(operation: operation, names: names.map(String.init), requiresAll: requiresAll),
            Array(args.dropFirst(2))
        )
    }

    func parseFlowint(_ option: RuleScanner.Option) throws(RuleParseError) -> FlowintCommand {
        let args = try self.arguments(option)
        guard args.count >= 2, !args[0].isEmpty else { throw self.error(option, "expected name, operator[, value]") }
        guard let op = FlowintCommand.Operator(rawValue: String(args[1])) else {
            throw self.error(option, "unknown flowint operator '\(args[1])'")
        }
        var value: IntegerOrVariable?
        switch op {
        case .isset, .notset, .isnotset:
            // Suricata's grammar allows (and ignores) a value here.
            guard args.count <= 3 else { throw self.error(option, "too many arguments") }
        default:
            guard args.count == 3, !args[2].isEmpty else { throw self.error(option, "\(op.rawValue) needs a value") }
            if let n = RuleBuilder.parseSigned(args[2]) {
                value = .literal(n)
            } else {
                guard args[2].utf8.allSatisfy(isVariableByte) else {
                    throw self.error(option, "invalid value '\(args[2])'")
                }
                value = .variable(String(args[2]))
            }
        }
        return FlowintCommand(name: String(args[0]), op: op, value: value)
    }

    func parseThreshold(_ option: RuleScanner.Option, isDetectionFilter: Bool) throws(RuleParseError) -> Threshold {
        let args = try self.arguments(option)
        var kind: Threshold.Kind? = isDetectionFilter ? .threshold : nil
        var track: Threshold.Track?
        var count: UInt32?
        var seconds: UInt32?
        var multiplier: UInt32?
        var uniqueOn: String?
        for word in args {
            let pieces = word.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard pieces.count == 2 else { throw self.error(option, "expected 'key value', found '\(word)'") }
            let value = pieces[1]
            switch pieces[0] {
            case "type" where !isDetectionFilter:
                guard let k = Threshold.Kind(rawValue: String(value)) else {
                    throw self.error(option, "invalid type '\(value)'")
                }
                kind = k
            case "track":
                guard let t = Threshold.Track(rawValue: String(value)) else {
                    throw self.error(option, "invalid track '\(value)'")
                }
                track = t
            case "count":
                guard let n = UInt32(value), n > 0 else { throw self.error(option, "invalid count '\(value)'") }
                count = n
            case "seconds":
                guard let n = UInt32(value) else { throw self.error(option, "invalid seconds '\(value)'") }
                seconds = n
            case "unique_on" where isDetectionFilter:
                guard value == "src_port" || value == "dst_port" else {
                    throw self.error(option, "unique_on must be src_port or dst_port")
                }
                uniqueOn = String(value)
            case "multiplier" where !isDetectionFilter:
                guard let n = UInt32(value), n > 1 else { throw self.error(option, "invalid multiplier '\(value)'") }
                multiplier = n
            default: throw self.error(option, "unknown argument '\(pieces[0])'")
            }
        }
        guard let kind, let track, let count else { throw self.error(option, "needs type, track, count and seconds") }
        if kind == .backoff {
            guard multiplier != nil else { throw self.error(option, "backoff needs a multiplier") }
        } else {
            guard seconds != nil else { throw self.error(option, "needs seconds") }
            guard multiplier == nil else { throw self.error(option, "multiplier is only for type backoff") }
        }
        return Threshold(
            kind: kind,
            track: track,
            count: count,
            seconds: seconds ?? 0,
            multiplier: multiplier,
            uniqueOn: uniqueOn
        )
    }

    func parseTCPFlags(_ option: RuleScanner.Option) throws(RuleParseError) -> TCPFlagsMatch {
        let value = try self.requireValue(option)
        let parts = value.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        func bits(_ text: Substring, allowModifiers: Bool) throws(RuleParseError) -> (UInt8, FlagModifier, Bool) {
            var result: UInt8 = 0
            var modifier = FlagModifier.exact
            var zero = false
            for ch in text where ch != " " {
                if let (_, bit) = TCPFlagsMatch.letters.first(where: { $0.0 == ch }) {
                    result |= bit
                    continue
                }
                switch ch {
                case "1": result |= 0x80
                case "2": result |= 0x40
                case "0": zero = true
                case "+" where allowModifiers: modifier = .all
                case "*" where allowModifiers: modifier = .any
                case "!" where allowModifiers: modifier = .not
                default: throw self.error(option, "invalid TCP flag '\(ch)'")
                }
            }
            return (result, modifier, zero)
        }
        let (flags, modifier, zero) = try bits(parts[0], allowModifiers: true)
        guard flags != 0 || zero else { throw self.error(option, "no TCP flags given") }
        if zero && flags != 0 { throw self.error(option, "'0' (no flags) cannot be combined with flags") }
        var ignored: UInt8 = 0
        if parts.count == 2 { ignored = try bits(parts[1], allowModifiers: false).0 }
        return TCPFlagsMatch(flags: flags, modifier: modifier, ignored: ignored)
    }
}

extension RuleBuilder {
    /// `vlan.id:[op]id[,layer]`, as Suricata 8 parses it: a 16-bit integer comparison whose numbers fit the
    /// 12-bit id, then optionally `any`, `all` or a layer index from -3 (the third tag from the inside) to 2
    /// (the third from the outside).
    func parseVLANID(_ option: RuleScanner.Option) throws(RuleParseError) -> VLANIDMatch {
        let parts = try self.requireValue(option).splitTrimmed(UInt8(ascii: ","))
        guard parts.count <= 2 else { throw self.error(option, "expected '[op]<id>[,<layer>]'") }
        let match: IntegerMatch
        switch IntegerMatch.parse(parts[0], maximum: UInt64(UInt16.max)) {
        case .success(let parsed): match = parsed
        case .failure(let failure): throw self.error(option, failure.reason)
        }
        guard match.value <= 0xfff, match.high <= 0xfff else {
            throw self.error(option, "a VLAN id is 0 to 4095")
        }
        guard parts.count == 2 else { return VLANIDMatch(match) }
        switch parts[1] {
        case "any": return VLANIDMatch(match, layer: .any)
        case "all": return VLANIDMatch(match, layer: .all)
        default:
            guard let index = Int8(parts[1]), index >= -3, index <= 2 else {
                throw self.error(option, "the layer is any, all, or -3 to 2")
            }
            return VLANIDMatch(match, layer: .index(index))
        }
    }
}
