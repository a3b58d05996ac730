// swift-tools-version:6.0
// SPDX-License-Identifier: MIT
import PackageDescription

let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let systemPackage = Target.Dependency.product(name: "SystemPackage", package: "swift-system")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let x509 = Target.Dependency.product(name: "X509", package: "swift-certificates")
let swiftASN1 = Target.Dependency.product(name: "SwiftASN1", package: "swift-asn1")
let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")

let package = Package(
    name: "weir",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "weir", targets: ["weir"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries, found through pkg-config (apt packages named in `providers`).
        .systemLibrary(name: "CLibBPF", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CHyperscan", pkgConfig: "libhs", providers: [.apt(["libvectorscan-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CLibHTP", pkgConfig: "htp", providers: [.apt(["libhtp-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The process allocator (docs/architecture.md, "Memory allocation"); Debian ships no pkg-config file for it.
        .systemLibrary(name: "CMimalloc", providers: [.apt(["libmimalloc-dev"])]),
        // hiredis's pkg-config file adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses: found in /usr/include.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // The one C shim: the kernel ABI header and the macros Swift cannot import.
        .target(name: "CWeirLinux"),
        // The BPF programs in bpf/ (outside every target), compiled by BPFPlugin and embedded as bytes.
        .executableTarget(name: "bpfembed"),
        .plugin(name: "BPFPlugin", capability: .buildTool(), dependencies: ["bpfembed"]),
        // Records the commit for `weir --version` (a prebuild command running git).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .target(name: "WeirBPFObjects", plugins: ["BPFPlugin"]),

        // Pipeline stages. WeirCore, WeirDecode, WeirFlow, WeirDetect, WeirOutput and WeirConfig make no syscalls.
        .target(name: "WeirCore"),
        .target(name: "WeirDecode", dependencies: ["WeirCore"]),
        .target(name: "WeirFlow", dependencies: ["WeirCore", "WeirDecode"]),
        .target(name: "WeirStream", dependencies: ["WeirCore", "WeirDecode", "WeirFlow"]),
        .target(
            name: "WeirDetect",
            dependencies: ["WeirCore", "WeirDecode", "WeirFlow", "WeirStream", "CHyperscan", "CPCRE2", crypto]
        ),
        .target(name: "WeirOutput", dependencies: ["WeirCore", "WeirDecode", "WeirFlow", "WeirDetect", crypto]),
        // The application layer: protocol detection, per-flow parser state, transactions and their buffers.
        .target(
            name: "WeirAppLayer",
            dependencies: [
                "WeirCore", "WeirFlow", "WeirStream", "WeirDetect", "WeirOutput", "CLibHTP", "CZlib", crypto, x509,
                swiftASN1,
            ]
        ),
        .target(name: "WeirConfig", dependencies: ["WeirCore", yams]),
        // Only these two talk to the kernel.
        .target(name: "WeirCapture", dependencies: ["WeirCore", "CPcap", "CWeirLinux", systemPackage]),
        .target(
            name: "WeirBypass",
            dependencies: [
                "WeirCore", "WeirDecode", "WeirFlow", "CLibBPF", "CWeirLinux", "WeirBPFObjects", systemPackage,
            ]
        ),
        // Wires the stages together for replay, live capture and `weir test`.
        .target(
            name: "WeirRuntime",
            dependencies: [
                "WeirCore", "WeirDecode", "WeirFlow", "WeirStream", "WeirDetect", "WeirOutput", "WeirConfig",
                "WeirAppLayer", "WeirCapture", "WeirBypass", "CWeirLinux", "CHiredis", logging, coreMetrics,
                prometheus,
            ]
        ),
        // `weir test`: suricata-verify-style cases run in-process through WeirRuntime's replay.
        .target(name: "WeirVerify", dependencies: ["WeirRuntime", "WeirConfig", yams]),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirRuntime", "WeirVerify", "WeirBypass", "WeirDetect", "WeirCapture", "WeirDecode", "WeirFlow",
                "WeirCore", "WeirConfig", "CMimalloc", argumentParser, logging,
            ],
            plugins: ["BuildInfoPlugin"]
        ),

        // Test helpers shared by the test targets (the shared corpus's location and the trait that skips without it).
        .target(name: "WeirTestSupport", path: "Tests/WeirTestSupport"),
        .testTarget(name: "WeirCoreTests", dependencies: ["WeirCore"]),
        .testTarget(name: "WeirDecodeTests", dependencies: ["WeirTestSupport", "WeirDecode"]),
        .testTarget(name: "WeirFlowTests", dependencies: ["WeirFlow", "WeirDecode"]),
        .testTarget(
            name: "WeirStreamTests", dependencies: ["WeirTestSupport", "WeirStream", "WeirDecode", "WeirFlow", "WeirCore", "WeirCapture"]
        ),
        .testTarget(
            name: "WeirDetectTests", dependencies: ["WeirTestSupport", "WeirDetect", "WeirDecode", "WeirFlow", "WeirStream", "WeirCapture"]
        ),
        .testTarget(name: "WeirOutputTests", dependencies: ["WeirOutput", "WeirTestSupport"]),
        .testTarget(
            name: "WeirAppLayerTests",
            dependencies: [
                "WeirTestSupport", "WeirAppLayer", "WeirDetect", "WeirStream", "WeirFlow", "WeirOutput", "WeirCore",
                "WeirRuntime", "CZlib", crypto, x509, swiftASN1,
            ]
        ),
        .testTarget(name: "WeirConfigTests", dependencies: ["WeirTestSupport", "WeirConfig"]),
        .testTarget(name: "WeirCaptureTests", dependencies: ["WeirCapture"]),
        .testTarget(
            name: "WeirBypassTests",
            dependencies: [
                "WeirBypass", "WeirBPFObjects", "WeirDecode", "WeirFlow", "WeirCore", "CLibBPF", "CWeirLinux",
                "WeirCapture", "WeirRuntime", "WeirTestSupport",
            ]
        ),
        .testTarget(name: "WeirRuntimeTests", dependencies: ["WeirTestSupport", "WeirRuntime"]),
        .testTarget(name: "WeirVerifyTests", dependencies: ["WeirTestSupport", "WeirVerify", "WeirRuntime"]),
        // Drives the built `weir` binary as users and CI gates do (exit statuses, messages, signals).
        .testTarget(name: "WeirCLITests", dependencies: ["weir", "WeirTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
