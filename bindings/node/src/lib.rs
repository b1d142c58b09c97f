//! Node.js binding of the Dezky SDK (npm package `@dezky/sdk`).
//!
//! Conversion and error mapping only: every rule lives in the core crates.
//! Arguments are typed in the `#[napi]` signatures (napi refuses a wrong type,
//! and `lib/arguments.cjs` turns that into `DEZKY_INVALID_ARGUMENT` naming the
//! argument); the flag engine and the control plane's records are read
//! through `serde_json::Value` so that the core names the offending field.
//! Every error reaches JavaScript with the core's stable `code` (`error.rs`).
//!
//! The TypeScript definitions (`index.d.ts`) are generated from the `///` docs
//! and types here and from the records of `dezky-flags`, `dezky-core` and
//! `dezky-clients` (their `napi` feature) by `napi build --dts`.

// napi-rs' `#[napi]` macros expand to `unsafe` FFI glue (module registration,
// `napi_value` conversions). The crate itself writes no unsafe code; the
// workspace-wide `deny` is relaxed only so that the generated glue compiles.
#![allow(unsafe_code)]

mod audit;
mod auth;
mod authentik;
mod billing;
mod branding;
mod convert;
mod dns;
mod domains;
mod error;
mod flags;
mod health;
mod http;
mod members;
mod ocis;
mod options;
mod partners;
mod policy;
mod provisioning;
mod sso_apps;
mod stalwart;
mod store;
mod stripe;
mod task;
mod tenant;
mod types;

pub use audit::{AuditCsvEncoder, AuditQuery, audit_csv_columns, parse_audit_time};
pub use auth::{
    TokenVerifier, require_can_force_logout, require_can_suspend, require_operator,
    require_own_active_record, require_partner_staff, require_partner_tenant,
    require_platform_admin, require_tenant_admin, require_tenant_member, verify_token,
};
pub use authentik::AuthentikClient;
pub use billing::{billing_audit_event, margin_basis_points, monthly_amount, mrr};
pub use branding::{
    Branding, check_template, contrast_ratio, mail_template_placeholders, meets_wcag_aa,
    parse_colour, readable_on,
};
pub use dns::{expected_records, parse_zone_file, verify_domain, verify_domains};
pub use domains::{Domains, dmarc_record};
pub use error::{error_codes, error_examples};
pub use flags::{FlagSet, bucket, kill_switch, open_feature_reason, preview_rollout};
pub use health::probe_all;
pub use http::{http_status, http_statuses, retry_after_seconds};
pub use members::{Members, OneTimeSecret, apply_member_patch, me};
pub use ocis::{OcisClient, validate_space_name};
pub use partners::{attach_tenant, create_partner, detach_tenant, terminate_partner};
pub use policy::{SecurityPolicy, mfa_compliance, update_security_policy};
pub use provisioning::{
    BulkRun, Provisioner, apply_tenant_patch, new_tenant, parse_tenant_slug, transition_tenant,
};
pub use sso_apps::SsoApps;
pub use stalwart::StalwartClient;
pub use store::{ChangeSubscription, FlagStore};
pub use stripe::{
    StripeClient, format_minor_units, order_stripe_event, parse_major_units, verify_stripe_webhook,
};
pub use tenant::flag_context;
