import Testing
@testable import SillageCore

@Test(arguments: [
    ("10/Oct/2000:13:55:36 -0700", Int64(971_211_336_000)),
    ("29/Mar/2026:01:59:59 +0100", Int64(1_774_745_999_000)),
    ("29/Mar/2026:03:00:00 +0200", Int64(1_774_746_000_000)),
    ("25/Oct/2026:02:30:00 +0200", Int64(1_792_888_200_000)),
    ("25/Oct/2026:02:30:00 +0100", Int64(1_792_891_800_000)),
])
func commonLogTimestampsBecomeUTC(text: String, millis: Int64) {
    let parsed = Array(text.utf8).withUnsafeBytes { Timestamps.clf($0) }
    #expect(parsed == millis)
}

@Test(arguments: [
    "32/Oct/2000:13:55:36 -0700", "10/Foo/2000:13:55:36 -0700", "10/Oct/2000:25:55:36 -0700",
    "10/Oct/2000:13:55:36", "29/Feb/2025:10:00:00 +0000", "",
])
func invalidCommonLogTimestampsAreRefused(text: String) {
    #expect(Array(text.utf8).withUnsafeBytes { Timestamps.clf($0) } == nil)
}

@Test(arguments: [
    ("2026-03-29T03:00:00+02:00", Int64(1_774_746_000_000), true),
    ("2026-03-29T01:00:00.250Z", Int64(1_774_746_000_250), true),
    ("2026-03-29 01:00:00", Int64(1_774_746_000_000), false),
])
func isoTimestamps(text: String, millis: Int64, hasOffset: Bool) throws {
    let parsed = try #require(Array(text.utf8).withUnsafeBytes { Timestamps.iso8601($0) })
    #expect(parsed.millis == millis)
    #expect(parsed.hasOffset == hasOffset)
}

@Test func civilDaysRoundTrip() {
    for day in stride(from: -800_000, through: 800_000, by: 997) {
        let (y, m, d) = CivilTime.date(days: day)
        #expect(CivilTime.days(year: y, month: m, day: d) == day)
    }
    #expect(CivilTime.isoDate(days: 0) == "1970-01-01")
    #expect(CivilTime.parseISODate("2024-02-29") == CivilTime.days(year: 2024, month: 2, day: 29))
    #expect(CivilTime.parseISODate("2025-02-29") == nil)
}

@Test func parisLocalDaysFollowDaylightSavingTime() throws {
    let paris = try ZoneRules(identifier: "Europe/Paris")
    // 2026-03-28T23:30:00Z is 00:30 on the 29th in Paris (UTC+1).
    #expect(paris.localDay(utcMillis: 1_774_740_600_000) == Int32(CivilTime.days(year: 2026, month: 3, day: 29)))
    // 2026-06-30T22:30:00Z is 00:30 on 1 July in Paris (UTC+2).
    #expect(paris.localDay(utcMillis: 1_782_858_600_000) == Int32(CivilTime.days(year: 2026, month: 7, day: 1)))
    #expect(paris.offset(atUTCSeconds: 1_774_745_999) == 3600)
    #expect(paris.offset(atUTCSeconds: 1_774_746_000) == 7200)
    // Local 02:30 on 25 Oct 2026 happens twice; the earlier (summer-time) instant is chosen.
    let local = Int64(CivilTime.days(year: 2026, month: 10, day: 25)) * 86400 + 2 * 3600 + 1800
    #expect(paris.utcSeconds(fromLocalSeconds: local) == 1_792_888_200)
    #expect(throws: SillageError.self) { try ZoneRules(identifier: "Mars/Olympus") }
}
