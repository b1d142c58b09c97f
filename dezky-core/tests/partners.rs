//! Partners: create, terminate as a soft status, attach refused for a
//! terminated partner, detach clearing the field; operators only.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::lifecycle::{PartnerDocument, TenantDocument};
use dezky_core::members::{Caller, MemberDocument};
use dezky_core::partners::{
    NewPartner, attach_tenant, create_partner, detach_tenant, terminate_partner,
};
use dezky_flags::Change;
use serde_json::{Map, Value, json};

const TENANT: &str = "6650f1c2a9b4e3d2c1b0a998";
const PARTNER: &str = "6650f1c2a9b4e3d2c1b0a777";
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

fn partner(status: &str) -> PartnerDocument {
    PartnerDocument::from_document(
        "partner",
        &object(json!({"_id": PARTNER, "slug": "resell", "name": "Resell", "status": status})),
    )
    .unwrap()
}

#[test]
fn partners_need_an_operator() {
    let change = change();
    let op_actor = actor(Surface::Operator);
    let portal_actor = actor(Surface::Portal);
    let admin = user(true, "admin");
    let tenant_admin = user(false, "admin");
    let refused = [
        Caller {
            actor: &portal_actor,
            user: &admin,
            change: &change,
        },
        Caller {
            actor: &op_actor,
            user: &tenant_admin,
            change: &change,
        },
    ];
    let new = NewPartner {
        slug: "resell".into(),
        name: "Resell".into(),
        domain: None,
        margin_pct: Some(20.0),
    };
    for caller in refused {
        assert_eq!(
            create_partner(&new, caller).unwrap_err().code(),
            "DEZKY_FORBIDDEN"
        );
        assert_eq!(
            terminate_partner(&partner("active"), caller)
                .unwrap_err()
                .code(),
            "DEZKY_FORBIDDEN"
        );
        assert_eq!(
            attach_tenant(&tenant(None), &partner("active"), caller)
                .unwrap_err()
                .code(),
            "DEZKY_FORBIDDEN"
        );
        assert_eq!(
            detach_tenant(&tenant(Some(PARTNER)), caller)
                .unwrap_err()
                .code(),
            "DEZKY_FORBIDDEN"
        );
    }
}

#[test]
fn partner_rules() {
    let change = change();
    let op_actor = actor(Surface::Operator);
    let admin = user(true, "member");
    let op = Caller {
        actor: &op_actor,
        user: &admin,
        change: &change,
    };

    let created = create_partner(
        &NewPartner {
            slug: "resell".into(),
            name: " Resell ApS ".into(),
            domain: Some("Resell.Test".into()),
            margin_pct: Some(20.0),
        },
        op,
    )
    .unwrap();
    assert_eq!(created.document["status"], json!("active"));
    assert_eq!(created.document["name"], json!("Resell ApS"));
    assert_eq!(created.document["domain"], json!("resell.test"));
    for (new, f) in [
        (
            NewPartner {
                slug: "Bad Slug".into(),
                name: "x".into(),
                domain: None,
                margin_pct: None,
            },
            "partner.slug",
        ),
        (
            NewPartner {
                slug: "ok".into(),
                name: " ".into(),
                domain: None,
                margin_pct: None,
            },
            "partner.name",
        ),
        (
            NewPartner {
                slug: "ok".into(),
                name: "x".into(),
                domain: Some("nodot".into()),
                margin_pct: None,
            },
            "partner.domain",
        ),
        (
            NewPartner {
                slug: "ok".into(),
                name: "x".into(),
                domain: None,
                margin_pct: Some(101.0),
            },
            "partner.marginPct",
        ),
    ] {
        match create_partner(&new, op) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, f),
            other => panic!("{f}: {other:?}"),
        }
    }

    // Terminate is a status, never a delete; terminating again changes nothing.
    let t = terminate_partner(&partner("active"), op).unwrap();
    let update = t.patch.update();
    assert_eq!(update["$set"]["status"], json!("terminated"));
    assert_eq!(update["$set"]["terminatedAt"], json!(change.timestamp()));
    assert_eq!(t.events[0].action, "partner.terminate");
    assert!(
        terminate_partner(&partner("terminated"), op)
            .unwrap()
            .patch
            .is_empty()
    );

    // Attach: refused for a terminated partner, naming the field.
    match attach_tenant(&tenant(None), &partner("terminated"), op) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "partner.status"),
        other => panic!("{other:?}"),
    }
    let a = attach_tenant(&tenant(None), &partner("suspended"), op).unwrap();
    assert_eq!(
        a.patch.update()["$set"]["partnerId"],
        json!({"$oid": PARTNER})
    );
    assert_eq!(a.patch.filter()["__v"], json!(3));
    assert!(
        attach_tenant(&tenant(Some(PARTNER)), &partner("active"), op)
            .unwrap()
            .patch
            .is_empty()
    );

    // Detach: the field is removed, not set to null.
    let d = detach_tenant(&tenant(Some(PARTNER)), op).unwrap();
    let update = d.patch.update();
    assert!(update["$unset"].get("partnerId").is_some(), "{update}");
    assert!(update["$set"].get("partnerId").is_none());
    let mut doc = tenant(Some(PARTNER)).to_document();
    d.patch.apply(&mut doc).unwrap();
    assert!(!doc.contains_key("partnerId"));
    assert!(detach_tenant(&tenant(None), op).unwrap().patch.is_empty());
}
