// SPDX-License-Identifier: MIT
import WeirConfig
import WeirCore
import WeirDecode
import WeirFlow
import WeirStream

/// Turns the loaded configuration into each stage's own settings (no stage imports WeirConfig).
extension WeirConfiguration {
    /// Flow-table settings: `flow.memcap` becomes a flow cap, timeouts per protocol, `stream.midstream`.
    var flowTableSettings: WeirFlow.FlowSettings {
        func timeouts(_ t: WeirConfig.FlowTimeouts) -> WeirFlow.FlowTimeouts {
            WeirFlow.FlowTimeouts(
                new: Int64(t.new), established: Int64(t.established), closed: Int64(t.closed),
                bypassed: Int64(t.bypassed), emergencyNew: Int64(t.emergencyNew),
                emergencyEstablished: Int64(t.emergencyEstablished), emergencyClosed: Int64(t.emergencyClosed),
                emergencyBypassed: Int64(t.emergencyBypassed))
        }
        let cap = max(1024, Int(clamping: self.flow.memcap / UInt64(FlowTable.bytesPerFlow)))
        return WeirFlow.FlowSettings(
            maxFlows: cap,
            hashSize: self.flow.hashSize,
            tcp: timeouts(self.flowTimeouts.tcp),
            udp: timeouts(self.flowTimeouts.udp),
            icmp: timeouts(self.flowTimeouts.icmp),
            other: timeouts(self.flowTimeouts.default),
            midstream: self.stream.midstream,
            asyncOneside: self.stream.asyncOneside,
            emergencyRecovery: self.flow.emergencyRecovery,
            vlanTracking: self.vlan.useForTracking,
            recursionTracking: self.decoder.recursionTracking
        )
    }

    /// Stream-engine settings from `stream.*` and `host-os-policy`; `ips` resolves `stream.inline: auto` (inline
    /// when Weir runs as an IPS, `--simulate-ips`). Checksum validation follows the decoder: packets it found
    /// invalid are skipped while `stream.checksum-validation` is on, and with `-k none` none is found invalid.
    ///
    /// - Throws: ``StreamSettingError`` for a `host-os-policy` network that is not an address or CIDR.
    func streamEngineSettings(ips: Bool) throws(StreamSettingError) -> WeirStream.StreamSettings {
        let inline: Bool
        switch self.stream.inline {
        case .auto: inline = ips
        case .yes: inline = true
        case .no: inline = false
        }
        var settings = WeirStream.StreamSettings(
            memcap: Int(clamping: self.stream.memcap),
            reassemblyMemcap: Int(clamping: self.stream.reassembly.memcap),
            reassemblyDepth: self.stream.reassembly.depth,
            toServerChunkSize: max(1, Int(clamping: self.stream.reassembly.toServerChunkSize)),
            toClientChunkSize: max(1, Int(clamping: self.stream.reassembly.toClientChunkSize)),
            midstream: self.stream.midstream,
            asyncOneside: self.stream.asyncOneside,
            inline: inline,
            checksumValidation: self.stream.checksumValidation && self.effectivePcapChecksumMode != .none,
            checkOverlapDifferentData: self.stream.reassembly.checkOverlapDifferentData,
            maxSynAckQueued: self.stream.maxSynAckQueued,
            maxSynQueued: self.stream.maxSynQueued
        )
        settings.preallocSessions = self.stream.preallocSessions
        for entry in self.hostOSPolicy {
            try settings.set(
                "host-os-policy.\(entry.policy)", "[" + entry.networks.joined(separator: ",") + "]", ipsMode: ips)
        }
        return settings
    }

    /// `decoder.*` for the packet decoders.
    var decoderSettings: DecoderSettings {
        var out = DecoderSettings()
        out.teredoEnabled = self.decoder.teredoEnabled
        out.teredoPorts = self.decoder.teredoPorts
        out.vxlanEnabled = self.decoder.vxlanEnabled
        out.vxlanPorts = self.decoder.vxlanPorts
        out.vxlanStrictReservedBits = self.decoder.vxlanStrictReservedBits
        out.geneveEnabled = self.decoder.geneveEnabled
        out.genevePorts = self.decoder.genevePorts
        out.maxLayers = self.decoder.maxLayers
        return out
    }

    /// `defrag.*` with the `host-os-policy` networks.
    var defragSettings: DefragSettings {
        var out = DefragSettings()
        out.memcap = Int(clamping: self.defrag.memcap)
        out.trackers = self.defrag.trackers
        out.maxFrags = self.defrag.maxFrags
        out.timeoutSeconds = Int64(self.defrag.timeout)
        for entry in self.hostOSPolicy {
            guard let policy = DefragPolicy(hostOS: entry.policy) else { continue }
            for network in entry.networks {
                let parts = network.split(separator: "/", maxSplits: 1)
                guard let first = parts.first, let address = IPAddress(String(first)) else { continue }
                let bits = parts.count == 2 ? Int(parts[1]) ?? (address.isIPv4 ? 32 : 128) : (address.isIPv4 ? 32 : 128)
                out.hostPolicies.append((address, bits, policy))
            }
        }
        return out
    }

    /// The checksum policy for capture files.
    var fileChecksumValidation: ChecksumValidation {
        switch self.effectivePcapChecksumMode {
        case .none: return .none
        case .all: return .all
        case .auto: return .auto
        }
    }
}
