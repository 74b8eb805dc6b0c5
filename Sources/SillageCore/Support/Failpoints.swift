#if canImport(Glibc)
    import Glibc
#endif

/// Failures injected on purpose, to test that a full disk never leaves a half-written store
/// or export. Set `SILLAGE_FAILPOINT` to a comma-separated list:
///
/// - `store-full`: the store refuses to grow (SQLite `max_page_count`), as on a full disk;
/// - `export-enospc`: writing an export file fails with ENOSPC.
///
/// Read once per process; unset in normal use.
public enum Failpoints {
    public static let active: Set<String> = {
        guard let value = getenv("SILLAGE_FAILPOINT") else { return [] }
        return Set(String(cString: value).split(separator: ",").map(String.init))
    }()

    public static func isOn(_ name: String) -> Bool { active.contains(name) }
}
