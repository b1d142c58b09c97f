//! Mail-domain operations on the in-memory mail server: add (the DKIM wait on
//! a manual clock, the ownership token, a fault at every step leaving nothing
//! behind and a retry leaving exactly one domain), verify, list, the DMARC
//! builder, remove with the in-use guard, aliases, mailing lists and quotas;
//! refusals, bad input naming the field, and the token kept out of Debug.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::dns::RecordData;
use dezky_core::dns::{Answer, ExpectedRecords, QueryType, RecordKind, Resolver, VerifyOptions};
use dezky_core::domains::memory::{MailOp, MemoryMail};
use dezky_core::domains::{
    DkimWait, DmarcPolicy, DomainError, DomainRecord, DomainStatus, Domains, ManualPause,
    with_dmarc,
};
use dezky_core::lifecycle::TenantDocument;
use dezky_core::members::{Caller, MemberDocument};
use dezky_core::provisioning::{FailureKind, PortError};
use dezky_flags::Change;
use serde_json::{Map, Value, json};

const TENANT: &str = "6650f1c2a9b4e3d2c1b0a998";
const OTHER: &str = "6650f1c2a9b4e3d2c1b0a999";
const ADMIN_ID: &str = "6650f1c2a9b4e3d2c1b0a001";
const USER_ID: &str = "6650f1c2a9b4e3d2c1b0a002";

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

fn tenant_with(status: &str, domains: &[&str]) -> TenantDocument {
    TenantDocument::from_document(
        "tenant",
        &object(json!({
            "_id": TENANT, "slug": "acme", "name": "Acme Co", "status": status,
            "plan": "business", "domains": domains, "__v": 4,
        })),
    )
    .unwrap()
}

fn tenant() -> TenantDocument {
    tenant_with("active", &["acme.test"])
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

fn user(id: &str, subject: &str, role: &str) -> UserRecord {
    MemberDocument::from_document(
        "user",
        &object(json!({
            "_id": id, "authentikSubjectId": subject, "email": "admin@acme.test",
            "tenantIds": [TENANT], "tenantRoles": {TENANT: role},
        })),
    )
    .unwrap()
    .user
}

fn unavailable() -> PortError {
    PortError::new(
        FailureKind::Unavailable,
        "DEZKY_UPSTREAM_UNAVAILABLE",
        "503 from the server",
    )
}

/// Queues one fault on the mail server.
type Fault = Box<dyn Fn(&MemoryMail)>;

struct World {
    mail: MemoryMail,
    pause: Arc<ManualPause>,
    domains: Domains,
    actor: Actor,
    admin: UserRecord,
    change: Change,
}

impl World {
    fn new() -> Self {
        let mail = MemoryMail::new();
        let pause = Arc::new(ManualPause::new());
        let domains = Domains::new(Arc::new(mail.clone()))
            .with_pause(pause.clone())
            .with_dkim_wait(DkimWait {
                timeout: Duration::from_secs(10),
                first: Duration::from_millis(200),
                max: Duration::from_secs(2),
            });
        World {
            mail,
            pause,
            domains,
            actor: actor("sub-admin"),
            admin: user(ADMIN_ID, "sub-admin", "admin"),
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

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .mail
            .domains()
            .values()
            .map(|d| d.name.clone())
            .collect();
        names.sort();
        names
    }
}

fn code(e: &DomainError) -> &str {
    e.code()
}

fn field(e: &DomainError) -> String {
    match e {
        DomainError::Refused(Error::Invalid { field, .. }) => field.clone(),
        other => panic!("not a field refusal: {other:?}"),
    }
}

#[tokio::test]
async fn add_waits_for_dkim_and_returns_the_records_with_an_ownership_token() {
    let w = World::new();
    w.mail.dkim_after(3);
    let added = w
        .domains
        .add_domain(&tenant(), "Mail.Acme.Test.", w.caller())
        .await
        .unwrap();
    assert_eq!(added.record.name, "mail.acme.test");
    assert!(!added.adopted);
    // Three empty looks, 200 ms apart doubling: no real time passed.
    assert_eq!(
        w.pause.sleeps(),
        vec![
            Duration::from_millis(200),
            Duration::from_millis(400),
            Duration::from_millis(800)
        ]
    );
    assert_eq!(w.mail.calls(MailOp::DkimSelectors), 4);
    assert_eq!(added.dkim_selectors, vec!["v1-ed25519", "v1-rsa"]);

    let token = added.record.ownership_token.expose().to_owned();
    assert!(token.len() >= 32, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let ownership = added.expected.checks.last().unwrap();
    assert_eq!(ownership.kind, RecordKind::Ownership);
    assert_eq!(ownership.name, "_dezky-challenge.mail.acme.test.");
    assert!(
        added
            .expected
            .checks
            .iter()
            .any(|c| matches!(c.kind, RecordKind::Dkim { .. }))
    );
    assert_eq!(added.document["ownershipToken"], json!(token));
    assert_eq!(added.document["status"], json!("pending"));
    assert_eq!(added.document["tenantId"], json!({"$oid": TENANT}));
    assert_eq!(
        added.document["stalwartDomainId"],
        json!(added.record.stalwart_domain_id)
    );
    assert_eq!(
        added.tenant_patch.update()["$set"]["domains"],
        json!(["acme.test", "mail.acme.test"])
    );
    assert_eq!(w.names(), vec!["mail.acme.test"]);
    assert_eq!(
        w.mail.domains().values().next().unwrap().owner.as_deref(),
        Some(TENANT)
    );

    // The token is in no Debug output and no audit event.
    let debug = format!("{added:?} {:?}", added.record);
    assert!(!debug.contains(&token), "{debug}");
    let events = serde_json::to_string(&added.events).unwrap();
    assert!(!events.contains(&token));
    assert_eq!(added.events[0].action, "domain.add");

    // Two tokens differ.
    let again = w
        .domains
        .add_domain(&tenant(), "other.acme.test", w.caller())
        .await
        .unwrap();
    assert_ne!(again.record.ownership_token.expose(), token);
}

#[tokio::test]
async fn a_fault_at_each_step_of_add_leaves_nothing_and_a_retry_leaves_one_domain() {
    let cases: Vec<(&str, Fault)> = vec![
        (
            "find_domain",
            Box::new(|m| m.fail_next(MailOp::FindDomain, unavailable())),
        ),
        (
            "create_domain",
            Box::new(|m| m.fail_next(MailOp::CreateDomain, unavailable())),
        ),
        (
            "create_domain",
            Box::new(|m| m.lose_next_reply(MailOp::CreateDomain, unavailable())),
        ),
        (
            "dkim",
            Box::new(|m| m.fail_next(MailOp::DkimSelectors, unavailable())),
        ),
        (
            "zone_file",
            Box::new(|m| m.fail_next(MailOp::ZoneFile, unavailable())),
        ),
        (
            "zone_file",
            Box::new(|m| m.lose_next_reply(MailOp::ZoneFile, unavailable())),
        ),
    ];
    for (step, fault) in cases {
        let w = World::new();
        fault(&w.mail);
        let error = w
            .domains
            .add_domain(&tenant(), "mail.acme.test", w.caller())
            .await
            .unwrap_err();
        assert_eq!(code(&error), "DEZKY_UPSTREAM_UNAVAILABLE", "{step}");
        let DomainError::Failed(failure) = &error else {
            panic!("{step}: {error:?}")
        };
        assert_eq!(failure.step, step);
        assert!(failure.undone.iter().all(|u| u.error.is_none()), "{step}");
        assert_eq!(failure.events[0].metadata["failed"], json!(step));
        assert!(w.names().is_empty(), "{step}: left {:?}", w.names());

        let added = w
            .domains
            .add_domain(&tenant(), "mail.acme.test", w.caller())
            .await
            .unwrap();
        assert_eq!(w.names(), vec!["mail.acme.test"], "{step}");
        assert_eq!(
            w.mail.domains().keys().next().unwrap(),
            &added.record.stalwart_domain_id
        );
    }
}

#[tokio::test]
async fn a_failed_cleanup_is_reported_with_the_original_error() {
    let w = World::new();
    w.mail.fail_next(MailOp::ZoneFile, unavailable());
    w.mail.fail_next(
        MailOp::RemoveDomain,
        PortError::new(FailureKind::Unavailable, "DEZKY_TIMEOUT", "timed out"),
    );
    let error = w
        .domains
        .add_domain(&tenant(), "mail.acme.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    let DomainError::Failed(failure) = &error else {
        panic!()
    };
    assert_eq!(
        failure.undone[0].error.as_ref().unwrap().code,
        "DEZKY_TIMEOUT"
    );
    assert!(error.to_string().contains("undoing domain"), "{error}");
    // The domain is still there; a retry adopts it (it carries the tenant's marker).
    let added = w
        .domains
        .add_domain(&tenant(), "mail.acme.test", w.caller())
        .await
        .unwrap();
    assert!(added.adopted);
    assert_eq!(w.names(), vec!["mail.acme.test"]);
}

#[tokio::test]
async fn the_dkim_wait_is_bounded() {
    let w = World::new();
    w.mail.dkim_after(1_000);
    let error = w
        .domains
        .add_domain(&tenant(), "mail.acme.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "DEZKY_TIMEOUT");
    let total: Duration = w.pause.sleeps().iter().sum();
    assert_eq!(total, Duration::from_secs(10));
    assert!(
        w.pause
            .sleeps()
            .iter()
            .all(|s| *s <= Duration::from_secs(2))
    );
    assert!(w.names().is_empty());
}

#[tokio::test]
async fn a_domain_of_another_tenant_is_taken_and_the_tenants_own_is_adopted() {
    let w = World::new();
    w.mail.insert_domain("taken.test", Some(OTHER));
    let error = w
        .domains
        .add_domain(&tenant(), "taken.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "DEZKY_ALREADY_EXISTS");
    w.mail.insert_domain("acme.test", Some(TENANT));
    let added = w
        .domains
        .add_domain(&tenant(), "acme.test", w.caller())
        .await
        .unwrap();
    assert!(added.adopted);
    assert!(added.tenant_patch.is_empty(), "the tenant lists it already");
    // A failure after adopting leaves the adopted domain in place.
    w.mail.fail_next(MailOp::ZoneFile, unavailable());
    let error = w
        .domains
        .add_domain(&tenant(), "acme.test", w.caller())
        .await
        .unwrap_err();
    let DomainError::Failed(failure) = &error else {
        panic!()
    };
    assert!(failure.undone.is_empty());
    assert_eq!(w.names(), vec!["acme.test", "taken.test"]);
}

#[tokio::test]
async fn add_refusals_and_bad_names_touch_nothing() {
    let w = World::new();
    for bad in [
        "",
        "acme",
        "-acme.test",
        "acme..test",
        "ac me.test",
        "acme.123",
    ] {
        let e = w
            .domains
            .add_domain(&tenant(), bad, w.caller())
            .await
            .unwrap_err();
        assert_eq!(field(&e), "domain.name", "{bad}");
    }
    let member = user(USER_ID, "sub-user", "member");
    let actor = actor("sub-user");
    let caller = Caller {
        actor: &actor,
        user: &member,
        change: &w.change,
    };
    let e = w
        .domains
        .add_domain(&tenant(), "x.acme.test", caller)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_FORBIDDEN");
    let e = w
        .domains
        .add_domain(&tenant_with("pending", &[]), "x.acme.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_ILLEGAL_TRANSITION");
    assert_eq!(w.mail.calls(MailOp::FindDomain), 0);
}

/// Answers with exactly the records of `published`.
struct Published(HashMap<(String, QueryType), Vec<RecordData>>);

impl Published {
    fn of(expected: &ExpectedRecords) -> Self {
        let mut map: HashMap<(String, QueryType), Vec<RecordData>> = HashMap::new();
        for check in &expected.checks {
            map.entry((check.name.clone(), check.query_type().unwrap()))
                .or_default()
                .extend(check.records.clone());
        }
        Published(map)
    }
}

impl Resolver for Published {
    async fn lookup(&self, name: &str, qtype: QueryType) -> Answer {
        match self.0.get(&(name.to_owned(), qtype)) {
            Some(records) => Answer::records(records.clone()),
            None => Answer::NxDomain,
        }
    }
}

fn quiet() -> VerifyOptions {
    VerifyOptions {
        spf_limits: false,
        mx_hosts: false,
        spf_lookup_warning: 8,
        dmarc_reports: false,
    }
}

fn stored(added: &dezky_core::domains::AddedDomain, id: &str) -> DomainRecord {
    let mut doc = added.document.clone();
    doc.insert("_id".into(), json!({"$oid": id}));
    DomainRecord::from_document("domain", &doc).unwrap()
}

#[tokio::test]
async fn verify_uses_the_ownership_token_and_the_tenants_dmarc() {
    let w = World::new();
    let added = w
        .domains
        .add_domain(&tenant(), "mail.acme.test", w.caller())
        .await
        .unwrap();
    let record = stored(&added, "6650f1c2a9b4e3d2c1b0d001");
    let dns = Published::of(&added.expected);
    let check = w
        .domains
        .verify_domain(&tenant(), &record, &dns, &quiet(), w.caller())
        .await
        .unwrap();
    assert_eq!(
        check.status,
        DomainStatus::Verified,
        "{:?}",
        check.report.actions
    );
    assert_eq!(check.patch.update()["$set"]["status"], json!("verified"));
    assert!(check.patch.update()["$set"]["verifiedAt"].is_string());

    // Without the ownership TXT the domain stays pending.
    let mut unproven = added.expected.clone();
    unproven.checks.retain(|c| c.kind != RecordKind::Ownership);
    let check = w
        .domains
        .verify_domain(
            &tenant(),
            &record,
            &Published::of(&unproven),
            &quiet(),
            w.caller(),
        )
        .await
        .unwrap();
    assert_eq!(check.status, DomainStatus::Pending);

    // With the tenant's own DMARC policy, the server's `_dmarc` record is wrong.
    let policy = DmarcPolicy::new("quarantine")
        .pct(50)
        .rua("mailto:dmarc@acme.test");
    let change = Domains::set_dmarc(&tenant(), &record, Some(&policy), w.caller()).unwrap();
    let text = change.patch.as_ref().unwrap().update()["$set"]["dmarc"].clone();
    assert_eq!(
        text,
        json!("v=DMARC1; p=quarantine; pct=50; rua=mailto:dmarc@acme.test")
    );
    let mut verified = record.clone();
    verified.status = DomainStatus::Verified;
    verified.dmarc = Some(text.as_str().unwrap().to_owned());
    let check = w
        .domains
        .verify_domain(&tenant(), &verified, &dns, &quiet(), w.caller())
        .await
        .unwrap();
    assert_eq!(check.status, DomainStatus::Failing);
    let with_policy = with_dmarc(added.expected.clone(), text.as_str().unwrap());
    let check = w
        .domains
        .verify_domain(
            &tenant(),
            &verified,
            &Published::of(&with_policy),
            &quiet(),
            w.caller(),
        )
        .await
        .unwrap();
    assert_eq!(check.status, DomainStatus::Verified);
}

#[test]
fn the_dmarc_builder_validates_each_field() {
    let ok = DmarcPolicy::new("reject")
        .sp("quarantine")
        .pct(100)
        .rua("mailto:a@Acme.Test")
        .ruf("mailto:b@acme.test")
        .adkim("s")
        .aspf("r");
    assert_eq!(
        ok.to_record().unwrap(),
        "v=DMARC1; p=reject; sp=quarantine; pct=100; rua=mailto:a@acme.test; ruf=mailto:b@acme.test; adkim=s; aspf=r"
    );
    let cases = [
        (DmarcPolicy::new("block"), "dmarc.p"),
        (DmarcPolicy::new("none").sp("all"), "dmarc.sp"),
        (DmarcPolicy::new("none").pct(101), "dmarc.pct"),
        (
            DmarcPolicy::new("none")
                .rua("mailto:a@acme.test")
                .rua("https://x.test/r"),
            "dmarc.rua[1]",
        ),
        (
            DmarcPolicy::new("none").rua("mailto:a@b.test,mailto:c@d.test"),
            "dmarc.rua[0]",
        ),
        (
            DmarcPolicy::new("none").ruf("mailto:nobody"),
            "dmarc.ruf[0]",
        ),
        (DmarcPolicy::new("none").adkim("x"), "dmarc.adkim"),
        (DmarcPolicy::new("none").aspf("strict"), "dmarc.aspf"),
    ];
    for (policy, expected) in cases {
        match policy.to_record() {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, expected),
            other => panic!("{expected}: {other:?}"),
        }
    }
    let read: DmarcPolicy =
        serde_json::from_value(json!({"p": "none", "rua": ["mailto:r@acme.test"]})).unwrap();
    assert_eq!(
        read.to_record().unwrap(),
        "v=DMARC1; p=none; rua=mailto:r@acme.test"
    );
    assert!(serde_json::from_value::<DmarcPolicy>(json!({"p": "none", "fo": "1"})).is_err());
}

#[tokio::test]
async fn list_puts_the_primary_first_and_keeps_to_the_tenant() {
    let w = World::new();
    let a = w
        .domains
        .add_domain(&tenant(), "zeta.acme.test", w.caller())
        .await
        .unwrap();
    let b = w
        .domains
        .add_domain(&tenant(), "acme.test", w.caller())
        .await
        .unwrap();
    let mut foreign = stored(&a, "6650f1c2a9b4e3d2c1b0d009");
    foreign.tenant_id = OTHER.into();
    let records = vec![
        stored(&a, "6650f1c2a9b4e3d2c1b0d001"),
        stored(&b, "6650f1c2a9b4e3d2c1b0d002"),
        foreign,
    ];
    let list = Domains::list_domains(&tenant(), &records, w.caller()).unwrap();
    let names: Vec<(&str, bool)> = list.iter().map(|d| (d.name.as_str(), d.primary)).collect();
    assert_eq!(names, vec![("acme.test", true), ("zeta.acme.test", false)]);
}

#[tokio::test]
async fn remove_is_guarded_and_safe_to_repeat() {
    let w = World::new();
    let tenant = tenant_with("active", &["acme.test", "shop.acme.test"]);
    let primary = w
        .domains
        .add_domain(&tenant, "acme.test", w.caller())
        .await
        .unwrap();
    let shop = w
        .domains
        .add_domain(&tenant, "shop.acme.test", w.caller())
        .await
        .unwrap();
    let primary = stored(&primary, "6650f1c2a9b4e3d2c1b0d001");
    let shop_record = stored(&shop, "6650f1c2a9b4e3d2c1b0d002");

    let e = w
        .domains
        .remove_domain(&tenant, &primary, w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_IN_USE");
    assert!(matches!(&e, DomainError::InUse { linked, .. } if linked.is_empty()));

    let mailbox = w.mail.insert_mailbox("sales@shop.acme.test");
    let e = w
        .domains
        .remove_domain(&tenant, &shop_record, w.caller())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::InUse { linked, .. } if linked == &vec![format!("Account/{mailbox}")])
    );

    // An alias on the domain of a mailbox elsewhere: the server's own guard answers.
    let w2 = World::new();
    let t2 = tenant_with("active", &["acme.test", "shop.acme.test"]);
    let shop2 = w2
        .domains
        .add_domain(&t2, "shop.acme.test", w2.caller())
        .await
        .unwrap();
    w2.domains
        .add_domain(&t2, "acme.test", w2.caller())
        .await
        .unwrap();
    let bob = w2.mail.insert_mailbox("bob@acme.test");
    let doc = MemberDocument::from_document(
        "member",
        &object(
            json!({"_id": USER_ID, "authentikSubjectId": "sub-bob", "email": "bob@acme.test",
            "tenantIds": [TENANT], "mailboxes": {TENANT: {"id": bob, "address": "bob@acme.test"}}}),
        ),
    )
    .unwrap();
    w2.domains
        .add_alias(&t2, &doc, "sales@shop.acme.test", w2.caller())
        .await
        .unwrap();
    let shop2 = stored(&shop2, "6650f1c2a9b4e3d2c1b0d003");
    let e = w2
        .domains
        .remove_domain(&t2, &shop2, w2.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_IN_USE");
    assert!(matches!(e, DomainError::Failed(_)));
    w2.domains
        .remove_alias(&t2, &doc, "sales@shop.acme.test", w2.caller())
        .await
        .unwrap();

    // A fault at the removal leaves the domain; the retry removes it; a third run finds it gone.
    w2.mail.fail_next(MailOp::RemoveDomain, unavailable());
    let e = w2
        .domains
        .remove_domain(&t2, &shop2, w2.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(w2.names(), vec!["acme.test", "shop.acme.test"]);
    let removed = w2
        .domains
        .remove_domain(&t2, &shop2, w2.caller())
        .await
        .unwrap();
    assert_eq!(w2.names(), vec!["acme.test"]);
    assert_eq!(
        removed.tenant_patch.update()["$set"]["domains"],
        json!(["acme.test"])
    );
    assert_eq!(
        removed.delete_filter,
        Some(json!({"_id": {"$oid": "6650f1c2a9b4e3d2c1b0d003"}}))
    );
    assert_eq!(removed.events[0].action, "domain.remove");
    w2.domains
        .remove_domain(&t2, &shop2, w2.caller())
        .await
        .unwrap();
}

fn member_with_mailbox(w: &World, address: &str) -> MemberDocument {
    let handle = w.mail.insert_mailbox(address);
    MemberDocument::from_document(
        "member",
        &object(
            json!({"_id": USER_ID, "authentikSubjectId": "sub-bob", "email": address,
            "tenantIds": [TENANT], "mailboxes": {TENANT: {"id": handle, "address": address}}}),
        ),
    )
    .unwrap()
}

#[tokio::test]
async fn aliases_and_quotas() {
    let w = World::new();
    let tenant = tenant();
    w.mail.insert_domain("acme.test", Some(TENANT));
    let bob = member_with_mailbox(&w, "bob@acme.test");
    let ann = member_with_mailbox(&w, "ann@acme.test");
    let handle = bob.mailboxes[TENANT].id.clone();

    let change = w
        .domains
        .add_alias(&tenant, &bob, " Sales@Acme.Test ", w.caller())
        .await
        .unwrap();
    assert_eq!(change.events[0].metadata["alias"], json!("sales@acme.test"));
    assert!(
        w.mail.mailboxes()[&handle]
            .aliases
            .contains("sales@acme.test")
    );
    // Again: no change. Another mailbox's address or alias: taken.
    w.domains
        .add_alias(&tenant, &bob, "sales@acme.test", w.caller())
        .await
        .unwrap();
    let e = w
        .domains
        .add_alias(&tenant, &ann, "sales@acme.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_ALREADY_EXISTS");
    let e = w
        .domains
        .add_alias(&tenant, &ann, "bob@acme.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_ALREADY_EXISTS");
    for (bad, f) in [
        ("sales@other.test", "alias.address"),
        ("no-at", "alias.address"),
        (".x@acme.test", "alias.address"),
    ] {
        let e = w
            .domains
            .add_alias(&tenant, &bob, bad, w.caller())
            .await
            .unwrap_err();
        assert_eq!(field(&e), f, "{bad}");
    }
    // A lost answer: the alias is taken off again.
    w.mail.lose_next_reply(MailOp::AddAlias, unavailable());
    let e = w
        .domains
        .add_alias(&tenant, &ann, "info@acme.test", w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert!(
        w.mail
            .mailboxes()
            .values()
            .all(|m| !m.aliases.contains("info@acme.test"))
    );

    w.domains
        .remove_alias(&tenant, &bob, "sales@acme.test", w.caller())
        .await
        .unwrap();
    assert!(w.mail.mailboxes()[&handle].aliases.is_empty());
    w.domains
        .remove_alias(&tenant, &bob, "sales@acme.test", w.caller())
        .await
        .unwrap();

    w.domains
        .set_quota(&tenant, &bob, Some(5 << 30), w.caller())
        .await
        .unwrap();
    assert_eq!(w.mail.mailboxes()[&handle].quota_bytes, Some(5 << 30));
    let e = w
        .domains
        .set_quota(&tenant, &bob, Some(0), w.caller())
        .await
        .unwrap_err();
    assert_eq!(field(&e), "mailbox.quotaBytes");
    w.mail.fail_next(MailOp::SetQuota, unavailable());
    let e = w
        .domains
        .set_quota(&tenant, &bob, None, w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(w.mail.mailboxes()[&handle].quota_bytes, Some(5 << 30));

    let stranger = MemberDocument::from_document(
        "member",
        &object(json!({"_id": USER_ID, "authentikSubjectId": "s", "tenantIds": []})),
    )
    .unwrap();
    let e = w
        .domains
        .set_quota(&tenant, &stranger, None, w.caller())
        .await
        .unwrap_err();
    assert_eq!(field(&e), "member.tenantIds");
}

#[tokio::test]
async fn mailing_lists() {
    let w = World::new();
    let tenant = tenant();
    w.mail.insert_domain("acme.test", Some(TENANT));
    let recipients = vec!["a@acme.test".to_owned(), "B@Partner.Test".to_owned()];
    let made = w
        .domains
        .create_list(&tenant, "team@acme.test", &recipients, w.caller())
        .await
        .unwrap();
    let list = made.list.unwrap();
    assert_eq!(
        list.recipients.iter().cloned().collect::<Vec<_>>(),
        vec!["a@acme.test", "b@partner.test"]
    );
    let e = w
        .domains
        .create_list(&tenant, "team@acme.test", &[], w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_ALREADY_EXISTS");
    let e = w
        .domains
        .create_list(
            &tenant,
            "x@acme.test",
            &["a@acme.test".into(), "nope".into()],
            w.caller(),
        )
        .await
        .unwrap_err();
    assert_eq!(field(&e), "list.recipients[1]");

    let changed = w
        .domains
        .set_list_members(
            &tenant,
            "team@acme.test",
            &["c@acme.test".into()],
            &["a@acme.test".into()],
            w.caller(),
        )
        .await
        .unwrap();
    assert_eq!(
        changed
            .list
            .unwrap()
            .recipients
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["b@partner.test", "c@acme.test"]
    );
    assert_eq!(w.mail.lists()[&list.handle].recipients.len(), 2);

    // A lost answer at create: the list is removed again; the retry makes exactly one.
    w.mail.lose_next_reply(MailOp::CreateList, unavailable());
    let e = w
        .domains
        .create_list(&tenant, "ops@acme.test", &[], w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(w.mail.lists().len(), 1);
    w.domains
        .create_list(&tenant, "ops@acme.test", &[], w.caller())
        .await
        .unwrap();
    assert_eq!(w.mail.lists().len(), 2);

    let deleted = w
        .domains
        .delete_list(&tenant, "team@acme.test", w.caller())
        .await
        .unwrap();
    assert_eq!(deleted.events[0].metadata["existed"], json!(true));
    let again = w
        .domains
        .delete_list(&tenant, "team@acme.test", w.caller())
        .await
        .unwrap();
    assert_eq!(again.events[0].metadata["existed"], json!(false));
    assert_eq!(w.mail.lists().len(), 1);
}

#[test]
fn a_domain_document_reads_back_and_names_bad_fields() {
    let doc = object(json!({
        "_id": {"$oid": "6650f1c2a9b4e3d2c1b0d001"}, "tenantId": TENANT, "name": "Acme.Test",
        "stalwartDomainId": "d1", "ownershipToken": "abcdefghijklmnopqrstuvwxyz012345", "status": "verified", "__v": 2,
    }));
    let record = DomainRecord::from_document("domain", &doc).unwrap();
    assert_eq!(record.name, "acme.test");
    assert_eq!(record.status, DomainStatus::Verified);
    assert!(!format!("{record:?}").contains("abcdefghijklmnop"));
    for (key, value, f) in [
        ("status", json!("done"), "domain.status"),
        ("name", json!(3), "domain.name"),
        ("tenantId", json!(5), "domain.tenantId"),
        ("__v", json!(-1), "domain.__v"),
    ] {
        let mut bad = doc.clone();
        bad.insert(key.into(), value);
        match DomainRecord::from_document("domain", &bad) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, f),
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn faults_at_the_other_steps_change_nothing_and_a_retry_completes() {
    let w = World::new();
    let tenant = tenant_with("active", &["acme.test", "shop.acme.test"]);
    w.mail.insert_domain("acme.test", Some(TENANT));
    let shop = w
        .domains
        .add_domain(&tenant, "shop.acme.test", w.caller())
        .await
        .unwrap();
    let shop = stored(&shop, "6650f1c2a9b4e3d2c1b0d002");
    let bob = member_with_mailbox(&w, "bob@acme.test");
    let handle = bob.mailboxes[TENANT].id.clone();
    w.domains
        .add_alias(&tenant, &bob, "info@acme.test", w.caller())
        .await
        .unwrap();
    w.domains
        .create_list(
            &tenant,
            "team@acme.test",
            &["a@acme.test".into()],
            w.caller(),
        )
        .await
        .unwrap();

    // Verify: the zone file cannot be read.
    w.mail.fail_next(MailOp::ZoneFile, unavailable());
    let dns = Published(HashMap::new());
    let e = w
        .domains
        .verify_domain(&tenant, &shop, &dns, &quiet(), w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    let DomainError::Failed(f) = &e else { panic!() };
    assert_eq!(f.step, "zone_file");

    // Remove: the mailbox check fails; nothing is removed.
    w.mail.fail_next(MailOp::Mailboxes, unavailable());
    let e = w
        .domains
        .remove_domain(&tenant, &shop, w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(w.names(), vec!["acme.test", "shop.acme.test"]);

    // Alias removal, list members, list deletion: each failed call changes nothing, the retry does it.
    w.mail.fail_next(MailOp::RemoveAlias, unavailable());
    assert!(
        w.domains
            .remove_alias(&tenant, &bob, "info@acme.test", w.caller())
            .await
            .is_err()
    );
    assert!(
        w.mail.mailboxes()[&handle]
            .aliases
            .contains("info@acme.test")
    );
    w.domains
        .remove_alias(&tenant, &bob, "info@acme.test", w.caller())
        .await
        .unwrap();
    assert!(w.mail.mailboxes()[&handle].aliases.is_empty());

    let add = vec!["b@acme.test".to_owned()];
    w.mail.fail_next(MailOp::SetListRecipients, unavailable());
    assert!(
        w.domains
            .set_list_members(&tenant, "team@acme.test", &add, &[], w.caller())
            .await
            .is_err()
    );
    assert_eq!(w.mail.lists().values().next().unwrap().recipients.len(), 1);
    w.mail.fail_next(MailOp::FindList, unavailable());
    assert!(
        w.domains
            .set_list_members(&tenant, "team@acme.test", &add, &[], w.caller())
            .await
            .is_err()
    );
    w.domains
        .set_list_members(&tenant, "team@acme.test", &add, &[], w.caller())
        .await
        .unwrap();
    assert_eq!(w.mail.lists().values().next().unwrap().recipients.len(), 2);
    let e = w
        .domains
        .set_list_members(&tenant, "nobody@acme.test", &add, &[], w.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_NOT_FOUND");

    w.mail.fail_next(MailOp::RemoveList, unavailable());
    assert!(
        w.domains
            .delete_list(&tenant, "team@acme.test", w.caller())
            .await
            .is_err()
    );
    assert_eq!(w.mail.lists().len(), 1);
    w.mail.lose_next_reply(MailOp::RemoveList, unavailable());
    assert!(
        w.domains
            .delete_list(&tenant, "team@acme.test", w.caller())
            .await
            .is_err()
    );
    assert!(w.mail.lists().is_empty());
    w.domains
        .delete_list(&tenant, "team@acme.test", w.caller())
        .await
        .unwrap();
}
