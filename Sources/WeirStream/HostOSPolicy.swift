// SPDX-License-Identifier: MIT
import WeirCore

/// One `host-os-policy` entry: the hosts in `network/prefixLength` reassemble overlaps as `policy`.
public struct HostOSPolicy: Sendable, Equatable {
    /// The network address (host bits are ignored).
    public var network: IPAddress
    /// Prefix length in bits (0–32 for IPv4, 0–128 for IPv6).
    public var prefixLength: Int
    /// The policy of the hosts in the network.
    public var policy: OverlapPolicy

    /// An entry for `network/prefixLength`.
    public init(network: IPAddress, prefixLength: Int, policy: OverlapPolicy) {
        self.network = network
        self.prefixLength = max(0, min(prefixLength, network.isIPv4 ? 32 : 128))
        self.policy = policy
    }

    /// Parses `a.b.c.d[/n]` or an IPv6 address with an optional `/n`.
    public init?(cidr text: String, policy: OverlapPolicy) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPAddress(String(first)) else { return nil }
        let maxBits = address.isIPv4 ? 32 : 128
        var bits = maxBits
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= maxBits else { return nil }
            bits = n
        }
        self.init(network: address, prefixLength: bits, policy: policy)
    }

    /// True when `address` is inside the network.
    @inlinable
    public func contains(_ address: IPAddress) -> Bool {
        guard address.family == self.network.family else { return false }
        if address.isIPv4 {
            if self.prefixLength == 0 { return true }
            let mask = UInt32.max << UInt32(32 - self.prefixLength)
            return address.v4Value & mask == self.network.v4Value & mask
        }
        let highBits = min(self.prefixLength, 64)
        let lowBits = max(0, self.prefixLength - 64)
        let highMask: UInt64 = highBits == 0 ? 0 : UInt64.max << UInt64(64 - highBits)
        let lowMask: UInt64 = lowBits == 0 ? 0 : UInt64.max << UInt64(64 - lowBits)
        return address.high & highMask == self.network.high & highMask
            && address.low & lowMask == self.network.low & lowMask
    }
}

extension StreamSettings {
    /// The overlap policy for data sent to `receiver`: the longest `host-os-policy` prefix containing it, else
    /// ``overlapPolicy`` (Suricata looks up the destination of each stream the same way).
    public func overlapPolicy(forReceiver receiver: IPAddress) -> OverlapPolicy {
        var best: HostOSPolicy? = nil
        for entry in self.hostPolicies where entry.contains(receiver) {
            if best.map({ entry.prefixLength > $0.prefixLength }) ?? true { best = entry }
        }
        return best?.policy ?? self.overlapPolicy
    }
}
