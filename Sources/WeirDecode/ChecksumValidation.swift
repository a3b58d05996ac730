// SPDX-License-Identifier: MIT

/// Which checksums the decoder verifies: suricata.yaml's `checksum-checks` (pcap) and `checksum-validation`.
public enum ChecksumValidation: String, Sendable, CaseIterable {
    /// Verify nothing; every ``ChecksumState`` stays ``ChecksumState/unchecked``.
    case none
    /// Verify the IPv4 header checksum and the TCP, UDP, ICMPv4 and ICMPv6 checksums of every packet.
    case all
    /// Suricata's pcap default: verify, but after the first 1,000 packets, if more than 1 in 10 of them had a bad
    /// checksum, assume checksum offloading on the capturing host and stop verifying for the rest of the run.
    case auto

    /// Parses a suricata.yaml value: `yes`/`all`/`true`, `no`/`none`/`false`, or `auto`.
    public init?(configValue: some StringProtocol) {
        switch configValue.lowercased() {
        case "yes", "all", "true", "on": self = .all
        case "no", "none", "false", "off": self = .none
        case "auto": self = .auto
        default: return nil
        }
    }
}
