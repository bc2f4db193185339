// swift-tools-version:6.0
// The device package: runtime library, ONNX loader, the device CLI `outpost` and the
// developer tools `outpost-dev`.
// It must build both as ordinary Swift (host, `swift test`) and as Embedded Swift
// (cross-compiled device builds). Set OUTPOST_EMBEDDED=1 for the Embedded flavour;
// see scripts/build-embedded.sh and docs/architecture.md.
import PackageDescription

let embedded = Context.environment["OUTPOST_EMBEDDED"] == "1"

// Embedded Swift needs whole-module optimisation and the Embedded feature; the
// clang target for imported C headers is passed by the build script because it
// depends on the target architecture.
let deviceSwiftSettings: [SwiftSetting] = embedded
    ? [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])]
    : []

// Kernels are compiled with optimisation even in debug builds: tests run them on
// real sizes, and the ISA-specific paths are chosen per function at run time.
let kernelCSettings: [CSetting] = [
    .unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"]),
]

var targets: [Target] = [
    .target(name: "CKernels", cSettings: kernelCSettings,
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]),
    .target(name: "COutpostSystem",
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m"), .linkedLibrary("dl")]),
    // OutlinedString: interpolated text (error messages...) built by out-of-line calls
    // instead of inline String code at each use (docs/size-budget.md). Below every
    // Swift module; the runtime re-exports it.
    .target(name: "OutpostText", swiftSettings: deviceSwiftSettings),
    .target(name: "OutpostJSON", dependencies: ["COutpostSystem", "OutpostText"], swiftSettings: deviceSwiftSettings),
    // Drift statistics: pure Swift over the JSON codec (baselines travel in package manifests).
    .target(name: "OutpostDrift", dependencies: ["OutpostJSON", "OutpostText"], swiftSettings: deviceSwiftSettings),
    // The system libsqlite3 (headers from libsqlite3-dev), opened with dlopen on first
    // use (telemetry only: linking it costs every run its mapped, relocated pages),
    // plus shims for what Swift cannot import (SQLITE_TRANSIENT, variadic
    // sqlite3_db_config). The loader is COutpostSystem's op_shared_library.
    .target(name: "CSQLite", dependencies: ["COutpostSystem"]),
    .target(name: "OutpostTelemetry", dependencies: ["CSQLite", "COutpostSystem", "OutpostText"],
            swiftSettings: deviceSwiftSettings),
    .target(name: "OutpostRuntime", dependencies: ["CKernels", "COutpostSystem", "OutpostText"],
            swiftSettings: deviceSwiftSettings),
    .target(name: "OutpostONNX", dependencies: ["OutpostRuntime", "COutpostSystem"],
            swiftSettings: deviceSwiftSettings),
    // Thin shims over the system libcrypto (OpenSSL 3): SHA-256, Ed25519. libcrypto is
    // opened with dlopen on first use (not linked: loading it costs ~1.4 MB of RSS in
    // every run; COutpostSystem's op_shared_library); its headers (libssl-dev) are
    // still needed to build.
    .target(name: "COutpostCrypto", dependencies: ["COutpostSystem"]),
    // Signed model packages: container, manifest, verification, golden self-test.
    .target(name: "OutpostPackage",
            dependencies: ["OutpostJSON", "OutpostDrift", "COutpostCrypto", "COutpostSystem", "CKernels", "OutpostRuntime", "OutpostONNX"],
            swiftSettings: deviceSwiftSettings),
    // Fleet sync wire types shared by the device (OutpostSync) and the fleet manager.
    .target(name: "OutpostProtocol", dependencies: ["OutpostJSON"], swiftSettings: deviceSwiftSettings),
    // What the two command-line programs share: argument parsing, console output,
    // opening models and packages, input files, drift recording.
    .target(name: "OutpostCLICore",
            dependencies: ["OutpostRuntime", "OutpostONNX", "OutpostPackage", "OutpostDrift", "OutpostTelemetry", "COutpostSystem"],
            swiftSettings: deviceSwiftSettings),
    // The device CLI: run, bench, inspect, monitor, package verify/inspect. Its
    // stripped Embedded binary has a 1 MB budget (docs/size-budget.md).
    .executableTarget(name: "outpost",
                      dependencies: ["OutpostCLICore", "OutpostRuntime", "OutpostONNX", "OutpostJSON", "OutpostPackage", "OutpostDrift",
                                     "OutpostTelemetry", "COutpostSystem",
                                     // Not used by the CLI yet: listed so every Embedded and cross
                                     // build compiles the sync wire types too (the agent will use them).
                                     "OutpostProtocol"],
                      swiftSettings: deviceSwiftSettings),
    // The developer tools, for build machines and CI, not devices: conformance,
    // bench-kernels, bench-telemetry, keys generate, package build, make-baseline.
    .executableTarget(name: "outpost-dev",
                      dependencies: ["OutpostCLICore", "OutpostRuntime", "OutpostONNX", "OutpostPackage", "OutpostDrift",
                                     "OutpostTelemetry", "COutpostSystem", "CKernels"],
                      swiftSettings: deviceSwiftSettings),
]

if !embedded {
    targets += [
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels"]),
        .testTarget(name: "OutpostJSONTests", dependencies: ["OutpostJSON"]),
        .testTarget(name: "OutpostProtocolTests", dependencies: ["OutpostProtocol", "OutpostJSON"]),
        // Not named OutpostPackageTests: SwiftPM reserves <package name>PackageTests
        // (this package is "Outpost") for its aggregate test product.
        .testTarget(name: "ModelPackageTests", dependencies: ["OutpostPackage", "OutpostDrift", "OutpostJSON", "OutpostONNX", "OutpostRuntime"],
                    path: "Tests/OutpostPackageTests"),
        // Test-only writer process for the power-loss (SIGKILL) test.
        .executableTarget(name: "outpost-telemetry-writer", dependencies: ["OutpostTelemetry"],
                          path: "Tests/TelemetryWriter"),
        .testTarget(name: "OutpostDriftTests", dependencies: ["OutpostDrift", "OutpostJSON"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "OutpostTelemetryTests", dependencies: ["OutpostTelemetry", "CSQLite", "outpost-telemetry-writer"]),
        .testTarget(name: "OutpostRuntimeTests", dependencies: ["OutpostRuntime", "CKernels"]),
        .testTarget(name: "OutpostONNXTests", dependencies: ["OutpostONNX", "OutpostRuntime"],
                    exclude: ["Fixtures"]),
        // Drives the built `outpost` and `outpost-dev` binaries; the dependencies make
        // `swift build --build-tests` build them.
        .testTarget(name: "OutpostCLITests", dependencies: ["outpost", "outpost-dev"]),
    ]
}

let package = Package(
    name: "Outpost",
    products: [
        .executable(name: "outpost", targets: ["outpost"]),
        .executable(name: "outpost-dev", targets: ["outpost-dev"]),
        .library(name: "OutpostRuntime", targets: ["OutpostRuntime"]),
        .library(name: "OutpostONNX", targets: ["OutpostONNX"]),
        .library(name: "OutpostJSON", targets: ["OutpostJSON"]),
        .library(name: "OutpostPackage", targets: ["OutpostPackage"]),
        .library(name: "OutpostProtocol", targets: ["OutpostProtocol"]),
    ],
    targets: targets,
    swiftLanguageModes: [.v5]
)
