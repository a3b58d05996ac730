// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

@Suite struct DecoderDefragConfigTests {
    @Test func defaultsAreSuricatas() {
        let config = WeirConfiguration.default
        #expect(config.decoder.vxlanPorts == [4789])
        #expect(config.decoder.genevePorts == [6081])
        #expect(config.decoder.teredoPorts.isEmpty, "any UDP port")
        #expect(config.decoder.maxLayers == 16)
        #expect(config.defrag.enabled)
        #expect(config.defrag.timeout == 60)
        #expect(config.defrag.trackers == 65_535 && config.defrag.maxFrags == 65_535)
        #expect(config.defrag.memcap == 32 << 20)
    }

    @Test func suricataYamlDecoderSectionIsRead() throws {
        let yaml = """
            vars:
              port-groups:
                TEREDO_PORTS: "3544"
            decoder:
              teredo:
                enabled: true
                ports: $TEREDO_PORTS
              vxlan:
                enabled: yes
                ports: "[8472, 4789]"
                reserved-bits-check: strict
              geneve:
                enabled: false
                ports: 6081
              max-layers: 8
              recursion-level:
                use-for-tracking: true
            defrag:
              memcap: 16mb
              hash-size: 65536
              trackers: 1000
              max-frags: 2000
              prealloc: yes
              timeout: 30
              enabled: yes
            """
        let config = try ConfigLoader.load(yaml: yaml, file: "t.yaml").configuration
        #expect(config.decoder.teredoPorts == [3544])
        #expect(config.decoder.vxlanPorts == [8472, 4789])
        #expect(config.decoder.vxlanStrictReservedBits)
        #expect(!config.decoder.geneveEnabled)
        #expect(config.decoder.maxLayers == 8)
        #expect(config.defrag.memcap == 16 << 20)
        #expect(config.defrag.trackers == 1000 && config.defrag.maxFrags == 2000)
        #expect(config.defrag.timeout == 30)
    }

    @Test func teredoAnyAndOverrides() throws {
        let loaded = try ConfigLoader.load(
            yaml: "decoder:\n  teredo:\n    ports: any\n", file: "t.yaml",
            overrides: ["decoder.vxlan.ports=4790", "defrag.enabled=false"])
        #expect(loaded.configuration.decoder.teredoPorts.isEmpty)
        #expect(loaded.configuration.decoder.vxlanPorts == [4790])
        #expect(!loaded.configuration.defrag.enabled)
    }

    @Test func badValuesNameTheKey() throws {
        let layers = try #require(loadError("decoder:\n  max-layers: 300\n"))
        #expect(layers.key == "decoder.max-layers")
        let ports = try #require(loadError("decoder:\n  vxlan:\n    ports: http\n"))
        #expect(ports.key == "decoder.vxlan.ports")
        let mode = try #require(loadError("decoder:\n  vxlan:\n    reserved-bits-check: sometimes\n"))
        #expect(mode.key == "decoder.vxlan.reserved-bits-check")
        let timeout = try #require(loadError("defrag:\n  timeout: 0\n"))
        #expect(timeout.key == "defrag.timeout")
        let unknown = try #require(loadError("defrag:\n  max-fragz: 3\n"))
        #expect(unknown.key == "defrag.max-fragz")
    }
}
