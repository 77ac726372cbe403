import Foundation
import Logging

/// Structured logs: one JSON object per line on stderr (stdout stays free for
/// the sandbox's machine-readable line).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: String] = [
            "time": ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds]),
            "level": event.level.rawValue,
            "message": event.message.description,
            "logger": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where key != "hb.request.id" {
            object[key] = "\(value)"
        }
        guard var line = try? JSONCoding.encoder.encode(object) else { return }
        line.append(0x0A)
        // The throwing write: a closed stderr (a supervisor's log pipe gone) loses the line,
        // where `write(_:)` would crash the server on its next log line.
        try? FileHandle.standardError.write(contentsOf: line)
    }
}
