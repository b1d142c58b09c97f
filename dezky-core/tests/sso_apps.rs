//! SSO apps on the in-memory identity provider: the apps bound to a tenant's
//! group, the composite delete (bindings, application, provider) with a
//! fault before and after each step, safe to repeat; the record without the
//! client secret.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::lifecycle::TenantDocument;
use dezky_core::members::{Caller, MemberDocument};
use dezky_core::provisioning::{FailureKind, PortError};
use dezky_core::sso_apps::memory::{MemorySso, SsoOp};
use dezky_core::sso_apps::{SsoAppRecord, SsoApps, SsoError, SsoStepOutcome};
use dezky_flags::Change;
use serde_json::{Map, Value, json};

const TENANT: &str = "6650f1c2a9b4e3d2c1b0a998";
const OTHER: &str = "6650f1c2a9b4e3d2c1b0a999";
const GROUP: &str = "6a3c2e1f-0c4b-4a5e-9d62-000000000001";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn change() -> Change {
    Change::new(
        "op@dezky.test",
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
    .unwrap()
}

fn actor(surface: Surface) -> Actor {
    Actor {
        subject: "sub-op".into(),
        email: Some("op@dezky.test".into()),
        name: None,
        groups: vec![],
        surface,
        issuer: "https://id.dezky.local/application/o/dezky-operator/".into(),
        audience: "dezky-operator".into(),
        expires_at: 2_000_000_000,
    }
}

fn user(platform_admin: bool, role: &str) -> UserRecord {
    MemberDocument::from_document(
        "user",
        &object(json!({
            "_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-op",
            "tenantIds": [TENANT], "tenantRoles": {TENANT: role}, "platformAdmin": platform_admin,
        })),
    )
    .unwrap()
    .user
}

fn tenant(partner: Option<&str>) -> TenantDocument {
    let mut doc = json!({
        "_id": TENANT, "slug": "acme", "name": "Acme", "status": "active", "plan": "business",
        "domains": ["acme.test"], "authentikGroupId": GROUP, "__v": 3,
    });
    if let Some(p) = partner {
        doc["partnerId"] = json!({"$oid": p});
    }
    TenantDocument::from_document("tenant", &object(doc)).unwrap()
}

fn unavailable() -> PortError {
    PortError::new(
        FailureKind::Unavailable,
        "DEZKY_UPSTREAM_UNAVAILABLE",
        "503",
    )
}

fn record_of(app: &dezky_core::sso_apps::SsoApplication, tenant_id: &str) -> SsoAppRecord {
    SsoAppRecord::from_document(
        "ssoApp",
        &object(json!({
            "_id": {"$oid": "6650f1c2a9b4e3d2c1b0e001"}, "tenantId": {"$oid": tenant_id},
            "name": app.name, "slug": app.slug, "applicationPk": app.pk, "providerPk": app.provider.unwrap(),
            "clientId": "cid", "issuer": "https://id.test/application/o/x/", "redirectUris": ["https://x.test/cb"],
        })),
    )
    .unwrap()
}

#[tokio::test]
async fn sso_apps_bound_to_the_group_and_the_composite_delete() {
    let change = change();
    let actor = actor(Surface::Portal);
    let admin = user(false, "admin");
    let caller = Caller {
        actor: &actor,
        user: &admin,
        change: &change,
    };
    let idp = MemorySso::new();
    let apps = SsoApps::new(Arc::new(idp.clone()));
    let wiki = idp.insert_app("acme-wiki", Some(GROUP));
    idp.insert_app("other-crm", Some("another-group"));
    idp.insert_app("loose", None);
    let listed = apps.list_apps(&tenant(None), caller).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].application.slug, "acme-wiki");

    let member = user(false, "member");
    let m = Caller {
        actor: &actor,
        user: &member,
        change: &change,
    };
    assert_eq!(
        apps.list_apps(&tenant(None), m).await.unwrap_err().code(),
        "DEZKY_FORBIDDEN"
    );
    let record = record_of(&wiki, TENANT);
    assert_eq!(
        apps.delete_app(&tenant(None), &record, m)
            .await
            .unwrap_err()
            .code(),
        "DEZKY_FORBIDDEN"
    );
    let foreign = record_of(&wiki, OTHER);
    match apps.delete_app(&tenant(None), &foreign, caller).await {
        Err(SsoError::Refused(Error::Invalid { field, .. })) => {
            assert_eq!(field, "ssoApp.tenantId")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(idp.counts(), (3, 3, 2));

    let deleted = apps
        .delete_app(&tenant(None), &record, caller)
        .await
        .unwrap();
    let outcomes: Vec<(&str, SsoStepOutcome)> = deleted
        .steps
        .iter()
        .map(|s| (s.what.as_str(), s.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("binding", SsoStepOutcome::Removed),
            ("application", SsoStepOutcome::Removed),
            ("provider", SsoStepOutcome::Removed)
        ]
    );
    assert_eq!(idp.counts(), (2, 2, 1));
    assert_eq!(
        deleted.delete_filter,
        Some(json!({"_id": {"$oid": "6650f1c2a9b4e3d2c1b0e001"}}))
    );
    // Again: everything is gone already.
    let again = apps
        .delete_app(&tenant(None), &record, caller)
        .await
        .unwrap();
    let outcomes: Vec<SsoStepOutcome> = again.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        vec![SsoStepOutcome::Absent, SsoStepOutcome::Absent]
    );
}

#[tokio::test]
async fn a_fault_at_each_step_of_the_delete_and_a_rerun_leaves_nothing() {
    let change = change();
    let actor = actor(Surface::Portal);
    let admin = user(false, "admin");
    let caller = Caller {
        actor: &actor,
        user: &admin,
        change: &change,
    };
    let faults: Vec<(SsoOp, bool)> = vec![
        (SsoOp::Application, false),
        (SsoOp::Bindings, false),
        (SsoOp::DeleteBinding, false),
        (SsoOp::DeleteBinding, true),
        (SsoOp::DeleteApplication, false),
        (SsoOp::DeleteApplication, true),
        (SsoOp::DeleteProvider, false),
        (SsoOp::DeleteProvider, true),
    ];
    for (op, lost) in faults {
        let idp = MemorySso::new();
        let apps = SsoApps::new(Arc::new(idp.clone()));
        let app = idp.insert_app("acme-wiki", Some(GROUP));
        let record = record_of(&app, TENANT);
        if lost {
            idp.lose_next_reply(op, unavailable());
        } else {
            idp.fail_next(op, unavailable());
        }
        let e = apps
            .delete_app(&tenant(None), &record, caller)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "DEZKY_UPSTREAM_UNAVAILABLE", "{op:?}");
        let SsoError::Failed { steps, events, .. } = &e else {
            panic!()
        };
        assert!(
            steps.iter().any(|s| s.outcome == SsoStepOutcome::Failed),
            "{op:?}"
        );
        assert_eq!(events[0].outcome, dezky_core::audit::Outcome::Failure);
        assert!(e.to_string().contains("sso_app.delete"), "{e}");
        apps.delete_app(&tenant(None), &record, caller)
            .await
            .unwrap();
        assert_eq!(idp.counts(), (0, 0, 0), "{op:?} lost={lost}");
    }
}

#[test]
fn the_sso_record_never_holds_the_client_secret() {
    let doc = object(json!({
        "tenantId": TENANT, "name": "Wiki", "slug": "acme-wiki", "applicationPk": "a", "providerPk": 4,
        "clientId": "cid", "issuer": "https://id.test/", "clientSecret": "s3cr3t",
    }));
    match SsoAppRecord::from_document("ssoApp", &doc) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "ssoApp.clientSecret"),
        other => panic!("{other:?}"),
    }
    let mut ok = doc.clone();
    ok.remove("clientSecret");
    let record = SsoAppRecord::from_document("ssoApp", &ok).unwrap();
    assert!(!record.to_document().contains_key("clientSecret"));
    ok.insert("providerPk".into(), json!(0));
    match SsoAppRecord::from_document("ssoApp", &ok) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "ssoApp.providerPk"),
        other => panic!("{other:?}"),
    }
}
