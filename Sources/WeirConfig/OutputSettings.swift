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

    /// No outputs at all.
    public init() {}

    /// The first enabled `eve-log`, the one most callers want.
    public var eveLog: EVELogOutput? { self.eveLogs.first(where: \.enabled) }

    /// Weir's outputs without a file: `eve.json` with alert, drop, flow and stats records, and `fast.log`.
    public static let defaultOutputs: OutputSettings = {
        var outputs = OutputSettings()
        var eve = EVELogOutput()
        eve.alert = EVEAlertOptions()
        eve.drop = EVEDropOptions()
        eve.flow = true
        eve.stats = EVEStatsOptions()
        outputs.eveLogs = [eve]
        outputs.fast = FastLogOutput(enabled: true)
        return outputs
    }()
}

/// One `eve-log` output. Record types are `nil` when not listed under `types`.
public struct EVELogOutput: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool = true
    /// `filetype`.
    public var fileType: EVEFileType = .regular
    /// `filename`, relative to the log folder unless absolute.
    public var filename: String = "eve.json"
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

    /// An enabled `eve.json` output with no record types.
    public init() {}
}

/// `types: - alert:` options.
public struct EVEAlertOptions: Sendable, Equatable {
    /// `payload`: the packet or stream payload, base64.
    public var payload: Bool = false
    /// `payload-printable`: the payload as printable text (non-printables as `.`).
    public var payloadPrintable: Bool = false
    /// `payload-buffer-size`, bytes (4 KiB).
    public var payloadBufferSize: UInt64 = 4096
    /// `packet`: the whole packet, base64.
    public var packet: Bool = false
    /// `metadata`: rule metadata and app-layer metadata.
    public var metadata: Bool = true
    /// `verdict`: the engine's final verdict on the packet.
    public var verdict: Bool = false
    /// Defaults.
    public init() {}
}

/// `types: - drop:` options.
public struct EVEDropOptions: Sendable, Equatable {
    /// `alerts`: also log the alerts that caused a drop.
    public var alerts: Bool = false
    /// `flows`.
    public var flows: DropFlowsMode = .start
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

    /// A stats.log output, enabled or not.
    public init(enabled: Bool) { self.enabled = enabled }
}
