// SPDX-License-Identifier: MIT

/// One `config classification: name,description,priority` entry.
public struct Classification: Sendable, Equatable {
    /// Short name used by `classtype`.
    public var name: String
    /// The description, which EVE writes as `alert.category`.
    public var description: String
    /// Default priority (1 is most severe), overridden by a rule's `priority`.
    public var priority: Int

    /// Makes an entry.
    public init(name: String, description: String, priority: Int) {
        self.name = name
        self.description = description
        self.priority = priority
    }
}

/// The classtypes of `classification.config`: bundled defaults, loadable from a file, overridable.
public struct ClassificationTable: Sendable, Equatable {
    /// Entries by name.
    public private(set) var entries: [String: Classification]
    /// Names in file order, for listing.
    public private(set) var order: [String]

    /// Makes a table from entries (later duplicates replace earlier ones).
    public init(_ list: [Classification] = []) {
        self.entries = [:]
        self.order = []
        for entry in list { self.set(entry) }
    }

    /// The entry for `name`.
    public subscript(name: String) -> Classification? { self.entries[name] }

    /// Adds or replaces an entry (for YAML overrides).
    public mutating func set(_ entry: Classification) {
        if self.entries[entry.name] == nil { self.order.append(entry.name) }
        self.entries[entry.name] = entry
    }

    /// The category text and severity an alert of `rule` gets: the classtype's description, and the rule's
    /// `priority` if given, else the classtype's, else 3 (Suricata's default).
    /// A classtype the table lacks is Suricata's "Unknown Classtype" with priority 3.
    public func categoryAndSeverity(of rule: Rule) -> (category: String?, severity: Int) {
        let entry = rule.classtype.flatMap { self.entries[$0] }
        if rule.classtype != nil && entry == nil { return ("Unknown Classtype", rule.priority ?? 3) }
        return (entry?.description, rule.priority ?? entry?.priority ?? 3)
    }

    /// Parses `classification.config` text.
    ///
    /// - Throws: ``ConfigFileError`` at the first bad line (`file:line: reason`).
    public static func parse(_ text: String, file: String = "classification.config") throws(ConfigFileError)
        -> ClassificationTable
    {
        var table = ClassificationTable()
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingSpaces().trimmingCarriageReturn()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("config classification:") else {
                throw ConfigFileError(
                    file: file,
                    line: lineNumber,
                    reason: "expected 'config classification: name,description,priority'"
                )
            }
            let body = line.dropFirst("config classification:".count)
            let fields = body.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ConfigFileError(file: file, line: lineNumber, reason: "expected three comma-separated fields")
            }
            guard let priority = Int(fields[2]), priority >= 1, priority <= 255 else {
                throw ConfigFileError(file: file, line: lineNumber, reason: "priority '\(fields[2])' is not 1-255")
            }
            table.set(Classification(name: String(fields[0]), description: String(fields[1]), priority: priority))
        }
        return table
    }

    /// Loads `classification.config` from a file.
    public static func load(path: String) throws(ConfigFileError) -> ClassificationTable {
        guard let bytes = RuleFileReader.readFile(path) else {
            throw ConfigFileError(file: path, line: 0, reason: "cannot read file")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// Suricata's standard classifications (the `classification.config` shipped with Suricata and ET Open),
    /// so that EVE `alert.category` texts match Suricata's.
    public static let suricataDefault = ClassificationTable(
        [
            ("not-suspicious", "Not Suspicious Traffic", 3), ("unknown", "Unknown Traffic", 3),
            ("bad-unknown", "Potentially Bad Traffic", 2), ("attempted-recon", "Attempted Information Leak", 2),
            ("successful-recon-limited", "Information Leak", 2),
            ("successful-recon-largescale", "Large Scale Information Leak", 2),
            ("attempted-dos", "Attempted Denial of Service", 2), ("successful-dos", "Denial of Service", 2),
            ("attempted-user", "Attempted User Privilege Gain", 1),
            ("unsuccessful-user", "Unsuccessful User Privilege Gain", 1),
            ("successful-user", "Successful User Privilege Gain", 1),
            ("attempted-admin", "Attempted Administrator Privilege Gain", 1),
            ("successful-admin", "Successful Administrator Privilege Gain", 1),
            ("rpc-portmap-decode", "Decode of an RPC Query", 2),
            ("shellcode-detect", "Executable code was detected", 1),
            ("string-detect", "A suspicious string was detected", 3),
            ("suspicious-filename-detect", "A suspicious filename was detected", 2),
            ("suspicious-login", "An attempted login using a suspicious username was detected", 2),
            ("system-call-detect", "A system call was detected", 2),
            ("tcp-connection", "A TCP connection was detected", 4),
            ("trojan-activity", "A Network Trojan was detected", 1),
            ("unusual-client-port-connection", "A client was using an unusual port", 2),
            ("network-scan", "Detection of a Network Scan", 3),
            ("denial-of-service", "Detection of a Denial of Service Attack", 2),
            ("non-standard-protocol", "Detection of a non-standard protocol or event", 2),
            ("protocol-command-decode", "Generic Protocol Command Decode", 3),
            ("web-application-activity", "access to a potentially vulnerable web application", 2),
            ("web-application-attack", "Web Application Attack", 1), ("misc-activity", "Misc activity", 3),
            ("misc-attack", "Misc Attack", 2), ("icmp-event", "Generic ICMP event", 3),
            ("inappropriate-content", "Inappropriate Content was Detected", 1),
            ("policy-violation", "Potential Corporate Privacy Violation", 1),
            ("default-login-attempt", "Attempt to login by a default username and password", 2),
            ("targeted-activity", "Targeted Malicious Activity was Detected", 1),
            ("exploit-kit", "Exploit Kit Activity Detected", 1),
            ("external-ip-check", "Device Retrieving External IP Address Detected", 2),
            ("domain-c2", "Domain Observed Used for C2 Detected", 1),
            ("pup-activity", "Possibly Unwanted Program Detected", 2),
            ("credential-theft", "Successful Credential Theft Detected", 1),
            ("social-engineering", "Possible Social Engineering Attempted", 2),
            ("coin-mining", "Crypto Currency Mining Activity Detected", 2),
            ("command-and-control", "Malware Command and Control Activity Detected", 1),
        ].map { Classification(name: $0.0, description: $0.1, priority: $0.2) }
    )
}

/// An error in `classification.config` or `reference.config`, at `file:line`.
public struct ConfigFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The 1-based line (0 when the file could not be read).
    public var line: Int
    /// A one-line reason.
    public var reason: String

    /// `file:line: reason`.
    public var description: String { "\(self.file):\(self.line): \(self.reason)" }
}

/// The reference systems of `reference.config`: system name → URL prefix.
public struct ReferenceTable: Sendable, Equatable {
    /// URL prefixes by lowercased system name.
    public private(set) var prefixes: [String: String]

    /// Makes a table.
    public init(_ prefixes: [String: String] = [:]) {
        self.prefixes = [:]
        for (key, value) in prefixes { self.prefixes[key.lowercased()] = value }
    }

    /// Adds or replaces a system (for YAML overrides).
    public mutating func set(system: String, prefix: String) { self.prefixes[system.lowercased()] = prefix }

    /// The full URL of a reference, or `nil` for an unknown system.
    public func url(for reference: RuleReference) -> String? {
        self.prefixes[reference.system.lowercased()].map { $0 + reference.id }
    }

    /// Parses `reference.config` text (`config reference: system url`).
    public static func parse(_ text: String, file: String = "reference.config") throws(ConfigFileError)
        -> ReferenceTable
    {
        var table = ReferenceTable()
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingSpaces().trimmingCarriageReturn()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("config reference:") else {
                throw ConfigFileError(file: file, line: lineNumber, reason: "expected 'config reference: system url'")
            }
            let fields = line.dropFirst("config reference:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else {
                throw ConfigFileError(file: file, line: lineNumber, reason: "expected a system name and a URL")
            }
            table.set(system: String(fields[0]), prefix: String(fields[1]))
        }
        return table
    }

    /// Loads `reference.config` from a file.
    public static func load(path: String) throws(ConfigFileError) -> ReferenceTable {
        guard let bytes = RuleFileReader.readFile(path) else {
            throw ConfigFileError(file: path, line: 0, reason: "cannot read file")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// The systems of Suricata's shipped `reference.config`.
    public static let suricataDefault = ReferenceTable([
        "bugtraq": "http://www.securityfocus.com/bid/", "bid": "http://www.securityfocus.com/bid/",
        "cve": "http://cve.mitre.org/cgi-bin/cvename.cgi?name=", "secunia": "http://www.secunia.com/advisories/",
        "arachnids": "http://www.whitehats.com/info/IDS", "mcafee": "http://vil.nai.com/vil/content/v_",
        "nessus": "http://cgi.nessus.org/plugins/dump.php3?id=", "url": "http://",
        "et": "http://doc.emergingthreats.net/",
        "etpro": "http://doc.emergingthreatspro.com/", "telus": "http://", "osvdb": "http://osvdb.org/show/osvdb/",
        "threatexpert": "http://www.threatexpert.com/report.aspx?md5=",
        "md5": "http://www.threatexpert.com/report.aspx?md5=", "exploitdb": "http://www.exploit-db.com/exploits/",
        "openpacket": "https://www.openpacket.org/capture/grab/", "securitytracker": "http://securitytracker.com/id?",
        "xforce": "http://xforce.iss.net/xforce/xfdb/", "msft": "http://technet.microsoft.com/security/bulletin/",
    ])
}

extension Substring {
    func trimmingCarriageReturn() -> Substring { self.last == "\r" ? self.dropLast() : self }
}
