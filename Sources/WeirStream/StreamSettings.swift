// SPDX-License-Identifier: MIT

/// The `stream:` section of suricata.yaml, as the stream engine uses it. Defaults are Suricata's.
public struct StreamSettings: Sendable, Equatable {
    /// `stream.memcap`: bytes for sessions and segment bookkeeping (default 64 MiB); 0 means unlimited.
    public var memcap: Int
    /// `stream.reassembly.memcap`: bytes for reassembly buffers (default 256 MiB); 0 means unlimited.
    public var reassemblyMemcap: Int
    /// `stream.reassembly.depth`: bytes reassembled per direction (default 1 MiB); 0 means unlimited.
    public var reassemblyDepth: UInt64
    /// `stream.reassembly.toserver-chunk-size`: ACKed bytes that trigger raw-stream inspection (default 2560).
    public var toServerChunkSize: Int
    /// `stream.reassembly.toclient-chunk-size` (default 2560).
    public var toClientChunkSize: Int
    /// `stream.midstream`: pick up sessions whose handshake was not seen.
    public var midstream: Bool
    /// `stream.midstream-policy` lets a session be picked up without its handshake (ignore or pass-flow; any
    /// other policy fails closed, as Suricata's checks do).
    public var midstreamPolicyAllowsPickup: Bool = true
    /// `stream.async-oneside`: track sessions of which only one direction is seen.
    public var asyncOneside: Bool
    /// `stream.inline`: IPS semantics (data inspected as it arrives in order, overlaps normalised to the data
    /// already accepted).
    public var inline: Bool
    /// `stream.checksum-validation`: skip TCP packets whose checksum was found invalid.
    public var checksumValidation: Bool
    /// The overlap policy for hosts no `host-os-policy` entry names (default BSD).
    public var overlapPolicy: OverlapPolicy
    /// `host-os-policy` entries: networks whose hosts reassemble with another policy (longest prefix wins).
    public var hostPolicies: [HostOSPolicy] = []
    /// Keep a window of already consumed data in IDS mode so that later retransmissions are still compared with
    /// it (Suricata turns this on when a loaded rule uses `stream-event:reassembly_overlap_different_data`,
    /// `StreamTcpReassembleConfigEnableOverlapCheck`). The window is the receiver's, or 4096 bytes.
    public var checkOverlapDifferentData: Bool
    /// `stream.max-synack-queued`: different SYN/ACKs tolerated before `3whs_synack_flood` (default 5).
    public var maxSynAckQueued: Int
    /// `stream.max-syn-queued`: different SYNs tolerated before `3whs_syn_flood` (default 10).
    public var maxSynQueued: Int
    /// `stream.prealloc-sessions`: sessions each engine creates at start-up, in its session pool, so that its
    /// first flows allocate none (Suricata's default, 2048 per thread, comes from the configuration; a bare
    /// `StreamSettings` preallocates none). They are charged to `stream.memcap` only once tracking, as any
    /// session.
    public var preallocSessions: Int = 0

    /// Settings with Suricata's defaults unless given.
    public init(
        memcap: Int = 64 << 20,
        reassemblyMemcap: Int = 256 << 20,
        reassemblyDepth: UInt64 = 1 << 20,
        toServerChunkSize: Int = 2560,
        toClientChunkSize: Int = 2560,
        midstream: Bool = false,
        asyncOneside: Bool = false,
        inline: Bool = false,
        checksumValidation: Bool = true,
        overlapPolicy: OverlapPolicy = .default,
        checkOverlapDifferentData: Bool = false,
        maxSynAckQueued: Int = 5,
        maxSynQueued: Int = 10
    ) {
        self.checkOverlapDifferentData = checkOverlapDifferentData
        self.memcap = memcap
        self.reassemblyMemcap = reassemblyMemcap
        self.reassemblyDepth = reassemblyDepth
        self.toServerChunkSize = toServerChunkSize
        self.toClientChunkSize = toClientChunkSize
        self.midstream = midstream
        self.asyncOneside = asyncOneside
        self.inline = inline
        self.checksumValidation = checksumValidation
        self.overlapPolicy = overlapPolicy
        self.maxSynAckQueued = maxSynAckQueued
        self.maxSynQueued = maxSynQueued
    }

    /// Bytes charged to `stream.memcap` per session (Suricata charges `sizeof(TcpSession)`).
    /// Measured, not `MemoryLayout`: a session is three objects (the session and its two reassemblers), and
    /// the resident size of a SYN flood grows by about 580 bytes per session.
    public static let bytesPerSession = 576
    /// Bytes charged to `stream.memcap` per stored segment record.
    public static let bytesPerSegment = 24
}
