//! The authorization rules as a table: (actor, user record, action) → allow or deny.

use dezky::core::auth::{Actor, Surface};
use dezky::core::authz::{Action, UserRecord, authorize};
use dezky::core::tenant::{Partner, Tenant};
use serde_json::json;

const ACME: &str = "6650f1c2a9b4e3d2c1b0a998";
const GLOBEX: &str = "6650f1c2a9b4e3d2c1b0a999";
const NORDIC: &str = "6650f1c2a9b4e3d2c1b0aaaa";
const OTHER_PARTNER: &str = "6650f1c2a9b4e3d2c1b0abbb";

fn actor(sub: &str, surface: Surface) -> Actor {
    Actor {
        subject: sub.into(),
        email: None,
        name: None,
        // Groups claim present but never trusted for rights.
        groups: vec!["dezky-platform-admins".into(), "acme".into()],
        surface,
        issuer: "https://auth.dezky.local/application/o/x/".into(),
        audience: "x".into(),
        expires_at: 0,
    }
}

fn user(id: &str, fields: serde_json::Value) -> UserRecord {
    let mut doc = json!({"_id": id, "authentikSubjectId": format!("sub-{id}")});
    if let (Some(d), Some(f)) = (doc.as_object_mut(), fields.as_object()) {
        d.extend(f.clone());
    }
    serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"))
}

fn tenant(id: &str, slug: &str, partner: Option<&str>) -> Tenant {
    Tenant {
        id: id.into(),
        slug: slug.into(),
        plan: "business".into(),
        partner_id: partner.map(Into::into),
        status: None,
    }
}

#[test]
fn the_rules_table() {
    use Surface::{Operator as Op, Portal as Po};
    let acme = tenant(ACME, "acme", Some(NORDIC));
    let globex = tenant(GLOBEX, "globex", None);
    let nordic = Partner {
        id: NORDIC.into(),
        slug: "nordic-it".into(),
        status: None,
    };
    let other_partner = Partner {
        id: OTHER_PARTNER.into(),
        slug: "other".into(),
        status: None,
    };

    let admin = user("u-admin", json!({"platformAdmin": true}));
    let admin_off = user(
        "u-admin-off",
        json!({"platformAdmin": true, "active": false}),
    );
    let member = user("u-member", json!({"tenantIds": [ACME]}));
    let tadmin = user(
        "u-tadmin",
        json!({"tenantIds": [ACME], "tenantRoles": {ACME: "admin"}}),
    );
    let tadmin2 = user(
        "u-tadmin2",
        json!({"tenantIds": [ACME, GLOBEX], "tenantRoles": [{"tenantId": ACME, "role": "admin"}]}),
    );
    let role_only = user("u-role", json!({"tenantIds": [ACME], "role": "admin"}));
    let roles_no_member = user(
        "u-nomember",
        json!({"tenantIds": [], "tenantRoles": {ACME: "admin"}}),
    );
    let staff = user("u-staff", json!({"partnerId": NORDIC}));
    let staff_other = user("u-staff2", json!({"partnerId": OTHER_PARTNER}));
    let nobody = user("u-nobody", json!({}));
    let member2 = user("u-member2", json!({"tenantIds": [ACME]}));
    let globex_user = user("u-globex", json!({"tenantIds": [GLOBEX]}));
    let copy = user("u-copy", json!({"tenantIds": [ACME]}));
    let admin_in_acme = user(
        "u-admin-acme",
        json!({"tenantIds": [ACME], "platformAdmin": true}),
    );

    let a = |u: &UserRecord, s: Surface| actor(&u.authentik_subject_id, s);
    let allow = true;
    let deny = false;
    let rows: Vec<(&str, Actor, &UserRecord, Action<'_>, bool)> = vec![
        // Operator-only: operator audience AND platformAdmin in the database.
        (
            "operator: admin via operator app",
            a(&admin, Op),
            &admin,
            Action::Operator,
            allow,
        ),
        (
            "operator: admin via portal",
            a(&admin, Po),
            &admin,
            Action::Operator,
            deny,
        ),
        (
            "operator: non-admin via operator app",
            a(&member, Op),
            &member,
            Action::Operator,
            deny,
        ),
        (
            "operator: deactivated admin",
            a(&admin_off, Op),
            &admin_off,
            Action::Operator,
            deny,
        ),
        (
            "operator: someone else's record",
            a(&member, Op),
            &admin,
            Action::Operator,
            deny,
        ),
        (
            "operator: groups claim says admin, db does not",
            a(&nobody, Op),
            &nobody,
            Action::Operator,
            deny,
        ),
        // Platform admin from either surface.
        (
            "platform admin: via portal",
            a(&admin, Po),
            &admin,
            Action::PlatformAdmin,
            allow,
        ),
        (
            "platform admin: via operator",
            a(&admin, Op),
            &admin,
            Action::PlatformAdmin,
            allow,
        ),
        (
            "platform admin: member",
            a(&member, Po),
            &member,
            Action::PlatformAdmin,
            deny,
        ),
        (
            "platform admin: deactivated",
            a(&admin_off, Po),
            &admin_off,
            Action::PlatformAdmin,
            deny,
        ),
        // Tenant member.
        (
            "member: of acme",
            a(&member, Po),
            &member,
            Action::TenantMember(&acme),
            allow,
        ),
        (
            "member: of globex",
            a(&member, Po),
            &member,
            Action::TenantMember(&globex),
            deny,
        ),
        (
            "member: platform admin anywhere",
            a(&admin, Po),
            &admin,
            Action::TenantMember(&globex),
            allow,
        ),
        (
            "member: nobody",
            a(&nobody, Po),
            &nobody,
            Action::TenantMember(&acme),
            deny,
        ),
        (
            "member: partner staff is not a member",
            a(&staff, Po),
            &staff,
            Action::TenantMember(&acme),
            deny,
        ),
        (
            "member: roles without membership",
            a(&roles_no_member, Po),
            &roles_no_member,
            Action::TenantMember(&acme),
            deny,
        ),
        (
            "member: record of another subject",
            a(&nobody, Po),
            &member,
            Action::TenantMember(&acme),
            deny,
        ),
        // Tenant admin.
        (
            "tenant admin: acme admin",
            a(&tadmin, Po),
            &tadmin,
            Action::TenantAdmin(&acme),
            allow,
        ),
        (
            "tenant admin: list-shaped roles",
            a(&tadmin2, Po),
            &tadmin2,
            Action::TenantAdmin(&acme),
            allow,
        ),
        (
            "tenant admin: member only in globex",
            a(&tadmin2, Po),
            &tadmin2,
            Action::TenantAdmin(&globex),
            deny,
        ),
        (
            "tenant admin: plain member",
            a(&member, Po),
            &member,
            Action::TenantAdmin(&acme),
            deny,
        ),
        (
            "tenant admin: legacy role is not enough",
            a(&role_only, Po),
            &role_only,
            Action::TenantAdmin(&acme),
            deny,
        ),
        (
            "tenant admin: role without membership",
            a(&roles_no_member, Po),
            &roles_no_member,
            Action::TenantAdmin(&acme),
            deny,
        ),
        (
            "tenant admin: platform admin",
            a(&admin, Op),
            &admin,
            Action::TenantAdmin(&acme),
            allow,
        ),
        // Partner staff.
        (
            "partner: own partner",
            a(&staff, Po),
            &staff,
            Action::PartnerStaff(&nordic),
            allow,
        ),
        (
            "partner: other partner",
            a(&staff, Po),
            &staff,
            Action::PartnerStaff(&other_partner),
            deny,
        ),
        (
            "partner: platform admin is not staff",
            a(&admin, Po),
            &admin,
            Action::PartnerStaff(&nordic),
            deny,
        ),
        (
            "partner: member",
            a(&member, Po),
            &member,
            Action::PartnerStaff(&nordic),
            deny,
        ),
        (
            "partner tenant: own customer",
            a(&staff, Po),
            &staff,
            Action::PartnerTenant(&nordic, &acme),
            allow,
        ),
        (
            "partner tenant: tenant without partner",
            a(&staff, Po),
            &staff,
            Action::PartnerTenant(&nordic, &globex),
            deny,
        ),
        (
            "partner tenant: staff of another partner",
            a(&staff_other, Po),
            &staff_other,
            Action::PartnerTenant(&nordic, &acme),
            deny,
        ),
        (
            "partner tenant: claims another partner's tenant",
            a(&staff_other, Po),
            &staff_other,
            Action::PartnerTenant(&other_partner, &acme),
            deny,
        ),
        // Suspend and force-logout.
        (
            "suspend: admin suspends a member",
            a(&tadmin, Po),
            &tadmin,
            Action::SuspendMember(&acme, &member),
            allow,
        ),
        (
            "suspend: admin suspends self",
            a(&tadmin, Po),
            &tadmin,
            Action::SuspendMember(&acme, &tadmin),
            deny,
        ),
        (
            "suspend: admin suspends another admin",
            a(&tadmin, Po),
            &tadmin,
            Action::SuspendMember(&acme, &tadmin2),
            allow,
        ),
        (
            "suspend: member suspends a member",
            a(&member, Po),
            &member,
            Action::SuspendMember(&acme, &member2),
            deny,
        ),
        (
            "suspend: target outside the tenant",
            a(&tadmin, Po),
            &tadmin,
            Action::SuspendMember(&acme, &globex_user),
            deny,
        ),
        (
            "suspend: tenant admin vs platform admin",
            a(&tadmin, Po),
            &tadmin,
            Action::SuspendMember(&acme, &admin_in_acme),
            deny,
        ),
        (
            "suspend: platform admin suspends self",
            a(&admin_in_acme, Op),
            &admin_in_acme,
            Action::SuspendMember(&acme, &admin_in_acme),
            deny,
        ),
        (
            "suspend: platform admin suspends a member",
            a(&admin, Op),
            &admin,
            Action::SuspendMember(&acme, &member),
            allow,
        ),
        (
            "force-logout: admin logs out a member",
            a(&tadmin, Po),
            &tadmin,
            Action::ForceLogoutMember(&acme, &member),
            allow,
        ),
        (
            "force-logout: admin logs out self",
            a(&tadmin, Po),
            &tadmin,
            Action::ForceLogoutMember(&acme, &tadmin),
            deny,
        ),
        (
            "force-logout: self by subject, other record id",
            a(&tadmin, Po),
            &tadmin,
            Action::ForceLogoutMember(&acme, &copy),
            allow,
        ),
        (
            "force-logout: member",
            a(&member, Po),
            &member,
            Action::ForceLogoutMember(&acme, &member2),
            deny,
        ),
        (
            "force-logout: other tenant's admin",
            a(&tadmin2, Po),
            &tadmin2,
            Action::ForceLogoutMember(&globex, &globex_user),
            deny,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, actor, user, action, expected) in &rows {
        let got = authorize(actor, user, *action);
        match (&got, expected) {
            (Ok(()), true) => {}
            (Err(e), false) if e.code() == "DEZKY_FORBIDDEN" => {}
            _ => wrong.push(format!("{what}: {got:?}, expected allow={expected}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn self_protection_also_matches_by_subject() {
    let acme = tenant(ACME, "acme", None);
    let me = user(
        "u-1",
        json!({"tenantIds": [ACME], "tenantRoles": {ACME: "admin"}}),
    );
    // The same person under a second record id (a duplicate row) is still oneself.
    let mut twin = user("u-2", json!({"tenantIds": [ACME]}));
    twin.authentik_subject_id = me.authentik_subject_id.clone();
    let actor = actor(&me.authentik_subject_id, Surface::Portal);
    let err = authorize(&actor, &me, Action::SuspendMember(&acme, &twin)).err();
    assert!(err.is_some_and(|e| e.to_string().contains("yourself")));
}

#[test]
fn a_suspended_or_deleted_tenant_refuses_its_members_but_not_operators() {
    use dezky::core::lifecycle::TenantStatus;
    let member = user("u-member", json!({"tenantIds": [ACME]}));
    let tadmin = user(
        "u-tadmin",
        json!({"tenantIds": [ACME], "tenantRoles": {ACME: "admin"}}),
    );
    let admin = user("u-admin", json!({"platformAdmin": true}));
    for status in [TenantStatus::Suspended, TenantStatus::Deleted] {
        let acme = Tenant {
            status: Some(status),
            ..tenant(ACME, "acme", None)
        };
        for (who, action) in [
            (&member, Action::TenantMember(&acme)),
            (&tadmin, Action::TenantAdmin(&acme)),
        ] {
            match authorize(
                &actor(&who.authentik_subject_id, Surface::Portal),
                who,
                action,
            ) {
                Err(dezky::core::Error::TenantInactive {
                    slug, from_status, ..
                }) => {
                    assert_eq!(slug, "acme");
                    assert_eq!(from_status, status.as_str());
                }
                other => panic!("{status}: {other:?}"),
            }
        }
        // Not a member at all stays a plain refusal; a platform admin passes.
        let stranger = user("u-stranger", json!({}));
        assert_eq!(
            authorize(
                &actor("sub-u-stranger", Surface::Portal),
                &stranger,
                Action::TenantMember(&acme)
            )
            .map_err(|e| e.code()),
            Err("DEZKY_FORBIDDEN")
        );
        assert!(
            authorize(
                &actor("sub-u-admin", Surface::Operator),
                &admin,
                Action::TenantAdmin(&acme)
            )
            .is_ok()
        );
    }
    let active = Tenant {
        status: Some(TenantStatus::Active),
        ..tenant(ACME, "acme", None)
    };
    assert!(
        authorize(
            &actor("sub-u-member", Surface::Portal),
            &member,
            Action::TenantMember(&active)
        )
        .is_ok()
    );
}

#[test]
fn a_terminated_partners_staff_lose_partner_access() {
    use dezky::core::lifecycle::PartnerStatus;
    let staff = user("u-staff", json!({"partnerId": NORDIC}));
    let mut nordic = Partner {
        id: NORDIC.into(),
        slug: "nordic-it".into(),
        status: Some(PartnerStatus::Active),
    };
    let who = actor("sub-u-staff", Surface::Portal);
    assert!(authorize(&who, &staff, Action::PartnerStaff(&nordic)).is_ok());
    nordic.status = Some(PartnerStatus::Terminated);
    match authorize(&who, &staff, Action::PartnerStaff(&nordic)) {
        Err(dezky::core::Error::Forbidden { reason }) => assert!(reason.contains("terminated")),
        other => panic!("{other:?}"),
    }
}
