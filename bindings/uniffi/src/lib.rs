//! UniFFI bindings of the Dezky SDK: the pure flag logic of `dezky-flags` and
//! the control plane's pure domain rules of `dezky-core` (flag context,
//! authorization, the pure part of the tenant lifecycle, security policy,
//! branding, billing maths, audit queries and export) for Kotlin, Swift and
//! Python.
//!
//! Thin by design: every function converts its arguments, calls the core once and
//! maps the result. Records and enums that the core can derive itself
//! ([`EvaluationContext`], [`Evaluation`], [`Reason`]) come from `dezky-flags`
//! under its `uniffi` feature; only values the FFI cannot carry as they are
//! (JSON values, `usize`) are mirrored here. Flag documents cross the boundary as
//! the control plane's JSON text, and so do the control plane's records (user,
//! tenant, partner documents). See README.md for generation and tests.

// `DezkyError` crosses the FFI by value with every detail of the core's error;
// a call returns at most one, so its size costs nothing measurable.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use dezky_flags::{Evaluation, EvaluationContext, Reason};

mod audit;
mod billing;
mod branding;
mod domain;
mod error;
mod lifecycle;
mod ops;
mod partners;
mod policy;

pub use audit::{AuditQuery, audit_csv_columns, audit_events_to_csv, parse_audit_time};
pub use billing::{BillingCycle, margin_basis_points, monthly_amount, mrr};
pub use branding::{
    Branding, Colour, MailTemplate, TemplateText, check_template, colour_hex, contrast_ratio,
    mail_template_name, mail_template_placeholders, meets_wcag_aa, parse_colour,
    parse_mail_template, readable_on,
};
pub use domain::{
    Actor, Surface, flag_context, require_can_force_logout, require_can_suspend, require_operator,
    require_own_active_record, require_partner_staff, require_partner_tenant,
    require_platform_admin, require_tenant_admin, require_tenant_member,
};
pub use error::{DezkyError, ErrorDetail, ErrorDetails, error_codes, throw_error_example};
pub use lifecycle::{
    LifecycleAction, TenantStatus, TenantTransition, apply_tenant_patch, new_pending_tenant,
    parse_tenant_slug, ready_to_activate, transition_tenant,
};
pub use ops::{
    FlagAuditEvent, FlagChange, RolloutPreview, create_flag, kill_switch, preview_rollout,
    update_flag,
};
pub use partners::{
    CreatedPartner, DmarcPolicy, PartnerChange, attach_tenant, create_partner, detach_tenant,
    dmarc_policy_from_json, dmarc_record, terminate_partner,
};
pub use policy::{
    MemberMfa, MfaCompliance, MfaMode, PolicyUpdate, SecurityPolicy, SessionLimit, mfa_compliance,
    mfa_mode_name, update_security_policy,
};

uniffi::setup_scaffolding!();

/// A validated, compiled, immutable set of flags.
#[derive(Debug, uniffi::Object)]
pub struct FlagSet {
    inner: dezky_flags::FlagSet,
}

#[uniffi::export]
impl FlagSet {
    /// Parses a JSON array of flag documents (the body of the control plane's `GET /flags`).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, DezkyError> {
        Ok(Arc::new(FlagSet {
            inner: dezky_flags::FlagSet::from_json(&json)?,
        }))
    }

    /// The set as a JSON array, unknown fields included.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The keys, in flag order.
    pub fn keys(&self) -> Vec<String> {
        self.inner.keys().map(str::to_owned).collect()
    }

    /// The number of flags.
    pub fn len(&self) -> u64 {
        self.inner.len() as u64
    }

    /// Whether the set holds no flag.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// One flag's document as JSON text, or `None` for an unknown key.
    pub fn flag_json(&self, key: String) -> Option<String> {
        self.inner.get(&key).map(dezky_flags::Flag::to_json)
    }

    /// Evaluates one flag, with the reason. An unknown key is `false` with
    /// [`Reason::FlagNotFound`].
    pub fn evaluate(&self, key: String, context: EvaluationContext) -> Evaluation {
        self.inner.evaluate(&key, &context)
    }

    /// Evaluates every flag for one context: `{key: enabled}` for every key of the set.
    pub fn evaluate_all(&self, context: EvaluationContext) -> HashMap<String, bool> {
        self.inner
            .evaluate_all(&context)
            .iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }

    /// Evaluates every flag with its reason, in flag order.
    pub fn evaluate_all_detailed(&self, context: EvaluationContext) -> Vec<Evaluation> {
        self.inner.evaluate_all_detailed(&context)
    }

    /// A new set with the flag document `flag_json` added, or replacing the flag with its key.
    pub fn with_flag(&self, flag_json: String) -> Result<Arc<FlagSet>, DezkyError> {
        let flag = dezky_flags::Flag::from_json(&flag_json)?;
        Ok(Arc::new(FlagSet {
            inner: self.inner.with_flag(flag)?,
        }))
    }

    /// A new set without the flag `key`.
    pub fn without_flag(&self, key: String) -> Result<Arc<FlagSet>, DezkyError> {
        Ok(Arc::new(FlagSet {
            inner: self.inner.without_flag(&key)?,
        }))
    }
}

/// Parses an evaluation context from JSON text (the control plane's camelCase
/// fields); unknown fields are an error.
#[uniffi::export]
pub fn context_from_json(json: String) -> Result<EvaluationContext, DezkyError> {
    Ok(EvaluationContext::from_json(&json)?)
}

/// The rollout bucket (0..=99) of `subject` for the flag `key`.
#[uniffi::export]
pub fn bucket(subject: String, key: String) -> u8 {
    dezky_flags::bucket(&subject, &key)
}

/// The first four bytes of `SHA-256(subject ":" key)`, big-endian.
#[uniffi::export]
pub fn bucket_prefix(subject: String, key: String) -> u32 {
    dezky_flags::bucket_prefix(&subject, &key)
}

/// The stable wire name of a reason (`"in_rollout"`, ...), shared by every binding.
#[uniffi::export]
pub fn reason_name(reason: Reason) -> String {
    reason.as_str().to_owned()
}

/// The OpenFeature resolution reason a reason maps onto (`"SPLIT"`, ...).
#[uniffi::export]
pub fn openfeature_reason(reason: Reason) -> String {
    reason.openfeature_reason().to_owned()
}
