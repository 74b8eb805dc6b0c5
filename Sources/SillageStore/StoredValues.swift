@_spi(Store) import SillagePrivacy

/// Gated values in and out of SQLite: the store writes a `Publishable`'s text and reads it
/// back as one (`PublishableGate.stored`), so facts and catalogue entries hold admitted
/// values whether they were just parsed or read from the store.
extension SQLiteStatement {
    func bindText(_ index: Int32, _ value: Publishable) { bindText(index, value.text) }

    /// Column `index` read back as the admitted value it was written from.
    func value(_ index: Int32) -> Publishable { PublishableGate.stored(text(index)) }
}
