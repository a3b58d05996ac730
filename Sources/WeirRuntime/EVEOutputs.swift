// SPDX-License-Identifier: MIT
import Glibc
import WeirConfig
import WeirOutput

/// Every enabled `eve-log` of the configuration behind one ``OutputSink``, as Suricata allows several (a
/// regular file and Redis, say).
///
/// Records are rendered once, with ``settings`` (the union of the outputs' record types, each type's
/// options taken from the first output that lists it); each output then receives the records whose
/// `event_type` it lists. With one output every record goes straight through.
final class EVEOutputs: OutputSink {
    /// One destination, the `event_type` values it takes (`nil`: all of them) and the `prefix` put before
    /// each of its records.
    struct Route {
        let sink: OutputSink
        let types: Set<String>?
        let prefix: [UInt8]
    }

    let routes: [Route]
    /// The rendering settings (see the type's description).
    let settings: EVELogOutput
    /// The regular files, in configuration order.
    let files: [FileSink]
    /// The network outputs (shared by the workers of one live capture).
    let network: [NetworkSink]
    /// Each network output's counter prefix, `eve_log.N.FILETYPE` (N: the entry's place among the eve-logs).
    let networkNames: [String]
    /// Where options of one record type differ between outputs: only the first's take effect.
    let conflicts: [String]
    /// Scratch: the lines one route takes from a batch.
    private var selected: [UInt8] = []

    /// Opens every enabled eve-log of `outputs`; `network` reuses the network outputs of another worker.
    init(
        directory: String, outputs: [EVELogOutput], append: Bool, network shared: [NetworkSink]?,
        messages: MessageOutput?
    ) throws(RuntimeError) {
        let enabled = outputs.filter(\.enabled)
        var routes: [Route] = []
        var files: [FileSink] = []
        var network: [NetworkSink] = []
        var names: [String] = []
        var sharedIndex = 0
        for (position, output) in outputs.enumerated() where output.enabled {
            let sink: OutputSink
            switch output.fileType {
            case .regular, .file:
                let path = output.filename.hasPrefix("/") ? output.filename : directory + "/" + output.filename
                let file = try FileSink(path: path, append: append)
                files.append(file)
                sink = file
            case .unixDgram, .unixStream, .syslog, .redis:
                names.append("eve_log.\(position).\(output.fileType.rawValue)")
                if let shared, sharedIndex < shared.count {
                    sink = shared[sharedIndex]
                    network.append(shared[sharedIndex])
                    sharedIndex += 1
                } else {
                    let made = NetworkSink(
                        transport: Self.transport(output, directory: directory), capacity: output.queueSize,
                        messages: messages)
                    network.append(made)
                    sink = made
                }
            }
            routes.append(
                Route(
                    sink: sink, types: enabled.count == 1 ? nil : Self.eventTypes(output), prefix: Array(output.prefix.utf8)))
        }
        self.routes = routes
        self.files = files
        self.network = network
        self.networkNames = names
        (self.settings, self.conflicts) = Self.merge(enabled)
    }

    static func transport(_ output: EVELogOutput, directory: String) -> EVETransport {
        let path = output.filename.hasPrefix("/") ? output.filename : directory + "/" + output.filename
        switch output.fileType {
        case .unixDgram: return UnixSocketTransport(path: path, stream: false)
        case .unixStream: return UnixSocketTransport(path: path, stream: true)
        case .syslog: return SyslogTransport(settings: output.syslog)
        case .redis, .regular, .file: return RedisTransport(settings: output.redis)
        }
    }

    /// The `event_type` values an output's `types` list asks for.
    static func eventTypes(_ output: EVELogOutput) -> Set<String> {
        var types: Set<String> = []
        if output.alert != nil { types.insert("alert") }
        if output.drop != nil { types.insert("drop") }
        if output.flow { types.insert("flow") }
        if output.stats != nil { types.insert("stats") }
        if output.anomaly != nil { types.insert("anomaly") }
        if output.http != nil { types.insert("http") }
        if output.files != nil { types.insert("fileinfo") }
        if output.dns != nil { types.insert("dns") }
        if output.tls != nil { types.insert("tls") }
        if output.ssh != nil { types.insert("ssh") }
        return types
    }

    /// Every record type of `outputs`, with the first listing's options; and the types whose options differ.
    static func merge(_ outputs: [EVELogOutput]) -> (EVELogOutput, [String]) {
        guard var merged = outputs.first else { return (EVELogOutput(), []) }
        var conflicts: [String] = []
        func take<T: Equatable>(_ name: String, _ path: WritableKeyPath<EVELogOutput, T?>, from other: EVELogOutput) {
            guard let theirs = other[keyPath: path] else { return }
            if let ours = merged[keyPath: path] {
                if ours != theirs && !conflicts.contains(name) { conflicts.append(name) }
            } else {
                merged[keyPath: path] = theirs
            }
        }
        for other in outputs.dropFirst() {
            take("alert", \.alert, from: other)
            take("drop", \.drop, from: other)
            take("stats", \.stats, from: other)
            take("anomaly", \.anomaly, from: other)
            take("http", \.http, from: other)
            take("files", \.files, from: other)
            take("dns", \.dns, from: other)
            take("tls", \.tls, from: other)
            take("ssh", \.ssh, from: other)
            merged.flow = merged.flow || other.flow
            if other.ethernet != merged.ethernet {
                if !conflicts.contains("ethernet") { conflicts.append("ethernet") }
                merged.ethernet = true
            }
            if other.communityID != merged.communityID || other.communityIDSeed != merged.communityIDSeed {
                if !conflicts.contains("community-id") { conflicts.append("community-id") }
                merged.communityID = merged.communityID || other.communityID
            }
        }
        return (merged, conflicts)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        for route in self.routes {
            if route.types == nil && route.prefix.isEmpty {
                route.sink.write(bytes)
                continue
            }
            guard let base = bytes.baseAddress else { continue }
            self.selected.removeAll(keepingCapacity: true)
            var start = 0
            while start < bytes.count {
                let found = memchr(base + start, 0x0A, bytes.count - start)
                let end = found.map { UnsafeRawPointer($0) - base + 1 } ?? bytes.count
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                // A type no output names (a record type newer than this routing) goes to every output.
                let wanted =
                    route.types.map { types in
                        Self.eventType(line).map { !Self.knownTypes.contains($0) || types.contains($0) } ?? true
                    } ?? true
                if wanted && !line.isEmpty {
                    self.selected.append(contentsOf: route.prefix)
                    self.selected.append(contentsOf: line)
                }
                start = end
            }
            if !self.selected.isEmpty { self.selected.withUnsafeBytes { route.sink.write($0) } }
        }
    }

    static let knownTypes: Set<String> = [
        "alert", "drop", "flow", "stats", "anomaly", "http", "fileinfo", "dns", "tls", "ssh",
    ]

    private static let marker = Array(#""event_type":""#.utf8)

    /// The value of a record's `"event_type"` key.
    static func eventType(_ line: UnsafeRawBufferPointer) -> String? {
        guard let base = line.baseAddress else { return nil }
        let end = base + line.count
        var cursor = base
        return Self.marker.withUnsafeBytes { marker -> String? in
            // Each quote is a candidate start of the key; the header puts it within the first few.
            while end - cursor > marker.count,
                let quote = memchr(cursor, 0x22, end - cursor).map({ UnsafeRawPointer($0) })
            {
                if end - quote > marker.count && memcmp(quote, marker.baseAddress!, marker.count) == 0 {
                    let value = quote + marker.count
                    let close = memchr(value, 0x22, end - value).map { UnsafeRawPointer($0) } ?? end
                    return String(decoding: UnsafeRawBufferPointer(start: value, count: close - value), as: UTF8.self)
                }
                cursor = quote + 1
            }
            return nil
        }
    }

    func flush() {
        for route in self.routes { route.sink.flush() }
    }
}
