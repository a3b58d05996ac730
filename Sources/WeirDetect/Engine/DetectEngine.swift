import WeirCore

// SPDX-License-Identifier: MIT
#if canImport(Glibc)
    import Glibc
#endif

/// A set of signatures sharing a protocol bucket and port key (the port part of Suricata's signature group
/// head, `detect-engine-siggroup.c`): which signatures a packet with that port reaches.
///
/// Its fast patterns are not compiled per group: the bucket's ``BucketPrefilter`` holds one database per buffer
/// over every group of the bucket, so a packet's payload is scanned once however many groups it reaches, and
/// each hit is kept only for the groups the packet reaches (``contains(_:)``).
///
/// A class: the hot path reads it through one reference instead of copying its arrays; never mutated after the
/// engine is built.
package final class SignatureGroup: @unchecked Sendable {
    /// Signatures without a usable fast pattern: evaluated for every packet that reaches the group.
    package let alwaysEvaluated: [Int32]
    /// Signatures in the group, all kinds.
    package let count: Int
    /// Only the transactional signatures among ``alwaysEvaluated``: packet rules never match a transaction.
    package let transactionAlwaysEvaluated: [Int32]
    /// Membership as a bit set over signature indexes (port groups only; the any-port group needs none).
    package let members: [UInt64]

    /// Constants (`let`), so the per-packet reads need no dynamic exclusivity check.
    init(alwaysEvaluated: [Int32], count: Int, transactionAlwaysEvaluated: [Int32], members: [UInt64]) {
        self.alwaysEvaluated = alwaysEvaluated
        self.count = count
        self.transactionAlwaysEvaluated = transactionAlwaysEvaluated
        self.members = members
    }

    /// True when signature `index` is in the group.
    @inline(__always)
    package func contains(_ index: Int32) -> Bool {
        let word = Int(index >> 6)
        return word < self.members.count && self.members[word] & (1 << UInt64(index & 63)) != 0
    }
}

/// A Vectorscan database over the fast patterns that live in one buffer, with pattern id → signatures.
///
/// A class with constant properties: the packet path reads it through one reference, without retaining each
/// field as copying a struct out of an array would.
package final class GroupPrefilter: @unchecked Sendable {
    /// `nil`: packet payload and stream chunks; otherwise the sticky buffer id.
    package let stickyBuffer: Int?
    /// The compiled database; scanned with the worker's ``PatternScratch``.
    package let database: MultiPatternDatabase
    /// Pattern id → the signatures whose fast pattern it is.
    package let patternSignatures: [[Int32]]

    init(stickyBuffer: Int?, database: MultiPatternDatabase, patternSignatures: [[Int32]]) {
        self.stickyBuffer = stickyBuffer
        self.database = database
        self.patternSignatures = patternSignatures
    }

    /// The same database with the signatures in `removed` left out of every pattern's list.
    func removing(_ removed: [Int32: String]) -> GroupPrefilter {
        GroupPrefilter(
            stickyBuffer: self.stickyBuffer, database: self.database,
            patternSignatures: self.patternSignatures.map { $0.filter { removed[$0] == nil } })
    }
}

/// A prefilter being collected at build time.
struct PendingPrefilter {
    var ids: [PrefilterPattern: Int] = [:]
    var patterns: [PrefilterPattern] = []
    var signatures: [[Int32]] = []

    mutating func add(_ pattern: PrefilterPattern, signature: Int32) {
        if let id = self.ids[pattern] {
            self.signatures[id].append(signature)
        } else {
            self.ids[pattern] = self.patterns.count
            self.patterns.append(pattern)
            self.signatures.append([signature])
        }
    }
}

/// What a signature is to its bucket's prefilter, as bits (``BucketPrefilter/roles``): which port groups it is
/// in, which payload buffers its `pkt_data` fast pattern may match in, and whether it inspects transactions.
package enum PrefilterRole {
    /// Mask of the port kind: 0 not in the bucket, then ``anyPort``, ``destinationPort``, ``sourcePort``.
    static let portKind: UInt8 = 0x03
    static let anyPort: UInt8 = 1
    static let destinationPort: UInt8 = 2
    static let sourcePort: UInt8 = 3
    /// Payload scope, one bit each: packet payload only (`dsize`, `flow:no_stream`, `tcp-pkt`), packet and
    /// stream, stream only (`flow:only_stream`, `tcp-stream`). Sticky-buffer patterns accept any of them.
    static let packetOnly: UInt8 = 0x04
    static let packetAndStream: UInt8 = 0x08
    static let streamOnly: UInt8 = 0x10
    static let anyScope: UInt8 = 0x1C
    /// The signature inspects transactions (``Signature/isTransactional``).
    static let transactional: UInt8 = 0x20

    static func scope(_ s: PayloadScope) -> UInt8 {
        switch s {
        case .packetOnly: return packetOnly
        case .packetAndStream: return packetAndStream
        case .streamOnly: return streamOnly
        }
    }
}

/// One bucket's prefilter databases (Suricata's MPM contexts of a signature group head, one per buffer type):
/// every signature of the bucket, whatever its port group, in one database per buffer. A packet scans each of
/// its buffers once; ``roles`` and the group bit sets keep the hits of the groups the packet reaches.
package final class BucketPrefilter: @unchecked Sendable {
    /// `pkt_data` fast patterns of every signature: the packet payload when it did not go into the stream
    /// (hits of stream-only rules dropped), and every stream chunk (hits of packet-only rules dropped).
    package let payload: GroupPrefilter?
    /// The packet-only signatures' `pkt_data` patterns (TCP): a payload that went into the stream is inspected
    /// through the chunks by every other rule (``StreamPacketInfo/addedToStream``), so only these scan it.
    package let packetOnlyPayload: GroupPrefilter?
    /// One database per sticky buffer.
    package let sticky: [GroupPrefilter]
    /// The transactional signatures' `pkt_data` patterns (`content` before `http.uri`), for transaction
    /// inspection: scanning the full payload database again per transaction would find nothing to do.
    package let transactionPayload: GroupPrefilter?
    /// Per signature: its ``PrefilterRole`` bits in this bucket.
    package let roles: [UInt8]

    init(
        payload: GroupPrefilter? = nil, packetOnlyPayload: GroupPrefilter? = nil, sticky: [GroupPrefilter] = [],
        transactionPayload: GroupPrefilter? = nil, roles: [UInt8] = []
    ) {
        self.payload = payload
        self.packetOnlyPayload = packetOnlyPayload
        self.sticky = sticky
        self.transactionPayload = transactionPayload
        self.roles = roles
    }

    /// Every database.
    var databases: [GroupPrefilter] {
        [self.payload, self.packetOnlyPayload, self.transactionPayload].compactMap { $0 } + self.sticky
    }

    /// The same databases with the signatures in `removed` left out.
    func removing(_ removed: [Int32: String]) -> BucketPrefilter {
        BucketPrefilter(
            payload: self.payload?.removing(removed), packetOnlyPayload: self.packetOnlyPayload?.removing(removed),
            sticky: self.sticky.map { $0.removing(removed) },
            transactionPayload: self.transactionPayload?.removing(removed), roles: self.roles)
    }
}

/// Transport buckets the groups are split by.
package enum ProtocolBucket: Int, CaseIterable, Sendable {
    case tcp, udp, icmp, other

    static func of(_ l4: UInt8) -> ProtocolBucket {
        switch l4 {
        case IPProtocol.tcp: return .tcp
        case IPProtocol.udp: return .udp
        case IPProtocol.icmp, IPProtocol.icmpv6: return .icmp
        default: return .other
        }
    }
}

/// Per-bucket lookup: a group per destination port, per source port, and one for any port; IP-only rules apart.
///
/// A class for the same reason as ``SignatureGroup``; one instance per bucket, immutable after the build.
package final class BucketIndex: @unchecked Sendable {
    /// Destination port → group index, or -1; empty when no rule is indexed by destination port.
    package let destinationPortGroup: [Int32]
    /// Source port → group index, or -1; empty when no rule is indexed by source port.
    package let sourcePortGroup: [Int32]
    /// The any-port group's index, or -1.
    package let anyPortGroup: Int32
    /// IP-only signatures indexed by their source set, by their destination set (when the source is any), and
    /// the rest (any/any, `<>`), all evaluated on the first packet of each flow direction.
    package let ipOnlyBySource: AddressIntervalIndex
    /// IP-only signatures whose source is any, by destination set.
    package let ipOnlyByDestination: AddressIntervalIndex
    /// IP-only signatures indexed by neither (any/any, `<>`).
    package let ipOnlyOther: [Int32]
    /// The bucket's prefilter databases, shared by its port groups and the any-port group.
    package let prefilter: BucketPrefilter

    /// The bucket as the engine build assembles it, frozen into ``BucketIndex`` at the end: constants, so the
    /// per-packet reads need no dynamic exclusivity check.
    struct Parts {
        var destinationPortGroup: [Int32] = []
        var sourcePortGroup: [Int32] = []
        var anyPortGroup: Int32 = -1
        var ipOnlyBySource = AddressIntervalIndex([])
        var ipOnlyByDestination = AddressIntervalIndex([])
        var ipOnlyOther: [Int32] = []
        var prefilter = BucketPrefilter()
    }

    init(_ parts: Parts) {
        self.destinationPortGroup = parts.destinationPortGroup
        self.sourcePortGroup = parts.sourcePortGroup
        self.anyPortGroup = parts.anyPortGroup
        self.ipOnlyBySource = parts.ipOnlyBySource
        self.ipOnlyByDestination = parts.ipOnlyByDestination
        self.ipOnlyOther = parts.ipOnlyOther
        self.prefilter = parts.prefilter
    }
}

/// How long loading took and what it built.
public struct DetectLoadStatistics: Sendable {
    /// Signatures built.
    public var signatures = 0
    /// Signature groups.
    public var groups = 0
    /// Prefilter patterns over all databases (distinct within each database).
    public var patterns = 0
    /// Vectorscan databases built (one per bucket and buffer, see ``BucketPrefilter``).
    public var databases = 0
    /// Bytes of all Vectorscan databases.
    public var databaseBytes = 0
    /// IP-only signatures (evaluated once per flow direction).
    public var ipOnlySignatures = 0
    /// Signatures without a usable fast pattern, counted per group membership.
    public var alwaysEvaluatedSignatures = 0
    /// Seconds spent building groups and compiling Vectorscan databases.
    public var buildSeconds = 0.0
}

/// The compiled, immutable detection engine shared by all workers (Suricata's `DetectEngineCtx`).
///
/// Build once from rules; each worker makes its own ``DetectContext`` with ``makeContext()``.
public final class DetectEngine: Sendable {
    /// Signatures in evaluation order (Suricata's internal `num` is the index).
    package let signatures: [Signature]
    /// The settings the engine was built with.
    package let settings: DetectSettings
    /// Signature groups; buckets index into this array.
    package let groups: [SignatureGroup]
    /// One lookup table per ``ProtocolBucket``.
    package let buckets: [BucketIndex]
    /// Per signature: suppress entries from threshold.config.
    package let suppressions: [[ThresholdConfig.Suppression]]
    /// Per signature: effective threshold (threshold.config event filter overrides the rule's).
    package let thresholds: [ThresholdSpec?]
    /// Per signature: rate filter.
    package let rateFilters: [ThresholdConfig.RateFilter?]
    /// Sticky buffer names → ids.
    package let stickyBufferIDs: [String: Int]
    /// Counts of interned variable names.
    package let flowbitCount: Int
    /// Number of interned flowint names.
    package let flowintCount: Int
    /// The interned flowbit and flowint names, indexed by id (EVE `metadata.flowbits` / `flowints`).
    package let flowbitNames: [String]
    package let flowintNames: [String]
    /// Number of interned xbit names.
    package let xbitCount: Int
    /// Most byte variables any signature uses (scratch size).
    package let maxVariableSlots: Int
    /// Most patterns in one prefilter database (hit buffer size).
    package let maxPatternsPerDatabase: Int
    /// Every prefilter database, for the workers' scratch.
    package var prefilterDatabases: [MultiPatternDatabase] {
        self.buckets.flatMap { $0.prefilter.databases.map(\.database) }
    }
    /// What loading built and how long it took.
    public let loadStatistics: DetectLoadStatistics
    /// Transformed views of sticky buffers that rules inspect.
    package let derivedBuffers: [DerivedBuffer]
    /// The packet-header buffers loaded rules read (`tcp.hdr` …), with their sticky ids: ``DetectContext`` slices
    /// them out of each inspected packet's frame. Empty when no rule reads one, and then no packet pays for them.
    package let packetHeaderBuffers: [(id: Int, buffer: PacketHeaderBuffer)]
    /// Per sticky id: the buffer is a packet-header buffer or a transformed view of one. A match there is a match
    /// on packet data, which keeps a rule's drop or pass on the packet (not the flow).
    package let isPacketHeaderBuffer: [Bool]
    /// Signatures that inspect app-layer transactions (sticky buffers, parser events, app-layer conditions);
    /// with none, the app layer need not run transaction inspection at all.
    public let transactionSignatureCount: Int
    /// Signatures with app-layer conditions (`tls.version`, `ssh.proto` …), answered by the transaction.
    public let conditionSignatureCount: Int
    /// Signatures with file conditions (`filesize`, `filemd5` …): with none, no file facts are gathered.
    public let fileCheckSignatureCount: Int
    /// The digests file conditions compare (`md5`, `sha1`, `sha256`): the app layer must compute them.
    public let fileHashesNeeded: Set<String>
    /// Rules that parsed but could not be compiled, with the reason.
    public let rejected: [SignatureCompileError]
    /// The interned flowbit, flowint and xbit names: a reload carries per-flow variables over by name.
    package let variableNames: DetectVariableNames

    /// The `metadata` entries of every signature, indexed as ``Alert/signatureIndex`` (EVE `alert.metadata`).
    public var signatureMetadata: [[(key: String, value: String)]] { self.signatures.map(\.metadata) }

    /// Builds the engine from compiled signatures: Suricata's ordering, groups, and prefilter databases.
    ///
    /// - Throws: ``PatternCompileError`` if Vectorscan refuses a group's patterns.
    package init(
        signatures input: [Signature],
        settings: DetectSettings,
        stickyBufferIDs: [String: Int] = [:],
        flowbitCount: Int = 0,
        flowintCount: Int = 0,
        xbitCount: Int = 0,
        rejected: [SignatureCompileError] = [],
        derivedBuffers: [DerivedBuffer] = [],
        variableNames: DetectVariableNames = DetectVariableNames()
    ) throws(PatternCompileError) {
        self.derivedBuffers = derivedBuffers
        self.variableNames = variableNames
        (self.packetHeaderBuffers, self.isPacketHeaderBuffer) = Self.packetHeaderBuffers(
            stickyBufferIDs: stickyBufferIDs,
            derivedBuffers: derivedBuffers
        )
        let started = monotonicSeconds()
        // Suricata's default ordering: action order, then flowbit setters before readers, then priority; load
        // order breaks ties.
        let ordered = input.enumerated().sorted { a, b in
            let ra = settings.rank(a.element.action)
            let rb = settings.rank(b.element.action)
            if ra != rb { return ra < rb }
            let fa = a.element.flowbitRole
            let fb = b.element.flowbitRole
            if fa != fb { return fa < fb }
            let ia = a.element.flowintRole
            let ib = b.element.flowintRole
            if ia != ib { return ia < ib }
            if a.element.severity != b.element.severity { return a.element.severity < b.element.severity }
            return a.offset < b.offset
        }.map(\.element)
        self.signatures = ordered
        self.settings = settings
        self.stickyBufferIDs = stickyBufferIDs
        self.flowbitCount = flowbitCount
        self.flowintCount = flowintCount
        self.flowbitNames = SignatureCompiler.names(variableNames.flowbits)
        self.flowintNames = SignatureCompiler.names(variableNames.flowints)
        self.xbitCount = xbitCount
        self.maxVariableSlots = max(ordered.map(\.variableSlots).max() ?? 0, 1)

        // Thresholds from the rule and threshold.config.
        var thresholds: [ThresholdSpec?] = []
        var suppressions: [[ThresholdConfig.Suppression]] = []
        var rateFilters: [ThresholdConfig.RateFilter?] = []
        let config = settings.thresholdConfig
        func applies(_ gid: UInt32, _ sid: UInt32, to s: Signature) -> Bool {
            (sid == 0 || sid == s.sid) && (gid == 0 || gid == s.gid)
        }
        for s in ordered {
            var spec = s.threshold
            // An exact gid/sid entry overrides the rule; a global one only fills rules without their own.
            if let exact = config.eventFilters.last(where: { $0.sid == s.sid && $0.gid == s.gid }) {
                spec = exact.spec
            } else if spec == nil, let global = config.eventFilters.last(where: { applies($0.gid, $0.sid, to: s) }) {
                spec = global.spec
            }
            thresholds.append(spec)
            suppressions.append(config.suppressions.filter { applies($0.gid, $0.sid, to: s) })
            rateFilters.append(config.rateFilters.last(where: { applies($0.gid, $0.sid, to: s) }))
        }
        self.thresholds = thresholds
        self.suppressions = suppressions
        self.rateFilters = rateFilters

        // Group membership.
        var statistics = DetectLoadStatistics()
        statistics.signatures = ordered.count
        var groupMembers: [[Int32]] = []
        var buckets = ProtocolBucket.allCases.map { _ in BucketIndex.Parts() }
        var ipOnlySource: [[(signature: Int32, ranges: [ClosedRange<IPAddress>])]] = Array(
            repeating: [],
            count: buckets.count
        )
        var ipOnlyDestination: [[(signature: Int32, ranges: [ClosedRange<IPAddress>])]] = Array(
            repeating: [],
            count: buckets.count
        )
        var destinationKey: [[UInt16: Int32]] = Array(repeating: [:], count: buckets.count)
        var sourceKey: [[UInt16: Int32]] = Array(repeating: [:], count: buckets.count)
        func newGroup() -> Int32 {
            groupMembers.append([])
            return Int32(groupMembers.count - 1)
        }
        for (index, s) in ordered.enumerated() {
            let i = Int32(index)
            var targets: [ProtocolBucket] = []
            switch s.proto {
            case .ip: targets = ProtocolBucket.allCases
            case .transport(let p): targets = [ProtocolBucket.of(p)]
            case .icmpAny: targets = [.icmp]
            case .application(_, let transports): targets = transports.map { ProtocolBucket.of($0) }
            }
            if s.isIPOnly {
                for b in targets {
                    if !s.bidirectional && !s.source.isAny {
                        ipOnlySource[b.rawValue].append((i, s.source.ranges))
                    } else if !s.bidirectional && !s.destination.isAny {
                        ipOnlyDestination[b.rawValue].append((i, s.destination.ranges))
                    } else {
                        buckets[b.rawValue].ipOnlyOther.append(i)
                    }
                }
                statistics.ipOnlySignatures += 1
                continue
            }
            for b in targets {
                let hasPorts = b == .tcp || b == .udp
                if hasPorts && !s.bidirectional,
                    let ports = s.destinationPorts.enumerated(limit: settings.portGroupLimit)
                {
                    for port in ports {
                        let g = destinationKey[b.rawValue][port] ?? newGroup()
                        destinationKey[b.rawValue][port] = g
                        groupMembers[Int(g)].append(i)
                    }
                } else if hasPorts && !s.bidirectional,
                    let ports = s.sourcePorts.enumerated(limit: settings.portGroupLimit)
                {
                    for port in ports {
                        let g = sourceKey[b.rawValue][port] ?? newGroup()
                        sourceKey[b.rawValue][port] = g
                        groupMembers[Int(g)].append(i)
                    }
                } else {
                    if buckets[b.rawValue].anyPortGroup < 0 { buckets[b.rawValue].anyPortGroup = newGroup() }
                    groupMembers[Int(buckets[b.rawValue].anyPortGroup)].append(i)
                }
            }
        }
        for b in ProtocolBucket.allCases {
            buckets[b.rawValue].ipOnlyBySource = AddressIntervalIndex(ipOnlySource[b.rawValue])
            buckets[b.rawValue].ipOnlyByDestination = AddressIntervalIndex(ipOnlyDestination[b.rawValue])
            if !destinationKey[b.rawValue].isEmpty {
                var table = [Int32](repeating: -1, count: 65536)
                for (port, g) in destinationKey[b.rawValue] { table[Int(port)] = g }
                buckets[b.rawValue].destinationPortGroup = table
            }
            if !sourceKey[b.rawValue].isEmpty {
                var table = [Int32](repeating: -1, count: 65536)
                for (port, g) in sourceKey[b.rawValue] { table[Int(port)] = g }
                buckets[b.rawValue].sourcePortGroup = table
            }
        }

        // Groups: always-evaluated lists and membership bit sets.
        var groups: [SignatureGroup] = []
        let words = (ordered.count + 63) / 64
        var isPortGroup = [Bool](repeating: true, count: groupMembers.count)
        for b in buckets where b.anyPortGroup >= 0 { isPortGroup[Int(b.anyPortGroup)] = false }
        for (g, members) in groupMembers.enumerated() {
            var bits = isPortGroup[g] ? [UInt64](repeating: 0, count: words) : []
            var alwaysEvaluated: [Int32] = []
            for i in members {
                if isPortGroup[g] { bits[Int(i >> 6)] |= 1 << UInt64(i & 63) }
                if ordered[Int(i)].fastPattern == nil { alwaysEvaluated.append(i) }
            }
            statistics.alwaysEvaluatedSignatures += alwaysEvaluated.count
            groups.append(
                SignatureGroup(
                    alwaysEvaluated: alwaysEvaluated, count: members.count,
                    transactionAlwaysEvaluated: alwaysEvaluated.filter { ordered[Int($0)].isTransactional },
                    members: bits))
        }

        // Per bucket, one database per buffer over the fast patterns of all its groups (see BucketPrefilter).
        /// Signatures whose fast pattern Vectorscan refuses, with its reason.
        var unbuildable: [Int32: String] = [:]
        var maxPatterns = 1
        func compile(_ pending: PendingPrefilter, sticky: Int?) throws(PatternCompileError) -> GroupPrefilter? {
            guard !pending.patterns.isEmpty else { return nil }
            var entry = pending
            let database: MultiPatternDatabase
            do {
                database = try MultiPatternDatabase(patterns: entry.patterns)
            } catch {
                // One bad rule costs one rule: find the patterns Vectorscan refuses, take their rules out of
                // every database, and build this one without them.
                let bad = try MultiPatternDatabase.refusedPatterns(entry.patterns, failure: error)
                for (index, reason) in bad {
                    for signature in entry.signatures[index] where unbuildable[signature] == nil {
                        unbuildable[signature] = reason
                    }
                }
                let kept = entry.patterns.indices.filter { bad[$0] == nil }
                guard !kept.isEmpty else { return nil }
                entry.patterns = kept.map { entry.patterns[$0] }
                entry.signatures = kept.map { entry.signatures[$0] }
                database = try MultiPatternDatabase(patterns: entry.patterns)
            }
            statistics.databases += 1
            statistics.databaseBytes += database.byteSize
            statistics.patterns += entry.patterns.count
            maxPatterns = max(maxPatterns, entry.patterns.count)
            return GroupPrefilter(stickyBuffer: sticky, database: database, patternSignatures: entry.signatures)
        }
        for b in ProtocolBucket.allCases {
            let bucket = buckets[b.rawValue]
            var roles = [UInt8](repeating: 0, count: ordered.count)
            if bucket.anyPortGroup >= 0 {
                for i in groupMembers[Int(bucket.anyPortGroup)] { roles[Int(i)] = PrefilterRole.anyPort }
            }
            for g in destinationKey[b.rawValue].values {
                for i in groupMembers[Int(g)] { roles[Int(i)] = PrefilterRole.destinationPort }
            }
            for g in sourceKey[b.rawValue].values {
                for i in groupMembers[Int(g)] { roles[Int(i)] = PrefilterRole.sourcePort }
            }
            var payload = PendingPrefilter()
            var packetOnly = PendingPrefilter()
            var transactionPayload = PendingPrefilter()
            var byBuffer: [Int: PendingPrefilter] = [:]
            for (index, role) in roles.enumerated() where role != 0 {
                let i = Int32(index)
                let signature = ordered[index]
                roles[index] |= PrefilterRole.scope(signature.payloadScope)
                if signature.isTransactional { roles[index] |= PrefilterRole.transactional }
                guard let pattern = signature.fastPattern else { continue }
                if let sticky = signature.fastPatternBuffer {
                    byBuffer[sticky, default: PendingPrefilter()].add(pattern, signature: i)
                    continue
                }
                payload.add(pattern, signature: i)
                if b == .tcp && signature.payloadScope == .packetOnly { packetOnly.add(pattern, signature: i) }
                if signature.isTransactional { transactionPayload.add(pattern, signature: i) }
            }
            var sticky: [GroupPrefilter] = []
            for key in byBuffer.keys.sorted() {
                guard let entry = byBuffer[key], let compiled = try compile(entry, sticky: key) else { continue }
                sticky.append(compiled)
            }
            buckets[b.rawValue].prefilter = BucketPrefilter(
                payload: try compile(payload, sticky: nil), packetOnlyPayload: try compile(packetOnly, sticky: nil),
                sticky: sticky, transactionPayload: try compile(transactionPayload, sticky: nil), roles: roles)
        }
        var allRejected = rejected
        if !unbuildable.isEmpty {
            // A pattern refused in one database is refused in all of them; its rules leave every database.
            for b in buckets.indices { buckets[b].prefilter = buckets[b].prefilter.removing(unbuildable) }
            for (index, reason) in unbuildable.sorted(by: { $0.key < $1.key }) {
                let s = ordered[Int(index)]
                var error = SignatureCompileError(
                    gid: s.gid, sid: s.sid, file: s.file, line: s.line, keyword: "content",
                    reason: "the prefilter (Vectorscan) cannot compile its fast pattern: \(reason)")
                error.isError = true
                allRejected.append(error)
            }
            statistics.signatures -= unbuildable.count
        }
        self.transactionSignatureCount = ordered.count(where: \.isTransactional)
        self.conditionSignatureCount = ordered.count { !$0.appLayerConditions.isEmpty }
        self.fileCheckSignatureCount = ordered.count { !$0.fileChecks.isEmpty }
        var hashKinds: Set<String> = []
        for s in ordered {
            for case .hash(let kind, _, _) in s.fileChecks { hashKinds.insert(kind.rawValue) }
        }
        self.fileHashesNeeded = hashKinds
        self.rejected = allRejected
        self.groups = groups
        self.buckets = buckets.map(BucketIndex.init)
        self.maxPatternsPerDatabase = maxPatterns
        statistics.groups = groups.count
        statistics.buildSeconds = monotonicSeconds() - started
        self.loadStatistics = statistics
    }

    /// The packet-header buffers among the interned sticky buffer names, in id order, and the per-id flag of
    /// ``isPacketHeaderBuffer`` (a derived view takes its base's).
    static func packetHeaderBuffers(
        stickyBufferIDs: [String: Int],
        derivedBuffers: [DerivedBuffer]
    ) -> ([(id: Int, buffer: PacketHeaderBuffer)], [Bool]) {
        var headers: [(id: Int, buffer: PacketHeaderBuffer)] = []
        for (name, id) in stickyBufferIDs {
            if let buffer = PacketHeaderBuffer(name: name) { headers.append((id, buffer)) }
        }
        headers.sort { $0.id < $1.id }
        guard !headers.isEmpty else { return ([], []) }
        let count = (stickyBufferIDs.values.max() ?? -1) + 1
        var flags = [Bool](repeating: false, count: count)
        for header in headers { flags[header.id] = true }
        for view in derivedBuffers where view.base < count && view.id < count && flags[view.base] {
            flags[view.id] = true
        }
        return (headers, flags)
    }

    /// Makes the per-worker context (scratch space, flow detection state, thresholds).
    public func makeContext() -> DetectContext { DetectContext(engine: self) }

    /// The id under which buffers of this sticky-buffer name are passed, as ``InspectionBufferKind/sticky(id:)``;
    /// `nil` when no loaded rule inspects that buffer.
    public func stickyBufferID(named name: String) -> Int? { self.stickyBufferIDs[name] }

    /// Number of signatures loaded.
    public var signatureCount: Int { self.signatures.count }

    /// Identity of the signature at `index` (evaluation order): gid, sid, rev, msg.
    public func signatureInfo(at index: Int) -> (gid: UInt32, sid: UInt32, rev: UInt32, message: String) {
        let s = self.signatures[index]
        return (s.gid, s.sid, s.rev, s.message)
    }
}

/// Seconds from a monotonic clock, for load-time measurement.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
