// SPDX-License-Identifier: MIT
import Foundation
import PackagePlugin

/// Compiles every `bpf/*.bpf.c` of the package with the toolchain's clang and embeds each object in the
/// target it is attached to, as a base64 Swift constant (see `bpfembed`).
///
/// The shared headers under `bpf/include` are declared as inputs of every command, so editing the ABI
/// header rebuilds all objects.
@main
struct BPFPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let clang = try context.tool(named: "clang")
        let embed = try context.tool(named: "bpfembed")
        let bpfDirectory = context.package.directoryURL.appending(path: "bpf")
        let includeDirectory = bpfDirectory.appending(path: "include")
        let fileManager = FileManager.default
        let headers = (try? fileManager.contentsOfDirectory(atPath: includeDirectory.path)) ?? []
        let headerURLs = headers.filter { $0.hasSuffix(".h") }.sorted().map { includeDirectory.appending(path: $0) }
        let sources = ((try? fileManager.contentsOfDirectory(atPath: bpfDirectory.path)) ?? [])
            .filter { $0.hasSuffix(".bpf.c") }
            .sorted()
        return sources.map { file in
            let stem = String(file.dropLast(".bpf.c".count))
            let source = bpfDirectory.appending(path: file)
            let object = context.pluginWorkDirectoryURL.appending(path: "\(stem).bpf.o")
            let output = context.pluginWorkDirectoryURL.appending(path: "\(stem)_bpf.swift")
            return .buildCommand(
                displayName: "Compiling BPF program \(file)",
                executable: embed.url,
                arguments: [
                    clang.url.path, source.path, includeDirectory.path, object.path, output.path, stem,
                ],
                inputFiles: [source] + headerURLs,
                outputFiles: [output]
            )
        }
    }
}
