// SPDX-License-Identifier: MIT

/// What the command line asked for, in Suricata's terms, before the configuration is loaded.
public struct RunOptions: Sendable {
    /// `-c`: the YAML configuration file, or `nil` for the built-in defaults.
    public var configPath: String?
    /// Without `configPath`, read the installed configuration (`/etc/weir/weir.yaml`) when it exists. Only the
    /// command line sets this: in-process runs (`weir test`, tests) never depend on the host's /etc.
    public var readsInstalledConfiguration = false
    /// `-r`: capture files or directories, in order.
    public var readPaths: [String] = []
    /// `-S`: rule files loaded instead of the configuration's `rule-files`.
    public var exclusiveRuleFiles: [String] = []
    /// `-s`: rule files loaded in addition to the configuration's.
    public var extraRuleFiles: [String] = []
    /// `-l`: the log directory (created if missing); `nil` means the configuration's `default-log-dir`.
    public var logDirectory: String?
    /// `-k`: `none`, `all` or `auto`; `nil` leaves the configuration's value.
    public var checksumChecks: String?
    /// `--set key=value`, in order.
    public var overrides: [String] = []
    /// `--simulate-ips`.
    public var simulateIPS = false
    /// `-T`: check configuration and rules, then stop.
    public var testOnly = false
    /// `--strict-rules`: any rule error stops start-up.
    public var strictRules = false
    /// Number of `-v` flags.
    public var verbosity = 0
    /// Whether to draw the progress line (only when stderr is a terminal).
    public var showProgress = true
    /// Leaves out the end-of-run summary (and the progress line), for callers that run many replays in one
    /// process, such as `weir test`.
    public var quiet = false
    /// Replay: stop in order on SIGINT or SIGTERM (finish the packet, end the open flows, write the stats
    /// record and the summary) instead of dying. The command line sets it; in-process callers leave it off, so
    /// their process keeps its signal dispositions.
    public var stopOnSignals = false
    /// Install the crash flush: on a fatal signal (a trap is SIGILL) the complete EVE records still in the
    /// writers' batches are written before the process dies, so a crash loses no complete record. For the
    /// command line's own process; in-process callers keep their own signal handlers.
    public var flushOutputsOnCrash = false
    /// Replay: a descriptor whose becoming readable stops the run as a signal would (checked between packets);
    /// for callers that stop a run themselves.
    public var stopDescriptor: Int32?
    /// Receives the run's warnings and errors, each a complete line; `nil` writes them to standard error.
    public var messages: (@Sendable (String) -> Void)?
    /// `--unix-socket[=PATH]`: open the control socket (empty: the configured or default path); nil leaves
    /// it to `unix-command` in the configuration.
    public var unixSocket: String?
    /// Replay: the steady clock, in seconds, that periodic stats records and `uptime` follow; nil is the
    /// monotonic clock. Tests set it to make the records' cadence independent of the machine's speed.
    public var statsClock: (@Sendable () -> Double)?
    /// What the control socket's `version` command answers.
    public var versionText = "Weir"

    /// Where this run's messages go.
    var messageOutput: MessageOutput {
        if let messages = self.messages { return MessageOutput(sink: messages) }
        return MessageOutput(sink: { FileDescriptorOutput.standardError.write($0) })
    }

    public init() {}
}

/// A destination for a run's messages: standard error, or a caller's collector.
struct MessageOutput: Sendable {
    let sink: @Sendable (String) -> Void

    func write(_ text: String) { self.sink(text) }
}
