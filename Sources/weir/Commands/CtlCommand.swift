// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirRuntime

/// `weir ctl`: the control socket's client, as `suricatasc` is Suricata's.
struct CtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Send a command to a running Weir through its control socket (suricatasc's protocol).",
        discussion: """
            Commands: version, uptime, running-mode, reload-rules (waits for the new rules), \
            ruleset-reload-nonblocking, ruleset-stats, iface-list, iface-stat IFACE, dump-counters, shutdown, \
            bypass-list, bypass-stats. Further arguments are KEY=VALUE pairs. Exit status: 0 when the answer \
            is OK, 1 when it is NOK, 2 when the socket cannot be reached.
            """
    )

    @Option(name: .customLong("socket"), help: ArgumentHelp("The control socket.", valueName: "path"))
    var socket: String = ControlClient.defaultSocketPath

    @Argument(help: "The command.")
    var command: String

    @Argument(help: "Its arguments: a value for commands that take one (iface-stat eth0), else KEY=VALUE.")
    var arguments: [String] = []

    func run() throws {
        var named: [String: String] = [:]
        for argument in self.arguments {
            if let equals = argument.firstIndex(of: "=") {
                named[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            } else if let key = Self.positionalKey[self.command], named[key] == nil {
                named[key] = argument
            } else {
                throw ValidationError("\(self.command) takes no argument '\(argument)'; give KEY=VALUE")
            }
        }
        let reply: ControlClient.Reply
        do {
            reply = try ControlClient.send(socket: self.socket, command: self.command, arguments: named)
        } catch {
            FileDescriptorOutput.standardError.write("weir ctl: \(error)\n")
            throw ExitCode(2)
        }
        if reply.ok {
            writeStandardOutput(reply.message.isEmpty ? "OK\n" : reply.message + "\n")
        } else {
            FileDescriptorOutput.standardError.write("weir ctl: \(self.command): \(reply.message)\n")
            throw ExitCode(1)
        }
    }

    /// The argument name of commands that take one value, as suricatasc maps them.
    static let positionalKey = ["iface-stat": "iface"]
}
