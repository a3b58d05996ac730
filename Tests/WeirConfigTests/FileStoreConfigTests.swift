// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// `outputs: - file-store:` as Suricata 8 reads it: version 2 only, off unless enabled, `dir` below the log
/// directory (`filestore` by default), and a start-up error naming the key for anything it cannot honour.
@Suite struct FileStoreConfigTests {
    static func load(_ body: String) throws -> FileStoreOutput {
        let yaml = "%YAML 1.1\n---\noutputs:\n  - file-store:\n" + body
        return try ConfigLoader.load(yaml: yaml, file: "f.yaml").configuration.outputs.fileStore
    }

    @Test func defaultsAndEverySetting() throws {
        let off = try Self.load("      version: 2\n")
        #expect(!off.enabled && off.directory == "filestore" && !off.forceFilestore && !off.writeFileInfo)
        let on = try Self.load(
            """
                  version: 2
                  enabled: yes
                  dir: /var/lib/files
                  write-fileinfo: yes
                  force-filestore: yes
                  force-magic: no
                  force-hash: [md5, sha1]
                  stream-depth: 1mb
                  max-open-files: 1000
                  xff:
                    enabled: no

            """)
        #expect(on.enabled && on.directory == "/var/lib/files" && on.writeFileInfo && on.forceFilestore)
        #expect(on.forceHash == ["md5", "sha1"] && on.streamDepth == 1_048_576 && on.maxOpenFiles == 1000)
        #expect(try Self.load("      enabled: yes\n      version: 2\n      stream-depth: no\n").streamDepth == 0)
        // `stream-depth` changes nothing yet: a note says so; the settings that act get none.
        let yaml = "%YAML 1.1\n---\noutputs:\n  - file-store:\n      enabled: yes\n      version: 2\n"
            + "      force-filestore: yes\n      stream-depth: 1mb\n"
        let notes = try ConfigLoader.load(yaml: yaml, file: "f.yaml").notes
        #expect(notes.count == 1 && notes[0].contains("outputs.0.file-store.stream-depth"), "\(notes)")
    }

    @Test func whatCannotBeHonouredStopsStartUpNamingTheKey() throws {
        for (body, key) in [
            ("      enabled: yes\n", "file-store.version"),
            ("      enabled: yes\n      version: 1\n", "file-store.version"),
            ("      enabled: yes\n      version: 2\n      force-hash: [crc32]\n", "file-store.force-hash"),
            ("      enabled: yes\n      version: 2\n      not-a-key: 1\n", "file-store.not-a-key"),
        ] {
            do {
                _ = try Self.load(body)
                Issue.record("accepted: \(body)")
            } catch {
                #expect("\(error)".contains(key), "\(error)")
            }
        }
        // Disabled, the old version is no error (Suricata's shipped configuration has such a block).
        #expect(try !Self.load("      enabled: no\n      version: 1\n").enabled)
    }
}
