/// A course's or activity's name and place, from a catalogue table.
public struct CatalogueEntry: Sendable, Equatable {
    public var course: String
    public var name: String
    public var position: Int?

    package init(course: String, name: String, position: Int?) {
        self.course = course
        self.name = name
        self.position = position
    }
}
