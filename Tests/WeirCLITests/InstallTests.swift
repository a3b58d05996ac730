// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// `scripts/install.sh` staged into a folder (nothing outside it is touched), and the systemd readiness message.
@Suite struct InstallTests {
    @Test func installStagesTheSensorAndKeepsWhatIsThere() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let stage = dir.path + "/root"
        let script = repositoryRoot + "/scripts/install.sh"
        let first = try #require(
            WeirProcess.start(
                [script, "--destdir", stage, "--binary", WeirProcess.binary, "--no-man"], in: dir.path))
            .wait(seconds: 60)
        #expect(first.status == 0, "\(first.stderr)")
        for file in [
            "/usr/local/bin/weir", "/etc/weir/weir.yaml", "/etc/weir/rules/local.rules",
            "/etc/systemd/system/weir.service", "/etc/logrotate.d/weir",
        ] {
            #expect(access(stage + file, F_OK) == 0, "\(file)")
        }
        let unit = readText(stage + "/etc/systemd/system/weir.service")
        #expect(unit.contains("Type=notify"))
        #expect(unit.contains("Restart=on-failure"))
        #expect(unit.contains("ExecStart=/usr/local/bin/weir -c /etc/weir/weir.yaml --af-packet"))
        #expect(unit.contains("CapabilityBoundingSet=") && unit.contains("CAP_BPF"))
        #expect(!unit.contains("@BINDIR@"))
        #expect(readText(stage + "/etc/logrotate.d/weir").contains("--signal=HUP"))

        // The starting configuration is valid, with its rules folder where the install put it.
        let check = WeirProcess.run(
            ["-T", "-c", stage + "/etc/weir/weir.yaml", "--set", "default-rule-path=\(stage)/etc/weir/rules"],
            in: dir.path)
        #expect(check.status == 0, "\(check.stderr)")

        // A second run keeps the administrator's edits.
        let edited = "# edited\n" + readText(stage + "/etc/weir/weir.yaml")
        dir.write("root/etc/weir/weir.yaml", edited)
        let second = try #require(
            WeirProcess.start(
                [script, "--destdir", stage, "--binary", WeirProcess.binary, "--no-man"], in: dir.path))
            .wait(seconds: 60)
        #expect(second.status == 0)
        #expect(second.stdout.contains("kept the existing \(stage)/etc/weir/weir.yaml"))
        #expect(readText(stage + "/etc/weir/weir.yaml") == edited)

        // systemd accepts the unit (with ExecStart pointed at the staged binary), where systemd-analyze exists.
        if access("/usr/bin/systemd-analyze", X_OK) == 0 {
            let local = dir.write(
                "weir.service",
                Self.replacing("/usr/local/bin/weir", with: stage + "/usr/local/bin/weir", in: unit))
            let verify = try #require(
                WeirProcess.start(["systemd-analyze", "verify", "--man=no", local], in: dir.path)).wait()
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(verify.stderr.isEmpty, "\(verify.stderr)")
        }
    }

    /// `text` with every `target` replaced by `replacement` (no Foundation in the tests).
    static func replacing(_ target: String, with replacement: String, in text: String) -> String {
        let parts = text.split(separator: target, omittingEmptySubsequences: false)
        return parts.joined(separator: replacement)
    }

    /// Type=notify: a live capture sends READY=1 once it captures, and STOPPING=1 when it ends.
    @Test func liveCaptureTellsSystemdItIsReady() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let socketPath = dir.path + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func receive() -> String {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : ""
        }
        let rules = dir.write("ok.rules", CommandLineTests.goodRule + "\n")
        let running = try #require(
            namespace.startWeir(
                ["--af-packet=\(namespace.link)", "-S", rules, "-l", dir.path + "/out"], in: dir.path,
                environment: ["NOTIFY_SOCKET": socketPath]))
        let ready = receive()
        #expect(ready.hasPrefix("READY=1\n"), "\(ready) \(running.stderr)")
        #expect(ready.contains("STATUS=capturing on wcli0"))
        running.signal(SIGTERM)
        #expect(receive() == "STOPPING=1")
        #expect(running.wait().status == 0)
    }
}
