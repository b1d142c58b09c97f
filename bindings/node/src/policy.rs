//! A tenant's security policy (`dezky_core::policy`, docs/policy.md): the
//! `SecurityPolicy` class holding the core's validated policy (read once,
//! checked on every sign-in), `updateSecurityPolicy` and `mfaCompliance`.
//! Conversion only: every rule is in the core.
//!
//! Policies and changes arrive as plain objects read by the core (errors name
//! the field: `securityPolicy.ipAllowlist[2]`); the policy's object form and
//! the update leave through serde (`convert::Serde`), their TypeScript types
//! declared in `lib/index.d.ts`. `MfaMode`, `SessionLimit`, `MemberMfa` and
//! `MfaCompliance` are the core's own napi types. Times are milliseconds
//! since the epoch or `Date`s, from 1970 to the end of 9999.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::policy::{self, MemberMfa, MfaCompliance, MfaMode, POLICY_FIELD, SessionLimit};
use dezky_flags::Change;
use napi::Env;
use napi::JsDate;
use napi::bindgen_prelude::{Either, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert::Serde;
use crate::error::{IntoJs, invalid_argument};

type Result<T> = std::result::Result<T, Error>;

/// A time argument: milliseconds since the epoch, or a `Date`.
pub(crate) type Time<'a> = Either<f64, JsDate<'a>>;

/// 10000-01-01T00:00:00Z in milliseconds: times are written in RFC 3339,
/// whose years have four digits (as `dezky_flags::Change`).
const YEAR_10000_MS: f64 = 253_402_300_800_000.0;

/// The time argument `name` (an invalid `Date` or a time out of range is
/// `DEZKY_INVALID_ARGUMENT` naming it).
pub(crate) fn instant(
    time: &Time<'_>,
    name: &str,
) -> std::result::Result<SystemTime, dezky_flags::Error> {
    let ms = match time {
        Either::A(ms) => *ms,
        Either::B(date) => date.value_of().unwrap_or(f64::NAN),
    };
    if ms.is_finite() && (0.0..YEAR_10000_MS).contains(&ms) {
        // Whole milliseconds: a fraction of one is dropped, as `Date` does.
        Ok(UNIX_EPOCH + Duration::from_millis(ms as u64))
    } else {
        Err(invalid_argument(
            name,
            "must be a time from 1970 to 9999: milliseconds since the epoch or a valid Date",
        ))
    }
}

/// A time as milliseconds since the epoch.
pub(crate) fn millis(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

/// Who acts, and when (`at`, default now).
pub(crate) fn change(
    actor: String,
    at: Option<&Time<'_>>,
) -> std::result::Result<Change, dezky_flags::Error> {
    match at {
        None => Change::now(actor),
        Some(at) => Change::new(actor, instant(at, "at")?),
    }
}

/// The member list of `mfaCompliance`: an array of `{member, admin?, factors}`,
/// each read by the core's serde form (errors name `members[2]`).
fn members(value: &Unknown<'_>) -> Result<Vec<MemberMfa>> {
    let Value::Array(items) = crate::auth::json(value, "members")? else {
        return Err(Error::Invalid {
            field: "members".into(),
            reason: "must be an array of {member, admin, factors}".into(),
        });
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item).map_err(|e| Error::Invalid {
                field: format!("members[{i}]"),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// A tenant's security policy, validated: build it with
/// `SecurityPolicy.fromTenant(tenant)` or `SecurityPolicy.fromValue(object)`.
#[napi]
pub struct SecurityPolicy {
    inner: policy::SecurityPolicy,
}

#[napi]
impl SecurityPolicy {
    /// The policy stored in a tenant document (its `securityPolicy`); the
    /// defaults when it has none. Errors name `tenant.securityPolicy.<field>`.
    #[napi(factory, ts_args_type = "tenant: TenantDocument")]
    pub fn from_tenant(env: Env, tenant: Unknown<'_>) -> napi::Result<SecurityPolicy> {
        crate::provisioning::tenant(&tenant)
            .and_then(|t| policy::SecurityPolicy::of_tenant(&t))
            .map(|inner| SecurityPolicy { inner })
            .js(&env)
    }

    /// A whole policy from its object form, missing fields at their defaults.
    /// Errors name `securityPolicy.<field>`; unknown keys are refused.
    #[napi(factory, ts_args_type = "value: Partial<SecurityPolicyValue>")]
    pub fn from_value(env: Env, value: Unknown<'_>) -> napi::Result<SecurityPolicy> {
        crate::auth::json(&value, POLICY_FIELD)
            .and_then(|v| policy::SecurityPolicy::from_value(POLICY_FIELD, &v))
            .map(|inner| SecurityPolicy { inner })
            .js(&env)
    }

    /// The policy's object form, as stored (countries upper-case and sorted,
    /// networks in CIDR form).
    #[napi(getter, ts_return_type = "SecurityPolicyValue")]
    pub fn value(&self) -> Serde<Value> {
        Serde(self.inner.to_value())
    }

    /// The object form (`JSON.stringify(policy)` writes it).
    #[napi(js_name = "toJSON", ts_return_type = "SecurityPolicyValue")]
    pub fn to_json(&self) -> Serde<Value> {
        Serde(self.inner.to_value())
    }

    /// Who must have a second factor.
    #[napi(getter)]
    pub fn mfa_mode(&self) -> MfaMode {
        self.inner.mfa_mode
    }

    /// Whether a sign-in from the address `ip` (IPv4 or IPv6 text) is allowed.
    /// Text that is no address is `DEZKY_INVALID_ARGUMENT` naming `ip`.
    #[napi]
    pub fn ip_allowed(&self, env: Env, ip: String) -> napi::Result<bool> {
        self.inner.ip_text_allowed(&ip).js(&env)
    }

    /// Whether a sign-in from `country` (ISO 3166-1 alpha-2, any case) is
    /// allowed; `null` (the origin is unknown) only when every country is.
    /// A code that is no country is `DEZKY_INVALID_ARGUMENT` naming `country`.
    #[napi]
    pub fn country_allowed(&self, env: Env, country: Option<String>) -> napi::Result<bool> {
        self.inner.country_allowed(country.as_deref()).js(&env)
    }

    /// When a session that began at `started` and was last active at
    /// `lastActive` ends, in milliseconds since the epoch: the earlier of the
    /// idle and the absolute limit.
    #[napi(ts_args_type = "started: number | Date, lastActive: number | Date")]
    pub fn session_ends(
        &self,
        env: Env,
        started: Time<'_>,
        last_active: Time<'_>,
    ) -> napi::Result<f64> {
        let started = instant(&started, "started").js(&env)?;
        let last_active = instant(&last_active, "lastActive").js(&env)?;
        self.inner
            .session_ends(started, last_active)
            .map(millis)
            .js(&env)
    }

    /// Whether such a session has ended at `now` (default now): `null` while
    /// it lives, otherwise the limit that ended it (`absolute` when both are
    /// reached). Activity before the sign-in is refused naming `lastActive`.
    #[napi(
        ts_args_type = "started: number | Date, lastActive: number | Date, now?: number | Date | undefined | null"
    )]
    pub fn session_expired(
        &self,
        env: Env,
        started: Time<'_>,
        last_active: Time<'_>,
        now: Option<Time<'_>>,
    ) -> napi::Result<Option<SessionLimit>> {
        let started = instant(&started, "started").js(&env)?;
        let last_active = instant(&last_active, "lastActive").js(&env)?;
        let now = match now {
            Some(now) => instant(&now, "now").js(&env)?,
            None => SystemTime::now(),
        };
        self.inner
            .session_expired(started, last_active, now)
            .js(&env)
    }

    /// The MFA compliance of `members` under this policy's mode.
    #[napi(ts_args_type = "members: MemberMfa[]")]
    pub fn mfa_compliance(&self, env: Env, members: Unknown<'_>) -> napi::Result<MfaCompliance> {
        let members = self::members(&members).js(&env)?;
        Ok(policy::mfa_compliance(self.inner.mfa_mode, &members))
    }
}

/// The MFA compliance of `members` under `mode`: how many there are, how
/// many are enrolled, how many the mode requires, who of those is missing (in
/// input order) and whether the tenant is compliant.
#[napi(ts_args_type = "mode: MfaMode, members: MemberMfa[]")]
pub fn mfa_compliance(
    env: Env,
    mode: MfaMode,
    members: Unknown<'_>,
) -> napi::Result<MfaCompliance> {
    let members = self::members(&members).js(&env)?;
    Ok(policy::mfa_compliance(mode, &members))
}

/// `PATCH /tenants/:slug/security-policy`: the tenant's policy with `changes`
/// (some of the policy's fields) applied and validated, by `actor` at `at`
/// (default now): the new policy, the fields that changed, the
/// version-guarded patch (empty when nothing changed) and the audit event
/// `tenant.security_policy.update`. Refusals name the field
/// (`securityPolicy.mfaMode`); nothing is written.
#[napi(
    ts_args_type = "tenant: TenantDocument, changes: Partial<SecurityPolicyValue>, actor: string, at?: number | Date | undefined | null",
    ts_return_type = "PolicyUpdate"
)]
pub fn update_security_policy(
    env: Env,
    tenant: Unknown<'_>,
    changes: Unknown<'_>,
    actor: String,
    at: Option<Time<'_>>,
) -> napi::Result<Serde<policy::PolicyUpdate>> {
    let change = change(actor, at.as_ref()).js(&env)?;
    (|| {
        let tenant = crate::provisioning::tenant(&tenant)?;
        let changes = crate::auth::json(&changes, POLICY_FIELD)?;
        policy::update_security_policy(&tenant, &changes, &change)
    })()
    .map(Serde)
    .js(&env)
}
