//! Tenant security policy: reading and validation, the version-guarded
//! update with its audit event, the IP allowlist, countries, session limits
//! and MFA compliance.

#![allow(clippy::expect_used)]

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::audit::Outcome;
use dezky_core::lifecycle::TenantDocument;
use dezky_core::policy::{
    MemberMfa, MfaMode, SecurityPolicy, SessionLimit, mfa_compliance, update_security_policy,
};
use dezky_flags::Change;
use proptest::prelude::*;
use serde_json::{Value, json};

fn tenant(policy: Option<Value>) -> TenantDocument {
    let mut doc = json!({
        "_id": "65f1c0ffee0000000000abcd",
        "slug": "acme",
        "name": "Acme",
        "status": "active",
        "plan": "business",
        "__v": 4,
    });
    if let Some(policy) = policy {
        doc["securityPolicy"] = policy;
    }
    match doc {
        Value::Object(map) => {
            TenantDocument::from_document("tenant", &map).expect("a valid tenant")
        }
        _ => unreachable!(),
    }
}

fn field_of(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn change() -> Change {
    Change::new(
        "admin@acme.test",
        UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    )
    .expect("a valid change")
}

#[test]
fn a_tenant_without_a_policy_gets_the_defaults() {
    let policy = SecurityPolicy::of_tenant(&tenant(None)).expect("default policy");
    assert_eq!(policy, SecurityPolicy::default());
    assert_eq!(policy.mfa_mode, MfaMode::Optional);
    assert_eq!(
        policy.to_value(),
        json!({"mfaMode": "optional", "sessionIdleMinutes": 60, "sessionAbsoluteHours": 24,
               "allowedCountries": [], "ipAllowlist": []})
    );
    // A partial stored policy: the missing fields at their defaults.
    let policy = SecurityPolicy::of_tenant(&tenant(Some(json!({"mfaMode": "required"}))))
        .expect("partial policy");
    assert_eq!(policy.mfa_mode, MfaMode::Required);
    assert_eq!(policy.session_idle_minutes, 60);
}

#[test]
fn values_are_normalised() {
    let policy = SecurityPolicy::from_value(
        "policy",
        &json!({
            "allowedCountries": ["se", "DK", "dk", " no "],
            "ipAllowlist": ["192.0.2.77/24", "198.51.100.7", "2001:db8::1/32", "192.0.2.0/24"],
        }),
    )
    .expect("a valid policy");
    assert_eq!(policy.allowed_countries, ["DK", "NO", "SE"]);
    assert_eq!(
        policy.to_value()["ipAllowlist"],
        json!(["192.0.2.0/24", "198.51.100.7/32", "2001:db8::/32"])
    );
}

#[test]
fn bad_values_name_their_field() {
    let bad = |value: Value| field_of(SecurityPolicy::from_value("securityPolicy", &value));
    assert_eq!(bad(json!("strict")), "securityPolicy");
    assert_eq!(bad(json!({"mfaMode": "always"})), "securityPolicy.mfaMode");
    assert_eq!(bad(json!({"mfaMode": 1})), "securityPolicy.mfaMode");
    assert_eq!(
        bad(json!({"sessionIdleMinutes": 4})),
        "securityPolicy.sessionIdleMinutes"
    );
    assert_eq!(
        bad(json!({"sessionIdleMinutes": 1441})),
        "securityPolicy.sessionIdleMinutes"
    );
    assert_eq!(
        bad(json!({"sessionIdleMinutes": 30.5})),
        "securityPolicy.sessionIdleMinutes"
    );
    assert_eq!(
        bad(json!({"sessionIdleMinutes": -30})),
        "securityPolicy.sessionIdleMinutes"
    );
    assert_eq!(
        bad(json!({"sessionAbsoluteHours": 0})),
        "securityPolicy.sessionAbsoluteHours"
    );
    assert_eq!(
        bad(json!({"sessionAbsoluteHours": 721})),
        "securityPolicy.sessionAbsoluteHours"
    );
    // The absolute limit shorter than the idle one.
    assert_eq!(
        bad(json!({"sessionIdleMinutes": 120, "sessionAbsoluteHours": 1})),
        "securityPolicy.sessionAbsoluteHours"
    );
    assert_eq!(
        bad(json!({"allowedCountries": "DK"})),
        "securityPolicy.allowedCountries"
    );
    assert_eq!(
        bad(json!({"allowedCountries": ["DK", "EU"]})),
        "securityPolicy.allowedCountries[1]"
    );
    assert_eq!(
        bad(json!({"allowedCountries": ["DNK"]})),
        "securityPolicy.allowedCountries[0]"
    );
    assert_eq!(
        bad(json!({"allowedCountries": [45]})),
        "securityPolicy.allowedCountries[0]"
    );
    assert_eq!(
        bad(json!({"ipAllowlist": ["10.0.0.0/33"]})),
        "securityPolicy.ipAllowlist[0]"
    );
    assert_eq!(
        bad(json!({"ipAllowlist": ["10.0.0.1", "fe80::/129"]})),
        "securityPolicy.ipAllowlist[1]"
    );
    assert_eq!(
        bad(json!({"ipAllowlist": ["example.com"]})),
        "securityPolicy.ipAllowlist[0]"
    );
    let many: Vec<String> = (0..300)
        .map(|i| format!("10.0.{}.{}/32", i / 256, i % 256))
        .collect();
    assert_eq!(
        bad(json!({"ipAllowlist": many})),
        "securityPolicy.ipAllowlist"
    );
    assert_eq!(bad(json!({"mfa": "required"})), "securityPolicy.mfa");
    // A stored policy that is broken names the tenant's field.
    let stored = tenant(Some(json!({"ipAllowlist": ["nope"]})));
    assert_eq!(
        field_of(SecurityPolicy::of_tenant(&stored)),
        "tenant.securityPolicy.ipAllowlist[0]"
    );
}

#[test]
fn an_update_is_a_guarded_patch_and_an_event() {
    let t = tenant(Some(
        json!({"mfaMode": "optional", "ipAllowlist": ["192.0.2.0/24"]}),
    ));
    let update = update_security_policy(
        &t,
        &json!({"mfaMode": "admins", "allowedCountries": ["dk"]}),
        &change(),
    )
    .expect("a valid update");
    assert_eq!(update.policy.mfa_mode, MfaMode::Admins);
    assert_eq!(update.changed, ["mfaMode", "allowedCountries"]);
    // The whole policy is written, guarded by the version read.
    assert_eq!(update.patch.expected_version(), Some(4));
    assert_eq!(
        update.patch.update()["$set"]["securityPolicy"],
        json!({"mfaMode": "admins", "sessionIdleMinutes": 60, "sessionAbsoluteHours": 24,
               "allowedCountries": ["DK"], "ipAllowlist": ["192.0.2.0/24"]})
    );
    let patched = t.apply(&update.patch).expect("the patch applies");
    assert_eq!(
        SecurityPolicy::of_tenant(&patched).expect("the new policy"),
        update.policy
    );
    let event = &update.event;
    assert_eq!(event.action, "tenant.security_policy.update");
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.actor_email, "admin@acme.test");
    assert_eq!(event.target_id, "acme");
    assert_eq!(event.tenant_id.as_deref(), Some("65f1c0ffee0000000000abcd"));
    assert_eq!(
        event.metadata["before"],
        json!({"mfaMode": "optional", "allowedCountries": []})
    );
    assert_eq!(
        event.metadata["after"],
        json!({"mfaMode": "admins", "allowedCountries": ["DK"]})
    );

    // Nothing changes: no write, the request still audited.
    let same = update_security_policy(&t, &json!({"mfaMode": "optional"}), &change())
        .expect("a no-op update");
    assert!(same.changed.is_empty());
    assert!(same.patch.is_empty());
    assert_eq!(same.event.metadata["changed"], json!([]));

    // A refused change writes nothing and names the field.
    assert_eq!(
        field_of(update_security_policy(
            &t,
            &json!({"sessionIdleMinutes": 0}),
            &change()
        )),
        "securityPolicy.sessionIdleMinutes"
    );
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

#[test]
fn ip_allowlist() {
    let open = SecurityPolicy::default();
    assert!(open.ip_allowed(ip("203.0.113.9")));
    let policy = SecurityPolicy::from_value(
        "policy",
        &json!({"ipAllowlist": ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]}),
    )
    .expect("a valid policy");
    assert!(policy.ip_allowed(ip("192.0.2.200")));
    assert!(!policy.ip_allowed(ip("192.0.3.1")));
    assert!(policy.ip_allowed(ip("198.51.100.7")));
    assert!(!policy.ip_allowed(ip("198.51.100.8")));
    assert!(policy.ip_allowed(ip("2001:db8:ffff::1")));
    assert!(!policy.ip_allowed(ip("2001:db9::1")));
    // IPv4 reported as IPv6 by a dual-stack proxy.
    assert!(policy.ip_allowed(ip("::ffff:192.0.2.1")));
    assert!(!policy.ip_allowed(ip("::ffff:192.0.3.1")));
    assert_eq!(policy.ip_text_allowed(" 192.0.2.1 "), Ok(true));
    assert_eq!(field_of(policy.ip_text_allowed("192.0.2")), "ip");
}

#[test]
fn ipv4_mapped_allowlist_entries_are_ipv4_networks() {
    let policy = SecurityPolicy::from_value(
        "policy",
        &json!({"ipAllowlist": ["::ffff:192.0.2.0/120", "::ffff:198.51.100.7", "::/0"]}),
    )
    .expect("a valid policy");
    let stored: Vec<String> = policy
        .ip_allowlist
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(stored, ["192.0.2.0/24", "198.51.100.7/32", "::/0"]);
    assert!(policy.ip_allowed(ip("192.0.2.77")));
    assert!(policy.ip_allowed(ip("::ffff:192.0.2.77")));
    assert!(policy.ip_allowed(ip("198.51.100.7")));
    assert!(!policy.ip_allowed(ip("192.0.3.1")));
    // `::/0` is every IPv6 address; IPv4 (however written) is not IPv6.
    assert!(policy.ip_allowed(ip("2001:db8::1")));
    assert!(!policy.ip_allowed(ip("203.0.113.1")));
    // The same network written twice in either form is stored once.
    let twice = SecurityPolicy::from_value(
        "policy",
        &json!({"ipAllowlist": ["192.0.2.0/24", "::ffff:192.0.2.9/120"]}),
    )
    .expect("a valid policy");
    assert_eq!(twice.ip_allowlist.len(), 1);
}

#[test]
fn countries() {
    let open = SecurityPolicy::default();
    assert_eq!(open.country_allowed(Some("dk")), Ok(true));
    assert_eq!(open.country_allowed(None), Ok(true));
    let policy = SecurityPolicy::from_value("policy", &json!({"allowedCountries": ["DK", "SE"]}))
        .expect("a valid policy");
    assert_eq!(policy.country_allowed(Some("dk")), Ok(true));
    assert_eq!(policy.country_allowed(Some("NO")), Ok(false));
    // Unknown origin: a restricted tenant fails closed.
    assert_eq!(policy.country_allowed(None), Ok(false));
    assert_eq!(field_of(policy.country_allowed(Some("XX"))), "country");
    assert_eq!(field_of(open.country_allowed(Some("Denmark"))), "country");
}

#[test]
fn session_limits() {
    let policy = SecurityPolicy::from_value(
        "policy",
        &json!({"sessionIdleMinutes": 30, "sessionAbsoluteHours": 8}),
    )
    .expect("a valid policy");
    let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let min = |m: u64| Duration::from_secs(m * 60);
    let expired = |last: Duration, now: Duration| {
        policy
            .session_expired(t0, t0 + last, t0 + now)
            .expect("times in order")
    };
    assert_eq!(expired(min(0), min(29)), None);
    assert_eq!(expired(min(0), min(30)), Some(SessionLimit::Idle));
    assert_eq!(expired(min(460), min(479)), None);
    assert_eq!(expired(min(470), min(480)), Some(SessionLimit::Absolute));
    // Both reached: the absolute limit is the reason.
    assert_eq!(expired(min(0), min(600)), Some(SessionLimit::Absolute));
    assert_eq!(policy.session_ends(t0, t0 + min(10)), Ok(t0 + min(40)));
    assert_eq!(policy.session_ends(t0, t0 + min(470)), Ok(t0 + min(480)));
    // Times past what the platform represents are refused, not a crash.
    let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 2);
    assert!(policy.session_ends(far, far).is_err());
    assert!(policy.session_expired(far, far, far).is_err());
    assert_eq!(
        field_of(policy.session_expired(t0 + min(1), t0, t0 + min(2))),
        "lastActive"
    );
}

#[test]
fn mfa_compliance_by_mode() {
    let member = |name: &str, admin: bool, factors: u32| MemberMfa {
        member: name.to_owned(),
        admin,
        factors,
    };
    let members = [
        member("ann@acme.test", true, 2),
        member("bob@acme.test", true, 0),
        member("cy@acme.test", false, 0),
        member("di@acme.test", false, 1),
    ];
    let report = mfa_compliance(MfaMode::Optional, &members);
    assert_eq!(
        (report.members, report.enrolled, report.required),
        (4, 2, 0)
    );
    assert!(report.compliant);
    let report = mfa_compliance(MfaMode::Admins, &members);
    assert_eq!(report.required, 2);
    assert_eq!(report.missing, ["bob@acme.test"]);
    assert!(!report.compliant);
    let report = mfa_compliance(MfaMode::Required, &members);
    assert_eq!(report.required, 4);
    assert_eq!(report.missing, ["bob@acme.test", "cy@acme.test"]);
    let report = mfa_compliance(MfaMode::Off, &[]);
    assert_eq!((report.members, report.compliant), (0, true));
}

proptest! {
    /// The allowlist agrees with plain prefix arithmetic on generated IPv4 networks and addresses.
    #[test]
    fn ipv4_allowlist_matches_prefix_arithmetic(
        base in any::<u32>(), prefix in 0u8..=32, probe in any::<u32>()
    ) {
        let net = format!("{}/{prefix}", std::net::Ipv4Addr::from(base));
        let policy = SecurityPolicy::from_value("p", &json!({"ipAllowlist": [net]}))
            .expect("a valid network");
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
        let inside = (probe & mask) == (base & mask);
        prop_assert_eq!(policy.ip_allowed(IpAddr::from(std::net::Ipv4Addr::from(probe))), inside);
    }

    /// Whatever JSON comes in, reading a policy answers with a policy or an Invalid error.
    #[test]
    fn reading_never_panics(key in "[a-zA-Z]{1,20}", n in any::<i64>(), s in ".{0,40}") {
        for value in [json!(n), json!(s), json!([s]), json!([n]), json!(null), json!({})] {
            let changes = json!({key.clone(): value.clone()});
            match SecurityPolicy::from_value("p", &changes) {
                Ok(_) | Err(Error::Invalid { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
            for known in ["mfaMode", "sessionIdleMinutes", "sessionAbsoluteHours", "allowedCountries", "ipAllowlist"] {
                let changes = json!({known: value.clone()});
                match SecurityPolicy::from_value("p", &changes) {
                    Ok(_) | Err(Error::Invalid { .. }) => {}
                    Err(other) => prop_assert!(false, "unexpected error {other:?}"),
                }
            }
        }
    }
}

#[test]
fn time_helpers_are_consistent() {
    // `session_ends` is exactly where `session_expired` turns.
    let policy = SecurityPolicy::default();
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let last = t0 + Duration::from_secs(3_000);
    let end = policy.session_ends(t0, last).expect("in range");
    assert_eq!(
        policy.session_expired(t0, last, end - Duration::from_millis(1)),
        Ok(None)
    );
    assert!(
        policy
            .session_expired(t0, last, end)
            .expect("ordered")
            .is_some()
    );
}
