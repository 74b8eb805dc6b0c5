// swift-tools-version:6.0
import PackageDescription

// One library target per layer, bottom up (SPEC §3, ARCHITECTURE.md). A target may use only
// the targets listed as its dependencies; `Tests/SillageTests/ArchitectureTests.swift` checks
// this graph against the allowed arrows, so a new arrow is a reviewed change of both.
let layers: [(name: String, dependencies: [Target.Dependency])] = [
    ("SillageCore", ["CZlib"]),
    ("SillagePrivacy", ["SillageCore"]),
    ("SillageIngest", ["SillageCore", "SillagePrivacy"]),
    ("SillageMetrics", ["SillageCore", "SillagePrivacy"]),
    ("SillageDisclosure", ["SillageCore", "SillagePrivacy", "SillageMetrics"]),
    ("SillageExport", ["SillageCore", "SillagePrivacy", "SillageMetrics", "SillageDisclosure"]),
    ("SillageReports", ["SillageCore", "SillagePrivacy", "SillageMetrics", "SillageDisclosure", "SillageExport"]),
    ("SillageStore", ["SillageCore", "SillagePrivacy", "SillageMetrics", "SillageDisclosure", "CSQLite"]),
    (
        "SillagePipeline",
        [
            "SillageCore", "SillagePrivacy", "SillageIngest", "SillageMetrics", "SillageDisclosure",
            "SillageExport", "SillageReports", "SillageStore",
        ]
    ),
]

// The hot path crosses layers (the chunker, byte tables and timestamps of Core are called
// for every record by Ingest's parsers): release builds let the optimiser inline across
// modules as it did within the single module the layers were before.
let optimisation: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "Sillage",
    products: [
        .executable(name: "sillage", targets: ["SillageCLI"]),
        .library(name: "Sillage", targets: layers.map(\.name)),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        .executableTarget(
            name: "SillageCLI",
            dependencies: [
                "SillageCore", "SillagePrivacy", "SillageIngest", "SillageMetrics", "SillageDisclosure", "SillageReports",
                "SillageStore", "SillagePipeline",
            ],
            path: "Sources/SillageCLI"
        ),
        .testTarget(
            name: "SillageTests",
            dependencies: layers.map { .target(name: $0.name) } + ["SillageCLI"],
            path: "Tests/SillageTests",
            exclude: ["Golden", "FuzzRegressions", "VendorLogs"]
        ),
    ]
        + layers.map {
            .target(name: $0.name, dependencies: $0.dependencies, path: "Sources/\($0.name)", swiftSettings: optimisation)
        },
    swiftLanguageModes: [.v6]
)
