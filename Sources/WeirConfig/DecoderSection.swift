// SPDX-License-Identifier: MIT

/// `decoder`: the tunnel decoders' switches and ports, and the layer limit (Suricata's `decoder.*`).
public struct DecoderSection: Sendable, Equatable {
    /// `teredo.enabled`.
    public var teredoEnabled: Bool = true
    /// `teredo.ports`: at most 4; empty (Suricata's default, or `any`) looks at every UDP packet.
    public var teredoPorts: [UInt16] = []
    /// `vxlan.enabled`.
    public var vxlanEnabled: Bool = true
    /// `vxlan.ports`: destination ports, at most 4.
    public var vxlanPorts: [UInt16] = [4789]
    /// `vxlan.reserved-bits-check`: `strict` (true) or `permissive`; unset keeps Suricata 8.0's check (I flag and
    /// the last reserved byte), which is what `permissive` does here too.
    public var vxlanStrictReservedBits: Bool = false
    /// `geneve.enabled`.
    public var geneveEnabled: Bool = true
    /// `geneve.ports`: source or destination ports, at most 4.
    public var genevePorts: [UInt16] = [6081]
    /// `max-layers`: 16.
    public var maxLayers: Int = 16
    /// `recursion-level.use-for-tracking`: a packet's tunnel depth is part of its flow's identity (Suricata's
    /// default). Off, a tunnelled packet and a plain one with the same addresses and ports share one flow.
    public var recursionTracking: Bool = true
    /// Suricata's defaults.
    public init() {}
}

/// `defrag`: IPv4 and IPv6 fragment reassembly (Suricata's `defrag.*`, plus Weir's `enabled`).
public struct DefragSection: Sendable, Equatable {
    /// `enabled` (Weir's own key): `false` leaves fragments unreassembled.
    public var enabled: Bool = true
    /// `memcap`: bytes of fragment data held (32 MiB).
    public var memcap: UInt64 = 32 << 20
    /// `hash-size`.
    public var hashSize: Int = 65_536
    /// `trackers`: datagrams being reassembled at once.
    public var trackers: Int = 65_535
    /// `max-frags`: fragments held at once.
    public var maxFrags: Int = 65_535
    /// `prealloc`.
    public var prealloc: Bool = true
    /// `timeout`, seconds: a datagram not complete by then is dropped.
    public var timeout: Int = 60
    /// Suricata's defaults.
    public init() {}
}

extension WeirConfiguration {
    static func decodeDecoder(_ reader: MappingReader, vars: Vars) throws(ConfigError) -> DecoderSection {
        var out = DecoderSection()
        if let teredo = try reader.mapping("teredo") {
            out.teredoEnabled = try teredo.bool("enabled", out.teredoEnabled)
            if let ports = try Self.decodePorts(teredo, vars: vars, allowAny: true) { out.teredoPorts = ports }
            try teredo.finish()
        }
        if let vxlan = try reader.mapping("vxlan") {
            out.vxlanEnabled = try vxlan.bool("enabled", out.vxlanEnabled)
            if let ports = try Self.decodePorts(vxlan, vars: vars, allowAny: false) { out.vxlanPorts = ports }
            if let (text, node) = try vxlan.scalarText("reserved-bits-check") {
                switch text.lowercased() {
                case "strict": out.vxlanStrictReservedBits = true
                case "permissive": out.vxlanStrictReservedBits = false
                default: throw vxlan.fail(node, "reserved-bits-check", "'\(text)' is not one of strict, permissive")
                }
            }
            try vxlan.finish()
        }
        if let geneve = try reader.mapping("geneve") {
            out.geneveEnabled = try geneve.bool("enabled", out.geneveEnabled)
            if let ports = try Self.decodePorts(geneve, vars: vars, allowAny: false) { out.genevePorts = ports }
            try geneve.finish()
        }
        out.maxLayers = try reader.int("max-layers", out.maxLayers, in: 1...255)
        if let recursion = try reader.mapping("recursion-level") {
            out.recursionTracking = try recursion.bool("use-for-tracking", out.recursionTracking)
            try recursion.finish()
        }
        try reader.finish()
        return out
    }

    /// `ports`: `4789`, `[8472, 4789]`, a list, a `$PORT_GROUP`, or (Teredo only) `any` (returned as []).
    /// As Suricata, at most 4 are used and a range counts as its first port.
    private static func decodePorts(_ reader: MappingReader, vars: Vars, allowAny: Bool) throws(ConfigError)
        -> [UInt16]?
    {
        guard let items = try reader.stringList("ports") else { return nil }
        var texts = items
        if texts.count == 1, texts[0].hasPrefix("$") {
            let name = String(texts[0].dropFirst())
            guard let value = vars.port(name) else {
                throw reader.fail(reader.node, "ports", "port group '\(name)' is not defined")
            }
            texts = [value]
        }
        var ports: [UInt16] = []
        for text in texts {
            let parts = text.strippedOfBrackets.split(separator: ",")
            for part in parts {
                let word = part.strippedOfQuotesAndSpaces
                if allowAny && word.lowercased() == "any" { return [] }
                let first = word.split(separator: ":").first.map(String.init) ?? word
                guard let port = UInt16(first.strippedOfQuotesAndSpaces) else {
                    throw reader.fail(reader.node, "ports", "'\(text)' is not a port list")
                }
                if ports.count < 4 { ports.append(port) }
            }
        }
        return ports
    }

    static func decodeDefrag(_ reader: MappingReader) throws(ConfigError) -> DefragSection {
        var out = DefragSection()
        out.enabled = try reader.bool("enabled", out.enabled)
        out.memcap = try reader.size("memcap", out.memcap)
        out.hashSize = try reader.int("hash-size", out.hashSize, in: 1...(1 << 26))
        out.trackers = try reader.int("trackers", out.trackers, in: 1...(1 << 26))
        out.maxFrags = try reader.int("max-frags", out.maxFrags, in: 1...(1 << 26))
        out.prealloc = try reader.bool("prealloc", out.prealloc)
        out.timeout = try reader.int("timeout", out.timeout, in: 1...65_535)
        try reader.finish()
        return out
    }
}

extension String {
    fileprivate var strippedOfQuotesAndSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\"" || c == "'" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\"" || c == "'" { s = s.dropLast() }
        return String(s)
    }

    fileprivate var strippedOfBrackets: String {
        var s = Substring(self.strippedOfQuotesAndSpaces)
        if s.first == "[" { s = s.dropFirst() }
        if s.last == "]" { s = s.dropLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate var strippedOfQuotesAndSpaces: String { String(self).strippedOfQuotesAndSpaces }
}
