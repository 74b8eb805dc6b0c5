// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Sillage",
    products: [
        .executable(name: "sillage", targets: ["SillageCLI"]),
        .library(name: "Sillage", targets: ["Sillage"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Sillage",
            dependencies: ["CSQLite", "CZlib"],
            path: "Sources/Sillage"
        ),
        .executableTarget(
            name: "SillageCLI",
            dependencies: ["Sillage"],
            path: "Sources/SillageCLI"
        ),
        .testTarget(
            name: "SillageTests",
            dependencies: ["Sillage"],
            path: "Tests/SillageTests",
            exclude: ["Golden", "FuzzRegressions"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
