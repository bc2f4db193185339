// swift-tools-version:6.1
// The fleet manager: its own package so device builds never pull server libraries.
// It depends on the device package by path for the shared wire types
// (OutpostProtocol), the JSON codec (OutpostJSON) and package verification with
// the real runtime (OutpostPackage, OutpostRuntime).
import PackageDescription

let package = Package(
    name: "OutpostFleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "outpost-fleet", targets: ["outpost-fleet"]),
        .library(name: "FleetCore", targets: ["FleetCore"]),
    ],
    dependencies: [
        .package(name: "Outpost", path: ".."),
        // traits: [] drops swift-configuration and full Foundation (ICU); see MEASURED.md.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // System libsqlite3 (libsqlite3-dev): no Swift SQLite package needed.
        .systemLibrary(name: "CFleetSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "FleetCore", dependencies: [
            "CFleetSQLite",
            .product(name: "OutpostProtocol", package: "Outpost"),
            .product(name: "OutpostJSON", package: "Outpost"),
            .product(name: "OutpostPackage", package: "Outpost"),
            .product(name: "OutpostRuntime", package: "Outpost"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The admin CLI (`outpost-fleet models|rollouts|devices|tokens|…`): a client
        // of the HTTP API, in a library so tests run it against a live server.
        .target(name: "FleetAdmin", dependencies: [
            .product(name: "OutpostJSON", package: "Outpost"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "outpost-fleet", dependencies: [
            "FleetCore",
            "FleetAdmin",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Hummingbird in the tests too: a real HTTP receiver for the alert webhooks.
        .testTarget(name: "FleetTests", dependencies: ["FleetCore", "FleetAdmin", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]),
    ],
    swiftLanguageModes: [.v5]
)
