//! Python bindings of the Dezky SDK: the private native module `dezky._dezky`.
//!
//! Thin over `dezky-flags`, `dezky-core` (tenant contexts) and `dezky-clients`
//! (the HTTP flag source): conversions and error mapping only. The typed
//! public API is the pure-Python package `dezky` (`python/dezky`), whose
//! `_dezky.pyi` describes this module and is checked against it by stubtest.

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
mod members;
mod ocis;
mod options;
mod partners;
mod policy;
mod provisioning;
mod runtime;
mod sso_apps;
mod stalwart;
mod store;
mod stripe;
mod tenant;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _dezky(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<flags::PyFlagSet>()?;
    m.add_class::<store::PyFlagStore>()?;
    m.add_class::<store::PySubscription>()?;
    m.add_class::<auth::PyTokenVerifier>()?;
    m.add_function(wrap_pyfunction!(auth::authorize, m)?)?;
    m.add_function(wrap_pyfunction!(flags::bucket, m)?)?;
    m.add_function(wrap_pyfunction!(flags::preview_rollout, m)?)?;
    m.add_function(wrap_pyfunction!(flags::openfeature_reason, m)?)?;
    m.add_function(wrap_pyfunction!(flags::reasons, m)?)?;
    m.add_function(wrap_pyfunction!(tenant::flag_context, m)?)?;
    m.add_function(wrap_pyfunction!(dns::parse_zone_file, m)?)?;
    m.add_function(wrap_pyfunction!(dns::expected_records, m)?)?;
    m.add_function(wrap_pyfunction!(dns::verify_domains, m)?)?;
    m.add_function(wrap_pyfunction!(dns::verify_domains_sync, m)?)?;
    m.add_function(wrap_pyfunction!(dns::verify_domain, m)?)?;
    m.add_function(wrap_pyfunction!(dns::verify_domain_sync, m)?)?;
    m.add_class::<authentik::PyAuthentikClient>()?;
    m.add_class::<ocis::PyOcisClient>()?;
    m.add_function(wrap_pyfunction!(ocis::validate_space_name, m)?)?;
    m.add_class::<stripe::PyStripeClient>()?;
    m.add_function(wrap_pyfunction!(stripe::format_minor_units, m)?)?;
    m.add_function(wrap_pyfunction!(stripe::parse_major_units, m)?)?;
    m.add_function(wrap_pyfunction!(stripe::verify_stripe_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(stripe::order_stripe_event, m)?)?;
    m.add_function(wrap_pyfunction!(health::probe_all, m)?)?;
    m.add_function(wrap_pyfunction!(health::probe_all_sync, m)?)?;
    m.add_class::<stalwart::PyStalwartClient>()?;
    m.add_class::<provisioning::PyProvisioner>()?;
    m.add_class::<provisioning::PyBulkRun>()?;
    m.add_function(wrap_pyfunction!(provisioning::parse_tenant_slug, m)?)?;
    m.add_function(wrap_pyfunction!(provisioning::new_tenant, m)?)?;
    m.add_function(wrap_pyfunction!(provisioning::transition_tenant, m)?)?;
    m.add_function(wrap_pyfunction!(provisioning::apply_tenant_patch, m)?)?;
    m.add_class::<policy::PySecurityPolicy>()?;
    m.add_function(wrap_pyfunction!(policy::update_security_policy, m)?)?;
    m.add_function(wrap_pyfunction!(policy::mfa_compliance, m)?)?;
    m.add_class::<branding::PyBranding>()?;
    m.add_class::<branding::PyColour>()?;
    m.add_function(wrap_pyfunction!(branding::meets_wcag_aa, m)?)?;
    m.add_function(wrap_pyfunction!(branding::check_template, m)?)?;
    m.add_function(wrap_pyfunction!(branding::template_placeholders, m)?)?;
    m.add_function(wrap_pyfunction!(billing::monthly_amount, m)?)?;
    m.add_function(wrap_pyfunction!(billing::read_price, m)?)?;
    m.add_function(wrap_pyfunction!(billing::read_subscription, m)?)?;
    m.add_function(wrap_pyfunction!(billing::mrr, m)?)?;
    m.add_function(wrap_pyfunction!(billing::margin_basis_points, m)?)?;
    m.add_function(wrap_pyfunction!(billing::billing_audit_event, m)?)?;
    m.add_class::<audit::PyAuditQuery>()?;
    m.add_function(wrap_pyfunction!(audit::parse_audit_filter, m)?)?;
    m.add_class::<members::PyMembers>()?;
    m.add_class::<members::PySecret>()?;
    m.add_function(wrap_pyfunction!(members::me, m)?)?;
    m.add_class::<domains::PyDomains>()?;
    m.add_function(wrap_pyfunction!(domains::list_domains, m)?)?;
    m.add_function(wrap_pyfunction!(domains::set_dmarc, m)?)?;
    m.add_function(wrap_pyfunction!(domains::dmarc_record, m)?)?;
    m.add_class::<sso_apps::PySsoApps>()?;
    m.add_function(wrap_pyfunction!(partners::create_partner, m)?)?;
    m.add_function(wrap_pyfunction!(partners::terminate_partner, m)?)?;
    m.add_function(wrap_pyfunction!(partners::attach_tenant, m)?)?;
    m.add_function(wrap_pyfunction!(partners::detach_tenant, m)?)?;
    m.add_function(wrap_pyfunction!(audit::parse_audit_time, m)?)?;
    m.add_function(wrap_pyfunction!(audit::audit_csv_columns, m)?)?;
    m.add_function(wrap_pyfunction!(audit::write_audit_csv, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::reset_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::runtime_pid, m)?)?;
    error::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
