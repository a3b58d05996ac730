// SPDX-License-Identifier: MIT
import Glibc

/// The `weir` binary built beside this test bundle (`swift build --build-tests` builds both), run as a child
/// process the way a user or a CI gate runs it: exit status, stdout and stderr.
struct WeirProcess {
    /// `<build dir>/weir`: the directory of the running test binary.
    static let binary: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = length > 0 ? String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return directory + "/weir"
    }()

    /// What a finished run left.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A process that was started and has not been waited for.
    struct Running {
        let pid: pid_t
        let stdoutPath: String
        let stderrPath: String

        /// Whether the process still runs.
        var isAlive: Bool {
            var status: Int32 = 0
            return waitpid(self.pid, &status, WNOHANG) == 0
        }

        /// What it wrote to stderr so far.
        var stderr: String { readText(self.stderrPath) }

        func signal(_ signo: Int32) { kill(self.pid, signo) }

        /// Waits up to `seconds` for the exit; kills it (and says so with status -9) past that.
        func wait(seconds: Double = 20) -> Result {
            var status: Int32 = 0
            var waited = 0.0
            while waitpid(self.pid, &status, WNOHANG) == 0 {
                if waited >= seconds {
                    kill(self.pid, SIGKILL)
                    _ = waitpid(self.pid, &status, 0)
                    return Result(status: -9, stdout: readText(self.stdoutPath), stderr: readText(self.stderrPath))
                }
                usleep(20_000)
                waited += 0.02
            }
            let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            return Result(status: code, stdout: readText(self.stdoutPath), stderr: readText(self.stderrPath))
        }
    }

    /// Starts `arguments[0]` (a path, or a name looked up on PATH) with its output going to files in `directory`.
    static func start(_ arguments: [String], in directory: String, environment: [String: String] = [:]) -> Running? {
        let out = directory + "/stdout.txt"
        let err = directory + "/stderr.txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // The child starts as from a shell: no blocked signals (the test runner's threads may block some) and
        // every signal at its default action.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = String(text.prefix { $0 != "=" })
            if environment[name] == nil { variables.append(text) }
            index += 1
        }
        variables += environment.map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        guard posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp) == 0 else { return nil }
        return Running(pid: pid, stdoutPath: out, stderrPath: err)
    }

    /// Runs `weir` with `arguments` to the end.
    static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) -> Result {
        // The host's /etc/weir/weir.yaml stays out of the tests unless a test names one.
        let environment = ["WEIR_DEFAULT_CONFIG": ""].merging(environment) { $1 }
        guard let running = Self.start([Self.binary] + arguments, in: directory, environment: environment) else {
            return Result(status: -1, stdout: "", stderr: "could not start \(Self.binary)")
        }
        return running.wait()
    }
}

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/weir-cli-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        self.path = made ?? "/tmp"
    }

    /// Writes `text` to `name` inside the directory and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = self.path + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        return path
    }

    func remove() {
        guard self.path.hasPrefix("/tmp/weir-cli-") else { return }
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = ["rm", "-rf", self.path].map { (word: String) in strdup(word) } + [nil]
        defer { argv.forEach { free($0) } }
        if posix_spawnp(&pid, "rm", nil, nil, argv, environ) == 0 {
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }
}

/// A file's text, or "" when it cannot be read.
func readText(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        data += chunk.prefix(n)
    }
    return String(decoding: data, as: UTF8.self)
}

/// The repository root (this file is <root>/Tests/WeirCLITests/WeirProcess.swift).
let repositoryRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()
