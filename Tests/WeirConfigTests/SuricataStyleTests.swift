// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// A configuration laid out like the `suricata.yaml` that Suricata 8 generates (written for this test, not
/// copied): units with spaces, empty sections, port lists as plain scalars, capture methods Weir lacks.
@Suite struct SuricataStyleTests {
    static let suricata8Style = """
        %YAML 1.1
        ---
        suricata-version: "8.0"
        vars:
          address-groups:
            HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"
            EXTERNAL_NET: "!$HOME_NET"
          port-groups:
            HTTP_PORTS: "80"
            ORACLE_PORTS: 1521
        default-log-dir: /var/log/suricata/
        stats:
          enabled: yes
          interval: 8
          exception-policy:
        plugins:
        outputs:
          - fast:
              enabled: yes
              filename: fast.log
              append: yes
          - eve-log:
              enabled: yes
              filetype: regular
              filename: eve.json
              buffer-size: 0
              pcap-file: false
              community-id: false
              community-id-seed: 0
              xff:
                enabled: no
                mode: extra-data
              types:
                - alert:
                    payload-buffer-size: 4 KiB
                    tagged-packets: yes
                    metadata:
                      app-layer: true
                      rule:
                        metadata: true
                - frame:
                    enabled: no
                - anomaly:
                    enabled: yes
                    types:
                - http:
                    extended: yes
                - dns:
                    version: 3
                - tls:
                    extended: yes
                - files:
                    force-magic: no
                - websocket
                - ftp
                - smb
                - arp:
                    enabled: no
                - dhcp:
                    enabled: yes
                    extended: no
                - mqtt:
                - pgsql:
                    enabled: no
                - stats:
                    totals: yes
                    threads: no
                    deltas: no
                    null-values: false
                - flow
          - tls-store:
              enabled: no
          - pcap-log:
              enabled: no
              limit: 1000 MiB
          - stats:
              enabled: yes
              filename: stats.log
              append: yes
              totals: yes
              threads: no
          - file-store:
              version: 2
              enabled: no
          - lua:
              enabled: no
              scripts:
        heartbeat:
        logging:
          default-log-level: notice
          default-output-filter:
          outputs:
          - console:
              enabled: yes
        af-packet:
          - interface: eth0
            cluster-id: 99
            cluster-type: cluster_flow
            defrag: yes
          - interface: default
        af-xdp:
          - interface: default
        dpdk:
          eal-params:
            proc-type: primary
          interfaces:
            - interface: 0000:3b:00.0
              threads: auto
        pcap:
          - interface: eth0
          - interface: default
        pcap-file:
          checksum-checks: auto
        app-layer:
          protocols:
            telnet:
              enabled: yes
            rfb:
              enabled: yes
              detection-ports:
                dp: 5900, 5901, 5902
            tls:
              enabled: yes
              detection-ports:
                dp: 443
            websocket:
            rdp:
            ssh:
              enabled: yes
            http2:
              enabled: yes
            smtp:
              enabled: yes
              mime:
                decode-mime: yes
            smb:
              enabled: yes
              detection-ports:
                dp: 139, 445
            dns:
              tcp:
                enabled: yes
                detection-ports:
                  dp: 53
              udp:
                enabled: yes
                detection-ports:
                  dp: 53
            http:
              enabled: yes
              libhtp:
                default-config:
                  personality: IDS
                  request-body-limit: 100 KiB
            ldap:
              tcp:
                enabled: yes
        asn1-max-frames: 256
        datasets:
          defaults:
        security:
          limit-noproc: true
          lua:
        coredump:
          max-dump: unlimited
        host-mode: auto
        unix-command:
          enabled: auto
        legacy:
          uricontent: enabled
        exception-policy: auto
        engine-analysis:
          rules-fast-pattern: yes
        pcre:
          match-limit: 3500
        host-os-policy:
          windows: [0.0.0.0/0]
          bsd: []
        defrag:
          memcap: 32 MiB
        flow:
          memcap: 128 MiB
          hash-size: 65536
          prealloc: 10000
          emergency-recovery: 30
        vlan:
          use-for-tracking: true
        livedev:
          use-for-tracking: true
        flow-timeouts:
          default:
            new: 30
          tcp:
            established: 600
        stream:
          memcap: 64 MiB
          checksum-validation: yes
          inline: auto
          reassembly:
            urgent:
              policy: oob
            memcap: 256 MiB
            depth: 1 MiB
            toserver-chunk-size: 2560
            toclient-chunk-size: 2560
            randomize-chunk-size: yes
        host:
          hash-size: 4096
        decoder:
          teredo:
            enabled: true
            ports: $TEREDO_PORTS
        detect:
          profile: medium
          custom-values:
            toclient-groups: 3
          sgh-mpm-context: auto
          prefilter:
            default: mpm
          grouping:
          thresholds:
            hash-size: 16384
          profiling:
            grouping:
              dump-to-disk: false
        mpm-algo: auto
        spm-algo: auto
        threading:
          set-cpu-affinity: no
          cpu-affinity:
            - management-cpu-set:
                cpu: [ 0 ]
          detect-thread-ratio: 1.0
        profiling:
          rules:
            enabled: yes
        nfq:
        nflog:
          - group: 2
        capture:
        netmap:
          - interface: eth2
        pfring:
          - interface: eth0
        ipfw:
        napatech:
        default-rule-path: /var/lib/suricata/rules
        rule-files:
          - suricata.rules
        classification-file: /etc/suricata/classification.config
        reference-config-file: /etc/suricata/reference.config
        """

    @Test func loadsWithIgnoredKeysOnly() throws {
        let loaded = try ConfigLoader.load(yaml: Self.suricata8Style, file: "suricata.yaml")
        let config = loaded.configuration
        #expect(config.flow.memcap == 128 << 20)
        #expect(config.stream.reassembly.depth == 1 << 20)
        #expect(config.outputs.eveLog?.alert?.payloadBufferSize == 4096)
        #expect(config.outputs.eveLog?.alert?.metadata == true)
        #expect(config.outputs.eveLog?.anomaly?.enabled == true)
        // The tls type is decoded now (it used to be ignored).
        #expect(config.outputs.eveLog?.tls?.extended == true)
        #expect(!loaded.ignoredKeys.map(\.key).contains("outputs.1.eve-log.types.5.tls"))
        #expect(config.afPacket.map(\.interface) == ["eth0"])
        #expect(config.appLayer["dns"].transports["udp"]?.detectionPorts.destination == "53")
        #expect(config.ruleFiles == ["suricata.rules"])
        let ignored = Set(loaded.ignoredKeys.map(\.key))
        for key in [
            "suricata-version", "plugins", "logging", "dpdk", "outputs.2.tls-store",
            "app-layer.protocols.smb", "stream.reassembly.urgent",
            "outputs.1.eve-log.xff",
        ] {
            #expect(ignored.contains(key), "\(key)")
        }
        // The stats type's null-values is read now (it used to be ignored).
        #expect(!ignored.contains("outputs.1.eve-log.types.14.stats.null-values"))
        // libhtp's options are applied by the HTTP parser: checked, not reported as ignored.
        #expect(!ignored.contains { $0.contains("libhtp") })
        // threading sizes autofp replay and places threads: read, not ignored.
        #expect(!ignored.contains { $0.hasPrefix("threading") })
        #expect(config.detectThreadRatio == 1.0)
        #expect(!config.threading.setCPUAffinity)
        #expect(config.threading.sets[.management]?.cpus == .cpus([0]))
        #expect(loaded.warnings.count == 1)
    }
}
