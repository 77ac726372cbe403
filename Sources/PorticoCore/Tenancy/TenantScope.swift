/// The tenant a query runs for: every business query is scoped by both.
package struct TenantScope: Sendable, Hashable {
    package var organizationId: String
    package var livemode: Bool

    package init(organizationId: String, livemode: Bool) {
        self.organizationId = organizationId
        self.livemode = livemode
    }
}
