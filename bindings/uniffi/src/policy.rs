//! A tenant's security policy (`dezky_core::policy`, `docs/policy.md`): read
//! from a tenant document or a policy object, changed by a version-guarded
//! patch with its audit event, and applied (IP allowlist, countries, session
//! limits, MFA compliance).
//!
//! The policy is an object holding the core's validated `SecurityPolicy`, so
//! that a sign-in check does not read it again; its JSON form is the control
//! plane's. `MfaMode` and `SessionLimit` are the core's enums, `MemberMfa` and
//! `MfaCompliance` the core's records, all exported as remote types.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use dezky_core::policy;
use dezky_flags::Change;

use crate::domain::document;
use crate::error::DezkyError;
use crate::lifecycle::tenant;

pub use dezky_core::policy::{MemberMfa, MfaCompliance, MfaMode, SessionLimit};

/// Who must have a second factor: `dezky_core::policy::MfaMode` itself.
#[uniffi::remote(Enum)]
pub enum MfaMode {
    /// Nobody is asked to enrol.
    Off,
    /// Members may enrol; nobody must.
    Optional,
    /// The tenant's administrators must enrol.
    Admins,
    /// Every member must enrol.
    Required,
}

/// Why a session ended: `dezky_core::policy::SessionLimit` itself.
#[uniffi::remote(Enum)]
pub enum SessionLimit {
    /// No activity for longer than the idle limit.
    Idle,
    /// Longer since sign-in than the absolute limit.
    Absolute,
}

/// A member's MFA enrolment: `dezky_core::policy::MemberMfa` itself.
#[uniffi::remote(Record)]
pub struct MemberMfa {
    /// The member (an email address or an id).
    pub member: String,
    /// Whether the member administers the tenant.
    pub admin: bool,
    /// Confirmed second factors (recovery codes not counted).
    pub factors: u32,
}

/// How a tenant's members stand against its MFA mode:
/// `dezky_core::policy::MfaCompliance` itself.
#[uniffi::remote(Record)]
pub struct MfaCompliance {
    /// The mode judged against.
    pub mfa_mode: MfaMode,
    /// Members counted.
    pub members: u32,
    /// Members with at least one confirmed second factor.
    pub enrolled: u32,
    /// Members the mode requires to enrol.
    pub required: u32,
    /// Members required to enrol who have not, in input order.
    pub missing: Vec<String>,
    /// Whether every required member is enrolled.
    pub compliant: bool,
}

/// A tenant's security policy, validated (`dezky_core::policy::SecurityPolicy`).
#[derive(Debug, PartialEq, Eq, uniffi::Object)]
pub struct SecurityPolicy {
    inner: policy::SecurityPolicy,
}

/// The time argument `name`, within the range the crate's timestamps take
/// (1970 to the end of 9999, as `at` of a change): the core adds the session
/// limits to it, which must not overflow.
fn instant(name: &str, at: SystemTime) -> Result<SystemTime, DezkyError> {
    // 10000-01-01T00:00:00Z, as `dezky_flags::Change`.
    const YEAR_10000: u64 = 253_402_300_800;
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) if since.as_secs() < YEAR_10000 => Ok(at),
        _ => Err(dezky_flags::Error::InvalidArgument {
            name: name.to_owned(),
            reason: "must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z".into(),
        }
        .into()),
    }
}

fn wrap(inner: policy::SecurityPolicy) -> Arc<SecurityPolicy> {
    Arc::new(SecurityPolicy { inner })
}

#[uniffi::export]
impl SecurityPolicy {
    /// A policy from its object form (`{"mfaMode": "required", ...}`), missing
    /// fields at their defaults; errors name `securityPolicy.<field>`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, DezkyError> {
        let value = serde_json::Value::Object(document(&json, policy::POLICY_FIELD)?);
        Ok(wrap(policy::SecurityPolicy::from_value(
            policy::POLICY_FIELD,
            &value,
        )?))
    }

    /// The policy stored in the tenant document `tenant_json` (its
    /// `securityPolicy`), the defaults when it has none; errors name
    /// `tenant.securityPolicy.<field>`.
    #[uniffi::constructor]
    pub fn of_tenant(tenant_json: String) -> Result<Arc<Self>, DezkyError> {
        Ok(wrap(policy::SecurityPolicy::of_tenant(&tenant(
            &tenant_json,
        )?)?))
    }

    /// The policy's object form, as stored (countries upper-case and sorted,
    /// networks in CIDR form).
    pub fn to_json(&self) -> String {
        self.inner.to_value().to_string()
    }

    /// Who must have a second factor.
    pub fn mfa_mode(&self) -> MfaMode {
        self.inner.mfa_mode
    }

    /// Minutes without activity after which a session ends.
    pub fn session_idle_minutes(&self) -> u32 {
        self.inner.session_idle_minutes
    }

    /// Hours after sign-in after which a session ends.
    pub fn session_absolute_hours(&self) -> u32 {
        self.inner.session_absolute_hours
    }

    /// The allowed countries (ISO 3166-1 alpha-2); empty: any country.
    pub fn allowed_countries(&self) -> Vec<String> {
        self.inner.allowed_countries.clone()
    }

    /// The allowed networks in CIDR form; empty: any address.
    pub fn ip_allowlist(&self) -> Vec<String> {
        self.inner
            .ip_allowlist
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Whether a sign-in from the address `ip` (IPv4 or IPv6 text) is allowed;
    /// `Invalid` on `ip` for text that is no address.
    pub fn ip_allowed(&self, ip: String) -> Result<bool, DezkyError> {
        Ok(self.inner.ip_text_allowed(&ip)?)
    }

    /// Whether a sign-in from `country` (ISO 3166-1 alpha-2, any case) is
    /// allowed; `None` (unknown origin) only when every country is. `Invalid`
    /// on `country` for a code that is no country.
    pub fn country_allowed(&self, country: Option<String>) -> Result<bool, DezkyError> {
        Ok(self.inner.country_allowed(country.as_deref())?)
    }

    /// When a session that began at `started` and was last active at
    /// `last_active` ends: the earlier of the idle and the absolute limit.
    pub fn session_ends(
        &self,
        started: SystemTime,
        last_active: SystemTime,
    ) -> Result<SystemTime, DezkyError> {
        Ok(self.inner.session_ends(
            instant("started", started)?,
            instant("lastActive", last_active)?,
        )?)
    }

    /// Whether such a session has ended at `now`: `None` while it lives,
    /// otherwise the limit that ended it (`ABSOLUTE` when both are reached).
    /// Activity before the sign-in is `Invalid` on `lastActive`.
    pub fn session_expired(
        &self,
        started: SystemTime,
        last_active: SystemTime,
        now: SystemTime,
    ) -> Result<Option<SessionLimit>, DezkyError> {
        Ok(self.inner.session_expired(
            instant("started", started)?,
            instant("lastActive", last_active)?,
            instant("now", now)?,
        )?)
    }

    /// The MFA compliance of `members` under this policy's mode.
    pub fn mfa_compliance(&self, members: Vec<MemberMfa>) -> MfaCompliance {
        policy::mfa_compliance(self.inner.mfa_mode, &members)
    }
}

/// The MFA compliance of `members` under `mode`: how many there are, how many
/// are enrolled, how many the mode requires, who of those is missing.
#[uniffi::export]
pub fn mfa_compliance(mode: MfaMode, members: Vec<MemberMfa>) -> MfaCompliance {
    policy::mfa_compliance(mode, &members)
}

/// The control plane's name of an MFA mode (`"required"`, ...).
#[uniffi::export]
pub fn mfa_mode_name(mode: MfaMode) -> String {
    mode.as_str().to_owned()
}

/// A change of a tenant's policy: what to write and what to record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PolicyUpdate {
    /// The whole policy after the change, as JSON text (its object form).
    pub policy_json: String,
    /// The fields whose value changed (`mfaMode`, ...); empty: nothing to write.
    pub changed: Vec<String>,
    /// The write as JSON text, `{tenantId, expectedVersion, filter, update}`
    /// (`update` null when nothing changed), as [`crate::transition_tenant`]
    /// returns it; [`crate::apply_tenant_patch`] applies it.
    pub patch_json: String,
    /// The audit event as JSON text (`tenant.security_policy.update`, with
    /// `metadata.changed`, `before` and `after`).
    pub event_json: String,
}

/// `PATCH /tenants/:slug/security-policy`: the policy of the tenant document
/// `tenant_json` with `changes_json` (an object with some of the policy's
/// fields) applied, by `actor` (an email) at `at`. Refused changes name the
/// field (`securityPolicy.mfaMode`); who may change it is checked by the caller.
#[uniffi::export]
pub fn update_security_policy(
    tenant_json: String,
    changes_json: String,
    actor: String,
    at: SystemTime,
) -> Result<PolicyUpdate, DezkyError> {
    let change = Change::new(actor, at)?;
    let tenant = tenant(&tenant_json)?;
    let changes: serde_json::Value = serde_json::from_str(&changes_json).map_err(|err| {
        DezkyError::malformed_json(
            &err,
            format!("malformed JSON in `{}`: {err}", policy::POLICY_FIELD),
        )
    })?;
    let update = policy::update_security_policy(&tenant, &changes, &change)?;
    Ok(PolicyUpdate {
        policy_json: update.policy.to_value().to_string(),
        changed: update.changed,
        // The patch and the event serialize to plain JSON: this cannot fail.
        patch_json: serde_json::to_string(&update.patch).unwrap_or_default(),
        event_json: serde_json::to_string(&update.event).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ID: &str = "6650f1c2a9b4e3d2c1b0a998";

    fn field(result: Result<impl std::fmt::Debug, DezkyError>) -> String {
        match result {
            Err(DezkyError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_policy_is_read_applied_and_changed() {
        let p = SecurityPolicy::from_json(
            r#"{"mfaMode": "admins", "allowedCountries": ["se", "DK"], "ipAllowlist": ["192.0.2.7/24"]}"#
                .into(),
        )
        .unwrap();
        assert_eq!(p.allowed_countries(), ["DK", "SE"]);
        assert_eq!(p.ip_allowlist(), ["192.0.2.0/24"]);
        assert!(p.ip_allowed("::ffff:192.0.2.9".into()).unwrap());
        assert!(!p.country_allowed(None).unwrap());
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            p.session_expired(t0, t0, t0 + Duration::from_secs(3_600))
                .unwrap(),
            Some(SessionLimit::Idle)
        );
        let tenant = format!(r#"{{"_id": "{ID}", "slug": "acme", "status": "active", "__v": 3}}"#);
        let update = update_security_policy(
            tenant,
            r#"{"mfaMode": "required"}"#.into(),
            "a@b.c".into(),
            t0,
        )
        .unwrap();
        assert_eq!(update.changed, ["mfaMode"]);
        assert!(update.patch_json.contains(r#""expectedVersion":3"#));
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(
            field(SecurityPolicy::from_json(r#"{"mfa": 1}"#.into())),
            "securityPolicy.mfa"
        );
        assert_eq!(
            field(SecurityPolicy::from_json("[]".into())),
            "securityPolicy"
        );
        assert!(matches!(
            SecurityPolicy::from_json("{".into()),
            Err(DezkyError::MalformedJson { .. })
        ));
        let p = SecurityPolicy::from_json("{}".into()).unwrap();
        assert_eq!(field(p.ip_allowed("nope".into())), "ip");
        let far = UNIX_EPOCH + Duration::from_secs(1_000_000_000_000_000);
        assert!(matches!(
            p.session_ends(far, far),
            Err(DezkyError::InvalidArgument { ref argument, .. }) if argument == "started"
        ));
    }
}
