#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import SillageMetrics
import SillagePipeline

/// Shows the run's decompressed bytes read (all files together), rate and time left on
/// standard error, redrawn at most 5 times a second.
///
/// Only for terminals: the CLI creates it when standard error is a TTY, so cron mails and
/// redirected logs stay clean.
public final class TerminalProgress: ProgressSink {
    private var lastDraw = Date.distantPast
    private var runStart: Date? = nil
    private var drewSomething = false

    public init() {}

    public static var isTerminal: Bool { isatty(2) != 0 }

    public func update(file: String, bytesDone: Int64, bytesTotal: Int64?) {
        let now = Date()
        let start = runStart ?? now
        runStart = start
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(bytesDone) / 1_000_000 / elapsed
        var text = "\r\u{1B}[K\(shortName(file))  \(Cell.formatDecimal(Double(bytesDone) / 1_000_000, digits: 1)) MB"
        if let total = bytesTotal, total > 0 {
            let fraction = min(1, Double(bytesDone) / Double(total))
            text += " / \(Cell.formatDecimal(Double(total) / 1_000_000, digits: 1)) MB (\(Int(fraction * 100))%)"
            if rate > 0 {
                let left = Double(max(0, total - bytesDone)) / 1_000_000 / rate
                text += "  ETA \(Int(left.rounded()))s"
            }
        }
        text += "  \(Cell.formatDecimal(rate, digits: 1)) MB/s"
        FileHandle.standardError.write(Data(text.utf8))
        drewSomething = true
    }

    public func finishFile() {
        if drewSomething {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            drewSomething = false
        }
        lastDraw = .distantPast
    }

    public func phase(_ description: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[K\(description)…".utf8))
        drewSomething = true
    }

    /// Clears the last line drawn, before the summary is printed.
    public func clear() {
        finishFile()
    }

    private func shortName(_ path: String) -> String {
        path.count <= 40 ? path : "…" + path.suffix(39)
    }
}
