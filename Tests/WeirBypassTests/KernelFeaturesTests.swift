// SPDX-License-Identifier: MIT
import CWeirLinux
import Testing
import WeirBypass

@Suite("Kernel feature gating")
struct KernelFeaturesTests {
    static func allPassing(as version: KernelVersion?) -> KernelFeatures {
        var probes: [KernelFeatures.Feature: (method: String, passed: Bool?)] = [:]
        for feature in KernelFeatures.Feature.allCases { probes[feature] = ("test", true) }
        probes[.xdpNative] = ("test", nil)
        return KernelFeatures(running: KernelVersion(6, 18), override: version, probes: probes)
    }

    @Test("versions parse from uname releases and overrides")
    func parse() {
        #expect(KernelVersion(parsing: "6.18.44-fc-v657") == KernelVersion(6, 18, 44))
        #expect(KernelVersion(parsing: "4.9") == KernelVersion(4, 9))
        #expect(KernelVersion(parsing: "5.10.0-28-amd64") == KernelVersion(5, 10, 0))
        #expect(KernelVersion(parsing: "six") == nil)
        #expect(KernelVersion(4, 13) < KernelVersion(4, 14))
        #expect(KernelVersion.running() != nil)
    }

    @Test("an override turns off what the older kernel lacks, even when the probe passes")
    func gating() {
        let old = Self.allPassing(as: KernelVersion(4, 9))
        let used = Set(KernelFeatures.Feature.allCases.filter { old.uses($0) })
        #expect(used == [.socketFilter, .perCPUArray])
        #expect(!old.usesXDP)

        let mid = Self.allPassing(as: KernelVersion(4, 13))
        #expect(mid.usesXDP && mid.uses(.xdpNative) && mid.uses(.lpmTrie))
        #expect(!mid.uses(.xdpRedirect) && !mid.uses(.bpfLinkXDP) && !mid.uses(.skbLoadBytesRelative))

        let now = Self.allPassing(as: nil)
        #expect(KernelFeatures.Feature.allCases.filter { !now.uses($0) } == [.perCPUHash])
    }

    @Test("a failed probe wins over the version; XDP features follow generic XDP")
    func probesDecide() {
        var probes: [KernelFeatures.Feature: (method: String, passed: Bool?)] = [:]
        for feature in KernelFeatures.Feature.allCases { probes[feature] = ("test", true) }
        probes[.xdpGeneric] = ("test", false)
        let features = KernelFeatures(running: KernelVersion(6, 18), override: nil, probes: probes)
        #expect(!features.usesXDP && !features.uses(.xdpRedirect) && !features.uses(.bpfLinkXDP))
        #expect(features.uses(.socketFilter))
    }

    @Test("knobs follow settings and features")
    func knobs() {
        var settings = BypassSettings()
        let old = Self.allPassing(as: KernelVersion(4, 9))
        #expect(settings.knobs(features: old).legacy_loads == 1)
        #expect(settings.knobs(features: old).blocklist_enabled == 0)
        settings.peerInterfaceIndex = 3
        #expect(settings.knobs(features: Self.allPassing(as: nil)).redirect_enabled == 1)
        #expect(settings.knobs(features: Self.allPassing(as: KernelVersion(4, 13))).redirect_enabled == 0)
        #expect(settings.knobs(features: Self.allPassing(as: nil)).clock == 0)
        settings.heartbeatTimeoutNanoseconds = 1
        #expect(settings.knobs(features: Self.allPassing(as: nil)).clock == 1)
        #expect(settings.knobs(features: Self.allPassing(as: KernelVersion(5, 4))).clock == 2)
        // Slots: the smallest power of two holding twice the flows, within the ABI's bounds.
        settings.flowTableSize = 100_000
        #expect(settings.slotBits == 18 && settings.knobs(features: Self.allPassing(as: nil)).slot_bits == 18)
        settings.flowTableSize = 65_536
        #expect(settings.slotCount == 131_072)
        settings.flowTableSize = 65_537  // twice this is just above 2^17
        #expect(settings.slotBits == 18)
        settings.flowTableSize = 1
        #expect(settings.slotBits == UInt32(WEIR_FLOW_SLOT_BITS_MIN))
        settings.flowTableSize = UInt32.max
        #expect(settings.slotBits == UInt32(WEIR_FLOW_SLOT_BITS_MAX))
    }

    @Test("IPS mode refuses the socket filter and a missing peer")
    func ips() throws {
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = 256
        settings.isIPS = true
        let sock = #expect(throws: BPFError.self) {
            _ = try BypassDataPlane(kind: .socketFilter, settings: settings, features: probedFeatures)
        }
        #expect(sock?.code == .invalidArgument)
        #expect(throws: BPFError.self) {
            _ = try BypassDataPlane(kind: .xdp, settings: settings, features: probedFeatures)
        }
        settings.peerInterfaceIndex = 1
        _ = try BypassDataPlane(kind: .xdp, settings: settings, features: probedFeatures)
    }
}
