import PorticoCore
import Testing

@testable import PorticoStore

/// Dashboard sessions as every engine must keep them.
struct SessionContractTests {
    @Test(arguments: StoreEngine.all)
    func aSessionIsReadWithItsUserAndTheirOrganizations(engine: StoreEngine) async throws {
        try await engine.with { store in
            let globex = try await Fixtures.insert(Fixtures.organization("Globex"), into: store)
            let acme = try await Fixtures.insert(Fixtures.organization("Acme", at: Fixtures.now + 1), into: store)
            try await Fixtures.insert(Fixtures.organization("Initech", at: Fixtures.now + 2), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com", name: "Ada"), memberOf: globex, into: store)
            try await Fixtures.addMember(ada, to: acme, role: "viewer", at: Fixtures.now + 3, in: store)
            let session = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 10)

            try await store.insertSession(
                session,
                audit: Fixtures.audit("user.signed_in", organization: acme.id, target: ada.id, type: "user", at: Fixtures.now + 10)
            )
            let (found, user, organizations) = try #require(try await store.session(idHash: session.idHash))
            #expect(found == session)
            #expect(user == ada)
            #expect(organizations.map(\.organization) == [acme, globex])
            #expect(organizations.map(\.role) == ["viewer", "owner"])
            #expect(try await store.session(idHash: Fixtures.secretHash())?.0 == nil)
            #expect(try await store.auditEntries(targetId: ada.id).map(\.action) == ["user.created", "user.signed_in"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aSavedSessionKeepsItsNewOrganizationModeAndLastSeenTime(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let globex = try await Fixtures.insert(Fixtures.organization("Globex", at: Fixtures.now + 1), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            try await Fixtures.addMember(ada, to: globex, role: "admin", at: Fixtures.now + 2, in: store)
            let session = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 10)
            let other = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 10)
            for started in [session, other] {
                try await store.insertSession(
                    started,
                    audit: Fixtures.audit("user.signed_in", organization: acme.id, target: ada.id, at: Fixtures.now + 10)
                )
            }

            var moved = session
            moved.organizationId = globex.id
            moved.livemode = true
            moved.lastSeenAt = Fixtures.now + 60_000
            try await store.saveSession(moved, audit: nil)
            #expect(try await store.session(idHash: session.idHash)?.0 == moved)
            #expect(try await store.session(idHash: other.idHash)?.0 == other)
        }
    }

    @Test(arguments: StoreEngine.all)
    func deletingASessionEndsItWithOrWithoutAnAuditEntry(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let signedOut = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 10)
            let timedOut = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 10)
            let kept = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 10)
            for session in [signedOut, timedOut, kept] {
                try await store.insertSession(
                    session,
                    audit: Fixtures.audit("user.signed_in", organization: acme.id, target: ada.id, at: Fixtures.now + 10)
                )
            }

            try await store.deleteSession(
                idHash: signedOut.idHash,
                audit: Fixtures.audit("user.signed_out", organization: acme.id, target: ada.id, at: Fixtures.now + 20)
            )
            try await store.deleteSession(idHash: timedOut.idHash, audit: nil)
            // Deleting what is not there (a second sign-out) is no error.
            try await store.deleteSession(idHash: timedOut.idHash, audit: nil)

            #expect(try await store.session(idHash: signedOut.idHash)?.0 == nil)
            #expect(try await store.session(idHash: timedOut.idHash)?.0 == nil)
            #expect(try await store.session(idHash: kept.idHash)?.0 == kept)
            let actions = try await store.auditEntries(targetId: ada.id).map(\.action)
            #expect(actions.filter { $0 == "user.signed_out" }.count == 1)
            #expect(actions.filter { $0 == "user.signed_in" }.count == 3)
        }
    }

    @Test(arguments: StoreEngine.all)
    func pruningDeletesIdleAndTooOldSessionsOnly(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let idleBefore = Fixtures.now + 30 * 60_000
            let createdBefore = Fixtures.now

            // Started an hour before the cut-off, active since: only too old.
            var ancient = Fixtures.session(of: ada, in: acme, at: createdBefore - Fixtures.hour)
            ancient.lastSeenAt = idleBefore + 1
            // Started at the cut-off, last seen before the idle cut-off.
            var idle = Fixtures.session(of: ada, in: acme, at: createdBefore)
            idle.lastSeenAt = idleBefore - 1
            // Exactly at both cut-offs: kept.
            var edge = Fixtures.session(of: ada, in: acme, at: createdBefore)
            edge.lastSeenAt = idleBefore
            var fresh = Fixtures.session(of: ada, in: acme, at: createdBefore + 1)
            fresh.lastSeenAt = idleBefore + 1
            for session in [ancient, idle, edge, fresh] {
                try await store.insertSession(session, audit: Fixtures.audit("user.signed_in", organization: acme.id, target: ada.id))
            }

            #expect(try await store.pruneSessions(idleBefore: idleBefore, createdBefore: createdBefore) == 2)
            #expect(try await store.session(idHash: ancient.idHash)?.0 == nil)
            #expect(try await store.session(idHash: idle.idHash)?.0 == nil)
            #expect(try await store.session(idHash: edge.idHash)?.0 == edge)
            #expect(try await store.session(idHash: fresh.idHash)?.0 == fresh)
            #expect(try await store.pruneSessions(idleBefore: idleBefore, createdBefore: createdBefore) == 0)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aSessionReadsTheUsersCurrentMemberships(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let globex = try await Fixtures.insert(Fixtures.organization("Globex", at: Fixtures.now + 1), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let bob = try await Fixtures.insert(Fixtures.user("bob@example.com", at: Fixtures.now + 1), memberOf: globex, into: store)
            try await Fixtures.addMember(bob, to: acme, role: "developer", at: Fixtures.now + 2, in: store)
            let session = Fixtures.session(of: bob, in: globex, at: Fixtures.now + 10)
            try await store.insertSession(
                session,
                audit: Fixtures.audit("user.signed_in", organization: globex.id, target: bob.id, at: Fixtures.now + 10)
            )
            #expect(try await store.session(idHash: session.idHash)?.2.map(\.organization.id) == [acme.id, globex.id])

            _ = try await store.updateMemberRole(
                organizationId: acme.id,
                userId: bob.id,
                role: "admin",
                audit: Fixtures.audit("member.updated", organization: acme.id, target: bob.id, at: Fixtures.now + 20)
            )
            #expect(try await store.session(idHash: session.idHash)?.2.map(\.role) == ["admin", "owner"])

            _ = try await store.removeMember(
                organizationId: acme.id,
                userId: bob.id,
                audit: Fixtures.audit("member.removed", organization: acme.id, target: bob.id, at: Fixtures.now + 30)
            )
            let (_, user, organizations) = try #require(try await store.session(idHash: session.idHash))
            #expect(user == bob)
            #expect(organizations.map(\.organization.id) == [globex.id])
            #expect(try await store.members(organizationId: acme.id).map(\.user.id) == [ada.id])
        }
    }
}
