// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Synchronization
import WeirConfig
import WeirCore
import WeirDetect
import WeirOutput

/// One detection engine as the workers take it: the engine (nil with no rules), the `alert.metadata` of its
/// signatures, and what loading it counted (`stats.detect.engines`, `ruleset-stats`).
final class LoadedEngine: Sendable {
    /// 1 for the engine of start-up, then one more per successful reload.
    let generation: Int
    let engine: DetectEngine?
    let alertMetadata: [[UInt8]?]
    let loadedAt: Timestamp
    let rulesLoaded: UInt64
    let rulesFailed: UInt64
    let rulesSkipped: UInt64

    /// One detection context per worker, made on the thread that built the engine: allocating the
    /// prefilter scratch of a large ruleset would otherwise pause the worker that swaps it in.
    private let prepared: [PreparedContext]

    init(generation: Int, detection: DetectionSetup, loadedAt: Timestamp, workers: Int = 0) {
        self.generation = generation
        let signatures = detection.engine.loadStatistics.signatures
        self.engine = signatures > 0 ? detection.engine : nil
        let engine = self.engine
        self.prepared = engine.map { engine in (0..<workers).map { _ in PreparedContext(engine.makeContext()) } } ?? []
        self.alertMetadata = detection.engine.signatureMetadata.map { EVEAlert.metadataJSON(from: $0) }
        self.loadedAt = loadedAt
        (self.rulesLoaded, self.rulesFailed, self.rulesSkipped) = Self.ruleCounts(detection)
    }

    /// `rules_loaded`, `rules_failed` and `rules_skipped` as Suricata counts them: rules that did not parse or
    /// compile are failed; rules left out because the engine cannot run a keyword of theirs yet, or whose
    /// `requires` is not met, are skipped.
    static func ruleCounts(_ detection: DetectionSetup) -> (loaded: UInt64, failed: UInt64, skipped: UInt64) {
        let brokenInEngine = detection.engine.rejected.filter(\.isError).count
        let skipped =
            detection.ruleSet.unsupported.count + detection.ruleSet.unmetRequirements.count
            + detection.engine.rejected.count - brokenInEngine
        return (
            UInt64(detection.engine.loadStatistics.signatures),
            UInt64(detection.ruleSet.errors.count + brokenInEngine), UInt64(skipped)
        )
    }

    /// The `stats.detect.engines` entry of an engine loaded at `loadedAt` (replay has one, loaded at start).
    static func statsEntry(_ detection: DetectionSetup, loadedAt: Timestamp) -> EVEDetectEngine {
        let counts = Self.ruleCounts(detection)
        return EVEDetectEngine(
            id: 0, lastReload: loadedAt, rulesLoaded: counts.loaded, rulesFailed: counts.failed,
            rulesSkipped: counts.skipped)
    }

    /// The context prepared for worker `index` (nil: none was, the worker makes its own). Each worker takes
    /// only its own, once.
    func context(for index: Int) -> DetectContext? {
        index < self.prepared.count ? self.prepared[index].context : nil
    }

    /// The `stats.detect.engines` entry (one engine: tenant id 0, as Suricata without multi-tenancy).
    var statsEntry: EVEDetectEngine {
        EVEDetectEngine(
            id: 0,
            lastReload: self.loadedAt,
            rulesLoaded: self.rulesLoaded,
            rulesFailed: self.rulesFailed,
            rulesSkipped: self.rulesSkipped
        )
    }
}

/// Rule reload (SIGUSR2, `reload-rules`, `ruleset-reload-nonblocking`): builds the new engine off the packet
/// path, on the thread that asked (the control thread), then publishes it; each worker swaps it in at a
/// packet boundary (between two ring reads) and acknowledges. The workers only read one atomic per loop.
final class RuleReloader: Sendable {
    /// What a reload request got.
    enum Outcome: Equatable {
        /// Built and published (and, for a blocking request, taken by every worker).
        case done
        /// Not reloaded; the old rules stay. The message says why.
        case refused(String)
    }

    private let options: RunOptions
    private let workerCount: Int
    /// The newest engine; workers compare ``published`` with the generation they run.
    private let current: Mutex<LoadedEngine>
    let published: Atomic<Int>
    /// Per worker: the generation it runs (-1: the worker has stopped).
    private let taken: Mutex<[Int]>
    /// A reload being built: a second request meanwhile is refused, as in Suricata.
    private let busy = Atomic<Bool>(false)
    /// Contexts the workers swapped out, freed on the control thread: the last reference to a large engine
    /// (its pattern databases, scratch and signatures) would otherwise be dropped on the packet path.
    private let retired = Mutex<[PreparedContext]>([])
    /// Reloads done and failed since start-up.
    let reloads = Atomic<Int>(0)
    let failures = Atomic<Int>(0)

    init(options: RunOptions, detection: DetectionSetup, workers: Int) {
        self.options = options
        self.workerCount = workers
        let first = LoadedEngine(generation: 1, detection: detection, loadedAt: LiveCapture.wallClock())
        self.current = Mutex(first)
        self.published = Atomic(1)
        self.taken = Mutex([Int](repeating: 1, count: workers))
    }

    /// The engine workers should run now.
    var engine: LoadedEngine { self.current.withLock { $0 } }

    /// Keeps `context` (swapped out by a worker) until ``releaseRetired()``.
    func retire(_ context: DetectContext?) {
        guard let context else { return }
        let box = PreparedContext(context)
        self.retired.withLock { $0.append(box) }
    }

    /// Frees the retired contexts (and engines no one else holds) on the calling thread.
    func releaseRetired() {
        let old = self.retired.withLock { list -> [PreparedContext] in
            let taken = list
            list.removeAll()
            return taken
        }
        _ = old
    }

    /// A worker took generation `generation` (or stopped: -1).
    func acknowledge(worker: Int, generation: Int) {
        self.taken.withLock { if worker < $0.count { $0[worker] = generation } }
    }

    /// Reloads the rules: reads the configuration again (rule files, variables, classification and
    /// threshold files, as Suricata re-reads its YAML) and builds a new engine on a thread of its own.
    /// `blocking` waits until the engine is built and every running worker swapped it in; otherwise the
    /// answer comes at once and the outcome is logged. Problems with single rules are reported as at
    /// start-up and the rule is skipped; a reload that cannot load the rules keeps the old ones and says why.
    func reload(blocking: Bool) -> Outcome {
        let err = self.options.messageOutput
        if !self.options.exclusiveRuleFiles.isEmpty || !self.options.extraRuleFiles.isEmpty {
            // Suricata's rule: the files named on the command line are not reloaded.
            return self.refuse("live rule reload not possible if -s or -S option used at runtime", err)
        }
        let loaded: LoadedConfiguration
        do {
            loaded = try RunSetup.loadConfiguration(self.options)
        } catch {
            return self.refuse("configuration error: \(error)", err)
        }
        guard loaded.configuration.detect.ruleReload else {
            return self.refuse("rule reload is disabled (detect.rule-reload: false)", err)
        }
        guard self.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return .refused("reload already in progress")
        }
        // The build runs on a thread of its own at a lower priority: on a busy sensor the workers keep their CPU.
        final class Result: Sendable { let outcome = Mutex<Outcome?>(nil) }
        let result = Result()
        let started = spawnThread(detached: true) {
            _ = cweir_lower_thread_priority(19)
            let outcome = self.build(loaded.configuration, err: err, wait: blocking)
            self.busy.store(false, ordering: .releasing)
            result.outcome.withLock { $0 = outcome }
        }
        if started == nil {
            self.busy.store(false, ordering: .releasing)
            return self.refuse("cannot start the reload thread", err)
        }
        guard blocking else { return .done }
        while true {
            if let outcome = result.outcome.withLock({ $0 }) { return outcome }
            usleep(2000)
        }
    }

    /// Builds and publishes the engine of `configuration`; `wait`: until every running worker took it.
    private func build(_ configuration: WeirConfiguration, err: MessageOutput, wait: Bool) -> Outcome {
        err.write("weir: reloading the rules\n")
        // The setup's own messages (bad rules with file:line:column, unreadable files) go where start-up's
        // go; the last one names what stopped the load.
        let lastLine = LastLine()
        var building = self.options
        let sink = err
        building.messages = { line in
            lastLine.text.withLock { $0 = line }
            sink.write(line)
        }
        guard let detection = DetectionSetup.make(options: building, configuration: configuration) else {
            let why = lastLine.text.withLock { $0 }?.trimmingSuffix() ?? "the rules could not be loaded"
            return self.refuse(why.hasPrefix("weir: ") ? String(why.dropFirst(6)) : why, err)
        }
        let signatures = detection.engine.loadStatistics.signatures
        if signatures == 0 && (!detection.ruleSet.errors.isEmpty || !detection.ruleSet.unreadableFiles.isEmpty) {
            // Suricata refuses a ruleset in which nothing loaded but something failed.
            return self.refuse("no rules were loaded: every rule failed or the rule files could not be read", err)
        }
        let generation = self.published.load(ordering: .acquiring) + 1
        let fresh = LoadedEngine(
            generation: generation, detection: detection, loadedAt: LiveCapture.wallClock(), workers: self.workerCount)
        self.current.withLock { $0 = fresh }
        self.published.store(generation, ordering: .releasing)
        self.reloads.add(1, ordering: .relaxed)
        err.write(
            "weir: rules reloaded: \(fresh.rulesLoaded) loaded, \(fresh.rulesFailed) failed, \(fresh.rulesSkipped) skipped\n"
        )
        guard wait else { return .done }
        // Workers check between ring reads (at least every 250 ms when idle).
        let deadline = monotonicSeconds() + 60
        while monotonicSeconds() < deadline {
            let pending = self.taken.withLock { $0.contains { $0 >= 0 && $0 < generation } }
            if !pending { return .done }
            usleep(2000)
        }
        return .refused("the new rules were built, but not every worker took them within 60 s")
    }

    private func refuse(_ why: String, _ err: MessageOutput) -> Outcome {
        self.failures.add(1, ordering: .relaxed)
        err.write("weir: rule reload failed, keeping the old rules: \(why)\n")
        return .refused(why)
    }
}

/// A detection context handed from the build thread to the worker that will run it (published through the
/// reloader's lock; from then on only that worker touches it).
final class PreparedContext: @unchecked Sendable {
    let context: DetectContext
    init(_ context: DetectContext) { self.context = context }
}

/// The last message line a reload's setup wrote.
private final class LastLine: Sendable {
    let text = Mutex<String?>(nil)
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return text
    }
}

extension ReplayPipeline {
    /// Swaps in another detection engine at a packet boundary; flow, stream and app-layer state carry on,
    /// and the per-flow detection state is carried over as ``WeirDetect/DetectContext/adopt(from:)`` says.
    /// Returns the context it replaced, for the caller to free off the packet path.
    @discardableResult
    mutating func adopt(_ loaded: LoadedEngine, prepared: DetectContext? = nil) -> DetectContext? {
        let fresh = prepared ?? loaded.engine.map { $0.makeContext() }
        let old = self.detect
        if let fresh, let old { fresh.adopt(from: old) }
        self.detect = fresh
        self.appLayer.adopt(engine: loaded.engine, detect: fresh)
        if self.outputs.eveSettings?.alert?.metadata == true { self.outputs.alertMetadata = loaded.alertMetadata }
        return old
    }
}

extension AppLayerPass {
    /// The app-layer side of an engine swap: sticky buffers are bound to the new engine's ids and every open
    /// transaction's detect state is reset.
    func adopt(engine: DetectEngine?, detect: DetectContext?) {
        self.detect = detect
        if let engine {
            self.stage.bind { engine.stickyBufferID(named: $0) }
            detect?.setBufferDirections(self.stage.bufferDirections)
        } else {
            self.stage.bind { _ in nil }
        }
        self.stage.resetDetectState()
    }
}
