// SPDX-License-Identifier: MIT

/// JUnit XML for CI systems: one `testsuite`, one `testcase` per case, `failure` and `skipped` with messages.
public enum JUnitReport {
    /// The report text. `suiteName` names the testsuite; times are seconds with millisecond precision.
    public static func xml(_ results: [CaseResult], suiteName: String = "weir test", totalSeconds: Double) -> String {
        let failures = results.filter { $0.status == .fail }.count
        let skipped = results.filter { $0.status == .skip }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\""
        out += " time=\"\(CaseResult.fixed(totalSeconds))\">\n"
        out += "  <testsuite name=\"\(self.escape(suiteName))\" tests=\"\(results.count)\" failures=\"\(failures)\""
        out += " errors=\"0\" skipped=\"\(skipped)\" time=\"\(CaseResult.fixed(totalSeconds))\">\n"
        for result in results {
            let (classname, name) = self.split(result.name)
            out += "    <testcase classname=\"\(self.escape(classname))\" name=\"\(self.escape(name))\""
            out += " time=\"\(CaseResult.fixed(result.seconds))\""
            switch result.status {
            case .pass:
                out += "/>\n"
            case .skip:
                out += ">\n      <skipped message=\"\(self.escape(result.reason ?? "skipped"))\"/>\n    </testcase>\n"
            case .fail:
                let message =
                    result.reason ?? result.failures.first.map { "\($0.title): \($0.lines.first ?? "")" } ?? "failed"
                out += ">\n      <failure message=\"\(self.escape(message))\" type=\"check\">"
                out += self.escape(result.report)
                out += "</failure>\n    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// "dir/sub/case" → ("weir.verify.dir.sub", "case").
    static func split(_ name: String) -> (String, String) {
        guard let slash = name.lastIndex(of: "/") else { return ("weir.verify", name) }
        let prefix = name[..<slash].replacingSlashes
        return ("weir.verify." + prefix, String(name[name.index(after: slash)...]))
    }

    /// Escapes the five XML specials and drops the characters XML 1.0 cannot hold (most C0 controls).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension Substring {
    fileprivate var replacingSlashes: String { String(self.map { $0 == "/" ? "." : $0 }) }
}
