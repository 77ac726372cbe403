import GRDB
import Logging
import PostgresNIO

/// A column of the target, as the catalog describes it.
struct TargetColumn: Sendable {
    var name: String
    /// `format_type`'s spelling (`bigint`, `text`, `boolean`, `bytea`…), also the cast each placeholder gets.
    var type: String
    var isIdentity: Bool

    /// A SQLite value as this column's type; what SQLite's loose typing allows and the column cannot hold stops the copy.
    func cell(_ value: DatabaseValue, table: String) throws -> Cell {
        func refuse() -> SQLiteImport.Failure {
            .unconvertible(table: table, column: name, type: type, value: String(describing: value).prefix(40).description)
        }
        switch (value.storage, type) {
        case (.null, _): return .null
        case (.int64(let number), "bigint"), (.int64(let number), "integer"), (.int64(let number), "smallint"): return .integer(number)
        case (.double(let number), "bigint"), (.double(let number), "integer"), (.double(let number), "smallint"):
            guard let exact = Int64(exactly: number) else { throw refuse() }
            return .integer(exact)
        case (.string(let text), "bigint"), (.string(let text), "integer"), (.string(let text), "smallint"):
            guard let exact = Int64(text) else { throw refuse() }
            return .integer(exact)
        case (.int64(let number), "boolean"): return .boolean(number != 0)
        case (.int64(let number), "double precision"), (.int64(let number), "real"): return .double(Double(number))
        case (.double(let number), "double precision"), (.double(let number), "real"): return .double(number)
        case (.string(let text), "text"): return .text(text)
        case (.int64(let number), "text"): return .text(String(number))
        case (.double(let number), "text"): return .text(String(number))
        case (.blob(let data), "text"):
            guard let text = String(data: data, encoding: .utf8) else { throw refuse() }
            return .text(text)
        case (.blob(let data), "bytea"): return .bytes([UInt8](data))
        case (.string(let text), "bytea"): return .bytes(Array(text.utf8))
        default: throw refuse()
        }
    }

    func bind(_ cell: Cell, to bindings: inout PostgresBindings) {
        switch cell {
        case .null: bindings.appendNull()
        case .integer(let value): bindings.append(value)
        case .boolean(let value): bindings.append(value)
        case .double(let value): bindings.append(value)
        case .text(let value): bindings.append(value)
        case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
        }
    }

    /// A value read back from PostgreSQL, for the verification digest.
    func cell(_ value: PostgresCell) throws -> Cell {
        switch type {
        case "bigint": return try value.decode(Int64?.self).map(Cell.integer) ?? .null
        case "integer": return try value.decode(Int32?.self).map { .integer(Int64($0)) } ?? .null
        case "smallint": return try value.decode(Int16?.self).map { .integer(Int64($0)) } ?? .null
        case "boolean": return try value.decode(Bool?.self).map(Cell.boolean) ?? .null
        case "double precision", "real": return try value.decode(Double?.self).map(Cell.double) ?? .null
        case "bytea": return try value.decode(ByteBuffer?.self).map { .bytes(Array($0.readableBytesView)) } ?? .null
        default: return try value.decode(String?.self).map(Cell.text) ?? .null
        }
    }
}

/// A table of the target with what the copy needs to know of it.
struct TargetTable: Sendable {
    var name: String
    var columns: [TargetColumn]
    var primaryKey: [String]
    /// Columns referencing this same table (`api_keys.rolled_to_id`): copied as NULL, then set.
    var selfReferences: Set<String>

    var primaryKeyIndices: [Int] { primaryKey.map { key in columns.firstIndex { $0.name == key }! } }

    /// Sets the self-references held back while copying, by primary key: `values` holds every
    /// self-reference column's value in column order (those still NULL are left so).
    func setSelfReferences(_ updates: [(key: [Cell], values: [Cell])], _ connection: PostgresConnection, logger: Logger) async throws {
        let referencing = columns.filter { selfReferences.contains($0.name) }
        let keys = primaryKeyIndices.map { columns[$0] }
        for update in updates {
            var bindings = PostgresBindings()
            var assignments: [String] = []
            for (column, value) in zip(referencing, update.values) where value != .null {
                column.bind(value, to: &bindings)
                assignments.append("\(column.name) = $\(bindings.count)::\(column.type)")
            }
            var conditions: [String] = []
            for (column, value) in zip(keys, update.key) {
                column.bind(value, to: &bindings)
                conditions.append("\(column.name) = $\(bindings.count)::\(column.type)")
            }
            let sql = "UPDATE \(name) SET \(assignments.joined(separator: ", ")) WHERE \(conditions.joined(separator: " AND "))"
            try await connection.run(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        }
    }

    /// Moves identity sequences past the copied ids, so the next insert does not collide.
    func restartIdentities(_ connection: PostgresConnection, logger: Logger) async throws {
        for column in columns where column.isIdentity {
            try await connection.rows(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT setval(pg_get_serial_sequence('\(name)', '\(column.name)'), COALESCE(max(\(column.name)), 0) + 1, false) FROM \(name)"
                ),
                logger: logger
            )
        }
    }

    /// The table's count and digest as PostgreSQL holds it.
    func digest(_ connection: PostgresConnection, logger: Logger) async throws -> SQLiteImport.TableResult {
        var result = SQLiteImport.TableResult(table: name, rows: 0, checksum: 0)
        let rows = try await connection.rows(
            PostgresQuery(unsafeSQL: "SELECT \(columns.map(\.name).joined(separator: ", ")) FROM \(name)"),
            logger: logger
        )
        for try await row in rows {
            var cells: [Cell] = []
            cells.reserveCapacity(columns.count)
            for (column, value) in zip(columns, row) { cells.append(try column.cell(value)) }
            result.add(cells)
        }
        return result
    }
}

/// The target's tables after its migrations, parents before the tables that reference them.
enum TargetCatalog {
    static func load(_ connection: PostgresConnection, logger: Logger) async throws -> [TargetTable] {
        var columns: [String: [TargetColumn]] = [:]
        let columnRows = try await connection.rows(
            """
            SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attidentity <> ''
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'portico_migrations'
            ORDER BY c.relname, a.attnum
            """,
            logger: logger
        )
        for try await (table, column, type, identity) in columnRows.decode((String, String, String, Bool).self) {
            columns[table, default: []].append(TargetColumn(name: column, type: type, isIdentity: identity))
        }
        var keys: [String: [String]] = [:]
        let keyRows = try await connection.rows(
            """
            SELECT c.relname::text, a.attname::text
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
            WHERE i.indisprimary AND n.nspname = current_schema() AND NOT c.relispartition
            ORDER BY c.relname, k.position
            """,
            logger: logger
        )
        for try await (table, column) in keyRows.decode((String, String).self) { keys[table, default: []].append(column) }
        var references: [String: Set<String>] = [:]
        var selfReferences: [String: Set<String>] = [:]
        let foreignRows = try await connection.rows(
            """
            SELECT c.relname::text, r.relname::text, a.attname::text
            FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class r ON r.oid = f.confrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = f.conkey[1]
            WHERE f.contype = 'f' AND n.nspname = current_schema() AND NOT c.relispartition
            """,
            logger: logger
        )
        for try await (table, referenced, column) in foreignRows.decode((String, String, String).self) {
            if table == referenced { selfReferences[table, default: []].insert(column) } else { references[table, default: []].insert(referenced) }
        }
        // Parents first: a table is placed once everything it references is.
        var ordered: [TargetTable] = []
        var placed: Set<String> = []
        var remaining = columns.keys.sorted()
        while !remaining.isEmpty {
            let ready = remaining.filter { (references[$0] ?? []).isSubset(of: placed) }
            let next = ready.isEmpty ? remaining : ready  // a cycle would be a schema bug; copy in name order then
            for name in next {
                // Every table in the schema has a primary key; without one, all columns order the rows.
                let key = keys[name] ?? columns[name]!.map(\.name)
                ordered.append(TargetTable(name: name, columns: columns[name]!, primaryKey: key, selfReferences: selfReferences[name] ?? []))
                placed.insert(name)
            }
            remaining.removeAll { placed.contains($0) }
        }
        return ordered
    }
}
