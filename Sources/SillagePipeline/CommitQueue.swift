import SillageCore
import SillageStore

/// Commits batches on a task of their own, so that the next batch is parsed meanwhile.
///
/// At most one commit is in flight, and batches are committed in the order they were
/// submitted, each in its own transaction: a run killed at any point leaves the store as
/// after some prefix of its batches, exactly as with commits made inline.
final class CommitQueue {
    /// The store, handed to one commit task at a time; `wait()` is called before any other
    /// use of the store, so it is never used from two tasks at once.
    private struct Handle: @unchecked Sendable { let store: Store }
    private let handle: Handle
    private let run: Int64
    private var inFlight: Task<Void, any Error>? = nil

    init(store: Store, run: Int64) {
        handle = Handle(store: store)
        self.run = run
    }

    /// Waits for the commit in flight, if any, and rethrows its failure.
    func wait() async throws(SillageError) {
        guard let task = inFlight else { return }
        inFlight = nil
        do {
            try await task.value
        } catch let error as SillageError {
            throw error
        } catch {
            throw SillageError.runtime("commit failed: \(error)")
        }
    }

    /// Starts committing `batch` once the previous commit has finished.
    ///
    /// A batch of a new input names no ledger id: the commit finds the row its input's
    /// earlier batches created by fingerprint.
    func submit(_ batch: Store.Batch) async throws(SillageError) {
        try await wait()
        let handle = self.handle, run = self.run
        inFlight = Task.detached { try handle.store.commit(batch, run: run) }
    }
}
