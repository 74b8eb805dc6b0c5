import Testing
@testable import SillageCore
@testable import SillageMetrics

private let alice = ActorKey(high: 1, low: 1)
private let bob = ActorKey(high: 2, low: 2)

private func event(_ actor: ActorKey, _ seconds: Int64, kind: EventKind = .pageView, day: Int32 = 0, stream: UInt8 = 0) -> Event {
    Event(time: seconds * 1000, actor: actor, day: day, stream: stream, kind: kind)
}

@Test(arguments: [
    ([0, 1800], 1),  // exactly 30 minutes apart: still one session
    ([0, 1801], 2),  // one second more: two sessions
    ([0, 600, 1200, 3000], 1),
    ([0, 600, 3000, 3100], 2),
    ([3000, 0, 1200, 600], 1),  // out of line order, ordered by time
    ([0], 1),
])
func sessionsSplitOnGapsOverTheLimit(times: [Int64], sessions: Int) {
    let result = Sessioniser(inactivityMinutes: 30).sessionise(times.map { event(alice, $0) })
    #expect(result.sessions.count == sessions)
    #expect(result.sessions.reduce(0) { $0 + Int($1.events) } == times.count)
}

@Test func durationPagesAndBouncesFollowTheSpec() {
    let events = [event(alice, 100), event(alice, 160, kind: .other), event(alice, 400), event(bob, 50), event(alice, 9000)]
    let result = Sessioniser(inactivityMinutes: 30).sessionise(events)
    #expect(result.sessions.count == 3)
    let first = result.sessions[0]
    #expect(first.actor == alice && first.durationSeconds == 300 && first.events == 3 && first.pages == 2 && !first.isBounce)
    #expect(result.sessions[1].actor == alice && result.sessions[1].isBounce && result.sessions[1].durationSeconds == 0)
    #expect(result.sessions[2].actor == bob && result.sessions[2].isBounce)
}

@Test func aSessionBelongsToItsStartDayAndActorDaysCountEachDay() {
    let events = [event(alice, 86_000, day: 0), event(alice, 86_500, day: 1), event(alice, 87_000, day: 1)]
    let result = Sessioniser(inactivityMinutes: 30).sessionise(events)
    #expect(result.sessions.count == 1)
    #expect(result.sessions[0].day == 0)
    #expect(result.days.map(\.day) == [0, 1])
    #expect(result.days.map(\.events) == [1, 2])
}

@Test func streamsAreSessionisedApart() {
    let result = Sessioniser(inactivityMinutes: 30).sessionise([event(alice, 0, stream: 0), event(alice, 10, stream: 1)])
    #expect(result.sessions.count == 2)
}

@Test func partitionedSessionisationEqualsTheSingleThreadedOne() async {
    var events: [Event] = []
    var seed: UInt64 = 12345
    func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
    for _ in 0..<150_000 {
        let actor = ActorKey(high: next() % 500, low: next() % 500)
        events.append(event(actor, Int64(next() % 200_000), day: 0))
    }
    let single = Sessioniser(inactivityMinutes: 30).sessionise(events)
    let parallel = await Sessioniser(inactivityMinutes: 30).run(events, streams: [], partitions: 3)
    let serial = await Sessioniser(inactivityMinutes: 30).run(events, streams: [], partitions: 1)
    #expect(parallel.facts == serial.facts)
    #expect(parallel.sessions == single.sessions)
    #expect(parallel.days == single.days)
}
