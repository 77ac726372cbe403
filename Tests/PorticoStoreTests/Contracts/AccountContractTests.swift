import PorticoCore
import Testing

@testable import PorticoStore

/// Organizations, users, memberships and invitations as every engine must keep them.
struct AccountContractTests {
    @Test(arguments: StoreEngine.all)
    func organizationsAreReadBackByIdAndListedInIdOrder(engine: StoreEngine) async throws {
        try await engine.with { store in
            let globex = try await Fixtures.insert(Fixtures.organization("Globex", at: Fixtures.now + 1), into: store)
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)

            #expect(try await store.organization(id: acme.id) == acme)
            #expect(try await store.organization(id: globex.id) == globex)
            #expect(try await store.organization(id: "org_missing") == nil)
            #expect(try await store.organizations().map(\.id) == [acme.id, globex.id])
            #expect(try await store.auditEntries(targetId: acme.id).map(\.action) == ["organization.created"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func updatingAnOrganizationChangesOnlyWhatIsGivenAndAuditsIt(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let pinned = try #require(
                try await store.updateOrganization(
                    id: acme.id,
                    plan: "starter",
                    bodyCapture: nil,
                    apiVersion: "2027-01-01",
                    at: Fixtures.now + 10,
                    audit: Fixtures.audit("organization.updated", organization: acme.id, target: acme.id, at: Fixtures.now + 10)
                )
            )
            #expect(pinned.name == "Acme" && pinned.plan == "starter" && !pinned.bodyCapture && pinned.apiVersion == "2027-01-01")
            #expect(pinned.updatedAt == Fixtures.now + 10)

            // The convenience without an API version leaves the pinned one alone.
            let capturing = try #require(
                try await store.updateOrganization(
                    id: acme.id,
                    plan: nil,
                    bodyCapture: true,
                    at: Fixtures.now + 20,
                    audit: Fixtures.audit("organization.updated", organization: acme.id, target: acme.id, at: Fixtures.now + 20)
                )
            )
            #expect(capturing.plan == "starter" && capturing.bodyCapture && capturing.apiVersion == "2027-01-01")
            #expect(try await store.organization(id: acme.id) == capturing)
            #expect(
                try await store.auditEntries(targetId: acme.id).map(\.action) == [
                    "organization.created", "organization.updated", "organization.updated",
                ]
            )

            // No such organization: nil, and nothing audited.
            let missing = Fixtures.audit("organization.updated", organization: nil, target: "org_missing")
            #expect(try await store.updateOrganization(id: "org_missing", plan: "starter", bodyCapture: nil, at: Fixtures.now, audit: missing) == nil)
            #expect(try await store.auditEntries(targetId: "org_missing").isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func usersAreFoundByEmailOrIdAndAnEmailIsTakenOnceWhateverItsCase(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com", name: "Ada"), memberOf: acme, into: store)
            let loner = try await Fixtures.insert(Fixtures.user("loner@example.com"), memberOf: nil, into: store)

            #expect(try await store.user(email: "ada@example.com") == ada)
            #expect(try await store.user(email: "Ada@Example.COM") == ada)
            #expect(try await store.user(id: ada.id) == ada)
            #expect(try await store.user(email: "bob@example.com") == nil)
            #expect(try await store.user(id: "usr_missing") == nil)
            #expect(try await store.organizations(ofUser: ada.id).map(\.organization.id) == [acme.id])
            #expect(try await store.organizations(ofUser: loner.id).isEmpty)

            for (offset, email) in ["ada@example.com", "ADA@EXAMPLE.COM"].enumerated() {
                let twin = Fixtures.user(email, at: Fixtures.now + 1 + Int64(offset))
                let error = await #expect(throws: StoreError.self) {
                    try await store.createUser(
                        twin,
                        membership: Fixtures.membership(twin, in: acme, role: "viewer"),
                        audit: Fixtures.audit("user.created", organization: acme.id, target: twin.id)
                    )
                }
                #expect(Fixtures.isConflict(error))
                #expect(try await store.user(id: twin.id) == nil)
                #expect(try await store.auditEntries(targetId: twin.id).isEmpty)
            }
            #expect(try await store.members(organizationId: acme.id).map(\.user) == [ada])
        }
    }

    @Test(arguments: StoreEngine.all)
    func signingUpCreatesTheOrganizationItsOwnerAndTheirMembershipTogether(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = Fixtures.organization("Acme")
            let ada = Fixtures.user("ada@example.com")
            try await store.signUp(
                user: ada,
                organization: acme,
                membership: Fixtures.membership(ada, in: acme),
                audit: [
                    Fixtures.audit("organization.created", organization: acme.id, target: acme.id),
                    Fixtures.audit("user.created", organization: acme.id, target: ada.id),
                ]
            )

            #expect(try await store.organization(id: acme.id) == acme)
            #expect(try await store.user(email: ada.email) == ada)
            let organizations = try await store.organizations(ofUser: ada.id)
            #expect(organizations.map(\.organization) == [acme] && organizations.map(\.role) == ["owner"])
            let actions = try await store.auditEntries(organizationId: acme.id, page: PageRequest(limit: 10)).items.map(\.action)
            #expect(actions.sorted() == ["organization.created", "user.created"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aSignUpWithATakenEmailLeavesNoOrganizationBehind(engine: StoreEngine) async throws {
        try await engine.with { store in
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: nil, into: store)
            let acme = Fixtures.organization("Acme", at: Fixtures.now + 1)
            let impostor = Fixtures.user("ada@example.com", at: Fixtures.now + 1)

            let error = await #expect(throws: StoreError.self) {
                try await store.signUp(
                    user: impostor,
                    organization: acme,
                    membership: Fixtures.membership(impostor, in: acme),
                    audit: [Fixtures.audit("organization.created", organization: acme.id, target: acme.id, at: Fixtures.now + 1)]
                )
            }
            #expect(Fixtures.isConflict(error))
            // The organization was written before the user failed: the whole batch is gone.
            #expect(try await store.organization(id: acme.id) == nil)
            #expect(try await store.organizations().isEmpty)
            #expect(try await store.user(id: impostor.id) == nil)
            #expect(try await store.user(email: "ada@example.com") == ada)
            #expect(try await store.auditEntries(targetId: acme.id).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func membersAreListedOldestFirstAndAUsersOrganizationsByName(engine: StoreEngine) async throws {
        try await engine.with { store in
            // Globex is older than Acme, so by name is not by id.
            let globex = try await Fixtures.insert(Fixtures.organization("Globex"), into: store)
            let acme = try await Fixtures.insert(Fixtures.organization("Acme", at: Fixtures.now + 1), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: globex, into: store)
            let bob = try await Fixtures.insert(Fixtures.user("bob@example.com", at: Fixtures.now + 1), memberOf: acme, into: store)
            let carol = try await Fixtures.insert(
                Fixtures.user("carol@example.com", at: Fixtures.now + 2),
                memberOf: acme,
                role: "viewer",
                into: store
            )
            try await Fixtures.addMember(ada, to: acme, role: "developer", at: Fixtures.now + 3, in: store)

            let members = try await store.members(organizationId: acme.id)
            #expect(members.map(\.user) == [bob, carol, ada])
            #expect(members.map(\.membership.role) == ["owner", "viewer", "developer"])
            #expect(members.map(\.membership.createdAt) == [Fixtures.now + 1, Fixtures.now + 2, Fixtures.now + 3])

            let organizations = try await store.organizations(ofUser: ada.id)
            #expect(organizations.map(\.organization.name) == ["Acme", "Globex"])
            #expect(organizations.map(\.role) == ["developer", "owner"])

            #expect(try await store.members(organizationId: "org_missing").isEmpty)
            #expect(try await store.organizations(ofUser: "usr_missing").isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aRoleChangeIsSavedAndAuditedAndANonMemberIsNil(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let bob = try await Fixtures.insert(
                Fixtures.user("bob@example.com", at: Fixtures.now + 1),
                memberOf: acme,
                role: "developer",
                into: store
            )
            let stranger = try await Fixtures.insert(Fixtures.user("eve@example.com", at: Fixtures.now + 2), memberOf: nil, into: store)

            let promoted = try #require(
                try await store.updateMemberRole(
                    organizationId: acme.id,
                    userId: bob.id,
                    role: "admin",
                    audit: Fixtures.audit("member.updated", organization: acme.id, target: bob.id, at: Fixtures.now + 10)
                )
            )
            #expect(promoted.organizationId == acme.id && promoted.userId == bob.id && promoted.role == "admin")
            let members = try await store.members(organizationId: acme.id)
            #expect(members.map(\.user.id) == [ada.id, bob.id] && members.map(\.membership.role) == ["owner", "admin"])
            #expect(try await store.auditEntries(targetId: bob.id).map(\.action) == ["user.created", "member.updated"])

            let notAMember = try await store.updateMemberRole(
                organizationId: acme.id,
                userId: stranger.id,
                role: "admin",
                audit: Fixtures.audit("member.updated", organization: acme.id, target: stranger.id, at: Fixtures.now + 11)
            )
            #expect(notAMember == nil)
            #expect(try await store.auditEntries(targetId: stranger.id).map(\.action) == ["user.created"])
            #expect(try await store.organizations(ofUser: stranger.id).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func theLastOwnerCanBeNeitherDemotedNorRemoved(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let bob = try await Fixtures.insert(
                Fixtures.user("bob@example.com", at: Fixtures.now + 1),
                memberOf: acme,
                role: "developer",
                into: store
            )

            let demotion = await #expect(throws: StoreError.self) {
                try await store.updateMemberRole(
                    organizationId: acme.id,
                    userId: ada.id,
                    role: "admin",
                    audit: Fixtures.audit("member.updated", organization: acme.id, target: ada.id, at: Fixtures.now + 10)
                )
            }
            #expect(Fixtures.isConflict(demotion))
            let removal = await #expect(throws: StoreError.self) {
                try await store.removeMember(
                    organizationId: acme.id,
                    userId: ada.id,
                    audit: Fixtures.audit("member.removed", organization: acme.id, target: ada.id, at: Fixtures.now + 11)
                )
            }
            #expect(Fixtures.isConflict(removal))
            #expect(try await store.members(organizationId: acme.id).map(\.membership.role) == ["owner", "developer"])
            #expect(try await store.auditEntries(targetId: ada.id).map(\.action) == ["user.created"])

            // With a second owner, the first may step down and then leave.
            _ = try await store.updateMemberRole(
                organizationId: acme.id,
                userId: bob.id,
                role: "owner",
                audit: Fixtures.audit("member.updated", organization: acme.id, target: bob.id, at: Fixtures.now + 20)
            )
            let demoted = try await store.updateMemberRole(
                organizationId: acme.id,
                userId: ada.id,
                role: "admin",
                audit: Fixtures.audit("member.updated", organization: acme.id, target: ada.id, at: Fixtures.now + 21)
            )
            #expect(demoted?.role == "admin")
            #expect(
                try await store.removeMember(
                    organizationId: acme.id,
                    userId: ada.id,
                    audit: Fixtures.audit("member.removed", organization: acme.id, target: ada.id, at: Fixtures.now + 22)
                )
            )
            #expect(try await store.members(organizationId: acme.id).map(\.user.id) == [bob.id])
        }
    }

    @Test(arguments: StoreEngine.all)
    func removingAMemberEndsTheirSessionsInThatOrganizationOnly(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let globex = try await Fixtures.insert(Fixtures.organization("Globex", at: Fixtures.now + 1), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let bob = try await Fixtures.insert(Fixtures.user("bob@example.com", at: Fixtures.now + 1), memberOf: globex, into: store)
            try await Fixtures.addMember(bob, to: acme, role: "developer", at: Fixtures.now + 2, in: store)
            let bobInAcme = Fixtures.session(of: bob, in: acme, at: Fixtures.now + 3)
            let bobInGlobex = Fixtures.session(of: bob, in: globex, at: Fixtures.now + 3)
            let adaInAcme = Fixtures.session(of: ada, in: acme, at: Fixtures.now + 3)
            for session in [bobInAcme, bobInGlobex, adaInAcme] {
                try await store.insertSession(
                    session,
                    audit: Fixtures.audit("user.signed_in", organization: session.organizationId, target: session.userId, at: Fixtures.now + 3)
                )
            }

            let removal = Fixtures.audit("member.removed", organization: acme.id, target: bob.id, at: Fixtures.now + 10)
            #expect(try await store.removeMember(organizationId: acme.id, userId: bob.id, audit: removal))
            #expect(try await store.session(idHash: bobInAcme.idHash)?.0 == nil)
            #expect(try await store.session(idHash: bobInGlobex.idHash)?.0 == bobInGlobex)
            #expect(try await store.session(idHash: adaInAcme.idHash)?.0 == adaInAcme)
            #expect(try await store.members(organizationId: acme.id).map(\.user.id) == [ada.id])
            #expect(try await store.organizations(ofUser: bob.id).map(\.organization.id) == [globex.id])

            // Not a member any more: false, and nothing more audited.
            let again = Fixtures.audit("member.removed", organization: acme.id, target: bob.id, at: Fixtures.now + 11)
            #expect(try await store.removeMember(organizationId: acme.id, userId: bob.id, audit: again) == false)
            #expect(try await store.auditEntries(targetId: bob.id).filter { $0.action == "member.removed" }.count == 1)
        }
    }

    @Test(arguments: StoreEngine.all)
    func invitationsArePendingUntilTheyExpire(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let globex = try await Fixtures.insert(Fixtures.organization("Globex", at: Fixtures.now + 1), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let first = Fixtures.invitation(to: acme, email: "bob@example.com", invitedBy: ada, lifetime: Fixtures.hour)
            let second = Fixtures.invitation(
                to: acme,
                email: "carol@example.com",
                role: "viewer",
                invitedBy: ada,
                at: Fixtures.now + 1,
                lifetime: 2 * Fixtures.hour
            )
            for invitation in [second, first] {
                try await store.insertInvitation(
                    invitation,
                    audit: Fixtures.audit("invitation.created", organization: acme.id, target: invitation.id, at: invitation.createdAt)
                )
            }

            #expect(try await store.pendingInvitations(organizationId: acme.id, now: Fixtures.now + 10) == [first, second])
            #expect(try await store.invitation(tokenHash: first.tokenHash, now: Fixtures.now + 10) == first)
            #expect(try await store.invitation(tokenHash: Fixtures.secretHash(), now: Fixtures.now + 10) == nil)
            #expect(try await store.pendingInvitations(organizationId: globex.id, now: Fixtures.now + 10).isEmpty)

            // An invitation is over at its expiry time.
            #expect(try await store.pendingInvitations(organizationId: acme.id, now: first.expiresAt) == [second])
            #expect(try await store.invitation(tokenHash: first.tokenHash, now: first.expiresAt - 1) == first)
            #expect(try await store.invitation(tokenHash: first.tokenHash, now: first.expiresAt) == nil)
            #expect(try await store.pendingInvitations(organizationId: acme.id, now: second.expiresAt).isEmpty)
            #expect(try await store.auditEntries(targetId: first.id).map(\.action) == ["invitation.created"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func acceptingAnInvitationCreatesTheNewUserAsAMemberOnce(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let invitation = Fixtures.invitation(to: acme, email: "bob@example.com", role: "developer", invitedBy: ada)
            try await store.insertInvitation(invitation, audit: Fixtures.audit("invitation.created", organization: acme.id, target: invitation.id))
            let bob = Fixtures.user("bob@example.com", at: Fixtures.now + 5)

            let accepted = try #require(
                try await store.acceptInvitation(
                    tokenHash: invitation.tokenHash,
                    newUser: bob,
                    existingUserId: nil,
                    now: Fixtures.now + 5,
                    audit: Fixtures.audit("invitation.accepted", organization: acme.id, target: invitation.id, at: Fixtures.now + 5)
                )
            )
            #expect(accepted.userId == bob.id)
            #expect(accepted.0.id == invitation.id && accepted.0.acceptedAt == Fixtures.now + 5)
            #expect(try await store.user(email: "bob@example.com") == bob)
            let member = try #require(try await store.members(organizationId: acme.id).first { $0.user.id == bob.id })
            #expect(member.membership.role == "developer" && member.membership.createdAt == Fixtures.now + 5)
            #expect(try await store.pendingInvitations(organizationId: acme.id, now: Fixtures.now + 6).isEmpty)
            #expect(try await store.invitation(tokenHash: invitation.tokenHash, now: Fixtures.now + 6) == nil)

            // Used: a second acceptance is nil and creates no one.
            let carol = Fixtures.user("carol@example.com", at: Fixtures.now + 6)
            let again = try await store.acceptInvitation(
                tokenHash: invitation.tokenHash,
                newUser: carol,
                existingUserId: nil,
                now: Fixtures.now + 6,
                audit: Fixtures.audit("invitation.accepted", organization: acme.id, target: invitation.id, at: Fixtures.now + 6)
            )
            #expect(again?.userId == nil)
            #expect(try await store.user(id: carol.id) == nil)
            #expect(try await store.auditEntries(targetId: invitation.id).map(\.action) == ["invitation.created", "invitation.accepted"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func acceptingAnInvitationAddsAnExistingUserAndKeepsAMembersRole(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let globex = try await Fixtures.insert(Fixtures.organization("Globex", at: Fixtures.now + 1), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let bob = try await Fixtures.insert(Fixtures.user("bob@example.com", at: Fixtures.now + 1), memberOf: globex, into: store)
            let forBob = Fixtures.invitation(to: acme, email: bob.email, role: "admin", invitedBy: ada, at: Fixtures.now + 2)
            // Ada is Acme's only owner already: accepting a viewer's invitation must not demote her.
            let forAda = Fixtures.invitation(to: acme, email: ada.email, role: "viewer", invitedBy: ada, at: Fixtures.now + 2)
            for invitation in [forBob, forAda] {
                try await store.insertInvitation(
                    invitation,
                    audit: Fixtures.audit("invitation.created", organization: acme.id, target: invitation.id, at: Fixtures.now + 2)
                )
            }

            for (invitation, user) in [(forBob, bob), (forAda, ada)] {
                let accepted = try await store.acceptInvitation(
                    tokenHash: invitation.tokenHash,
                    newUser: nil,
                    existingUserId: user.id,
                    now: Fixtures.now + 5,
                    audit: Fixtures.audit("invitation.accepted", organization: acme.id, target: invitation.id, at: Fixtures.now + 5)
                )
                #expect(accepted?.userId == user.id)
                #expect(accepted?.0.acceptedAt == Fixtures.now + 5)
            }

            let bobs = try await store.organizations(ofUser: bob.id)
            #expect(bobs.map(\.organization.id) == [acme.id, globex.id] && bobs.map(\.role) == ["admin", "owner"])
            let members = try await store.members(organizationId: acme.id)
            #expect(members.map(\.user.id) == [ada.id, bob.id] && members.map(\.membership.role) == ["owner", "admin"])
            #expect(try await store.pendingInvitations(organizationId: acme.id, now: Fixtures.now + 6).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anExpiredOrFailedAcceptanceChangesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let expired = Fixtures.invitation(to: acme, email: "bob@example.com", invitedBy: ada, lifetime: Fixtures.hour)
            let open = Fixtures.invitation(to: acme, email: "ada.too@example.com", invitedBy: ada, at: Fixtures.now + 1)
            for invitation in [expired, open] {
                try await store.insertInvitation(
                    invitation,
                    audit: Fixtures.audit("invitation.created", organization: acme.id, target: invitation.id, at: invitation.createdAt)
                )
            }

            let late = Fixtures.user("bob@example.com", at: expired.expiresAt)
            let refused = try await store.acceptInvitation(
                tokenHash: expired.tokenHash,
                newUser: late,
                existingUserId: nil,
                now: expired.expiresAt,
                audit: Fixtures.audit("invitation.accepted", organization: acme.id, target: expired.id, at: expired.expiresAt)
            )
            #expect(refused?.userId == nil)
            #expect(try await store.user(id: late.id) == nil)

            // A new user whose email is taken: a conflict, and the invitation stays pending.
            let twin = Fixtures.user("ada@example.com", at: Fixtures.now + 2)
            let error = await #expect(throws: StoreError.self) {
                try await store.acceptInvitation(
                    tokenHash: open.tokenHash,
                    newUser: twin,
                    existingUserId: nil,
                    now: Fixtures.now + 2,
                    audit: Fixtures.audit("invitation.accepted", organization: acme.id, target: open.id, at: Fixtures.now + 2)
                )
            }
            #expect(Fixtures.isConflict(error))
            #expect(try await store.invitation(tokenHash: open.tokenHash, now: Fixtures.now + 2) == open)
            #expect(try await store.members(organizationId: acme.id).map(\.user.id) == [ada.id])
            #expect(try await store.auditEntries(targetId: open.id).map(\.action) == ["invitation.created"])
            #expect(try await store.auditEntries(targetId: expired.id).map(\.action) == ["invitation.created"])
        }
    }
}
