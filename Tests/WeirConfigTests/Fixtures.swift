// SPDX-License-Identifier: MIT
import Foundation
import Testing

/// Test helpers: temporary folders and the shared conformance corpus.
enum Fixtures {
    /// `<repo root>/../shared`, or `$WEIR_SHARED`.
    static var sharedDirectory: String {
        if let env = ProcessInfo.processInfo.environment["WEIR_SHARED"] { return env }
        let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return repoRoot.appendingPathComponent("../shared").standardized.path
    }

    /// A fresh temporary folder holding `files` (name → contents).
    static func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weir-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(name).deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir.path
    }

    /// A configuration in the shape of a production `suricata.yaml`, written for these tests: every section
    /// Weir reads with non-default values, plus sections Weir accepts and ignores.
    static let fullConfig = """
        %YAML 1.1
        ---
        vars:
          address-groups:
            HOME_NET: "[10.1.0.0/16]"
            EXTERNAL_NET: "!$HOME_NET"
            LAB_NET: [10.9.0.0/16, 10.10.0.0/16]
          port-groups:
            HTTP_PORTS: "[80,8080]"
            ORACLE_PORTS: 1522

        default-rule-path: /etc/weir/rules
        rule-files:
          - local.rules
          - et.rules
        classification-file: /etc/weir/classification.config
        reference-config-file: /etc/weir/reference.config
        threshold-file: /etc/weir/threshold.config
        default-log-dir: /var/log/weir/

        stats:
          enabled: no
          interval: 30

        outputs:
          - fast:
              enabled: yes
              filename: alerts.log
              append: no
          - eve-log:
              enabled: yes
              filetype: regular
              filename: events.json
              community-id: true
              types:
                - alert:
                    payload: yes
                    payload-printable: yes
                    payload-buffer-size: 8kb
                    packet: on
                    metadata: no
                    tagged-packets: yes
                - drop:
                    alerts: yes
                    flows: all
                - http:
                    extended: yes
                - stats:
                    totals: yes
                    threads: yes
                    deltas: yes
                - flow
          - stats:
              enabled: yes
              filename: counters.log
              append: no
              totals: yes
              threads: yes
          - unified2-alert:
              enabled: no

        logging:
          default-log-level: notice
          outputs:
            - console:
                enabled: yes

        af-packet:
          - interface: eth1
            threads: 4
            cluster-id: 98
            cluster-type: cluster_qm
            defrag: no
            copy-mode: ips
            copy-iface: eth2
            bypass: yes
            xdp-mode: soft
            ring-size: 4096
            block-size: 64kb
            block-timeout: 20
            use-mmap: yes
            tpacket-v3: yes
            checksum-checks: auto
            dedicated: yes
          - interface: eth2
            copy-mode: ips
            copy-iface: eth1
          - interface: default
            threads: auto
            cluster-type: cluster_cpu
            ring-size: 1024
            mmap-locked: yes

        pcap-file:
          checksum-checks: no

        app-layer:
          protocols:
            tls:
              enabled: yes
              detection-ports:
                dp: 443
              encryption-handling: bypass
              ja3-fingerprints: auto
            http2:
              enabled: no
            dns:
              tcp:
                enabled: yes
                detection-ports:
                  dp: 53
              udp:
                enabled: yes
                detection-ports:
                  dp: "[53, 5353]"
            ssh:
              enabled: detection-only
              detection-enabled: no
            smb:
              enabled: yes

        stream:
          memcap: 1gb
          checksum-validation: no
          inline: auto
          midstream: true
          async-oneside: on
          drop-invalid: no
          bypass: yes
          prealloc-sessions: 4096
          reassembly:
            memcap: 2gb
            depth: 4mb
            toserver-chunk-size: 5kb
            toclient-chunk-size: 6kb
            randomize-chunk-size: no
            segment-prealloc: 4096
            raw: yes

        flow:
          memcap: 512mb
          hash-size: 131072
          prealloc: 20000
          emergency-recovery: 40
          managers: 2

        flow-timeouts:
          default:
            new: 31
            established: 301
          tcp:
            new: 61
            established: 3601
            closed: 11
            bypassed: 121
            emergency-new: 6
            emergency-established: 101
            emergency-closed: 2
            emergency-bypassed: 51
          udp:
            established: 121
          icmp:
            new: 7

        detect:
          profile: high
          sgh-mpm-context: full
          inspection-recursion-limit: 2000
          prefilter:
            default: mpm

        action-order:
          - drop
          - pass
          - reject
          - alert
        packet-alert-max: 30
        checksum-checks: all
        kernel-version-override: 4.9
        bypass:
          flow-table-size: 1024
          block-list-size: 512
          pin-path: /sys/fs/bpf/weir-test
        max-pending-packets: 2048
        runmode: workers
        host-mode: sniffer-only
        unix-command:
          enabled: auto
        host-os-policy:
          linux: [0.0.0.0/0]
        """
}
