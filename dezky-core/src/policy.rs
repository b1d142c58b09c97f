//! A tenant's security policy (`tenant.securityPolicy`): read and validated
//! with field-named errors, changed by a version-guarded patch with its audit
//! event, and applied: the IP allowlist, the allowed countries, the session
//! limits, and the MFA compliance of the tenant's members (`docs/policy.md`).
//!
//! The policy is stored and exchanged in the control plane's camelCase names:
//!
//! ```json
//! {"mfaMode": "required", "sessionIdleMinutes": 30, "sessionAbsoluteHours": 12,
//!  "allowedCountries": ["DK", "SE"], "ipAllowlist": ["192.0.2.0/24", "2001:db8::/32"]}
//! ```
//!
//! An empty `allowedCountries` or `ipAllowlist` allows every country or address.

// `#[napi]` enums expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Map, Value, json};

use dezky_flags::Change;

use crate::audit::{AuditEvent, Outcome};
use crate::error::{Error, Result};
use crate::lifecycle::{TenantDocument, TenantPatch};

/// The tenant document's field that holds the policy.
pub const POLICY_FIELD: &str = "securityPolicy";
/// The idle limit's bounds, in minutes: 5 minutes to a day.
pub const SESSION_IDLE_MINUTES: (u32, u32) = (5, 1_440);
/// The absolute limit's bounds, in hours: an hour to 30 days.
pub const SESSION_ABSOLUTE_HOURS: (u32, u32) = (1, 720);
/// At most this many allowlist entries (Authentik's policy expressions and
/// reverse proxies evaluate the list on every request).
pub const MAX_IP_RULES: usize = 256;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Who must have a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
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

impl MfaMode {
    /// Every mode, in increasing strictness.
    pub const ALL: [MfaMode; 4] = [
        MfaMode::Off,
        MfaMode::Optional,
        MfaMode::Admins,
        MfaMode::Required,
    ];

    /// The control plane's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMode::Off => "off",
            MfaMode::Optional => "optional",
            MfaMode::Admins => "admins",
            MfaMode::Required => "required",
        }
    }

    /// The mode of a control-plane name; another name is
    /// `DEZKY_INVALID_ARGUMENT` naming `field`.
    pub fn parse(field: &str, value: &str) -> Result<MfaMode> {
        MfaMode::ALL
            .into_iter()
            .find(|m| m.as_str() == value)
            .ok_or_else(|| invalid(field, "must be off, optional, admins or required"))
    }

    /// Whether a member (an administrator or not) must have a second factor.
    pub fn requires(self, admin: bool) -> bool {
        match self {
            MfaMode::Off | MfaMode::Optional => false,
            MfaMode::Admins => admin,
            MfaMode::Required => true,
        }
    }
}

/// A tenant's security policy, validated: countries upper-case, sorted and
/// unique; allowlist entries as networks (host bits cleared), unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SecurityPolicy {
    /// Who must have a second factor.
    pub mfa_mode: MfaMode,
    /// A session ends after this many minutes without activity.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, active or not.
    pub session_absolute_hours: u32,
    /// ISO 3166-1 alpha-2 codes sign-ins may come from; empty: any country.
    pub allowed_countries: Vec<String>,
    /// Networks sign-ins may come from (`192.0.2.0/24`, `2001:db8::/32`, a
    /// single address as `/32` or `/128`); empty: any address.
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    #[serde(serialize_with = "networks")]
    pub ip_allowlist: Vec<IpNet>,
}

fn networks<S: serde::Serializer>(nets: &[IpNet], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(nets.iter().map(ToString::to_string))
}

impl Default for SecurityPolicy {
    /// A tenant that never set a policy: MFA optional, sessions idle out after
    /// an hour and end after a day, any country, any address.
    fn default() -> Self {
        SecurityPolicy {
            mfa_mode: MfaMode::Optional,
            session_idle_minutes: 60,
            session_absolute_hours: 24,
            allowed_countries: Vec::new(),
            ip_allowlist: Vec::new(),
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum SessionLimit {
    /// No activity for longer than the idle limit.
    Idle,
    /// Longer since sign-in than the absolute limit.
    Absolute,
}

/// The keys a policy object may have.
const POLICY_KEYS: [&str; 5] = [
    "mfaMode",
    "sessionIdleMinutes",
    "sessionAbsoluteHours",
    "allowedCountries",
    "ipAllowlist",
];

impl SecurityPolicy {
    /// The policy stored in a tenant document; the default when it has none.
    /// Errors name the field (`tenant.securityPolicy.ipAllowlist[2]`).
    pub fn of_tenant(tenant: &TenantDocument) -> Result<SecurityPolicy> {
        match tenant.extra.get(POLICY_FIELD) {
            None | Some(Value::Null) => Ok(SecurityPolicy::default()),
            Some(value) => SecurityPolicy::default()
                .changed(&format!("tenant.{POLICY_FIELD}"), value)
                .map(|(policy, _)| policy),
        }
    }

    /// A whole policy from its object form, missing fields at their defaults.
    /// `name` prefixes the fields in errors.
    pub fn from_value(name: &str, value: &Value) -> Result<SecurityPolicy> {
        SecurityPolicy::default()
            .changed(name, value)
            .map(|(policy, _)| policy)
    }

    /// This policy with the fields of `changes` (an object with some of the
    /// policy's keys) replaced, validated as a whole; and the names of the
    /// fields whose value changed. Unknown keys are refused.
    pub fn changed(
        &self,
        name: &str,
        changes: &Value,
    ) -> Result<(SecurityPolicy, Vec<&'static str>)> {
        let Value::Object(changes) = changes else {
            return Err(invalid(name, "must be an object"));
        };
        let field = |key: &str| format!("{name}.{key}");
        let mut next = self.clone();
        for (key, value) in changes {
            let f = field(key);
            match key.as_str() {
                "mfaMode" => {
                    let mode = value
                        .as_str()
                        .ok_or_else(|| invalid(&f, "must be a string"))?;
                    next.mfa_mode = MfaMode::parse(&f, mode)?;
                }
                "sessionIdleMinutes" => {
                    next.session_idle_minutes = bounded(&f, value, SESSION_IDLE_MINUTES)?;
                }
                "sessionAbsoluteHours" => {
                    next.session_absolute_hours = bounded(&f, value, SESSION_ABSOLUTE_HOURS)?;
                }
                "allowedCountries" => next.allowed_countries = countries(&f, value)?,
                "ipAllowlist" => next.ip_allowlist = allowlist(&f, value)?,
                _ => {
                    return Err(invalid(
                        f,
                        format!(
                            "is not a policy field (expected one of {})",
                            POLICY_KEYS.join(", ")
                        ),
                    ));
                }
            }
        }
        if u64::from(next.session_absolute_hours) * 60 < u64::from(next.session_idle_minutes) {
            return Err(invalid(
                field("sessionAbsoluteHours"),
                format!(
                    "must be at least the idle limit ({} minutes)",
                    next.session_idle_minutes
                ),
            ));
        }
        let changed = [
            ("mfaMode", self.mfa_mode != next.mfa_mode),
            (
                "sessionIdleMinutes",
                self.session_idle_minutes != next.session_idle_minutes,
            ),
            (
                "sessionAbsoluteHours",
                self.session_absolute_hours != next.session_absolute_hours,
            ),
            (
                "allowedCountries",
                self.allowed_countries != next.allowed_countries,
            ),
            ("ipAllowlist", self.ip_allowlist != next.ip_allowlist),
        ]
        .into_iter()
        .filter_map(|(key, changed)| changed.then_some(key))
        .collect();
        Ok((next, changed))
    }

    /// The policy's object form, as stored.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether a sign-in from `ip` is allowed. An IPv4 address written as
    /// IPv6 (`::ffff:192.0.2.1`, as dual-stack proxies report it) is matched
    /// as IPv4.
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        if self.ip_allowlist.is_empty() {
            return true;
        }
        let ip = ip.to_canonical();
        self.ip_allowlist.iter().any(|net| net.contains(&ip))
    }

    /// [`SecurityPolicy::ip_allowed`] for an address as text; an address that
    /// does not parse is `DEZKY_INVALID_ARGUMENT` naming `ip`.
    pub fn ip_text_allowed(&self, ip: &str) -> Result<bool> {
        let ip: IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| invalid("ip", "is not an IPv4 or IPv6 address"))?;
        Ok(self.ip_allowed(ip))
    }

    /// Whether a sign-in from `country` (ISO 3166-1 alpha-2, any case) is
    /// allowed. `None` (the country could not be determined) is allowed only
    /// when every country is: a restricted tenant fails closed. A code that
    /// is no country is `DEZKY_INVALID_ARGUMENT` naming `country`.
    pub fn country_allowed(&self, country: Option<&str>) -> Result<bool> {
        let country = country.map(|c| country_code("country", c)).transpose()?;
        Ok(match country {
            _ if self.allowed_countries.is_empty() => true,
            None => false,
            Some(code) => self.allowed_countries.contains(&code),
        })
    }

    /// When a session that began at `started` and was last active at
    /// `last_active` ends: the earlier of the idle and the absolute limit.
    /// A time past what the platform can represent is `DEZKY_INVALID_ARGUMENT`
    /// naming `started` or `lastActive`.
    pub fn session_ends(&self, started: SystemTime, last_active: SystemTime) -> Result<SystemTime> {
        let (idle, absolute) = self.limits(started, last_active)?;
        Ok(idle.min(absolute))
    }

    /// The idle and the absolute end of a session.
    fn limits(
        &self,
        started: SystemTime,
        last_active: SystemTime,
    ) -> Result<(SystemTime, SystemTime)> {
        let later = |field: &str, t: SystemTime, secs: u64| {
            t.checked_add(Duration::from_secs(secs))
                .ok_or_else(|| invalid(field, "is too far in the future"))
        };
        Ok((
            later(
                "lastActive",
                last_active,
                u64::from(self.session_idle_minutes) * 60,
            )?,
            later(
                "started",
                started,
                u64::from(self.session_absolute_hours) * 3_600,
            )?,
        ))
    }

    /// Whether such a session has ended at `now`, and by which limit (the
    /// absolute one when both are reached). Activity before the sign-in is
    /// `DEZKY_INVALID_ARGUMENT` naming `lastActive`.
    pub fn session_expired(
        &self,
        started: SystemTime,
        last_active: SystemTime,
        now: SystemTime,
    ) -> Result<Option<SessionLimit>> {
        if last_active < started {
            return Err(invalid("lastActive", "is before the session started"));
        }
        let (idle, absolute) = self.limits(started, last_active)?;
        Ok(if now >= absolute {
            Some(SessionLimit::Absolute)
        } else if now >= idle {
            Some(SessionLimit::Idle)
        } else {
            None
        })
    }
}

/// A whole number within `(min, max)`.
fn bounded(field: &str, value: &Value, (min, max): (u32, u32)) -> Result<u32> {
    value
        .as_u64()
        .filter(|n| (u64::from(min)..=u64::from(max)).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| invalid(field, format!("must be a whole number from {min} to {max}")))
}

/// An ISO 3166-1 alpha-2 code (any case) in upper case.
fn country_code(field: &str, code: &str) -> Result<String> {
    let upper = code.trim().to_ascii_uppercase();
    if upper.len() == 2 && celes::Country::from_alpha2(&upper).is_ok() {
        Ok(upper)
    } else {
        Err(invalid(
            field,
            format!("{code:?} is not an ISO 3166-1 alpha-2 country code"),
        ))
    }
}

fn countries(field: &str, value: &Value) -> Result<Vec<String>> {
    let Value::Array(items) = value else {
        return Err(invalid(field, "must be a list of country codes"));
    };
    let mut codes = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let f = format!("{field}[{i}]");
            let code = item
                .as_str()
                .ok_or_else(|| invalid(&f, "must be a string"))?;
            country_code(&f, code)
        })
        .collect::<Result<Vec<_>>>()?;
    codes.sort();
    codes.dedup();
    Ok(codes)
}

/// A network in CIDR form, or a single address (a host network).
fn network(field: &str, text: &str) -> Result<IpNet> {
    let text = text.trim();
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
            invalid(
                field,
                format!("{text:?} is not an IP address or CIDR network"),
            )
        })?,
    };
    // `192.0.2.7/24` means the network: its host bits are dropped, as routers do.
    Ok(ipv4_mapped(net.trunc()))
}

/// `::ffff:192.0.2.0/120` is the IPv4 network `192.0.2.0/24` written as IPv6.
/// Probes are matched in their IPv4 form, so the entry is stored in that form
/// too; otherwise it could never match.
fn ipv4_mapped(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4),
            None => net,
        },
        _ => net,
    }
}

fn allowlist(field: &str, value: &Value) -> Result<Vec<IpNet>> {
    let Value::Array(items) = value else {
        return Err(invalid(field, "must be a list of networks"));
    };
    if items.len() > MAX_IP_RULES {
        return Err(invalid(
            field,
            format!("has more than {MAX_IP_RULES} entries"),
        ));
    }
    let mut nets: Vec<IpNet> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let text = item
            .as_str()
            .ok_or_else(|| invalid(&f, "must be a string"))?;
        let net = network(&f, text)?;
        if !nets.contains(&net) {
            nets.push(net);
        }
    }
    Ok(nets)
}

/// A change of a tenant's policy: the new policy, the patch the caller
/// applies to the tenant document (guarded by its version), and the audit event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyUpdate {
    /// The policy after the change.
    pub policy: SecurityPolicy,
    /// The fields whose value changed (empty: nothing to write).
    pub changed: Vec<String>,
    /// The write (`securityPolicy` set whole); empty when nothing changed.
    pub patch: TenantPatch,
    /// `tenant.security_policy.update`, with the fields before and after.
    pub event: AuditEvent,
}

/// `PATCH /tenants/:slug/security-policy`: the tenant's policy with `changes`
/// (an object with some of the policy's fields) applied and validated.
/// Refused changes are errors naming the field (`securityPolicy.mfaMode`);
/// nothing is written. A change that changes nothing yields an empty patch
/// and still an event (the request was made).
pub fn update_security_policy(
    tenant: &TenantDocument,
    changes: &Value,
    change: &Change,
) -> Result<PolicyUpdate> {
    let current = SecurityPolicy::of_tenant(tenant)?;
    let (policy, changed) = current.changed(POLICY_FIELD, changes)?;
    let mut patch = TenantPatch::new(tenant);
    if !changed.is_empty() {
        patch.set(POLICY_FIELD, policy.to_value());
    }
    let (before, after) = (current.to_value(), policy.to_value());
    let pick = |from: &Value| -> Map<String, Value> {
        changed
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    from.get(*k).cloned().unwrap_or(Value::Null),
                )
            })
            .collect()
    };
    let event = AuditEvent::new(
        "tenant.security_policy.update",
        Outcome::Success,
        change,
        "tenant",
        &tenant.slug,
    )
    .for_tenant(&tenant.id)
    .with("changed", json!(changed))
    .with("before", Value::Object(pick(&before)))
    .with("after", Value::Object(pick(&after)));
    Ok(PolicyUpdate {
        policy,
        changed: changed.into_iter().map(str::to_owned).collect(),
        patch,
        event,
    })
}

/// A member's MFA enrolment, as the identity provider reports it (the
/// Authentik client's authenticator summary converts into it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
pub struct MemberMfa {
    /// The member (an email address or an id).
    pub member: String,
    /// Whether the member administers the tenant.
    #[serde(default)]
    pub admin: bool,
    /// Confirmed second factors (recovery codes not counted).
    pub factors: u32,
}

/// How a tenant's members stand against its MFA mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(object, object_from_js = false))]
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

/// The MFA compliance of `members` under `mode`.
pub fn mfa_compliance(mode: MfaMode, members: &[MemberMfa]) -> MfaCompliance {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let required: Vec<&MemberMfa> = members.iter().filter(|m| mode.requires(m.admin)).collect();
    let missing: Vec<String> = required
        .iter()
        .filter(|m| m.factors == 0)
        .map(|m| m.member.clone())
        .collect();
    MfaCompliance {
        mfa_mode: mode,
        members: count(members.len()),
        enrolled: count(members.iter().filter(|m| m.factors > 0).count()),
        required: count(required.len()),
        compliant: missing.is_empty(),
        missing,
    }
}
