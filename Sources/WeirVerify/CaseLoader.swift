// SPDX-License-Identifier: MIT
import Foundation
import WeirRuntime

/// Finds case folders and turns each into a ``VerifyCase``.
///
/// A folder is a case when it holds `test.yaml` (suricata-verify's format, plus Weir's `expect:` short form) or
/// `expected.json` (the conformance scorer's format). With `upstream` set, `upstream-test.yaml` is read as the
/// case file instead of `test.yaml`, while `expected.json` still gives vars, config, mode and the threshold file.
public struct CaseLoader: Sendable {
    /// Read `upstream-test.yaml` instead of `test.yaml`.
    public var upstream = false
    /// What `requires:` is answered with.
    public var capabilities = Capabilities()

    /// A loader for `test.yaml` cases answering as ``SuricataVersion/weirDefault``.
    public init() {}

    /// The case file name this loader looks for.
    var caseFileName: String { self.upstream ? "upstream-test.yaml" : "test.yaml" }

    /// Whether `directory` is a case folder.
    public func isCase(_ directory: String) -> Bool {
        fileExists(directory + "/" + self.caseFileName) || fileExists(directory + "/expected.json")
    }

    /// Every case folder at or below each root, in sorted order; a case folder's subfolders are not searched.
    public func discover(_ roots: [String]) -> [(name: String, directory: String)] {
        var out: [(String, String)] = []
        for root in roots {
            let absolute = absolutePath(root)
            if self.isCase(absolute) {
                out.append((lastComponent(absolute), absolute))
                continue
            }
            self.walk(absolute, relative: "", into: &out)
        }
        return out
    }

    private func walk(_ directory: String, relative: String, into out: inout [(String, String)]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard isDirectory(path) else { continue }
            let rel = relative.isEmpty ? name : relative + "/" + name
            if self.isCase(path) {
                out.append((rel, path))
            } else {
                self.walk(path, relative: rel, into: &out)
            }
        }
    }

    /// Reads one case folder. Never throws: problems become the case's `loadError` or `skipReason`.
    public func load(name: String, directory: String) -> VerifyCase {
        let caseFilePath = directory + "/" + self.caseFileName
        let expectedPath = directory + "/expected.json"
        let hasCaseFile = fileExists(caseFilePath)
        var c = VerifyCase(
            name: name,
            directory: directory,
            caseFile: hasCaseFile ? self.caseFileName : "expected.json"
        )
        c.options.showProgress = false
        c.options.quiet = true

        var expected: Value?
        if fileExists(expectedPath) {
            do {
                expected = try JSONReader.parse(readText(expectedPath))
            } catch {
                c.loadError = "expected.json: \(error)"
                return c
            }
        }
        var spec = Value.object([])
        if hasCaseFile {
            do {
                spec = try Value.parseYAML(readText(caseFilePath), file: self.caseFileName)
                if case .null = spec { spec = .object([]) }
            } catch {
                c.loadError = error.description
                return c
            }
            guard case .object = spec else {
                c.loadError = "\(self.caseFileName): the document is not a mapping"
                return c
            }
        }

        if let expected { self.applyEnvironment(expected, to: &c) }
        if hasCaseFile {
            self.applyCaseFile(spec, expected: expected, to: &c)
        } else if let expected {
            c.checks = Self.scorerChecks(expected)
        }
        if c.skipReason == nil && c.loadError == nil { self.resolveInputs(spec, expected: expected, to: &c) }
        return c
    }

    // MARK: expected.json

    /// vars, config, mode and threshold_file, translated as the conformance corpus's `weir-case` does.
    func applyEnvironment(_ expected: Value, to c: inout VerifyCase) {
        for (name, value) in expected["vars"]?.members ?? [] {
            let group = name.hasSuffix("_PORTS") || name.hasSuffix("_PORT") ? "port-groups" : "address-groups"
            c.options.overrides.append("vars.\(group).\(name)=\(value.scalarText)")
        }
        for (key, value) in expected["config"]?.members ?? [] {
            if key == "checksum-checks" {
                let mode = value.scalarText
                if mode == "none" {
                    c.options.checksumChecks = "none"
                } else if mode != "auto" {
                    c.options.overrides.append("checksum-checks=\(mode)")
                }
                continue
            }
            c.options.overrides.append("\(key)=\(Self.yamlFlow(value))")
        }
        if expected["mode"]?.stringValue == "ips" { c.options.simulateIPS = true }
        if let threshold = expected["threshold_file"]?.stringValue, !threshold.isEmpty {
            c.options.overrides.append("threshold-file=\(c.directory)/\(threshold)")
        }
    }

    /// A value as `--set` wants it: scalars bare, lists in YAML flow style.
    static func yamlFlow(_ value: Value) -> String {
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map { yamlFlow($0) }.joined(separator: ", ") + "]"
        default: return value.scalarText
        }
    }

    /// expected.json's `expect`, `expect_min` and `alert_total` as checks (score.py's default mode).
    static func scorerChecks(_ expected: Value) -> [Check] {
        var checks: [Check] = []
        var n = 0
        for item in expected["expect"]?.listItems ?? [] {
            guard let sid = item["sid"]?.intValue, let count = item["count"]?.intValue else { continue }
            n += 1
            checks.append(Check(index: n, origin: "expected.json", kind: .alertCount(sid: sid, count: count)))
        }
        for item in expected["expect_min"]?.listItems ?? [] {
            guard let sid = item["sid"]?.intValue, let minimum = item["min"]?.intValue else { continue }
            n += 1
            checks.append(Check(index: n, origin: "expected.json", kind: .alertMinimum(sid: sid, minimum: minimum)))
        }
        if let total = expected["alert_total"]?.intValue {
            n += 1
            checks.append(Check(index: n, origin: "expected.json", kind: .alertTotal(total)))
        }
        return checks
    }

    // MARK: test.yaml

    func applyCaseFile(_ spec: Value, expected: Value?, to c: inout VerifyCase) {
        let file = self.caseFileName
        if let requires = spec["requires"],
            let why = self.capabilities.unmetRequirement(requires, directory: c.directory)
        {
            c.skipReason = why
        }
        if let skip = spec["skip"], c.skipReason == nil {
            c.skipReason = self.skipMatch(skip)
        }
        for key in ["command", "setup", "pre-check"] where spec[key] != nil && c.skipReason == nil {
            c.skipReason = "uses '\(key):', which runs shell commands; weir test runs Weir in-process only"
        }
        if let code = spec["exit-code"]?.intValue { c.expectedExitCode = Int32(truncatingIfNeeded: code) }
        if spec["retry"] != nil { c.notes.append("retry: ignored, a replay is deterministic") }
        if let count = spec["count"]?.intValue, count > 1 { c.notes.append("count: \(count) ignored, runs once") }
        // run.py expands $NAME and ${NAME} in args from its environment: TEST_DIR, SRCDIR, TZ, OUTPUT_DIR, the
        // case's env: entries and the process environment. OUTPUT_DIR is only known when the case runs.
        var variables = ProcessInfo.processInfo.environment
        variables["TEST_DIR"] = c.directory
        variables["SRCDIR"] = FileManager.default.currentDirectoryPath
        variables["TZ"] = "UTC"
        variables["OUTPUT_DIR"] = VerifyCase.outputDirectoryMarker
        for (name, value) in spec["env"]?.members ?? [] {
            variables[name] = value.scalarText
            c.environment[name] = value.scalarText
        }
        // run.py turns IPS mode on for every test whose folder name contains "ips".
        if lastComponent(c.directory).contains("ips") { c.options.simulateIPS = true }
        if c.skipReason == nil, let args = spec["args"] {
            do {
                let expanded = args.listItems.map { Self.expand($0.scalarText, variables) }
                try ArgumentTranslator.apply(expanded, directory: c.directory, to: &c.options)
            } catch {
                c.skipReason = error.description
            }
        }

        var checks: [Check] = []
        for (i, item) in (spec["checks"]?.listItems ?? []).enumerated() {
            checks.append(self.check(item, index: i + 1, directory: c.directory))
        }
        for (i, item) in (spec["expect"]?.listItems ?? []).enumerated() {
            guard let sid = item["sid"]?.intValue else {
                c.loadError = "\(file): expect entry \(i + 1) has no integer sid"
                return
            }
            if let count = item["count"]?.intValue {
                checks.append(Check(index: i + 1, origin: "expect", kind: .alertCount(sid: sid, count: count)))
            } else if let minimum = item["min"]?.intValue {
                checks.append(Check(index: i + 1, origin: "expect", kind: .alertMinimum(sid: sid, minimum: minimum)))
            } else {
                c.loadError = "\(file): expect entry \(i + 1) needs count or min"
                return
            }
        }
        if let total = spec["alert-total"]?.intValue {
            checks.append(Check(index: 1, origin: "alert-total", kind: .alertTotal(total)))
        }
        c.checks = checks
    }

    /// Python's `string.Template.substitute`: `$NAME`, `${NAME}` and `$$`; unknown names are left as written.
    static func expand(_ text: String, _ variables: [String: String]) -> String {
        var out = ""
        var i = text.startIndex
        let isName = { (c: Character) in c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
        while i < text.endIndex {
            let ch = text[i]
            guard ch == "$", text.index(after: i) < text.endIndex else {
                out.append(ch)
                i = text.index(after: i)
                continue
            }
            var j = text.index(after: i)
            if text[j] == "$" {
                out.append("$")
                i = text.index(after: j)
                continue
            }
            let braced = text[j] == "{"
            if braced { j = text.index(after: j) }
            var end = j
            while end < text.endIndex && isName(text[end]) { end = text.index(after: end) }
            let name = String(text[j..<end])
            if braced {
                guard end < text.endIndex, text[end] == "}" else {
                    out.append(ch)
                    i = text.index(after: i)
                    continue
                }
                end = text.index(after: end)
            }
            if !name.isEmpty, let value = variables[name] {
                out += value
            } else {
                out += text[i..<end]
            }
            i = end
        }
        return out
    }

    /// The reason a `skip:` entry applies, or `nil`.
    private func skipMatch(_ skip: Value) -> String? {
        if case .bool(let b) = skip { return b ? "skipped by default" : nil }
        for entry in skip.listItems {
            if let uid = entry["uid"]?.intValue, uid == Int64(getuid()) {
                return entry["msg"]?.scalarText ?? "not for uid \(uid)"
            }
            if let feature = entry["feature"]?.scalarText, self.capabilities.features.contains(feature) {
                return entry["msg"]?.scalarText ?? "not for feature \(feature)"
            }
        }
        return nil
    }

    /// One item of `checks:`.
    func check(_ item: Value, index: Int, directory: String) -> Check {
        guard let (type, body) = item.members.first else {
            return Check(index: index, origin: "checks", kind: .invalid(type: "empty", reason: "empty check"))
        }
        var check: Check
        switch type {
        case "filter":
            var requires = body["requires"]?.members ?? []
            for key in ["version", "min-version", "lt-version"] {
                if let v = body[key] { requires.append((key, v)) }
            }
            if let feature = body["feature"] { requires.append(("features", .array([feature]))) }
            guard let count = body["count"]?.intValue else {
                return Check(
                    index: index,
                    origin: "checks",
                    kind: .invalid(type: "filter", reason: "filter without an integer count")
                )
            }
            let filter = FilterCheck(
                count: count,
                match: body["match"]?.members ?? [],
                filename: body["filename"]?.stringValue,
                comment: body["comment"]?.scalarText
            )
            check = Check(index: index, origin: "checks", kind: .filter(filter))
            if !requires.isEmpty {
                check.skipReason = self.capabilities.unmetRequirement(.object(requires), directory: directory)
            }
        case "stats":
            check = Check(index: index, origin: "checks", kind: .stats(body.members))
        case "shell":
            check = Check(
                index: index,
                origin: "checks",
                kind: .unsupported(type: "shell", reason: "shell checks are not run by weir test")
            )
        case "file-compare":
            check = Check(
                index: index,
                origin: "checks",
                kind: .unsupported(type: "file-compare", reason: "file-compare checks are not run by weir test")
            )
        default:
            check = Check(
                index: index,
                origin: "checks",
                kind: .invalid(type: type, reason: "unknown check type '\(type)'")
            )
        }
        if case .unsupported(_, let reason) = check.kind { check.skipReason = reason }
        return check
    }

    // MARK: pcaps, rules, configuration

    /// Pcaps, rule files and the folder's `suricata.yaml`, as run.py finds them.
    func resolveInputs(_ spec: Value, expected: Value?, to c: inout VerifyCase) {
        let dir = c.directory
        var pcapRequired = true
        if case .bool(false) = spec["requires"]?["pcap"] ?? .null { pcapRequired = false }
        let expectedPcaps = (expected?["pcaps"]?.listItems ?? []).compactMap(\.stringValue).map { dir + "/" + $0 }
        let pcapSetting = spec["pcap"]
        if case .bool(false) = pcapSetting ?? .null {
            pcapRequired = false
        } else if let named = pcapSetting?.stringValue {
            let path = named.hasPrefix("/") ? named : dir + "/" + named
            if fileExists(path) {
                c.options.readPaths.append(path)
            } else if !expectedPcaps.isEmpty {
                // The conformance corpus copies upstream's shared pcaps into the case folder.
                c.options.readPaths.append(contentsOf: expectedPcaps)
                c.notes.append("pcap \(named) not found; using expected.json's \(expectedPcaps.map(lastComponent))")
            } else {
                c.loadError = "pcap file does not exist: \(named)"
                return
            }
        } else if !expectedPcaps.isEmpty {
            c.options.readPaths.append(contentsOf: expectedPcaps)
        } else if pcapRequired {
            let found = listFiles(dir).filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
            if found.isEmpty {
                c.skipReason = "no pcap file found"
                return
            }
            c.options.readPaths.append(contentsOf: found.map { dir + "/" + $0 })
        }

        if c.options.exclusiveRuleFiles.isEmpty {
            if let rules = expected?["rules"]?.stringValue {
                c.options.exclusiveRuleFiles = [dir + "/" + rules]
            } else {
                c.options.exclusiveRuleFiles = listFiles(dir).filter { $0.hasSuffix(".rules") }.map { dir + "/" + $0 }
            }
        }
        c.ruleFiles = c.options.exclusiveRuleFiles + c.options.extraRuleFiles
        if c.options.configPath == nil && fileExists(dir + "/suricata.yaml") {
            c.options.configPath = dir + "/suricata.yaml"
        } else if c.options.configPath == nil && self.upstream && fileExists(dir + "/upstream-suricata.yaml") {
            // The conformance corpus keeps the test's own suricata.yaml under this name; run.py passes it with -c,
            // and its output options (say `drop: {flows: all}`) are part of what the checks count. One that
            // includes the Suricata build's default.yaml, which the corpus does not carry, cannot be read as is.
            let path = dir + "/upstream-suricata.yaml"
            let missing = Self.topLevelIncludes(path).filter { !fileExists($0.hasPrefix("/") ? $0 : dir + "/" + $0) }
            if missing.isEmpty {
                c.options.configPath = path
            } else {
                c.notes.append("upstream-suricata.yaml not used: it includes \(missing.joined(separator: ", ")), not in the corpus")
            }
        }
    }
}

extension CaseLoader {
    /// The files a configuration names with a top-level `include:` (a scalar or a block list).
    static func topLevelIncludes(_ path: String) -> [String] {
        guard let text = try? readText(path) else { return [] }
        var out: [String] = []
        var inList = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if inList {
                let item = line.drop(while: { $0 == " " })
                if item.hasPrefix("- ") {
                    out.append(Self.unquoted(item.dropFirst(2)))
                    continue
                }
                if item.isEmpty || item.hasPrefix("#") { continue }
                inList = false
            }
            guard line.hasPrefix("include:") else { continue }
            let value = Self.unquoted(line.dropFirst("include:".count))
            if value.isEmpty { inList = true } else { out.append(value) }
        }
        return out
    }

    private static func unquoted(_ s: Substring) -> String {
        var v = s.trimmingCharacters(in: .whitespaces)
        if let hash = v.range(of: " #") { v = String(v[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        if v.count >= 2, let f = v.first, f == "\"" || f == "'", v.last == f { v = String(v.dropFirst().dropLast()) }
        return v
    }
}

// MARK: small file helpers

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

func isDirectory(_ path: String) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
}

/// Regular, non-hidden file names of a folder, sorted.
func listFiles(_ directory: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { !$0.hasPrefix(".") && !isDirectory(directory + "/" + $0) }.sorted()
}

func readText(_ path: String) throws(CaseError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CaseError(file: path, message: "cannot read")
    }
    return String(decoding: data, as: UTF8.self)
}

func lastComponent(_ path: String) -> String {
    var p = Substring(path)
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
    return String(p)
}

func absolutePath(_ path: String) -> String {
    let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return URL(fileURLWithPath: joined).standardizedFileURL.path
}
