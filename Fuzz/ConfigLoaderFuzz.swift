// SPDX-License-Identifier: MIT
// libFuzzer entry point for the configuration loader (YAML through Yams, the bounds check, every section's
// decoding, --set overrides). Built by Fuzz/build.sh with the Yams and WeirConfig sources.
import WeirConfig


/// The input is configuration text; a line starting with `--set ` is taken as an override instead. Loading
/// must end in a configuration or a ConfigError, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func configLoaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var yaml: [Substring] = []
    var overrides: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("--set ") { overrides.append(String(line.dropFirst(6))) } else { yaml.append(line) }
    }
    do {
        let loaded = try ConfigLoader.load(yaml: yaml.joined(separator: "\n"), file: "fuzz.yaml", overrides: overrides)
        _ = loaded.warnings.count
    } catch {
        _ = error.description
    }
    return 0
}
