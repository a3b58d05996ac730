// SPDX-License-Identifier: MIT
import WeirConfig
import WeirDecode
import WeirFlow

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
        let cap = max(1024, Int(self.flow.memcap / UInt64(WeirFlow.FlowSettings.bytesPerFlow)))
        return WeirFlow.FlowSettings(
            maxFlows: cap,
            hashSize: self.flow.hashSize,
            tcp: timeouts(self.flowTimeouts.tcp),
            udp: timeouts(self.flowTimeouts.udp),
            icmp: timeouts(self.flowTimeouts.icmp),
            other: timeouts(self.flowTimeouts.default),
            midstream: self.stream.midstream,
            asyncOneside: self.stream.asyncOneside
        )
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
