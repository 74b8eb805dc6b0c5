import SillageCore

/// The run's inputs, resolved before the store is opened so that a typo fails fast: each
/// input's files in reading order, and the streams they feed.
public struct InputPlan: Sendable {
    /// Per input of the pipeline, its files (globs expanded, rotated generations oldest first).
    public var files: [[String]]
    /// Stream names in order of first use; an event records its stream's index.
    public var streams: [String]

    public static func make(_ pipeline: PipelineDefinition) throws(SillageError) -> InputPlan {
        var streams: [String] = []
        for input in pipeline.inputs where !streams.contains(input.stream) { streams.append(input.stream) }
        guard streams.count <= Int(UInt8.max) else {
            throw SillageError.configuration("a pipeline names at most \(UInt8.max) streams, this one \(streams.count)")
        }
        var files: [[String]] = []
        for input in pipeline.inputs { files.append(try self.files(of: input)) }
        return InputPlan(files: files, streams: streams)
    }

    /// The files an input's paths name; an error names the input's JSON path and the pattern.
    public static func files(of input: InputDefinition) throws(SillageError) -> [String] {
        var files: [String] = []
        for pattern in input.paths {
            do throws(SillageError) {
                files += try InputFiles.expand(pattern)
            } catch {
                throw SillageError(error.kind, error.message, at: "\(input.location).paths: \(pattern)", hint: error.hint)
            }
        }
        return files
    }

    /// The index events of `stream` record.
    public func streamIndex(_ stream: String) -> UInt8 {
        UInt8(streams.firstIndex(of: stream) ?? 0)
    }

    /// Every file of every input, in reading order.
    public var allFiles: [String] { Array(files.joined()) }
}
