// swift-tools-version:6.0
// SPDX-License-Identifier: MIT
import PackageDescription

let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let systemPackage = Target.Dependency.product(name: "SystemPackage", package: "swift-system")

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
    ],
    targets: [
        // System libraries, found through pkg-config (apt packages named in `providers`).
        .systemLibrary(name: "CLibBPF", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CHyperscan", pkgConfig: "libhs", providers: [.apt(["libvectorscan-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // The one C shim: the kernel ABI header and the macros Swift cannot import.
        .target(name: "CWeirLinux"),

        // Pipeline stages. WeirCore, WeirDecode, WeirFlow, WeirDetect, WeirOutput and WeirConfig make no syscalls.
        .target(name: "WeirCore"),
        .target(name: "WeirDecode", dependencies: ["WeirCore"]),
        .target(name: "WeirFlow", dependencies: ["WeirCore", "WeirDecode"]),
        .target(name: "WeirStream", dependencies: ["WeirCore", "WeirDecode", "WeirFlow"]),
        .target(name: "WeirDetect", dependencies: ["WeirCore", "WeirDecode", "WeirFlow", "CHyperscan", "CPCRE2"]),
        .target(name: "WeirOutput", dependencies: ["WeirCore", "WeirDecode", "WeirFlow", "WeirDetect"]),
        .target(name: "WeirConfig", dependencies: ["WeirCore", yams]),
        // Only these two talk to the kernel.
        .target(name: "WeirCapture", dependencies: ["WeirCore", "CPcap", "CWeirLinux", systemPackage]),
        .target(
            name: "WeirBypass",
            dependencies: ["WeirCore", "WeirDecode", "WeirFlow", "CLibBPF", "CWeirLinux", systemPackage]
        ),
        // Wires the stages together for replay, live capture and `weir test`.
        .target(
            name: "WeirRuntime",
            dependencies: [
                "WeirCore", "WeirDecode", "WeirFlow", "WeirStream", "WeirDetect", "WeirOutput", "WeirConfig",
                "WeirCapture", "WeirBypass", logging,
            ]
        ),
        .executableTarget(name: "weir", dependencies: ["WeirRuntime", argumentParser, logging]),

        .testTarget(name: "WeirCoreTests", dependencies: ["WeirCore"]),
        .testTarget(name: "WeirDecodeTests", dependencies: ["WeirDecode"]),
        .testTarget(name: "WeirFlowTests", dependencies: ["WeirFlow", "WeirDecode"]),
        .testTarget(
            name: "WeirStreamTests", dependencies: ["WeirStream", "WeirDecode", "WeirFlow", "WeirCore", "WeirCapture"]
        ),
        .testTarget(name: "WeirDetectTests", dependencies: ["WeirDetect"]),
        .testTarget(name: "WeirOutputTests", dependencies: ["WeirOutput"]),
        .testTarget(name: "WeirConfigTests", dependencies: ["WeirConfig"]),
        .testTarget(name: "WeirCaptureTests", dependencies: ["WeirCapture"]),
        .testTarget(name: "WeirBypassTests", dependencies: ["WeirBypass", "WeirDecode", "WeirFlow"]),
        .testTarget(name: "WeirRuntimeTests", dependencies: ["WeirRuntime"]),
    ],
    swiftLanguageModes: [.v6]
)
