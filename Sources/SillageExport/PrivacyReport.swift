import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageDisclosure

/// Builds `privacy-report.json`: the rules applied to this export and what they withheld.
public enum PrivacyReport {
    public static func json(
        export: ExportDefinition, reports: [SuppressionReport], cellsScanned: Int,
        visitorScopes: [String], noise: [NoiseReport] = [], budget: BudgetPosition? = nil,
        microdata: MicrodataReport? = nil
    ) -> JSONValue {
        .object([
            ("export", .string(export.name)),
            ("recipient", .string(export.recipient)),
            ("period", .string(export.period.directoryName)),
            ("minCount", .int(Int64(export.minCount))),
            ("suppressionRule", .string("a row whose measures come from 1 to \(export.minCount - 1) distinct actors has all its measures emptied")),
            (
                "rounding",
                export.roundTo > 1
                    ? .object([
                        ("base", .int(Int64(export.roundTo))),
                        ("applies", .string("integer measures (counts), after suppression; halves round up")),
                    ]) : .null
            ),
            (
                "perturbation",
                export.perturbation.map { t in
                    .object([
                        ("method", .string("cell-key")), ("maxDeviation", .int(Int64(t.maxDeviation))), ("variance", .double(t.variance)),
                        (
                            "applies",
                            .string(
                                "every count of a table without differential privacy, before suppression; the same people give the same published value in every table and release"
                            )
                        ),
                    ])
                } ?? .string("none: exact counts, which two releases can be differenced to recover one person")
            ),
            (
                "dominanceRule",
                .string(
                    "a row in which one actor holds more than \(Cell.formatDecimal(export.dominance * 100, digits: 1)) % of a sum (sessions, page views, views, failed searches; durations follow their sessions) has all its measures emptied"
                )
            ),
            ("dominanceMaxShare", .double(export.dominance)),
            (
                "complementarySuppression",
                .string(
                    "per stream, the sessions of daily_activity and of session_lengths add up to the same total: a lone withheld cell among them is never left, the smallest published one is withheld with it"
                )
            ),
            ("differentialPrivacy", differentialPrivacy(noise, budget)),
            ("microdata", microdata.map(microdataJSON) ?? .null),
            (
                "pseudonymisation",
                .object([
                    ("method", .string("HMAC-SHA256(key, namespace || 0x00 || identifier), truncated to 128 bits")),
                    ("webVisitorScope", .array(visitorScopes.map { .string($0) })),
                    ("identifiersPublished", .bool(false)),
                    (
                        "recipientPseudonyms",
                        microdata == nil
                            ? .null
                            : .string(
                                "sessions.csv.gz: HMAC-SHA256(K, internal pseudonym) truncated to 128 bits, K = HMAC-SHA256(derived master key, recipient || 0x00 || period): not linkable across recipients or periods"
                            )
                    ),
                ])
            ),
            (
                "piiGuard",
                .object([
                    ("cellsScanned", .int(Int64(cellsScanned))),
                    ("findings", .int(0)),
                    (
                        "checks",
                        .array(
                            [
                                "e-mail (also encoded or obfuscated)", "IPv4", "IPv6", "French and international phone numbers",
                                "names met in any run (keyed hashes in the store)",
                            ].map { .string($0) })
                    ),
                ])
            ),
            (
                "tables",
                .array(
                    reports.map { r in
                        // A noisy table's exact counters (rows built, rows withheld…) would undo
                        // its noise: a reader compares them across releases.
                        guard !noise.contains(where: { $0.table == r.table }) else {
                            return .object([
                                ("name", .string(r.table)),
                                ("counters", .string("withheld: exact counts of a differentially private table would undo its noise")),
                            ])
                        }
                        return .object([
                            ("name", .string(r.table)),
                            ("rows", .int(Int64(r.rows))),
                            ("rowsSuppressed", .int(Int64(r.rowsSuppressed))),
                            ("rowsBelowVocabulary", .int(Int64(r.rowsBelowVocabulary))),
                            ("cellsPerturbed", .int(Int64(r.cellsPerturbed))),
                            ("rowsDominated", .int(Int64(r.rowsDominated))),
                            ("rowsComplementary", .int(Int64(r.rowsComplementary))),
                            ("cellsRounded", .int(Int64(r.cellsRounded))),
                            ("cellsSuppressed", .int(Int64(r.cellsSuppressed))),
                        ])
                    })
            ),
        ])
    }

    static func rounded(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }

    static func differentialPrivacy(_ noise: [NoiseReport], _ budget: BudgetPosition?) -> JSONValue {
        guard let budget, !noise.isEmpty else {
            return .object([("enabled", .bool(false)), ("epsilonSpent", .int(0)), ("epsilonLeft", .null)])
        }
        return .object([
            ("enabled", .bool(true)),
            (
                "mechanism",
                .string(
                    "two-sided geometric noise on counts, scale sensitivity/epsilon, one draw per cell keyed by the release; negative results published as 0; partition selection: a row is published only when its noisy counts of people reach partitionThreshold, so a row one person alone is behind appears with probability at most delta"
                )
            ),
            ("epsilonThisExport", rounded(budget.exportEpsilon)),
            ("epsilonBudget", rounded(budget.budget)),
            ("epsilonSpent", rounded(budget.spentThrough)),
            ("epsilonLeft", rounded(budget.left)),
            ("budgetScope", .string("the recipient (by its stable id), across all exports and runs; spent and left as of this export's releases")),
            ("storeEpsilonBudget", rounded(budget.storeBudget)),
            ("storeEpsilonSpent", rounded(budget.storeSpentThrough)),
            ("storeBudgetScope", .string("every recipient of this store together, since colluding recipients add up their epsilon")),

            (
                "tables",
                .array(
                    noise.map { n in
                        .object([
                            ("name", .string(n.table)),
                            ("epsilon", rounded(n.epsilon)),
                            ("maxRowsPerActor", .int(Int64(n.maxRowsPerActor))),
                            ("maxPerCell", .int(Int64(n.maxPerCell))),
                            ("sensitivity", .int(Int64(n.sensitivity))),
                            ("noiseVariance", rounded(n.noiseVariance)),
                            ("noiseStandardDeviation", rounded(n.noiseVariance.squareRoot())),
                            ("delta", .double(n.delta)),
                            ("partitionThreshold", .int(n.threshold)),
                            ("release", .string(n.release)),
                        ])
                    })
            ),
        ])
    }

    static func microdataJSON(_ m: MicrodataReport) -> JSONValue {
        let o = m.outcome
        var members: [(String, JSONValue)] = [
            ("file", .string("\(SessionMicrodata.name).csv.gz")),
            ("records", .int(Int64(m.records))),
            ("recordsPublished", .int(Int64(m.records - m.recordsSuppressed))),
            ("recordsSuppressed", .int(Int64(m.recordsSuppressed))),
            ("maxSuppression", .double(m.maxSuppression)),
            ("kRequired", .int(Int64(m.k))),
            ("kAchieved", o.smallestGroup.map { .int(Int64($0)) } ?? .null),
            ("kAchievedLearners", o.smallestGroupPeople.map { .int(Int64($0)) } ?? .null),
            ("sensitiveAttribute", m.sensitive.map { .string($0.rawValue) } ?? .null),
            ("lDiversity", o.lDiversity.map { .int(Int64($0)) } ?? .null),
            ("groups", .int(Int64(o.groups))),
        ]
        members += [
            (
                "quasiIdentifiers",
                .array(
                    m.quasiIdentifiers.map { q in
                        .object([
                            ("column", .string(q.attribute.rawValue)), ("level", .int(Int64(q.level))),
                            ("published", .string(SessionMicrodata.levels(q.attribute)[q.level])),
                        ])
                    })
            ),
            (
                "prosecutorRisk",
                .object([
                    ("definition", .string("1 / distinct learners in the record's group")),
                    ("maximum", rounded(o.maxRisk)),
                    ("average", rounded(o.averageRisk)),
                ])
            ),
            ("feasible", .bool(o.feasible)),
            ("linkable", .bool(m.linkable)),
            ("m", m.m.map { .int(Int64($0)) } ?? .null),
            ("singleOutRate", singleOut(m)),
        ]
        return .object(members)
    }

    static func singleOut(_ m: MicrodataReport) -> JSONValue {
        let definition =
            "share of published learners that a reader who knows n of their sessions finds alone among the published rows (linked by the learner column when there is one)"
        var members: [(String, JSONValue)] = [("definition", .string(definition))]
        for (n, rate) in m.singleOutRates.enumerated() { members.append(("knowing\(n + 1)", rounded(rate))) }
        return .object(members)
    }
}
