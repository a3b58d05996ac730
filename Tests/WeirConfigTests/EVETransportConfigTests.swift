// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// The eve-log keys of the network transports: Suricata's names and defaults, and Weir's `queue-size`.
@Suite struct EVETransportConfigTests {
    @Test func redisKeysAndDefaultsAreSuricatas() throws {
        let defaults = try ConfigLoader.load(
            yaml: "outputs:\n  - eve-log:\n      filetype: redis\n", file: "r.yaml"
        ).configuration.outputs.eveLogs[0]
        #expect(defaults.fileType == .redis)
        #expect(defaults.redis == EVERedisSettings())
        #expect(defaults.redis.server == "127.0.0.1" && defaults.redis.port == 6379 && defaults.redis.key == "suricata")
        #expect(defaults.redis.mode == .lpush && defaults.redis.batchSize == 1)
        #expect(defaults.queueSize == 16 << 20)

        let yaml = """
            outputs:
              - eve-log:
                  filetype: redis
                  queue-size: 2mb
                  prefix: "@cee: "
                  redis:
                    server: /run/redis.sock
                    port: 6380
                    async: yes
                    mode: channel
                    key: eve
                    pipelining:
                      enabled: yes
              - eve-log:
                  filetype: redis
                  redis:
                    mode: stream
                    stream-maxlen: 5000
                    stream-trim-exact: yes
                    pipelining: {enabled: no, batch-size: 50}
            """
        let outputs = try ConfigLoader.load(yaml: yaml, file: "r.yaml").configuration.outputs.eveLogs
        #expect(outputs[0].queueSize == 2 << 20 && outputs[0].prefix == "@cee: ")
        #expect(outputs[0].redis.server == "/run/redis.sock" && outputs[0].redis.port == 6380)
        #expect(outputs[0].redis.mode == .publish && outputs[0].redis.key == "eve")
        #expect(outputs[0].redis.batchSize == 10, "Suricata's batch when pipelining names none")
        #expect(outputs[1].redis.mode == .xadd && outputs[1].redis.streamMaxLength == 5000 && outputs[1].redis.streamTrimExact)
        #expect(outputs[1].redis.batchSize == 1, "pipelining off: one command per round trip")
        for (spelling, mode) in [("list", EVERedisMode.lpush), ("lpush", .lpush), ("rpush", .rpush), ("publish", .publish), ("xadd", .xadd)] {
            #expect(EVERedisMode.parse(spelling) == mode)
        }
    }

    @Test func syslogAndSocketKeys() throws {
        let yaml = """
            outputs:
              - eve-log:
                  filetype: syslog
                  identity: sensor
                  facility: LOCAL2
                  level: Warning
              - eve-log:
                  filetype: unix_dgram
                  filename: /run/eve.sock
            """
        let outputs = try ConfigLoader.load(yaml: yaml, file: "s.yaml").configuration.outputs.eveLogs
        #expect(outputs[0].syslog.identity == "sensor" && outputs[0].syslog.facility == .local2 && outputs[0].syslog.level == .warning)
        #expect(outputs[0].syslog.facility.code == 18 && outputs[0].syslog.level.code == 4)
        #expect(EVESyslogSettings().facility == .local5 && EVESyslogSettings().level == .info)
        #expect(outputs[1].fileType == .unixDgram && outputs[1].filename == "/run/eve.sock")
    }

    @Test func badTransportValuesNameTheKey() {
        let cases: [(String, String)] = [
            ("      filetype: redis\n      redis:\n        mode: queue\n", "outputs.0.eve-log.redis.mode"),
            ("      filetype: redis\n      redis:\n        port: 70000\n", "outputs.0.eve-log.redis.port"),
            ("      filetype: redis\n      redis:\n        sever: x\n", "outputs.0.eve-log.redis.sever"),
            ("      filetype: syslog\n      facility: local9\n", "outputs.0.eve-log.facility"),
            ("      filetype: syslog\n      level: loud\n", "outputs.0.eve-log.level"),
            ("      filetype: redis\n      queue-size: 100\n", "outputs.0.eve-log.queue-size"),
            ("      filetype: unix_stream\n      filename: /" + String(repeating: "x", count: 120) + "\n", "outputs.0.eve-log.filename"),
        ]
        for (body, key) in cases {
            let error = loadError("outputs:\n  - eve-log:\n" + body)
            #expect(error.map { "\($0)".contains(key) } == true, "\(key): \(error.map { "\($0)" } ?? "no error")")
        }
    }
}
