// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirBypass

/// `weir features`: what this kernel offers Weir, and what Weir will use.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Probe the kernel: each feature, its minimum kernel, the probe result and whether Weir uses it.",
        discussion: "Set WEIR_KERNEL_VERSION (e.g. 4.9) to gate features as that kernel would."
    )

    @Option(help: "Also try native XDP on this interface (attached and detached at once; skipped if busy).")
    var iface: String?

    func run() throws {
        BPFLogging.silence()
        let features = KernelFeatures.probe(interface: self.iface, environment: currentEnvironment())
        writeStandardOutput(FeaturesCommand.render(features))
    }

    static func render(_ features: KernelFeatures) -> String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        var out = "kernel: \(features.runningVersion?.description ?? "unknown")"
        if let override = features.overrideVersion { out += " (acting as \(override) from WEIR_KERNEL_VERSION)" }
        out += "\n"
        out += pad("feature", 32) + pad("min", 6) + pad("probe", 24) + pad("result", 8) + pad("use", 5) + "fallback\n"
        for result in features.results {
            let probed: String
            switch result.probed {
            case .some(true): probed = "yes"
            case .some(false): probed = "no"
            case .none: probed = "n/a"
            }
            out += pad(result.feature.rawValue, 32) + pad(result.feature.minimumKernel.description, 6)
            out += pad(result.method, 24) + pad(probed, 8) + pad(result.used ? "yes" : "no", 5)
            out += (result.used ? "" : result.feature.fallback) + "\n"
        }
        let path: String
        if features.usesXDP {
            path =
                features.uses(.xdpRedirect)
                ? "XDP bypass with IPS fast path" : "XDP bypass, no redirect (IPS forwards in user space)"
        } else if features.uses(.socketFilter) {
            path = "socket filter only"
        } else {
            path = "no kernel bypass (local bypass in the workers)"
        }
        out += "data plane: \(path)\n"
        return out
    }
}
