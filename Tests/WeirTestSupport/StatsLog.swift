// SPDX-License-Identifier: MIT
import Glibc

/// Reads `stats.log`: the `Total` lines of its last block as (counter, value). Counters at 0 are not listed
/// there unless `null-values` is on, so a missing name reads as 0 to the caller that wants it.
///
/// stats.log is where Weir's own counters (docs/counters.md) appear besides EVE's Suricata-named ones, so
/// tests of those counters read it.
public func statsLogTotals(_ path: String) -> [String: UInt64] {
    guard let file = fopen(path, "r") else { return [:] }
    defer { fclose(file) }
    var out: [String: UInt64] = [:]
    var line: UnsafeMutablePointer<CChar>? = nil
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0 {
        guard let line else { break }
        let text = String(cString: line)
        if text.hasPrefix("Date: ") { out = [:] }
        let parts = text.split(separator: "|").map { $0.trimmingCharactersInSpaces() }
        guard parts.count == 3, parts[1] == "Total", let value = UInt64(parts[2]) else { continue }
        out[parts[0]] = value
    }
    return out
}

extension Substring {
    fileprivate func trimmingCharactersInSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\n" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\n" { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Runs the shared corpus's EVE validator (`eve/validate.py`, Suricata's schema) over `files`; returns its exit
/// status (0: every record valid) and what it printed (a count of records and violations per event type).
public func validateEVE(_ files: [String], types: String? = nil) -> (status: Int32, output: String) {
    let report = "/tmp/weir-validate-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
    defer { unlink(report) }
    func quote(_ s: String) -> String { "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'" }
    var command = "python3 " + quote(SharedCorpus.path("eve/validate.py"))
    if let types { command += " --types " + quote(types) }
    command += " " + files.map(quote).joined(separator: " ") + " > " + quote(report) + " 2>&1"
    var pid = pid_t()
    let arguments: [String] = ["/bin/sh", "-c", command]
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return (-1, "cannot run /bin/sh") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    var output = ""
    if let file = fopen(report, "r") {
        var byte = fgetc(file)
        var bytes: [UInt8] = []
        while byte != EOF {
            bytes.append(UInt8(truncatingIfNeeded: byte))
            byte = fgetc(file)
        }
        fclose(file)
        output = String(decoding: bytes, as: UTF8.self)
    }
    return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : -1, output)
}
