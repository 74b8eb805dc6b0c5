import SillageCore

/// A row of a reference table that is not an event: a catalogue entry or a membership.
public enum ReferenceRow: Sendable, Equatable {
    /// A course or activity key with its display name; `position` orders a course's activities.
    case catalogue(key: Publishable, course: Publishable, name: Publishable, position: Int?)
    /// A learner's organisation.
    case membership(actor: ActorKey, organisation: Publishable)
}
