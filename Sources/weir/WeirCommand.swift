// SPDX-License-Identifier: MIT
import ArgumentParser
import Glibc
import WeirRuntime

/// `weir`: Suricata-style flags for replay and capture at the top level, tools as subcommands.
@main
struct WeirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "An IDS/IPS capture accelerator that reads Suricata rules and writes EVE JSON.",
        discussion: """
            Replays pcap or pcapng files (-r) or captures live traffic, decodes it, tracks flows, runs \
            Suricata-compatible rules, and writes EVE JSON and fast.log into the log directory (-l). The flags \
            mean what they mean in Suricata. Exit status: 0 when the run completed, 1 when a check found \
            problems, 2 for a usage or configuration error.
            """,
        subcommands: [
            BenchCommand.self,
            RulesCommand.self,
            ListKeywordsCommand.self,
            FeaturesCommand.self,
            BypassCommand.self,
            TestCommand.self,
            CtlCommand.self,
        ]
    )

    @Option(name: .customShort("c"), help: ArgumentHelp("Read the YAML configuration from this file (shaped like suricata.yaml).", valueName: "file"))
    var config: String?

    @Option(
        name: .customShort("r"),
        help: ArgumentHelp("Read packets from this pcap or pcapng file, or from every file of this directory; repeat for more.", valueName: "path")
    )
    var read: [String] = []

    @Option(
        name: .customLong("af-packet"),
        help: ArgumentHelp(
            "Capture live on this interface through an AF_PACKET TPACKET_V3 ring (bare --af-packet: the configuration's first af-packet interface); stop with Ctrl-C.",
            valueName: "interface"
        )
    )
    var afPacket: String?

    @Option(
        name: .customShort("i"),
        help: ArgumentHelp("Suricata's short form of --af-packet=IF: capture live on this interface.", valueName: "interface")
    )
    var interface: String?

    @Option(
        name: .customLong("unix-socket"),
        help: ArgumentHelp(
            "Open the control socket (suricatasc's protocol; `weir ctl` is its client) at this path (bare --unix-socket: the configuration's unix-command.filename, else /var/run/weir/weir-command.socket).",
            valueName: "path"
        )
    )
    var unixSocket: String?

    @Option(
        name: .customLong("pcap"),
        help: ArgumentHelp("Capture live on this interface through libpcap (one worker, passive); stop with Ctrl-C.", valueName: "interface")
    )
    var pcapInterface: String?

    @Option(
        name: .customShort("S"),
        help: ArgumentHelp("Load only the rules in this file, ignoring the configuration's rule-files; repeat for more.", valueName: "file")
    )
    var exclusiveRules: [String] = []

    @Option(name: .customShort("s"), help: ArgumentHelp("Load the rules in this file as well as the configuration's; repeat for more.", valueName: "file"))
    var extraRules: [String] = []

    @Option(name: .customShort("l"), help: ArgumentHelp("Write eve.json and fast.log into this directory, creating it if needed.", valueName: "dir"))
    var logDir: String?

    @Option(
        name: .customShort("k"),
        help: ArgumentHelp("Checksum validation: none, all, or auto (on until 1,000 packets show more than 1 in 10 bad).", valueName: "mode")
    )
    var checksums: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a configuration key, as key.path=value; repeat for more.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(
        name: .customLong("runmode"),
        help: ArgumentHelp(
            "single, autofp or workers (the configuration's runmode); with -r, autofp runs one reader and "
                + "threading.detect-thread-ratio x CPUs workers.", valueName: "mode"))
    var runMode: String?

    @Flag(name: .customLong("simulate-ips"), help: "Process the capture as if inline, so drop and reject take effect.")
    var simulateIPS = false

    @Flag(name: .customShort("T"), help: "Check the configuration and the rules, report, and exit.")
    var testConfig = false

    @Flag(name: .customLong("strict-rules"), help: "Treat any rule error as fatal instead of skipping the rule.")
    var strictRules = false

    @Flag(name: .customShort("v"), help: "Log more; repeat for more detail.")
    var verbose: Int

    @Flag(
        name: [.customShort("V"), .customLong("version")],
        help: "Print Weir's version and commit and the versions of the libraries it runs with, then exit.")
    var showVersion = false

    func validate() throws {
        if let k = self.checksums, !["none", "all", "auto"].contains(k) {
            throw ValidationError("-k takes none, all or auto, not '\(k)'.")
        }
        if let mode = self.runMode, !["single", "autofp", "workers"].contains(mode) {
            throw ValidationError("--runmode takes single, autofp or workers, not '\(mode)'.")
        }
    }

    var runOptions: RunOptions {
        var o = RunOptions()
        o.configPath = self.config
        o.readsInstalledConfiguration = true
        o.readPaths = self.read
        o.exclusiveRuleFiles = self.exclusiveRules
        o.extraRuleFiles = self.extraRules
        o.logDirectory = self.logDir
        o.checksumChecks = self.checksums
        // As Suricata: the command line's runmode wins over the configuration's.
        o.overrides = self.overrides + (self.runMode.map { ["runmode=\($0)"] } ?? [])
        o.simulateIPS = self.simulateIPS
        o.testOnly = self.testConfig
        o.strictRules = self.strictRules
        o.verbosity = self.verbose
        o.showProgress = isatty(2) != 0
        o.unixSocket = self.unixSocket
        o.versionText = "\(VersionReport.version) (commit \(BuildInfo.commit))"
        return o
    }

    func run() throws {
        if self.showVersion {
            FileDescriptorOutput.standardOutput.write(VersionReport.text())
            return
        }
        // Checked here, not in validate(): ArgumentParser validates parent commands of subcommands too.
        if let interface = self.pcapInterface {
            guard self.read.isEmpty && self.afPacket == nil else {
                throw ValidationError("--pcap cannot be combined with -r or --af-packet.")
            }
            guard !interface.isEmpty else { throw ValidationError("--pcap needs an interface: --pcap=IF.") }
            throw ExitCode(LiveCapture.runPcap(self.runOptions, interface: interface))
        }
        if let interface = self.interface {
            guard self.afPacket == nil else { throw ValidationError("-i and --af-packet name the same thing; give one.") }
            guard !interface.isEmpty else { throw ValidationError("-i needs an interface: -i eth1.") }
        }
        if let interface = self.afPacket ?? self.interface {
            guard self.read.isEmpty else { throw ValidationError("-r and --af-packet cannot be combined.") }
            throw ExitCode(
                LiveCapture.run(
                    self.runOptions, interface: interface.isEmpty ? nil : interface, environment: currentEnvironment()))
        }
        if self.read.isEmpty && !self.testConfig {
            throw ValidationError(
                "Nothing to read: give a capture file or directory with -r, --af-packet for live capture, or -T to test the configuration.")
        }
        var options = self.runOptions
        options.stopOnSignals = true
        options.flushOutputsOnCrash = true
        throw ExitCode(Replay.run(options))
    }

    /// ArgumentParser's own status for a usage error is 64; Weir promises 2, as documented in --help.
    static func main() {
        do {
            // Suricata's bare `--af-packet` (interface from the configuration) becomes an empty value.
            let arguments = CommandLine.arguments.dropFirst().map {
                $0 == "--af-packet" ? "--af-packet=" : $0 == "--pcap" ? "--pcap=" : $0 == "--unix-socket" ? "--unix-socket=" : $0
            }
            var command = try parseAsRoot(Array(arguments))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty {
                FileDescriptorOutput.standardError.write(message + "\n")
            }
            if error is ExitCode {
                Glibc.exit(code.rawValue)
            }
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
