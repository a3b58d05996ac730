// SPDX-License-Identifier: MIT
import ArgumentParser
import CWeirLinux
import Glibc
import WeirBypass
import WeirCore
import WeirFlow

/// Options shared by the `weir bypass` subcommands.
struct PinOptions: ParsableArguments {
    @Option(help: "Interface whose pinned maps to use; optional when exactly one interface is pinned.")
    var iface: String?

    @Option(help: "Root of the pin directories.")
    var pinRoot: String = "/sys/fs/bpf/weir"

    /// Every interface with a pin directory under the root.
    func pinnedInterfaces() -> [String] {
        guard let handle = opendir(self.pinRoot) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." && entry.pointee.d_type == UInt8(DT_DIR) { names.append(name) }
        }
        return names.sorted()
    }

    /// The interfaces a command acts on: the one named, else every pinned one (`all` true) or the only one.
    func interfaces(all: Bool) throws -> [String] {
        if let iface = self.iface { return [iface] }
        let pinned = self.pinnedInterfaces()
        if pinned.isEmpty { throw ValidationError("no pinned interfaces under \(self.pinRoot)") }
        if !all && pinned.count > 1 {
            throw ValidationError("several interfaces are pinned (\(pinned.joined(separator: ", "))): pass --iface")
        }
        return pinned
    }

    /// The one interface a command needs.
    func interface() throws -> String {
        guard let name = try self.interfaces(all: false).first else { throw ValidationError("pass --iface") }
        return name
    }

    func directory(_ interface: String) -> String { "\(self.pinRoot)/\(interface)" }
}

/// A 5-tuple given on the command line.
struct TupleOptions: ParsableArguments {
    @Option(help: "Transport protocol: tcp, udp, icmp, icmpv6, or a number.")
    var proto: String

    @Option(help: "Source endpoint: 10.0.0.1:1234, [2001:db8::1]:80, or an address alone for ICMP.")
    var src: String

    @Option(help: "Destination endpoint, same forms as --src.")
    var dst: String

    @Option(help: "Outer VLAN id.")
    var vlan: UInt16 = 0

    @Option(help: "Inner VLAN id (QinQ).")
    var innerVlan: UInt16 = 0

    /// The direction-normalised flow key of the tuple.
    func flowKey() throws -> FlowKey {
        let number: UInt8
        switch self.proto.lowercased() {
        case "tcp": number = IPProtocol.tcp
        case "udp": number = IPProtocol.udp
        case "icmp": number = IPProtocol.icmp
        case "icmpv6", "ipv6-icmp": number = IPProtocol.icmpv6
        default:
            guard let value = UInt8(self.proto) else { throw ValidationError("unknown protocol \(self.proto)") }
            number = value
        }
        let (s, sp) = try Self.endpoint(self.src)
        let (d, dp) = try Self.endpoint(self.dst)
        guard self.vlan < 4096, self.innerVlan < 4096 else { throw ValidationError("VLAN ids are 0...4095") }
        let sourceFirst = s < d || (s == d && sp <= dp)
        return FlowKey(
            firstAddress: sourceFirst ? s : d,
            secondAddress: sourceFirst ? d : s,
            firstPort: sourceFirst ? sp : dp,
            secondPort: sourceFirst ? dp : sp,
            proto: number,
            vlan0: self.vlan,
            vlan1: self.innerVlan
        )
    }

    static func endpoint(_ text: String) throws -> (IPAddress, UInt16) {
        var host = Substring(text)
        var port: UInt16 = 0
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw ValidationError("bad endpoint \(text)") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if rest.hasPrefix(":") {
                guard let value = UInt16(rest.dropFirst()) else { throw ValidationError("bad port in \(text)") }
                port = value
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let value = UInt16(host[host.index(after: colon)...]) else {
                throw ValidationError("bad port in \(text)")
            }
            port = value
            host = host[..<colon]
        }
        guard let address = IPAddress(host) else { throw ValidationError("bad address in \(text)") }
        return (address, port)
    }
}

/// `weir bypass …`: operate on the pinned flow tables of an interface.
struct BypassCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bypass",
        abstract: "List, add, delete and flush kernel-bypassed flows; show the kernel counters.",
        subcommands: [List.self, Add.self, Del.self, Flush.self, Stats.self, Load.self, Unpin.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List bypassed flows with counters and age.")
        @OptionGroup var pins: PinOptions

        func run() throws {
            let interfaces = try self.pins.interfaces(all: true)
            let now = monotonicNanoseconds()
            var out = ""
            for interface in interfaces {
                let table = try BypassTable(pinDirectory: self.pins.directory(interface))
                for entry in table.entries() {
                    let k = entry.key
                    let idle = now > entry.lastSeenNanoseconds ? (now - entry.lastSeenNanoseconds) / 1_000_000 : 0
                    let age = now > entry.insertedNanoseconds ? (now - entry.insertedNanoseconds) / 1_000_000 : 0
                    if interfaces.count > 1 { out += "\(interface): " }
                    out += "\(IPProtocol.eveName(k.proto)) \(Self.endpoint(k.firstAddress, k.firstPort, k.proto))"
                    out += " <-> \(Self.endpoint(k.secondAddress, k.secondPort, k.proto))"
                    if k.vlan0 != 0 || k.vlan1 != 0 { out += " vlan \(k.vlan0)/\(k.vlan1)" }
                    out += " action \(entry.action)"
                    out += " fwd \(entry.packetsFirstToSecond) pkts \(entry.bytesFirstToSecond) B"
                    out += " rev \(entry.packetsSecondToFirst) pkts \(entry.bytesSecondToFirst) B"
                    out += " age \(age) ms idle \(idle) ms"
                    if entry.finSeen { out += " fin" }
                    if entry.rstSeen { out += " rst" }
                    out += "\n"
                }
            }
            writeStandardOutput(out.isEmpty ? "no bypassed flows\n" : out)
        }

        static func endpoint(_ address: IPAddress, _ port: UInt16, _ proto: UInt8) -> String {
            guard proto == IPProtocol.tcp || proto == IPProtocol.udp else { return "\(address)" }
            return address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a flow into the kernel flow table.")
        @OptionGroup var pins: PinOptions
        @OptionGroup var tuple: TupleOptions
        @Option(help: "bypass, block, fast-forward or none.")
        var action: String = "bypass"

        func run() throws {
            guard let action = BypassAction.allCases.first(where: { $0.description == self.action }) else {
                throw ValidationError("unknown action \(self.action)")
            }
            let table = try BypassTable(pinDirectory: self.pins.directory(try self.pins.interface()))
            try table.insert(try self.tuple.flowKey(), action: action)
            // A full window makes room by evicting its least recently seen flow: say so, it goes back to inspection.
            writeStandardOutput(table.evicted > 0 ? "added (evicted the least recently seen flow of its window)\n" : "added\n")
        }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a flow from the kernel flow table.")
        @OptionGroup var pins: PinOptions
        @OptionGroup var tuple: TupleOptions

        func run() throws {
            let table = try BypassTable(pinDirectory: self.pins.directory(try self.pins.interface()))
            guard let last = try table.remove(try self.tuple.flowKey()) else {
                writeStandardOutput("not present\n")
                throw ExitCode(1)
            }
            writeStandardOutput(
                "removed; last counters fwd \(last.packetsFirstToSecond) pkts, rev \(last.packetsSecondToFirst) pkts\n"
            )
        }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every flow of the interface.")
        @OptionGroup var pins: PinOptions

        func run() throws {
            for interface in try self.pins.interfaces(all: true) {
                let count = try BypassTable(pinDirectory: self.pins.directory(interface)).flush()
                writeStandardOutput("\(interface): removed \(count) flows\n")
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the kernel's per-reason counters and occupancy."
        )
        @OptionGroup var pins: PinOptions

        func run() throws {
            var out = ""
            for interface in try self.pins.interfaces(all: true) {
                let directory = self.pins.directory(interface)
                let stats: BPFMap<UInt32, UInt64> = try .pinned(
                    at: "\(directory)/\(WEIR_MAP_STATS)",
                    name: WEIR_MAP_STATS
                )
                let values = try BypassDataPlane.readStatistics(stats)
                let table = try BypassTable(pinDirectory: directory)
                let flows = table.entries()
                out += "\(interface):\n"
                for stat in BypassStatistic.allCases { out += "  \(stat): \(values[stat, default: 0])\n" }
                out += "  flows_v4: \(flows.filter { $0.key.firstAddress.isIPv4 }.count) of \(table.slotCount) slots\n"
                out += "  flows_v6: \(flows.filter { !$0.key.firstAddress.isIPv4 }.count) of \(table.slotCount) slots\n"
                // Every writer's flow-table bookkeeping (kept in weir_tbl_stats under the pin lock).
                let book = table.sharedStatistics() ?? weir_table_stats()
                out += "  table_inserts: \(book.inserts)\n  table_evictions: \(book.evictions)\n"
                out += "  table_insert_failures: \(book.insert_failures)\n  table_removals: \(book.removals)\n"
                out += "  table_refused: \(book.refused)\n"
            }
            writeStandardOutput(out)
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create (or check and reuse) the pinned maps of an interface without attaching anything."
        )
        @OptionGroup var pins: PinOptions
        @Option(help: "Flow table size per address family.")
        var flows: UInt32 = BypassSettings().flowTableSize

        func run() throws {
            BPFLogging.install()
            var settings = BypassSettings()
            settings.pinRoot = self.pins.pinRoot
            settings.flowTableSize = self.flows
            let features = KernelFeatures.probe(environment: currentEnvironment())
            let kind: BypassDataPlane.Kind = features.usesXDP ? .xdp : .socketFilter
            guard let interface = self.pins.iface else { throw ValidationError("pass --iface") }
            let plane = try BypassDataPlane(
                kind: kind,
                settings: settings,
                features: features,
                interface: interface
            )
            writeStandardOutput(
                "\(plane.reusedPins ? "reused" : "created") pinned maps in \(plane.pinDirectory ?? "?") (ABI \(WEIR_ABI_VERSION))\n"
            )
        }
    }

    struct Unpin: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the interface's pin directory.")
        @OptionGroup var pins: PinOptions

        func run() throws {
            let directory = self.pins.directory(try self.pins.interface())
            try BypassDataPlane.unpin(directory: directory)
            writeStandardOutput("removed \(directory)\n")
        }
    }
}
