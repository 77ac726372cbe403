import RawStructuredFieldValues

/// An upstream's `Portico-Usage` response header: an RFC 9651 dictionary of
/// metric names and non-negative integers (`tokens=1234, pages=2`). Members
/// naming a declared metric are metered; anything else (an undeclared
/// metric, a negative or non-integer value, a header that does not parse)
/// is ignored and counted, never an error for the client.
struct UsageHeader: Equatable {
    private(set) var meters: [Meter] = []
    private(set) var ignored = 0

    init(_ header: String, declared: [String: String]) {
        var parser = StructuredFieldValueParser(Array(header.utf8))
        guard let dictionary = try? parser.parseDictionaryFieldValue() else {
            ignored = 1
            return
        }
        for (name, member) in dictionary {
            guard declared[name] != nil, case .item(let item) = member, case .integer(let value) = item.rfc9651BareItem, value >= 0 else {
                ignored += 1
                continue
            }
            if value > 0 { meters.append(Meter(metric: name, quantity: Int64(value))) }
        }
    }
}
