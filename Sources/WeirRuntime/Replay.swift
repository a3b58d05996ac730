// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirCapture
import WeirConfig
import WeirCore
import WeirDecode
import WeirFlow
import WeirOutput
import WeirStream

/// Offline replay: capture files → decode → flows → detection → EVE, with progress and a summary.
public enum Replay {
    /// Runs the command line's replay and returns the process exit status (0 done, 2 usage or configuration
    /// error). Messages go to stderr.
    public static func run(_ options: RunOptions) -> Int32 {
        let err = options.messageOutput
        // A closed pipe (`weir … | head`) is a write error to report, never the end of the run.
        _ = cweir_ignore_sigpipe()
        let files: [String]
        do {
            files = try CaptureInputs.expand(options.readPaths)
        } catch {
            err.write("weir: \(error)\n")
            return 2
        }
        let setup: RunSetup
        switch RunSetup.prepare(options) {
        case .ready(let ready): setup = ready
        case .done(let status): return status
        }
        let outputs = setup.outputs
        if options.flushOutputsOnCrash && cweir_crash_flush_install() != 0 {
            err.write("weir: warning: cannot install the crash flush: \(String(cString: strerror(errno)))\n")
        }
        var progress = ProgressLine(enabled: options.showProgress && !options.quiet, totalBytes: files.reduce(0) { $0 + fileSize($1) })
        let started = monotonicSeconds()
        outputs.stats.use(clock: options.statsClock ?? { monotonicSeconds() })
        let stop = ReplayStop(options, messages: err)
        if setup.configuration.runMode == .autofp {
            return Self.runWorkers(files: files, setup: setup, options: options, stop: stop, progress: &progress, started: started)
        }
        // The one worker is this thread: with `set-cpu-affinity` it takes the worker set's first CPU.
        ThreadPlacement(setup.configuration.threading, options: options).place(.worker, index: 0, name: "W#01")
        var pipeline = setup.pipeline(options)
        for (index, path) in files.enumerated() {
            if index > 0 && stop.requested(outputs) {
                pipeline.stoppedEarly = (stop.reason ?? "a stop request", files.count - index)
                break
            }
            pipeline.replay(path: path, progress: &progress, stop: stop)
        }
        if pipeline.stoppedEarly == nil, let reason = stop.reason { pipeline.stoppedEarly = (reason, 0) }
        progress.clear()
        // Also after a stop: the open flows end with reason `shutdown` and the stats record is written, as at
        // the end of the input (nothing more reaches a file that failed).
        pipeline.finish()
        // Network outputs send what they still hold (a few seconds at most) before the summary counts them.
        outputs.closeNetwork()
        let elapsed = monotonicSeconds() - started
        if !options.quiet {
            err.write(pipeline.summary(files: files.count, seconds: elapsed, logDirectory: setup.logDirectory))
        }
        if let failure = outputs.writeError {
            err.write("weir: output error: \(failure)\n")
            return 2
        }
        if pipeline.filesRead == 0 && pipeline.stoppedEarly == nil {
            err.write("weir: no input could be read\n")
            return 2
        }
        return 0
    }
}

extension Replay {
    /// `runmode: autofp`: one reader, several workers (``ReplayWorkers``); one stats record with every
    /// worker's counters summed, and one summary.
    static func runWorkers(
        files: [String], setup: RunSetup, options: RunOptions, stop: ReplayStop, progress: inout ProgressLine,
        started: Double
    ) -> Int32 {
        let err = options.messageOutput
        let count = ReplayWorkers.count(setup)
        let pipelines: [ReplayPipeline]
        do {
            pipelines = try ReplayWorkers.run(
                files: files, setup: setup, options: options, count: count, stop: stop, progress: &progress)
        } catch {
            err.write("weir: \(error)\n")
            return 2
        }
        progress.clear()
        let last = pipelines.map(\.lastTimestamp).max() ?? Timestamp(microseconds: 0)
        let uptime = setup.outputs.stats.uptime
        // One stats record and stats.log block: the workers' sum, and each worker as a thread (W#01 …).
        let threads = pipelines.enumerated().map { index, pipeline in
            (name: "W#" + (index < 9 ? "0" : "") + String(index + 1), counters: pipeline.allCounters())
        }
        setup.outputs.stats.write(
            time: last, uptime: uptime, totals: EngineCounters.sum(threads.map(\.counters)), threads: threads,
            outputs: setup.outputs)
        setup.outputs.flush()
        // Network outputs send what they still hold before the summary counts them (as one worker does).
        setup.outputs.closeNetwork()
        let elapsed = monotonicSeconds() - started
        if !options.quiet {
            err.write(
                pipelines[0].summary(
                    files: files.count, seconds: elapsed, logDirectory: setup.logDirectory,
                    others: Array(pipelines.dropFirst())))
            err.write("  workers:  \(count) (runmode autofp; figures above are their sums)\n")
        }
        for pipeline in pipelines {
            if let failure = pipeline.outputs.writeError {
                err.write("weir: output error: \(failure)\n")
                return 2
            }
        }
        if pipelines[0].filesRead == 0 && pipelines[0].stoppedEarly == nil {
            err.write("weir: no input could be read\n")
            return 2
        }
        return 0
    }
}

/// What a run needs once the command line, the configuration and the rules are read; replay and live
/// capture start the same way.
struct RunSetup {
    let configuration: WeirConfiguration
    let detection: DetectionSetup
    let outputs: ReplayOutputs
    let logDirectory: String
    let streamSettings: WeirStream.StreamSettings?
    /// The exception policies resolved for the run's mode (IDS, or IPS with `--simulate-ips` / inline capture).
    let exceptionPolicies: ExceptionPolicies
    /// Every signature's `alert.metadata` object, rendered once (Suricata writes rule metadata by default).
    let alertMetadata: [[UInt8]?]

    /// Either a run ready to start, or the exit status to return now (an error, or `-T` done).
    enum Prepared {
        case ready(RunSetup)
        case done(Int32)
    }

    /// Loads the configuration (with `--set` and `-k`), the rules and the outputs, reporting problems.
    /// The configuration the command line names, with its `--set` and `-k` overrides.
    static func loadConfiguration(_ options: RunOptions) throws -> LoadedConfiguration {
        var overrides = options.overrides
        if let k = options.checksumChecks { overrides.append("checksum-checks=\(k)") }
        return try ConfigLoader.load(
            path: options.configPath ?? (options.readsInstalledConfiguration ? Self.installedConfiguration() : nil),
            overrides: overrides)
    }

    /// Where an installed Weir keeps its configuration, read when `-c` is absent (as Suricata reads
    /// `/etc/suricata/suricata.yaml`); `WEIR_DEFAULT_CONFIG` points elsewhere (tests), an empty value turns it off.
    static func installedConfiguration() -> String? {
        let path = getenv("WEIR_DEFAULT_CONFIG").map { String(cString: $0) } ?? "/etc/weir/weir.yaml"
        guard !path.isEmpty, access(path, F_OK) == 0 else { return nil }
        return path
    }

    static func prepare(_ options: RunOptions) -> Prepared {
        let err = options.messageOutput
        let loaded: LoadedConfiguration
        do {
            loaded = try Self.loadConfiguration(options)
        } catch {
            err.write("weir: configuration error: \(error)\n")
            return .done(2)
        }
        if !options.quiet {
            for warning in loaded.warnings { err.write("weir: warning: \(warning)\n") }
            for note in loaded.notes { err.write("weir: note: \(note)\n") }
        }
        let config = loaded.configuration
        guard let detection = DetectionSetup.make(options: options, configuration: config) else { return .done(2) }
        if options.testOnly {
            // As `suricata -T`: a rule that fails to load or a rule file that cannot be read fails the test.
            let loadedRules = detection.engine.loadStatistics.signatures
            let files = "\(detection.files.count) file\(detection.files.count == 1 ? "" : "s")"
            if detection.hasRuleFailures {
                let errors = detection.ruleSet.errors.count
                let unreadable = detection.ruleSet.unreadableFiles.count
                err.write(
                    "weir: configuration test failed: \(errors) rule error\(errors == 1 ? "" : "s"), "
                        + "\(unreadable) unreadable rule file\(unreadable == 1 ? "" : "s") (listed above); "
                        + "\(loadedRules) rules loaded from \(files)\n")
                return .done(1)
            }
            err.write(
                "weir: configuration OK; \(loadedRules) rules loaded from \(files) "
                    + "(\(detection.readiness.active) active, \(detection.readiness.inert.count) inert)\n")
            return .done(0)
        }
        let logDirectory = options.logDirectory ?? config.defaultLogDirectory
        let outputs: ReplayOutputs
        do {
            try makeDirectories(logDirectory)
            outputs = try ReplayOutputs(
                directory: logDirectory, settings: config.outputs, stats: config.stats, sensorName: config.sensorName,
                messages: err)
        } catch {
            err.write("weir: \(error)\n")
            return .done(2)
        }
        // `stats.detect.engines`: the one engine of a replay, loaded now (wall-clock time, as Suricata's).
        outputs.detectEngines = [LoadedEngine.statsEntry(detection, loadedAt: LiveCapture.wallClock())]
        if !options.quiet {
            if let store = outputs.fileStore, !store.storesEveryFile {
                err.write(
                    "weir: warning: file-store stores files only with force-filestore: yes (the filestore rule "
                        + "keyword is not supported), so none will be stored\n")
            }
            for type in outputs.eveOutputs?.conflicts ?? [] {
                err.write(
                    "weir: warning: the eve-log outputs set '\(type)' differently; records are rendered once, "
                        + "with the first listing's settings\n")
            }
        }
        let exceptionPolicies: ExceptionPolicies
        do {
            let resolved = try config.exceptionPolicy.resolve(ips: options.simulateIPS, midstream: config.stream.midstream)
            exceptionPolicies = resolved.policies
            if !options.quiet { for note in resolved.notes { err.write("weir: note: \(note)\n") } }
        } catch {
            err.write("weir: configuration error: \(error)\n")
            return .done(2)
        }
        var streamSettings: WeirStream.StreamSettings?
        if config.stream.enabled {
            do {
                streamSettings = try config.streamEngineSettings(ips: options.simulateIPS)
                let midstreamPolicy = exceptionPolicies[.streamMidstream]
                streamSettings?.midstreamPolicyAllowsPickup = midstreamPolicy == .ignore || midstreamPolicy == .passFlow
            } catch {
                err.write("weir: configuration error: \(error)\n")
                return .done(2)
            }
        }
        return .ready(
            RunSetup(
                configuration: config, detection: detection, outputs: outputs, logDirectory: logDirectory,
                streamSettings: streamSettings, exceptionPolicies: exceptionPolicies,
                alertMetadata: detection.engine.signatureMetadata.map { EVEAlert.metadataJSON(from: $0) }))
    }

    /// The packet pipeline for this run, writing to `outputs` (default: the run's own).
    func pipeline(_ options: RunOptions, outputs: ReplayOutputs? = nil) -> ReplayPipeline {
        let loadedRules = self.detection.engine.loadStatistics.signatures
        let outputs = outputs ?? self.outputs
        if outputs.eveSettings?.alert?.metadata == true {
            outputs.alertMetadata = self.alertMetadata
        }
        var pipeline = ReplayPipeline(
            configuration: self.configuration, outputs: outputs,
            engine: loadedRules > 0 ? self.detection.engine : nil,
            inline: options.simulateIPS, streamSettings: self.streamSettings, messages: options.messageOutput)
        pipeline.exceptionPolicies = self.exceptionPolicies
        pipeline.exceptionCounters = ExceptionPolicyCounters(
            policies: self.exceptionPolicies, ips: options.simulateIPS, midstream: self.configuration.stream.midstream,
            perAppProto: self.configuration.exceptionPolicy.perAppProtoErrorCounters)
        // In-process callers that collect messages still get input damage; quiet runs to stderr do not.
        pipeline.reportsInputProblems = !options.quiet || options.messages != nil
        return pipeline
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return stat(path, &info) == 0 ? Int64(info.st_size) : 0
}
