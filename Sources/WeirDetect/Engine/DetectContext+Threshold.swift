// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow

/// What a threshold counts by: the signature and the tracked address(es) or flow.
struct ThresholdKey: Hashable {
    var signature: Int32
    /// 0 for `threshold`/`detection_filter`, 1 for `rate_filter` (both may exist on one signature).
    var kind: UInt8
    var first: IPAddress
    var second: IPAddress
    var flowID: UInt64
}

/// One threshold counter (Suricata's `DetectThresholdEntry`).
struct ThresholdEntry {
    /// Start of the current window, µs.
    var windowStart: Int64
    var count: Int
    /// `rate_filter`: the new action applies until this time, µs.
    var rateUntil: Int64 = 0
    /// `unique_on`: ports counted in this window.
    var ports: [UInt16] = []
}

extension DetectContext {
    func thresholdKey(signature: Int, kind: UInt8, track: ThresholdTrack, packet: Packet, flow: Flow?) -> ThresholdKey {
        var key = ThresholdKey(signature: Int32(signature), kind: kind, first: .zeroV4, second: .zeroV4, flowID: 0)
        switch track {
        case .bySource: key.first = packet.source
        case .byDestination: key.first = packet.destination
        case .byBoth:
            // Suricata tracks an IP pair, the same whichever way the packet goes.
            let (a, b) = packet.source < packet.destination ? (packet.source, packet.destination) : (packet.destination, packet.source)
            key.first = a
            key.second = b
        case .byFlow: key.flowID = flow?.flowID ?? 0
        case .byRule: break
        case .byEither: key.first = packet.source
        }
        return key
    }

    /// Whether a match of `signature` produces an alert under `spec` (Suricata's `ThresholdHandlePacket`).
    func thresholdAllows(_ spec: ThresholdSpec, signature: Int, packet: Packet, flow: Flow?) -> Bool {
        let key = self.thresholdKey(signature: signature, kind: 0, track: spec.track, packet: packet, flow: flow)
        let now = packet.timestamp.microseconds
        let window = spec.seconds * 1_000_000
        if spec.kind == .backoff {
            // Suricata's TYPE_BACKOFF: alert on match number count, count×m, count×m², … (`count` holds the
            // matches so far, `windowStart` the next match number that alerts).
            var entry = self.thresholdEntries[key] ?? ThresholdEntry(windowStart: Int64(spec.count), count: 0)
            entry.count += 1
            var allow = false
            if entry.count >= entry.windowStart {
                allow = true
                let (next, overflow) = entry.windowStart.multipliedReportingOverflow(by: Int64(spec.multiplier))
                entry.windowStart = overflow ? Int64.max : next
            }
            self.thresholdEntries[key] = entry
            return allow
        }
        guard var entry = self.thresholdEntries[key] else {
            var fresh = ThresholdEntry(windowStart: now, count: 1)
            if let unique = spec.uniqueOn {
                fresh.ports = [unique == .sourcePort ? packet.sourcePort : packet.destinationPort]
            }
            self.thresholdEntries[key] = fresh
            switch spec.kind {
            case .limit: return spec.count >= 1
            case .threshold, .both, .backoff: return spec.count <= 1
            case .detectionFilter: return spec.count < 1
            }
        }
        let within = now - entry.windowStart < window
        var allow = false
        if within {
            if let unique = spec.uniqueOn {
                let port = unique == .sourcePort ? packet.sourcePort : packet.destinationPort
                if !entry.ports.contains(port) {
                    entry.ports.append(port)
                    entry.count += 1
                }
            } else {
                entry.count += 1
            }
            switch spec.kind {
            case .limit: allow = entry.count <= spec.count
            case .threshold:
                if entry.count >= spec.count {
                    allow = true
                    entry.count = 0
                }
            case .both, .backoff: allow = entry.count == spec.count
            case .detectionFilter: allow = entry.count > spec.count
            }
        } else {
            entry.windowStart = now
            entry.count = 1
            if let unique = spec.uniqueOn {
                entry.ports = [unique == .sourcePort ? packet.sourcePort : packet.destinationPort]
            }
            switch spec.kind {
            case .limit: allow = spec.count >= 1
            case .threshold, .both, .backoff: allow = spec.count <= 1
            case .detectionFilter: allow = spec.count < 1
            }
        }
        self.thresholdEntries[key] = entry
        return allow
    }

    /// Whether a `rate_filter` switches this match to its new action.
    func rateFilterTriggered(_ rate: ThresholdConfig.RateFilter, signature: Int, packet: Packet, flow: Flow?) -> Bool {
        let key = self.thresholdKey(signature: signature, kind: 1, track: rate.track, packet: packet, flow: flow)
        let now = packet.timestamp.microseconds
        guard var entry = self.thresholdEntries[key] else {
            var fresh = ThresholdEntry(windowStart: now, count: 1)
            let fires = rate.count < 1
            if fires { fresh.rateUntil = now + rate.timeout * 1_000_000 }
            self.thresholdEntries[key] = fresh
            return fires
        }
        defer { self.thresholdEntries[key] = entry }
        if entry.rateUntil > now { return true }
        if now - entry.windowStart < rate.seconds * 1_000_000 {
            entry.count += 1
            if entry.count > rate.count {
                entry.rateUntil = now + rate.timeout * 1_000_000
                return true
            }
            return false
        }
        entry.windowStart = now
        entry.count = 1
        entry.rateUntil = 0
        return false
    }
}
