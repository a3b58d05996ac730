// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// `runmode` and `threading.detect-thread-ratio`, which size autofp replay.
@Suite struct ThreadingTests {
    @Test func detectThreadRatioIsRead() throws {
        #expect(try ConfigLoader.load(path: nil, overrides: []).configuration.detectThreadRatio == 1.0)
        let loaded = try ConfigLoader.load(
            path: nil, overrides: ["runmode=autofp", "threading.detect-thread-ratio=0.5"])
        #expect(loaded.configuration.runMode == .autofp)
        #expect(loaded.configuration.detectThreadRatio == 0.5)
        // A setting with an effect gets no "accepted, no effect" note.
        #expect(!loaded.notes.contains { $0.contains("runmode") })
    }

    @Test(arguments: ["0", "-1", "many", "65"])
    func badRatioStopsStartUpNamingTheKey(value: String) {
        do {
            _ = try ConfigLoader.load(path: nil, overrides: ["threading.detect-thread-ratio=\(value)"])
            Issue.record("\(value) was accepted")
        } catch {
            #expect("\(error)".contains("threading.detect-thread-ratio"), "\(error)")
        }
    }
}

/// `threading.set-cpu-affinity` and `threading.cpu-affinity`, in Suricata 8's mapping layout and the older list.
@Suite struct CPUAffinityConfigTests {
    static func load(_ yaml: String) throws -> LoadedConfiguration {
        let dir = try Fixtures.folder(["weir.yaml": "%YAML 1.1\n---\n" + yaml])
        return try ConfigLoader.load(path: dir + "/weir.yaml", overrides: [])
    }

    static func failure(_ yaml: String) -> String? {
        do {
            _ = try Self.load(yaml)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func mappingLayoutIsRead() throws {
        let loaded = try Self.load(
            """
            threading:
              set-cpu-affinity: yes
              cpu-affinity:
                management-cpu-set:
                  cpu: [ 0 ]
                receive-cpu-set:
                  cpu: [ 0 ]
                worker-cpu-set:
                  cpu: [ "all" ]
                  mode: "exclusive"
                  threads: 3
                  prio:
                    low: [ 0 ]
                    high: [ "1-1" ]
                    default: "medium"
                  interface-specific-cpu-set:
                    - interface: "eth1"
                      cpu: [ 1 ]
                      mode: balanced
                      prio:
                        default: high
                stream-cpu-set:
                  cpu: [ 0 ]
            """)
        let threading = loaded.configuration.threading
        #expect(threading.setCPUAffinity)
        #expect(threading.sets[.management]?.cpus == .cpus([0]))
        // Suricata's default modes: management balanced, receive and workers exclusive.
        #expect(threading.sets[.management]?.mode == .balanced)
        #expect(threading.sets[.receive]?.mode == .exclusive)
        let worker = try #require(threading.sets[.worker])
        #expect(worker.cpus == .all && worker.mode == .exclusive && worker.threads == 3)
        #expect(worker.priorityCPUs[.low] == .cpus([0]) && worker.priorityCPUs[.high] == .cpus([1]))
        #expect(worker.defaultPriority == .medium)
        let eth1 = try #require(threading.set(for: .worker, interface: "eth1"))
        #expect(eth1.cpus == .cpus([1]) && eth1.mode == .balanced && eth1.defaultPriority == .high)
        #expect(threading.set(for: .worker, interface: "eth0") == worker)
        // A set for threads Weir does not have is a Suricata key it ignores, reported once.
        #expect(loaded.ignoredKeys.map(\.key) == ["threading.cpu-affinity.stream-cpu-set"])
    }

    @Test func legacyListLayoutIsRead() throws {
        let loaded = try Self.load(
            """
            threading:
              set-cpu-affinity: yes
              cpu-affinity:
                - management-cpu-set:
                    cpu: [ 0 ]
                - detect-cpu-set:
                    cpu: [ 0, 1 ]
                    mode: balanced
                    prio:
                      default: "low"
                - decode-cpu-set:
                    cpu: [ 0 ]
            """)
        let threading = loaded.configuration.threading
        // detect-cpu-set is the old name of the worker set.
        #expect(threading.sets[.worker]?.cpus == .cpus([0, 1]))
        #expect(threading.sets[.worker]?.defaultPriority == .low)
        #expect(threading.sets[.management]?.cpus == .cpus([0]))
        #expect(loaded.ignoredKeys.map(\.key) == ["threading.cpu-affinity.2.decode-cpu-set"])
    }

    @Test func placementFollowsSuricata() {
        var set = CPUSetSettings(mode: .exclusive)
        set.cpus = .cpus([1, 2, 3])
        set.priorityCPUs = [.low: .cpus([1]), .high: .cpus([3])]
        set.defaultPriority = .medium
        // Exclusive: thread i takes the set's CPUs in turn, with that CPU's class, else the default.
        #expect(set.placement(of: 0, available: 4) == ([1], .low))
        #expect(set.placement(of: 1, available: 4) == ([2], .medium))
        #expect(set.placement(of: 2, available: 4) == ([3], .high))
        #expect(set.placement(of: 3, available: 4) == ([1], .low))
        // Balanced: every thread on the whole set at the default class; "all" is every CPU.
        set.mode = .balanced
        set.defaultPriority = .high
        #expect(set.placement(of: 5, available: 4) == ([1, 2, 3], .high))
        set.cpus = .all
        #expect(set.placement(of: 0, available: 2) == ([0, 1], .high))
        #expect(ThreadPriorityClass.low.nice == 2 && ThreadPriorityClass.medium.nice == 0 && ThreadPriorityClass.high.nice == -2)
    }

    @Test(arguments: [
        ("cpu: [ 4096 ]", "threading.cpu-affinity.worker-cpu-set.cpu"),
        ("cpu: [ \"3-1\" ]", "threading.cpu-affinity.worker-cpu-set.cpu"),
        ("cpu: [ \"x\" ]", "threading.cpu-affinity.worker-cpu-set.cpu"),
        ("mode: fair", "threading.cpu-affinity.worker-cpu-set.mode"),
        ("threads: 0", "threading.cpu-affinity.worker-cpu-set.threads"),
        ("prio: {default: urgent}", "threading.cpu-affinity.worker-cpu-set.prio.default"),
        ("prio: {highest: [0]}", "threading.cpu-affinity.worker-cpu-set.prio.highest"),
        ("cpus: [0]", "threading.cpu-affinity.worker-cpu-set.cpus"),
        ("interface-specific-cpu-set: [{cpu: [0]}]", "threading.cpu-affinity.worker-cpu-set.interface-specific-cpu-set.0.interface"),
    ])
    func badSetStopsStartUpNamingTheKey(line: String, key: String) {
        let message = Self.failure(
            """
            threading:
              set-cpu-affinity: yes
              cpu-affinity:
                worker-cpu-set:
                  \(line)
            """)
        #expect(message?.contains(key) == true, "\(line): \(message ?? "accepted")")
    }

    @Test func cpusTheMachineLacksAreAnErrorOnlyWhenTheSetsApply() throws {
        // Suricata's stock suricata.yaml lists CPUs 1-2 and 0-3 in its sets; without affinity it starts anywhere.
        let sets = """
              cpu-affinity:
                worker-cpu-set:
                  cpu: [ "0-4095" ]
                  prio: { medium: [ "1-4095" ] }
            """
        let loaded = try Self.load("threading:\n  set-cpu-affinity: no\n" + sets)
        #expect(!loaded.configuration.threading.setCPUAffinity)
        let message = Self.failure("threading:\n  set-cpu-affinity: yes\n" + sets)
        #expect(message?.contains("does not exist") == true, "\(message ?? "accepted")")
    }

    @Test func setCPUAffinityComesFromTheCommandLine() throws {
        let loaded = try ConfigLoader.load(
            path: nil,
            overrides: ["threading.set-cpu-affinity=yes", "threading.cpu-affinity.worker-cpu-set.cpu=0"])
        #expect(loaded.configuration.threading.setCPUAffinity)
        #expect(loaded.configuration.threading.sets[.worker]?.cpus == .cpus([0]))
        #expect(loaded.configuration.threading.sets[.worker]?.mode == .exclusive)
    }
}
