import SillageCore
import SillagePrivacy

/// `failed_searches`: search terms that found nothing, for the teams who write the content.
///
/// A term is published only when at least `minCount` distinct learners searched it without
/// result during the period; other terms are left out entirely (the term itself could tell
/// who searched). Terms are scrubbed at the parser: lower-cased, spaces folded, at most 64
/// bytes, anything that looks like an e-mail, phone number or token replaced.
public enum FailedSearches {
    public static let name = "failed_searches"

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Failed searches",
            description:
                "Search terms that returned no result, with the learners who searched them; terms searched by fewer than minCount learners are not listed.",
            columns: [
                Column("term", .string, "Scrubbed search term."),
                Column("searchers", .integer, "Distinct learners who searched the term without result.", role: .people),
                Column("failed_searches", .integer, "Searches of the term that returned no result.", role: .count),
            ],
            primaryKey: ["term"])
        table.omitSuppressedRows = true
        var searchers: [Publishable: Set<ActorKey>] = [:]
        var failed: [Publishable: Int] = [:]
        var failedBy: [Publishable: Contributions] = [:]
        for (k, c) in input.facts.searches where c.failed > 0 && input.covers(day: k.day) {
            searchers[k.term, default: []].insert(k.actor)
            failed[k.term, default: 0] += c.failed
            failedBy[k.term, default: Contributions()].add(k.actor, Int64(c.failed))
        }
        for term in searchers.keys.sorted() {
            let n = searchers[term]!.count
            table.append(
                [.value(term), .integer(Int64(n)), .integer(Int64(failed[term]!))], actors: n,
                topShare: failedBy[term]?.topShare ?? 0,
                contributions: input.recordContributions
                    ? {
                        var parts = RowContributions()
                        parts.people("searchers", searchers[term]!)
                        parts.sum("failed_searches", failedBy[term] ?? Contributions())
                        return parts
                    }() : nil)
        }
        return table
    }
}
