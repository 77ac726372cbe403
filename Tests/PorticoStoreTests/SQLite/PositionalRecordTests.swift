import GRDB
import PorticoCore
import Testing

@testable import PorticoStore

/// Records decoded by position must be selected in that order everywhere,
/// the query interface included (`PositionalRecord.databaseSelection`).
struct PositionalRecordTests {
    @Test func theQueryInterfaceSelectsTheRecordsColumnsInOrder() throws {
        for (selection, columns) in [
            (CustomerRecord.databaseSelection, CustomerRecord.columns),
            (EventRecord.databaseSelection, EventRecord.columns),
        ] {
            let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(selection.compactMap { ($0 as? Column)?.name } == names)
        }
    }
}
