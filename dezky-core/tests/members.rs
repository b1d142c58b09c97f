//! Member operations on the in-memory ports: create (and its cleanup after a
//! fault at every step), suspend, resume, force-logout, password reset,
//! removal, partner staff invitations, `/me`; authorization refusals, bad
//! input, and the one-time password kept out of Debug output and errors.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::lifecycle::TenantDocument;
use dezky_core::members::memory::{MemberOp, MemoryMembers};
use dezky_core::members::{
    Caller, MemberDocument, MemberError, MemberKind, Members, NewMember, NewStaff,
    PARTNER_STAFF_GROUP, Removed, me,
};
use dezky_core::provisioning::{FailureKind, PortError};
use dezky_core::tenant::{Partner, Tenant};
use dezky_flags::Change;
use serde_json::{Map, Value, json};

const TENANT: &str = "6650f1c2a9b4e3d2c1b0a998";
const OTHER: &str = "6650f1c2a9b4e3d2c1b0a999";
const GROUP: &str = "6a3c2e1f-0c4b-4a5e-9d62-000000000001";
const ADMIN_ID: &str = "6650f1c2a9b4e3d2c1b0a001";
const PARTNER: &str = "6650f1c2a9b4e3d2c1b0a777";

fn change() -> Change {
    Change::new(
        "admin@acme.test",
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
    .unwrap()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn tenant_with(status: &str) -> TenantDocument {
    TenantDocument::from_document(
        "tenant",
        &object(json!({
            "_id": TENANT, "slug": "acme", "name": "Acme Co", "status": status,
            "plan": "business", "domains": ["acme.test"], "authentikGroupId": GROUP,
            "stalwartDomain": "acme.test", "__v": 4,
        })),
    )
    .unwrap()
}

fn tenant() -> TenantDocument {
    tenant_with("active")
}

fn actor(subject: &str) -> Actor {
    Actor {
        subject: subject.into(),
        email: Some("admin@acme.test".into()),
        name: Some("Ada Admin".into()),
        groups: vec![],
        surface: Surface::Portal,
        issuer: "https://id.dezky.local/application/o/dezky-portal/".into(),
        audience: "dezky-portal".into(),
        expires_at: 2_000_000_000,
    }
}

fn admin() -> UserRecord {
    MemberDocument::from_document(
        "user",
        &object(json!({
            "_id": ADMIN_ID, "authentikSubjectId": "sub-admin", "email": "admin@acme.test",
            "tenantIds": [TENANT], "tenantRoles": {TENANT: "admin"},
        })),
    )
    .unwrap()
    .user
}

struct World {
    identity: MemoryMembers,
    mailbox: MemoryMembers,
    files: MemoryMembers,
    members: Members,
    actor: Actor,
    admin: UserRecord,
    change: Change,
}

impl World {
    fn new() -> Self {
        let identity = MemoryMembers::new(MemberKind::Identity);
        identity.add_group(GROUP);
        let mailbox = MemoryMembers::new(MemberKind::Mailbox);
        let files = MemoryMembers::new(MemberKind::Files);
        let members = Members::new()
            .with_port(Arc::new(identity.clone()))
            .with_port(Arc::new(mailbox.clone()))
            .with_port(Arc::new(files.clone()));
        World {
            identity,
            mailbox,
            files,
            members,
            actor: actor("sub-admin"),
            admin: admin(),
            change: change(),
        }
    }

    fn caller(&self) -> Caller<'_> {
        Caller {
            actor: &self.actor,
            user: &self.admin,
            change: &self.change,
        }
    }

    fn empty(&self) -> bool {
        self.identity.resources().is_empty()
            && self.mailbox.resources().is_empty()
            && self.files.resources().is_empty()
    }

    /// Creates alice and returns her stored document (with an id).
    async fn alice(&self) -> (MemberDocument, Map<String, Value>, String) {
        let created = self
            .members
            .create_member(&tenant(), &new_member("alice@acme.test"), self.caller())
            .await
            .unwrap();
        let mut doc = created.document.clone();
        doc.insert("_id".into(), json!({"$oid": "6650f1c2a9b4e3d2c1b0a111"}));
        (
            MemberDocument::from_document("member", &doc).unwrap(),
            doc,
            created.password.expose().to_owned(),
        )
    }
}

fn new_member(email: &str) -> NewMember {
    NewMember {
        email: email.into(),
        name: "Alice Liddell".into(),
        admin: false,
        quota_bytes: Some(1 << 30),
    }
}

fn unavailable() -> PortError {
    PortError::new(
        FailureKind::Unavailable,
        "DEZKY_UPSTREAM_UNAVAILABLE",
        "503 Service Unavailable",
    )
}

fn refused(result: Result<impl std::fmt::Debug, MemberError>) -> Error {
    match result {
        Err(MemberError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn failed(result: Result<impl std::fmt::Debug, MemberError>) -> dezky_core::members::MemberFailure {
    match result {
        Err(MemberError::Failed(f)) => *f,
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

fn field_of(error: Error) -> String {
    match error {
        Error::Invalid { field, .. } => field,
        other => panic!("not Invalid: {other:?}"),
    }
}

#[tokio::test]
async fn create_makes_every_resource_with_one_password() {
    let w = World::new();
    let created = w
        .members
        .create_member(&tenant(), &new_member(" Alice@ACME.test "), w.caller())
        .await
        .unwrap();
    let password = created.password.expose().to_owned();
    assert!(password.len() >= 20);

    let (pk, identity) = w.identity.named("alice@acme.test").unwrap();
    assert!(identity.groups.contains(GROUP));
    assert_eq!(identity.password.as_ref().unwrap().expose(), password);
    let (account, mailbox) = w.mailbox.named("alice@acme.test").unwrap();
    assert_eq!(mailbox.password.as_ref().unwrap().expose(), password);
    assert_eq!(mailbox.quota_bytes, Some(1 << 30));
    let (files_id, files) = w.files.named("alice@acme.test").unwrap();
    assert!(files.password.is_none());

    let doc = &created.document;
    assert_eq!(doc["authentikUserPk"], json!(pk));
    assert_eq!(doc["authentikSubjectId"], json!(format!("sub-{pk}")));
    assert_eq!(doc["ocisUserId"], json!(files_id));
    assert_eq!(doc["tenantIds"], json!([{"$oid": TENANT}]));
    assert_eq!(doc["tenantRoles"], json!({TENANT: "member"}));
    assert_eq!(
        doc["mailboxes"][TENANT],
        json!({"id": account, "address": "alice@acme.test"})
    );
    assert_eq!(doc["__v"], json!(0));
    let kinds: Vec<MemberKind> = created.member.resources.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, MemberKind::ALL);

    let event = &created.events[0];
    assert_eq!(
        (event.action.as_str(), event.target_id.as_str()),
        ("member.create", "alice@acme.test")
    );
    assert_eq!(event.tenant_id.as_deref(), Some(TENANT));
    let printed = format!(
        "{created:?} {}",
        serde_json::to_string(&created.events).unwrap()
    );
    assert!(
        !printed.contains(&password),
        "the password leaked: {printed}"
    );
    assert!(printed.contains("Secret(***)"));
}

#[tokio::test]
async fn an_admin_member_gets_the_admin_role_and_a_mailbox_on_the_primary_domain() {
    let w = World::new();
    let mut new = new_member("bob@gmail.test");
    new.admin = true;
    new.quota_bytes = None;
    let created = w
        .members
        .create_member(&tenant(), &new, w.caller())
        .await
        .unwrap();
    assert_eq!(created.document["tenantRoles"], json!({TENANT: "admin"}));
    assert!(w.identity.named("bob@gmail.test").is_some());
    assert!(w.mailbox.named("bob@acme.test").is_some());
    assert_eq!(
        created.document["mailboxes"][TENANT]["address"],
        "bob@acme.test"
    );
}

#[tokio::test]
async fn a_fault_at_any_step_of_create_leaves_nothing_behind() {
    let ops = [MemberOp::Find, MemberOp::Create];
    for kind in MemberKind::ALL {
        for op in ops {
            for lost in [false, true] {
                if lost && op == MemberOp::Find {
                    continue;
                }
                let w = World::new();
                let port = match kind {
                    MemberKind::Identity => &w.identity,
                    MemberKind::Mailbox => &w.mailbox,
                    MemberKind::Files => &w.files,
                };
                if lost {
                    port.lose_next_reply(op, unavailable());
                } else {
                    port.fail_next(op, unavailable());
                }
                let result = w
                    .members
                    .create_member(&tenant(), &new_member("alice@acme.test"), w.caller())
                    .await;
                let message = result.as_ref().err().map(ToString::to_string);
                let f = failed(result);
                let case = format!("{kind} {op:?} lost={lost}");
                assert_eq!(f.kind, Some(kind), "{case}");
                assert_eq!(f.error.code, "DEZKY_UPSTREAM_UNAVAILABLE", "{case}");
                assert!(!f.left_behind(), "{case}");
                assert!(w.empty(), "{case}: something was left behind");
                assert_eq!(f.events[0].outcome, dezky_core::audit::Outcome::Failure);
                // Newest first.
                let undone: Vec<MemberKind> = f.undone.iter().map(|u| u.kind).collect();
                let mut expected: Vec<MemberKind> = MemberKind::ALL
                    .into_iter()
                    .take_while(|k| *k != kind)
                    .collect();
                if lost {
                    expected.push(kind);
                }
                expected.reverse();
                assert_eq!(undone, expected, "{case}");
                assert!(message.unwrap().contains("503"), "{case}");
            }
        }
    }
}

#[tokio::test]
async fn a_failed_cleanup_is_reported_with_the_original_error() {
    let w = World::new();
    w.files.fail_next(MemberOp::Create, unavailable());
    w.identity.fail_next(
        MemberOp::Remove,
        PortError::new(FailureKind::Unavailable, "DEZKY_TIMEOUT", "timed out"),
    );
    let result = w
        .members
        .create_member(&tenant(), &new_member("alice@acme.test"), w.caller())
        .await;
    let text = result.as_ref().err().unwrap().to_string();
    assert_eq!(
        result.as_ref().err().unwrap().code(),
        "DEZKY_UPSTREAM_UNAVAILABLE"
    );
    let f = failed(result);
    assert!(f.left_behind());
    assert_eq!(f.undone[0].kind, MemberKind::Mailbox);
    assert!(f.undone[0].error.is_none());
    assert_eq!(f.undone[1].error.as_ref().unwrap().code, "DEZKY_TIMEOUT");
    assert!(text.contains("undoing identity"), "{text}");
    assert!(w.mailbox.resources().is_empty());
    assert_eq!(w.identity.resources().len(), 1);
}

#[tokio::test]
async fn an_existing_identity_or_address_is_refused_and_not_touched() {
    let w = World::new();
    let existing = w.identity.insert("alice@acme.test", &[]);
    let f = failed(
        w.members
            .create_member(&tenant(), &new_member("alice@acme.test"), w.caller())
            .await,
    );
    assert_eq!(f.error.code, "DEZKY_ALREADY_EXISTS");
    assert_eq!(w.identity.calls(MemberOp::Create), 0);
    assert!(w.identity.get(&existing).is_some());

    let w = World::new();
    w.mailbox.insert("alice@acme.test", &[]);
    let f = failed(
        w.members
            .create_member(&tenant(), &new_member("alice@acme.test"), w.caller())
            .await,
    );
    assert_eq!(
        (f.kind, f.error.code.as_str()),
        (Some(MemberKind::Mailbox), "DEZKY_ALREADY_EXISTS")
    );
    assert!(w.identity.resources().is_empty());
    assert_eq!(w.mailbox.resources().len(), 1);
}

#[tokio::test]
async fn bad_input_names_the_field_before_any_call() {
    let w = World::new();
    let cases: Vec<(NewMember, &str)> = vec![
        (new_member("not-an-address"), "member.email"),
        (new_member("a b@acme.test"), "member.email"),
        (new_member("alice@localhost"), "member.email"),
        (new_member("alice@acme..test"), "member.email"),
        (
            NewMember {
                name: "  ".into(),
                ..new_member("alice@acme.test")
            },
            "member.name",
        ),
        (
            NewMember {
                quota_bytes: Some(0),
                ..new_member("alice@acme.test")
            },
            "member.quotaBytes",
        ),
    ];
    for (new, field) in cases {
        let e = refused(w.members.create_member(&tenant(), &new, w.caller()).await);
        assert_eq!(e.code(), "DEZKY_INVALID_ARGUMENT");
        assert_eq!(field_of(e), field);
    }
    let mut no_group = tenant();
    no_group.handles.authentik_group_id = None;
    let e = refused(
        w.members
            .create_member(&no_group, &new_member("alice@acme.test"), w.caller())
            .await,
    );
    assert_eq!(field_of(e), "tenant.authentikGroupId");
    assert_eq!(w.identity.calls(MemberOp::Find), 0);
    assert!(
        serde_json::from_value::<NewMember>(json!({"email": "a@b.test", "name": "A", "role": "x"}))
            .is_err()
    );
}

#[tokio::test]
async fn only_admins_of_an_active_tenant_create_members() {
    let w = World::new();
    let mut plain = w.admin.clone();
    plain.tenant_roles.clear();
    let caller = Caller {
        actor: &w.actor,
        user: &plain,
        change: &w.change,
    };
    let e = refused(
        w.members
            .create_member(&tenant(), &new_member("alice@acme.test"), caller)
            .await,
    );
    assert_eq!(e.code(), "DEZKY_FORBIDDEN");
    let e = refused(
        w.members
            .create_member(
                &tenant_with("suspended"),
                &new_member("alice@acme.test"),
                w.caller(),
            )
            .await,
    );
    assert_eq!(e.code(), "DEZKY_TENANT_INACTIVE");
    // A platform admin passes the rule, but not the tenant's status.
    let mut operator = w.admin.clone();
    operator.platform_admin = true;
    let caller = Caller {
        actor: &w.actor,
        user: &operator,
        change: &w.change,
    };
    let e = refused(
        w.members
            .create_member(
                &tenant_with("suspended"),
                &new_member("alice@acme.test"),
                caller,
            )
            .await,
    );
    assert_eq!(e.code(), "DEZKY_ILLEGAL_TRANSITION");
    assert!(w.empty());
}

#[tokio::test]
async fn suspend_and_resume_restore_exactly_the_state_before() {
    let w = World::new();
    let (alice, mut doc, _) = w.alice().await;
    let pk = alice.authentik_user_pk.clone().unwrap();
    let account = alice.mailboxes[TENANT].id.clone();
    w.identity.open_session(&pk);

    let change = w
        .members
        .suspend_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    assert!(w.identity.get(&pk).unwrap().suspended);
    assert!(w.mailbox.get(&account).unwrap().suspended);
    assert_eq!(w.identity.get(&pk).unwrap().sessions, 0);
    assert_eq!(change.events[0].action, "member.suspend");
    change.patch.apply(&mut doc).unwrap();
    assert_eq!(doc["active"], json!(false));
    let suspended = MemberDocument::from_document("member", &doc).unwrap();
    assert_eq!(
        suspended.suspensions[TENANT].identity.as_deref(),
        Some("account")
    );

    // Again: nothing changes.
    let again = w
        .members
        .suspend_member(&tenant(), &suspended, w.caller())
        .await
        .unwrap();
    assert!(again.patch.is_empty() && again.effects.is_empty());

    let resumed = w
        .members
        .resume_member(&tenant(), &suspended, w.caller())
        .await
        .unwrap();
    assert!(!w.identity.get(&pk).unwrap().suspended);
    assert!(!w.mailbox.get(&account).unwrap().suspended);
    resumed.patch.apply(&mut doc).unwrap();
    assert_eq!(doc["active"], json!(true));
    assert_eq!(doc["memberSuspensions"], json!({}));
    // The stale patch of the first suspension no longer applies.
    let e = change.patch.apply(&mut doc).unwrap_err();
    assert_eq!(e.code(), "DEZKY_VERSION_CONFLICT");
}

#[tokio::test]
async fn a_mailbox_frozen_before_stays_frozen_after_resume() {
    let w = World::new();
    let (alice, mut doc, _) = w.alice().await;
    let account = alice.mailboxes[TENANT].id.clone();
    use dezky_core::members::MemberPort;
    w.mailbox.suspend(&account).await.unwrap();
    let change = w
        .members
        .suspend_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    change.patch.apply(&mut doc).unwrap();
    let suspended = MemberDocument::from_document("member", &doc).unwrap();
    w.members
        .resume_member(&tenant(), &suspended, w.caller())
        .await
        .unwrap();
    assert!(w.mailbox.get(&account).unwrap().suspended);
}

#[tokio::test]
async fn a_user_of_another_tenant_leaves_the_group_instead_of_being_deactivated() {
    let w = World::new();
    let (_, mut doc, _) = w.alice().await;
    doc.insert("tenantIds".into(), json!([TENANT, OTHER]));
    let alice = MemberDocument::from_document("member", &doc).unwrap();
    let pk = alice.authentik_user_pk.clone().unwrap();
    let change = w
        .members
        .suspend_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    let identity = w.identity.get(&pk).unwrap();
    assert!(!identity.suspended && !identity.groups.contains(GROUP));
    assert!(change.patch.writes().all(|(k, _)| k != "active"));
    change.patch.apply(&mut doc).unwrap();
    let suspended = MemberDocument::from_document("member", &doc).unwrap();
    w.members
        .resume_member(&tenant(), &suspended, w.caller())
        .await
        .unwrap();
    assert!(w.identity.get(&pk).unwrap().groups.contains(GROUP));
}

#[tokio::test]
async fn a_failed_suspension_is_undone() {
    let w = World::new();
    let (alice, _, _) = w.alice().await;
    let pk = alice.authentik_user_pk.clone().unwrap();
    w.mailbox.fail_next(MemberOp::Suspend, unavailable());
    let f = failed(
        w.members
            .suspend_member(&tenant(), &alice, w.caller())
            .await,
    );
    assert_eq!(f.kind, Some(MemberKind::Mailbox));
    assert!(!w.identity.get(&pk).unwrap().suspended);
    assert_eq!(f.undone[0].kind, MemberKind::Identity);
}

#[tokio::test]
async fn self_suspend_and_self_force_logout_are_refused() {
    let w = World::new();
    let (_, mut doc, _) = w.alice().await;
    // The admin acting on their own record.
    doc.insert("_id".into(), json!(ADMIN_ID));
    doc.insert("authentikSubjectId".into(), json!("sub-admin"));
    let me = MemberDocument::from_document("member", &doc).unwrap();
    for e in [
        refused(w.members.suspend_member(&tenant(), &me, w.caller()).await),
        refused(w.members.force_logout(&tenant(), &me, w.caller()).await),
        refused(w.members.remove_member(&tenant(), &me, w.caller()).await),
    ] {
        assert_eq!(e.code(), "DEZKY_FORBIDDEN");
        assert!(e.to_string().contains("yourself"), "{e}");
    }
    assert_eq!(w.identity.calls(MemberOp::Suspend), 0);
    assert_eq!(w.identity.calls(MemberOp::EndSessions), 0);
    // Not a member of the tenant.
    let (alice, mut doc, _) = w.alice_other().await;
    doc.insert("tenantIds".into(), json!([OTHER]));
    let stranger = MemberDocument::from_document("member", &doc).unwrap();
    let e = refused(
        w.members
            .reset_password(&tenant(), &stranger, w.caller())
            .await,
    );
    assert_eq!(e.code(), "DEZKY_FORBIDDEN");
    drop(alice);
}

impl World {
    async fn alice_other(&self) -> (MemberDocument, Map<String, Value>, String) {
        let created = self
            .members
            .create_member(&tenant(), &new_member("carol@acme.test"), self.caller())
            .await
            .unwrap();
        let mut doc = created.document.clone();
        doc.insert("_id".into(), json!("6650f1c2a9b4e3d2c1b0a222"));
        (
            MemberDocument::from_document("member", &doc).unwrap(),
            doc,
            String::new(),
        )
    }
}

#[tokio::test]
async fn force_logout_ends_only_that_users_sessions() {
    let w = World::new();
    let (alice, _, _) = w.alice().await;
    let pk = alice.authentik_user_pk.clone().unwrap();
    let bob = w.identity.insert("bob@acme.test", &[GROUP]);
    w.identity.open_session(&pk);
    w.identity.open_session(&pk);
    w.identity.open_session(&bob);
    let change = w
        .members
        .force_logout(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    assert_eq!(change.sessions_ended, 2);
    assert_eq!(w.identity.get(&pk).unwrap().sessions, 0);
    assert_eq!(w.identity.get(&bob).unwrap().sessions, 1);
    assert_eq!(change.events[0].action, "member.force_logout");
    assert!(change.patch.is_empty());
}

#[tokio::test]
async fn reset_sets_a_new_password_on_the_identity_and_the_mailbox() {
    let w = World::new();
    let (alice, _, old) = w.alice().await;
    let pk = alice.authentik_user_pk.clone().unwrap();
    let account = alice.mailboxes[TENANT].id.clone();
    w.identity.open_session(&pk);
    let reset = w
        .members
        .reset_password(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    let new = reset.password.expose();
    assert_ne!(new, old);
    assert_eq!(w.identity.get(&pk).unwrap().password.unwrap().expose(), new);
    assert_eq!(
        w.mailbox.get(&account).unwrap().password.unwrap().expose(),
        new
    );
    assert_eq!(w.identity.get(&pk).unwrap().sessions, 0);
    let printed = format!("{reset:?}");
    assert!(!printed.contains(new), "{printed}");

    w.mailbox.fail_next(MemberOp::SetPassword, unavailable());
    let result = w
        .members
        .reset_password(&tenant(), &alice, w.caller())
        .await;
    let text = result.as_ref().err().unwrap().to_string();
    let f = failed(result);
    assert_eq!(f.kind, Some(MemberKind::Mailbox));
    assert_eq!(f.kept, [MemberKind::Identity]);
    assert!(text.contains("already changed: identity"), "{text}");
    let identity_now = w.identity.get(&pk).unwrap().password.unwrap();
    assert!(!text.contains(identity_now.expose()));
    assert!(!format!("{f:?}").contains(identity_now.expose()));
}

#[tokio::test]
async fn removing_a_single_tenant_member_removes_everything_newest_first() {
    let w = World::new();
    let (alice, _, _) = w.alice().await;
    let removal = w
        .members
        .remove_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    let order: Vec<(MemberKind, Removed)> =
        removal.steps.iter().map(|s| (s.kind, s.outcome)).collect();
    assert_eq!(
        order,
        [
            (MemberKind::Files, Removed::Removed),
            (MemberKind::Mailbox, Removed::Removed),
            (MemberKind::Identity, Removed::Removed),
        ]
    );
    assert!(removal.complete && removal.delete_document);
    assert!(w.empty());
}

#[tokio::test]
async fn a_member_of_another_tenant_keeps_what_that_tenant_uses() {
    let w = World::new();
    let (_, mut doc, _) = w.alice().await;
    doc.insert("tenantIds".into(), json!([TENANT, OTHER]));
    doc.insert(
        "tenantRoles".into(),
        json!({TENANT: "member", OTHER: "admin"}),
    );
    let alice = MemberDocument::from_document("member", &doc).unwrap();
    let removal = w
        .members
        .remove_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    let outcomes: Vec<Removed> = removal.steps.iter().map(|s| s.outcome).collect();
    // The mailbox is the sign-in address the other tenant mails to: kept.
    assert_eq!(outcomes, [Removed::Kept, Removed::Kept, Removed::LeftGroup]);
    assert!(removal.complete && !removal.delete_document);
    let (_, identity) = w.identity.named("alice@acme.test").unwrap();
    assert!(!identity.groups.contains(GROUP));
    removal.patch.apply(&mut doc).unwrap();
    assert_eq!(doc["tenantIds"], json!([{"$oid": OTHER}]));
    assert_eq!(doc["tenantRoles"], json!({OTHER: "admin"}));
    assert_eq!(doc["mailboxes"], json!({}));

    // An address that is not the sign-in address goes with the tenant.
    let w = World::new();
    let created = w
        .members
        .create_member(&tenant(), &new_member("bob@gmail.test"), w.caller())
        .await
        .unwrap();
    let mut doc = created.document.clone();
    doc.insert("_id".into(), json!("6650f1c2a9b4e3d2c1b0a333"));
    doc.insert("tenantIds".into(), json!([TENANT, OTHER]));
    let bob = MemberDocument::from_document("member", &doc).unwrap();
    let removal = w
        .members
        .remove_member(&tenant(), &bob, w.caller())
        .await
        .unwrap();
    let outcomes: Vec<Removed> = removal.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [Removed::Kept, Removed::Removed, Removed::LeftGroup]
    );
    assert!(w.mailbox.resources().is_empty());
    assert_eq!(w.files.resources().len(), 1);
}

#[tokio::test]
async fn a_failed_removal_stops_and_resumes() {
    let w = World::new();
    let (alice, mut doc, _) = w.alice().await;
    let account = alice.mailboxes[TENANT].id.clone();
    w.mailbox.set_in_use(&account, true);
    let removal = w
        .members
        .remove_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    let outcomes: Vec<Removed> = removal.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [Removed::Removed, Removed::Failed, Removed::NotReached]
    );
    assert_eq!(removal.steps[1].code.as_deref(), Some("DEZKY_IN_USE"));
    assert!(!removal.complete && !removal.delete_document);
    assert_eq!(
        removal.events[0].outcome,
        dezky_core::audit::Outcome::Failure
    );
    removal.patch.apply(&mut doc).unwrap();
    assert!(doc.get("ocisUserId").is_none());
    assert_eq!(doc["tenantIds"], json!([{"$oid": TENANT}]));

    w.mailbox.set_in_use(&account, false);
    let alice = MemberDocument::from_document("member", &doc).unwrap();
    let removal = w
        .members
        .remove_member(&tenant(), &alice, w.caller())
        .await
        .unwrap();
    let outcomes: Vec<Removed> = removal.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [Removed::Absent, Removed::Removed, Removed::Removed]
    );
    assert!(removal.complete && removal.delete_document);
    assert!(w.empty());
}

fn partner() -> Partner {
    Partner {
        id: PARTNER.into(),
        slug: "reseller".into(),
        status: None,
    }
}

#[tokio::test]
async fn partner_staff_get_the_staff_group_and_a_recovery_link() {
    let w = World::new();
    let mut staff = w.admin.clone();
    staff.partner_id = Some(PARTNER.into());
    let caller = Caller {
        actor: &w.actor,
        user: &staff,
        change: &w.change,
    };
    let new = NewStaff {
        email: "sam@reseller.test".into(),
        name: "Sam Staff".into(),
    };
    let invited = w
        .members
        .invite_partner_staff(&partner(), &new, caller)
        .await
        .unwrap();
    let (_, identity) = w.identity.named("sam@reseller.test").unwrap();
    assert!(identity.groups.contains(PARTNER_STAFF_GROUP));
    assert!(identity.password.is_none());
    assert_eq!(invited.document["partnerId"], json!({"$oid": PARTNER}));
    assert_eq!(invited.document["tenantIds"], json!([]));
    let link = invited.recovery_link.expose().to_owned();
    assert!(link.starts_with("https://"));
    assert!(!format!("{invited:?}").contains(&link));
    assert_eq!(invited.events[0].action, "partner.staff_invite");

    // Not staff of this partner: refused.
    let e = refused(
        w.members
            .invite_partner_staff(&partner(), &new, w.caller())
            .await,
    );
    assert_eq!(e.code(), "DEZKY_FORBIDDEN");

    // No link: the identity goes again.
    let w2 = World::new();
    w2.identity.fail_next(MemberOp::RecoveryLink, unavailable());
    let caller = Caller {
        actor: &w2.actor,
        user: &staff,
        change: &w2.change,
    };
    let f = failed(
        w2.members
            .invite_partner_staff(&partner(), &new, caller)
            .await,
    );
    assert_eq!(f.undone.len(), 1);
    assert!(w2.identity.resources().is_empty());
    let bad = NewStaff {
        email: "sam".into(),
        name: "Sam".into(),
    };
    assert_eq!(
        field_of(refused(
            w2.members
                .invite_partner_staff(&partner(), &bad, caller)
                .await
        )),
        "staff.email"
    );
}

#[test]
fn me_lists_tenants_roles_and_partner() {
    let doc = object(json!({
        "_id": ADMIN_ID, "authentikSubjectId": "sub-admin", "email": "admin@acme.test",
        "tenantIds": [TENANT, OTHER, "6650f1c2a9b4e3d2c1b0a555"],
        "tenantRoles": {TENANT: "admin", OTHER: "member"},
        "partnerId": PARTNER,
        "memberSuspensions": {OTHER: {"mailbox": true}},
    }));
    let user = MemberDocument::from_document("user", &doc).unwrap();
    let tenants = [
        Tenant {
            id: TENANT.into(),
            slug: "acme".into(),
            plan: "business".into(),
            partner_id: None,
            status: None,
        },
        Tenant {
            id: OTHER.into(),
            slug: "beta".into(),
            plan: "starter".into(),
            partner_id: None,
            status: None,
        },
    ];
    let profile = me(&actor("sub-admin"), &user, &tenants, Some(&partner())).unwrap();
    assert_eq!(profile.tenants.len(), 2);
    assert_eq!(profile.tenants[0].role, "admin");
    assert!(profile.tenants[1].suspended);
    assert_eq!(profile.unknown_tenant_ids, ["6650f1c2a9b4e3d2c1b0a555"]);
    assert!(profile.partner.as_ref().unwrap().staff_access);
    let value = serde_json::to_value(&profile).unwrap();
    assert_eq!(value["tenantRoles"][TENANT], "admin");
    assert_eq!(value["surface"], "portal");

    let e = me(&actor("someone-else"), &user, &tenants, None).unwrap_err();
    assert_eq!(e.code(), "DEZKY_FORBIDDEN");
    let stranger = Partner {
        id: OTHER.into(),
        ..partner()
    };
    let e = me(&actor("sub-admin"), &user, &tenants, Some(&stranger)).unwrap_err();
    assert_eq!(field_of(e), "partner");
}

#[test]
fn member_documents_name_bad_fields() {
    for (doc, field) in [
        (
            json!({"_id": ADMIN_ID, "authentikSubjectId": "s", "authentikUserPk": true}),
            "member.authentikUserPk",
        ),
        (
            json!({"_id": ADMIN_ID, "authentikSubjectId": "s", "mailboxes": {"t": 3}}),
            "member.mailboxes",
        ),
        (
            json!({"_id": ADMIN_ID, "authentikSubjectId": "s", "__v": "x"}),
            "member.__v",
        ),
        (json!({"_id": ADMIN_ID}), "member.authentikSubjectId"),
    ] {
        let e = MemberDocument::from_document("member", &object(doc)).unwrap_err();
        assert_eq!(field_of(e), field);
    }
    let d = MemberDocument::from_json(
        r#"{"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "s", "authentikUserPk": 42, "__v": 2}"#,
    )
    .unwrap();
    assert_eq!(d.authentik_user_pk.as_deref(), Some("42"));
    assert_eq!(d.version, Some(2));
}
