import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageDisclosure

// Cell-key perturbation's parts (SPEC §8): the perturbation table and the record and cell keys.

@Test(arguments: [(2, 1.0), (3, 2.0), (2, 1.5), (5, 3.0)])
func everyRowOfThePerturbationTableIsUnbiasedAndBounded(maxDeviation: Int, variance: Double) throws {
    let table = try PerturbationTable(maxDeviation: maxDeviation, variance: variance)
    #expect(table.probabilities(for: 0).map(\.deviation) == [0], "zero stays zero")
    for value in 1...(maxDeviation + 4) {
        let row = table.probabilities(for: value)
        let total = row.reduce(0) { $0 + $1.probability }
        let mean = row.reduce(0) { $0 + Double($1.deviation) * $1.probability }
        let meanSquare = row.reduce(0) { $0 + Double($1.deviation * $1.deviation) * $1.probability }
        #expect(abs(total - 1) < 1e-9)
        #expect(abs(mean) < 1e-6, "value \(value): mean \(mean)")
        #expect(abs(meanSquare - variance) < 1e-6, "value \(value): variance \(meanSquare)")
        #expect(row.allSatisfy { abs($0.deviation) <= maxDeviation && value + $0.deviation >= 0 && $0.probability > 0 })
    }
}

/// Over uniformly spread cell keys the published values follow the table: an independent
/// count of each deviation over 2¹⁸ keys agrees with its probability.
@Test func publishedValuesFollowTheTable() {
    let table = PerturbationTable.standard
    for value in [1, 2, 5] {
        var counts: [Int: Int] = [:]
        let n = 1 << 18
        for i in 0..<n {
            let key = UInt32(truncatingIfNeeded: UInt64(i) &* 0x9E37_79B9_7F4A_7C15 >> 32)
            counts[table.perturb(value, cellKey: key) - value, default: 0] += 1
        }
        for (deviation, p) in table.probabilities(for: value) {
            let observed = Double(counts[deviation] ?? 0) / Double(n)
            #expect(abs(observed - p) < 0.005, "value \(value), deviation \(deviation): \(observed) vs \(p)")
        }
    }
}

@Test(arguments: [(0, 1.0), (11, 1.0), (2, 0.0), (2, 2.0), (2, -1.0)])
func impossiblePerturbationsAreRefused(maxDeviation: Int, variance: Double) {
    #expect(throws: SillageError.self) { try PerturbationTable(maxDeviation: maxDeviation, variance: variance) }
}

/// The same people give the same cell key in any order; one person more gives another.
@Test func cellKeysDependOnTheContributorsOnly() throws {
    let keys = CellKeys(master: try TestSupport.testKey)
    let people = (0..<12).map { ActorKey(high: 7, low: UInt64($0)) }
    let recordKeys = people.map(keys.recordKey)
    #expect(Set(recordKeys).count == 12)
    #expect(CellKeys.cellKey(recordKeys) == CellKeys.cellKey(recordKeys.reversed()))
    let oneMore = CellKeys.cellKey(recordKeys + [keys.recordKey(ActorKey(high: 7, low: 99))])
    #expect(oneMore != CellKeys.cellKey(recordKeys))
    // Another master key, other record keys: nobody without the key can compute them.
    let other = CellKeys(master: try MasterKey(bytes: TestSupport.keyBytes(9)))
    #expect(other.recordKey(people[0]) != keys.recordKey(people[0]))
}

/// Differencing, as a research partner would try it on two releases one learner apart: with
/// exact counts the difference is always that learner; perturbed, it is 1 in a minority of
/// cohorts only, and the same cohort always publishes the same value.
@Test func differencingTwoReleasesOneLearnerApartGivesNoise() throws {
    let keys = CellKeys(master: try TestSupport.testKey)
    let table = PerturbationTable.standard
    var differenceIsOne = 0
    let cohorts = 1000
    for c in 0..<cohorts {
        let people = (0..<20).map { keys.recordKey(ActorKey(high: UInt64(c), low: UInt64($0))) }
        let lone = keys.recordKey(ActorKey(high: UInt64(c), low: 999))
        let before = table.perturb(20, cellKey: CellKeys.cellKey(people))
        let after = table.perturb(21, cellKey: CellKeys.cellKey(people + [lone]))
        #expect(before == table.perturb(20, cellKey: CellKeys.cellKey(people.reversed())), "same people, same value")
        if after - before == 1 { differenceIsOne += 1 }
    }
    // Unperturbed, all 1,000 differences are 1. With D = 2, V = 1 the difference of two
    // independent draws is 1 with probability Σ p(d)·p(d) over d, about 0.3.
    #expect(differenceIsOne < cohorts / 2, "\(differenceIsOne) of \(cohorts) differences gave the learner away")
}
