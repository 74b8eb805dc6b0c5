import SillagePrivacy

/// A course's or activity's name and place, from a catalogue table.
public struct CatalogueEntry: Sendable, Equatable {
    public var course: Publishable
    public var name: Publishable
    public var position: Int?

    package init(course: Publishable, name: Publishable, position: Int?) {
        self.course = course
        self.name = name
        self.position = position
    }
}
