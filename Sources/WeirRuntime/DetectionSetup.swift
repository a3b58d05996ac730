// SPDX-License-Identifier: MIT
import WeirConfig
import WeirDetect

/// Loads the rules a run asks for and builds the detection engine, reporting every problem on stderr.
struct DetectionSetup {
    let engine: DetectEngine
    let ruleSet: RuleSet
    let files: [String]
    /// The loaded rules the engine took, split into active and inert (waiting for a parser).
    let readiness: RuleReadiness

    /// Whether a rule failed to load or a rule file could not be read: `-T` fails on either, as `suricata -T` does.
    var hasRuleFailures: Bool { !self.ruleSet.errors.isEmpty || !self.ruleSet.unreadableFiles.isEmpty }

    /// The rule files of a run: `-S` files alone when given, else the configuration's `rule-files` (relative
    /// to `default-rule-path`), plus any `-s` files.
    static func ruleFiles(options: RunOptions, configuration: WeirConfiguration) -> [String] {
        if !options.exclusiveRuleFiles.isEmpty { return options.exclusiveRuleFiles + options.extraRuleFiles }
        let base = configuration.defaultRulePath
        let configured = configuration.ruleFiles.map { file -> String in
            guard !file.hasPrefix("/"), let base, !base.isEmpty else { return file }
            return base.hasSuffix("/") ? base + file : base + "/" + file
        }
        return configured + options.extraRuleFiles
    }

    /// Loads and compiles. Returns `nil` after printing why when start-up must stop (`--strict-rules` with an
    /// error, or a file that cannot be read or parsed at all).
    static func make(options: RunOptions, configuration: WeirConfiguration) -> DetectionSetup? {
        let err = options.messageOutput
        var classifications = ClassificationTable.suricataDefault
        if let path = configuration.classificationFile {
            do {
                classifications = try ClassificationTable.load(path: path)
            } catch {
                // As Suricata: fatal for a configuration test (-T) only; a run goes on, here with the built-in
                // classtypes of Suricata's classification.config.
                err.write("weir: \(error)\n")
                if options.testOnly { return nil }
                err.write("weir: warning: using the built-in classification table; check classification-file\n")
            }
        }
        var addresses: [String: String] = [:]
        var ports: [String: String] = [:]
        for (name, value) in configuration.vars.addressGroups { addresses[name] = value }
        for (name, value) in configuration.vars.portGroups { ports[name] = value }
        var loader = RuleFileLoader(
            variables: RuleVariables(addresses: addresses, ports: ports), classifications: classifications,
            strict: options.strictRules)
        loader.defaultRulePath = configuration.defaultRulePath
        // `requires: feature ja3|ja4` holds when the TLS parser computes that fingerprint (Suricata registers
        // the feature only then).
        let tls = configuration.appLayer.protocols["tls"]
        for (feature, key) in [("ja3", "ja3-fingerprints"), ("ja4", "ja4-fingerprints")] {
            let off = ["no", "false", "0"].contains(tls?.parserValues[key]?.lowercased() ?? "")
            if tls?.enabled == .no || off { loader.requirementFeatures.remove(feature) }
        }
        let files = self.ruleFiles(options: options, configuration: configuration)
        let set = loader.load(paths: files)
        for path in set.unreadableFiles { err.write("weir: cannot read rule file \(path)\n") }
        for error in set.errors { err.write("weir: rule error: \(error)\n") }
        for unknown in set.unknownClasstypes {
            err.write(
                "weir: \(unknown.file):\(unknown.line): unknown classtype '\(unknown.name)', using \"Unknown Classtype\" "
                    + "with priority 3 (reported once per classtype; an error with --strict-rules)\n")
        }
        for warning in set.warnings { err.write("weir: rule warning: \(warning)\n") }
        for duplicate in set.duplicates {
            err.write(
                "weir: \(duplicate.file):\(duplicate.line): duplicate rule \(duplicate.gid):\(duplicate.sid) "
                    + "(kept the one at \(duplicate.keptFile):\(duplicate.keptLine))\n")
        }
        if options.verbosity > 0 {
            for skipped in set.unmetRequirements {
                err.write("weir: \(skipped.file ?? "<rule>"):\(skipped.line): rule skipped: requires \(skipped.reason)\n")
            }
        } else if !set.unmetRequirements.isEmpty {
            err.write("weir: \(set.unmetRequirements.count) rules skipped, their requires is not met; -v lists them\n")
        }
        if options.verbosity > 0 {
            for rule in set.unsupported {
                err.write(
                    "weir: \(rule.file):\(rule.line): rule \(rule.gid):\(rule.sid) not loaded: keyword "
                        + "\(rule.keywords.joined(separator: ", ")) not supported\n")
            }
        } else if !set.unsupported.isEmpty {
            let byKeyword = set.unsupportedByKeyword.prefix(6).map { "\($0.keyword) \($0.count)" }
            err.write(
                "weir: \(set.unsupported.count) rules not loaded, keyword not supported (\(byKeyword.joined(separator: ", ")))"
                    + "; -v lists them\n")
        }
        if options.strictRules && (!set.errors.isEmpty || !set.unreadableFiles.isEmpty || set.stoppedEarly) {
            err.write("weir: stopping: --strict-rules and the rules have errors\n")
            return nil
        }

        var settings = WeirDetect.DetectSettings()
        settings.isIPS = options.simulateIPS
        settings.packetAlertMax = configuration.packetAlertMax
        settings.actionOrder = configuration.actionOrder.map { (action: WeirConfig.RuleAction) -> RuleVerdictAction in
            switch action {
            case .pass: return .pass
            case .drop: return .drop
            case .reject: return .reject
            case .alert: return .alert
            }
        }
        if let path = configuration.thresholdFile {
            guard let bytes = RuleFileReader.readFile(path) else {
                err.write("weir: cannot read threshold file \(path)\n")
                return nil
            }
            do {
                settings.thresholdConfig = try ThresholdConfig(
                    text: String(decoding: bytes, as: UTF8.self), addressVariables: addresses)
            } catch {
                err.write("weir: \(path): \(error)\n")
                return nil
            }
        }
        let engine: DetectEngine
        do {
            engine = try DetectEngine(rules: set.rules, settings: settings, classifications: classifications)
        } catch {
            err.write("weir: cannot build the detection engine: \(error)\n")
            return nil
        }
        // Rules the engine refused as broken (PCRE2 or the prefilter cannot compile them): each one named.
        for rejected in engine.rejected where rejected.isError { err.write("weir: rule error: \(rejected)\n") }
        let notRunYet = engine.rejected.filter { !$0.isError }
        if options.verbosity > 0 {
            for rejected in notRunYet { err.write("weir: rule not loaded: \(rejected)\n") }
        } else if !notRunYet.isEmpty {
            var byKeyword: [String: Int] = [:]
            for rejected in notRunYet { byKeyword[rejected.keyword, default: 0] += 1 }
            let top = byKeyword.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(6)
            err.write(
                "weir: \(notRunYet.count) rules not loaded, the engine cannot match them yet ("
                    + top.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "); -v lists them\n")
        }
        if options.strictRules && !engine.rejected.isEmpty { return nil }
        let readiness = RuleReadiness(set, excluding: Set(engine.rejected.map { RuleKey(gid: $0.gid, sid: $0.sid) }))
        if !readiness.inert.isEmpty && (!options.quiet || options.testOnly) {
            err.write("weir: \(readiness.summary())\(options.verbosity > 0 ? "" : "; -v lists the inert rules")\n")
            if options.verbosity > 0 {
                for rule in readiness.inert {
                    err.write("weir: \(rule.file):\(rule.line): rule \(rule.gid):\(rule.sid) is inert: \(rule.reason)\n")
                }
            }
        }
        return DetectionSetup(engine: engine, ruleSet: set, files: files, readiness: readiness)
    }
}
