import Foundation
import Testing

/// The layer graph of ARCHITECTURE.md, as the package declares it and as the sources use it.
enum Architecture {
    /// Arrows that must never exist, even through other targets (SPEC §3).
    static let forbidden: [(from: String, to: [String])] = [
        (
            "SillageCore",
            [
                "SillagePrivacy", "SillageIngest", "SillageMetrics", "SillageDisclosure", "SillageExport",
                "SillageStore", "SillagePipeline", "SillageCLI", "CSQLite",
            ]
        ),
        (
            "SillagePrivacy",
            [
                "SillageIngest", "SillageMetrics", "SillageDisclosure", "SillageExport", "SillageStore",
                "SillagePipeline", "SillageCLI", "CSQLite",
            ]
        ),
        (
            "SillageIngest",
            [
                "SillageMetrics", "SillageDisclosure", "SillageExport", "SillageStore", "SillagePipeline",
                "SillageCLI", "CSQLite",
            ]
        ),
        (
            "SillageMetrics",
            [
                "SillageIngest", "SillageDisclosure", "SillageExport", "SillageStore", "SillagePipeline",
                "SillageCLI", "CSQLite",
            ]
        ),
        ("SillageDisclosure", ["SillageIngest", "SillageExport", "SillageStore", "SillagePipeline", "SillageCLI", "CSQLite"]),
        ("SillageExport", ["SillageIngest", "SillageStore", "SillagePipeline", "SillageCLI", "CSQLite"]),
        ("SillageReports", ["SillageIngest", "SillageStore", "SillagePipeline", "SillageCLI", "CSQLite"]),
        ("SillageStore", ["SillageIngest", "SillageExport", "SillagePipeline", "SillageCLI"]),
        ("SillagePipeline", ["SillageCLI"]),
    ]

    /// `target → direct dependencies` from the table of ARCHITECTURE.md.
    static func documentedGraph(_ markdown: String) -> [String: Set<String>] {
        var graph: [String: Set<String>] = [:]
        for line in markdown.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            let names = { (cell: String) in Set(cell.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }) }
            graph[names(cells[1]).first ?? ""] = names(cells[3])
        }
        return graph
    }

    /// `target → direct dependencies` of the package's library and executable targets.
    static func packageGraph(_ describeJSON: Data) throws -> [String: Set<String>] {
        let root = try #require(try JSONSerialization.jsonObject(with: describeJSON) as? [String: Any])
        let targets = try #require(root["targets"] as? [[String: Any]])
        var graph: [String: Set<String>] = [:]
        for t in targets where ["library", "executable"].contains(t["type"] as? String) {
            let name = try #require(t["name"] as? String)
            graph[name] = Set(t["target_dependencies"] as? [String] ?? [])
                .union(t["product_dependencies"] as? [String] ?? [])
        }
        return graph
    }

    /// The module an import line names, whatever its spelling: attributes (`@testable`,
    /// `@preconcurrency`, `@_spi(X)`, `@_implementationOnly`), an access level (`internal
    /// import`), a kind (`import struct M.T`), indentation inside `#if`, a trailing comment.
    static func importedModule(_ line: Substring) -> (module: String, attributes: [String])? {
        var words = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var attributes: [String] = []
        while let first = words.first, first.hasPrefix("@") || ["public", "package", "internal", "fileprivate", "private"].contains(first) {
            attributes.append(first)
            words.removeFirst()
        }
        guard words.first == "import", words.count >= 2 else { return nil }
        words.removeFirst()
        if ["struct", "class", "enum", "protocol", "typealias", "func", "var", "let"].contains(words[0]), words.count >= 2 { words.removeFirst() }
        return (String(words[0].split(separator: ".")[0]), attributes)
    }

    /// The modules each target's sources import, and the attributes used on those imports.
    static func importedModules(sourcesRoot: String) throws -> (modules: [String: Set<String>], attributes: [String: Set<String>]) {
        var imports: [String: Set<String>] = [:]
        var attributes: [String: Set<String>] = [:]
        let fm = FileManager.default
        for target in try fm.contentsOfDirectory(atPath: sourcesRoot) where target.hasPrefix("Sillage") {
            var modules = Set<String>(), used = Set<String>()
            let directory = sourcesRoot + "/" + target
            for file in fm.enumerator(atPath: directory)?.compactMap({ $0 as? String }) ?? [] where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    guard let (module, attrs) = importedModule(line), module.hasPrefix("Sillage") || module == "CSQLite" else { continue }
                    modules.insert(module)
                    used.formUnion(attrs)
                }
            }
            imports[target] = modules
            attributes[target] = used
        }
        return (imports, attributes)
    }

    static func closure(_ graph: [String: Set<String>]) -> [String: Set<String>] {
        var reach: [String: Set<String>] = [:]
        for start in graph.keys {
            var seen = Set<String>(), stack = Array(graph[start] ?? [])
            while let next = stack.popLast() {
                if seen.insert(next).inserted { stack += graph[next] ?? [] }
            }
            reach[start] = seen
        }
        return reach
    }

    /// Every way the package, its documentation and its sources disagree or break a rule.
    static func violations(
        package: [String: Set<String>], documented: [String: Set<String>],
        imports: [String: Set<String>]
    ) -> [String] {
        var found: [String] = []
        for target in Set(package.keys).union(documented.keys).sorted() where package[target] != documented[target] {
            found.append(
                "\(target): Package.swift uses \((package[target] ?? []).sorted()), ARCHITECTURE.md says \((documented[target] ?? []).sorted())")
        }
        let reach = closure(package)
        for (from, targets) in forbidden {
            for to in targets where reach[from]?.contains(to) == true {
                found.append("\(from) reaches \(to), an arrow that must never exist")
            }
        }
        for (target, modules) in imports.sorted(by: { $0.key < $1.key }) {
            for module in modules.sorted() where module != target && !(package[target] ?? []).contains(module) {
                found.append("\(target) imports \(module), which it does not declare")
            }
        }
        return found
    }

    static var swiftOnPath: Bool { TestSupport.findOnPath("swift") != nil }
}

@Test(.enabled(if: Architecture.swiftOnPath, "needs the swift toolchain on PATH for `swift package describe`"))
func thePackageGraphIsTheDocumentedOneAndHasNoForbiddenArrow() throws {
    // A scratch path of its own, inside .build: `swift test` holds the lock on .build itself.
    let scratch = TestSupport.packageRoot + "/.build/architecture-describe"
    let result = try TestSupport.run(
        "/usr/bin/env",
        [
            "swift", "package", "--package-path", TestSupport.packageRoot,
            "--scratch-path", scratch, "describe", "--type", "json",
        ])
    #expect(result.status == 0, "swift package describe failed: \(result.stderr)")
    let json = String(result.stdout.drop { $0 != "{" })
    let package = try Architecture.packageGraph(Data(json.utf8))
    let documented = Architecture.documentedGraph(try String(contentsOfFile: TestSupport.packageRoot + "/ARCHITECTURE.md", encoding: .utf8))
    let (imports, attributes) = try Architecture.importedModules(sourcesRoot: TestSupport.packageRoot + "/Sources")
    #expect(package.count == 10, "the nine layers and the CLI: \(package.keys.sorted())")
    // Library code never imports a layer for testing (internal access) nor hides an import.
    for (target, used) in attributes {
        #expect(used.isSubset(of: target == "SillageStore" ? ["@_spi(Store)"] : []), "\(target) imports with \(used.sorted())")
    }
    #expect(Set(imports.keys) == Set(package.keys))
    #expect(Architecture.violations(package: package, documented: documented, imports: imports) == [])
}

/// The checker itself, on graphs with the arrows it must refuse.
@Test(arguments: [
    ("SillageIngest", "SillageStore"), ("SillageStore", "SillageIngest"), ("SillageExport", "SillageIngest"),
    ("SillagePrivacy", "SillagePipeline"), ("SillageCore", "SillagePrivacy"), ("SillageMetrics", "SillageStore"),
])
func theCheckerRefusesAForbiddenArrowEvenWhenDocumented(from: String, to: String) {
    var graph: [String: Set<String>] = [
        "SillageCore": [], "SillagePrivacy": ["SillageCore"], "SillageIngest": ["SillagePrivacy"],
        "SillageMetrics": ["SillageCore"], "SillageExport": ["SillageMetrics"], "SillageStore": ["SillageMetrics"],
        "SillagePipeline": ["SillageIngest", "SillageStore", "SillageExport"],
    ]
    #expect(Architecture.violations(package: graph, documented: graph, imports: [:]) == [])
    graph[from, default: []].insert(to)
    let found = Architecture.violations(package: graph, documented: graph, imports: [:])
    #expect(found.contains("\(from) reaches \(to), an arrow that must never exist"))
}

@Test func theCheckerRefusesUndeclaredImportsAndAnUndocumentedArrow() {
    let package: [String: Set<String>] = ["SillageCore": [], "SillageIngest": ["SillageCore"], "SillagePipeline": ["SillageIngest"]]
    var documented = package
    #expect(Architecture.violations(package: package, documented: documented, imports: ["SillageIngest": ["SillageCore"]]) == [])
    #expect(
        Architecture.violations(package: package, documented: documented, imports: ["SillagePipeline": ["SillageCore"]])
            == ["SillagePipeline imports SillageCore, which it does not declare"])
    documented["SillagePipeline"] = ["SillageIngest", "SillageCore"]
    #expect(Architecture.violations(package: package, documented: documented, imports: [:]).count == 1)
    let parsed = Architecture.documentedGraph(
        "| target | holds | may use |\n|---|---|---|\n| `SillageIngest` | parsers | `SillageCore`, `SillagePrivacy` |\n")
    #expect(parsed == ["SillageIngest": ["SillageCore", "SillagePrivacy"]])
}

/// The store reads back the values it wrote through the privacy layer's `Store` SPI; no other
/// target may import it (in any spelling), or it could make a `Publishable` out of any text.
@Test func onlyTheStoreImportsTheStoreSPI() throws {
    let (_, attributes) = try Architecture.importedModules(sourcesRoot: TestSupport.packageRoot + "/Sources")
    let importers = Set(attributes.filter { $0.value.contains { $0.hasPrefix("@_spi") } }.keys)
    #expect(importers == ["SillageStore"])
}

@Test(
    arguments: [
        ("import SillageStore", "SillageStore", []), ("  internal import SillageStore // why", "SillageStore", ["internal"]),
        ("@preconcurrency @_spi(Store) public import SillagePrivacy", "SillagePrivacy", ["@preconcurrency", "@_spi(Store)", "public"]),
        ("import struct SillageStore.Store", "SillageStore", []), ("\t@testable import SillageCore", "SillageCore", ["@testable"]),
    ] as [(String, String, [String])])
func theImportReaderSeesEverySpelling(line: String, module: String, attributes: [String]) {
    let read = Architecture.importedModule(Substring(line))
    #expect(read?.module == module && read?.attributes == attributes)
    #expect(Architecture.importedModule("let imported = 1") == nil)
}
