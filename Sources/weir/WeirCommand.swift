// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirRuntime

/// `weir`: Suricata-style flags for replay and capture at the top level, tools as subcommands.
@main
struct WeirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "An IDS/IPS capture accelerator that reads Suricata rules and writes EVE JSON.",
        subcommands: [
            BenchCommand.self,
            FeaturesCommand.self,
            BypassCommand.self,
        ]
    )

    func run() throws {
        throw CleanExit.helpRequest(self)
    }
}
