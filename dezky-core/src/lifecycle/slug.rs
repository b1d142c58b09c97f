//! The slug of a new tenant, and the name it gets in each upstream.
//!
//! A slug is a DNS label in lowercase: 2 to 63 of `a-z`, `0-9` and `-`,
//! starting with a letter, not ending with `-`, without `--` (kept for IDN
//! `xn--` labels). That makes it valid as is in every upstream: an Authentik
//! group name (authorization matches a user's groups to tenant slugs), an OCIS
//! space name (which refuses `/ \ . : ? * " > < |`), a Stripe metadata value,
//! and a subdomain. Names the platform uses for itself are reserved: `dezky`
//! and every `dezky-...` (a tenant named `dezky-platform-admins` would own the
//! platform admins' group), `authentik...`, and a few service names.
//! `docs/lifecycle.md` has the table.

use std::fmt;

use crate::error::{Error, Result};

/// Slugs a new tenant may not take.
pub const RESERVED: [&str; 12] = [
    "dezky", "admin", "api", "app", "auth", "mail", "operator", "partner", "platform", "portal",
    "status", "www",
];

/// Reserved prefixes: the platform's own Authentik groups and applications.
pub const RESERVED_PREFIXES: [&str; 2] = ["dezky-", "authentik"];

/// A tenant slug that passed the rules for a new tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// Checks `slug` against the rules for a new tenant; the error names `field`.
    pub fn parse(field: &str, slug: &str) -> Result<Self> {
        let slug = TenantSlug::existing(field, slug)?;
        if RESERVED.contains(&slug.as_str())
            || RESERVED_PREFIXES.iter().any(|p| slug.0.starts_with(p))
        {
            return Err(Error::Invalid {
                field: field.into(),
                reason: "is reserved for the platform".into(),
            });
        }
        Ok(slug)
    }

    /// Checks an existing tenant's slug: the form rules, which every upstream
    /// name depends on, without the reserved names (the seeded `dezky`
    /// tenant keeps its slug).
    pub fn existing(field: &str, slug: &str) -> Result<Self> {
        let refuse = |reason: &str| {
            Err(Error::Invalid {
                field: field.into(),
                reason: reason.into(),
            })
        };
        if !(2..=63).contains(&slug.len()) {
            return refuse("must be 2 to 63 characters long");
        }
        if !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return refuse("may hold only lowercase letters a-z, digits and `-`");
        }
        if !slug.as_bytes()[0].is_ascii_lowercase() {
            return refuse("must start with a letter");
        }
        if slug.ends_with('-') {
            return refuse("must not end with `-`");
        }
        if slug.contains("--") {
            return refuse("must not contain `--`");
        }
        Ok(TenantSlug(slug.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tenant's Authentik group: named exactly the slug.
    pub fn authentik_group_name(&self) -> &str {
        &self.0
    }

    /// The tenant's OCIS project space: named the slug (the description
    /// carries the display name).
    pub fn ocis_space_name(&self) -> &str {
        &self.0
    }

    /// The Idempotency-Key of the tenant's Stripe customer creation: the same
    /// for every retry of the same tenant, so Stripe creates one customer.
    pub fn stripe_customer_idempotency_key(tenant_id: &str) -> String {
        format!("dezky-tenant-customer-{tenant_id}")
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TenantSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_labels() {
        for ok in ["acme", "ab", "nordic-it-2", &"a".repeat(63)] {
            assert_eq!(TenantSlug::parse("slug", ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_with_a_reason() {
        for bad in [
            "a",
            &"a".repeat(64),
            "Acme",
            "acme.io",
            "ac me",
            "2acme",
            "-acme",
            "acme-",
            "xn--acme",
            "ac--me",
            "æble",
            "dezky",
            "dezky-platform-admins",
            "authentik-admins",
            "admin",
        ] {
            match TenantSlug::parse("tenant.slug", bad) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "tenant.slug"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn existing_tenants_keep_reserved_slugs_but_not_bad_forms() {
        assert!(TenantSlug::existing("slug", "dezky").is_ok());
        assert!(TenantSlug::parse("slug", "dezky").is_err());
        assert!(TenantSlug::existing("slug", "acme.io").is_err());
    }

    #[test]
    fn upstream_names_keep_every_upstream_rule() {
        let slug = TenantSlug::parse("slug", "nordic-it").unwrap();
        assert_eq!(slug.authentik_group_name(), "nordic-it");
        // OCIS refuses these characters in a space name.
        assert!(
            !slug
                .ocis_space_name()
                .contains(['/', '\\', '.', ':', '?', '*', '"', '>', '<', '|'])
        );
        assert_eq!(
            TenantSlug::stripe_customer_idempotency_key("6650f1c2a9b4e3d2c1b0a998"),
            "dezky-tenant-customer-6650f1c2a9b4e3d2c1b0a998"
        );
    }
}
