//! Typed async clients for the upstreams of the Dezky control plane.
//!
//! - [`authentik::AuthentikClient`]: the Authentik API v3 (groups, members,
//!   sessions, MFA status, SSO apps, API tokens);
//! - [`http`]: the HTTP layer every client shares (timeouts, safe retries
//!   with backoff and `Retry-After`, typed upstream errors, pagination,
//!   tracing spans, configuration from the environment);
//! - [`flags::HttpFlagSource`]: the control plane's `GET /flags` with ETag
//!   revalidation, for the flag store;
//! - [`oidc::OidcKeySource`]: discovery and JWKS for token verification;
//! - [`mail::SmtpMailer`]: mail over SMTP (the onboarding mail);
//! - [`resolver::DnsResolver`]: DNS lookups for mail-domain verification;
//! - [`stalwart::StalwartClient`]: Stalwart v0.16 mail domains, DKIM and
//!   mailboxes through its JMAP management API;
//! - [`ocis::OcisClient`]: OCIS project spaces, quotas and users, with
//!   [`service_login::RefreshTokenSource`] for its service login;
//! - [`stripe::StripeClient`]: Stripe customers per tenant, SetupIntents,
//!   the default card and payment method, invoices, billing details and EU
//!   VAT ids, seat subscriptions, [`stripe::Money`]; signed webhooks
//!   ([`stripe::verify_webhook`]);
//! - [`health::probe_all`]: parallel TCP and HTTP health probes;
//! - [`provisioning`]: the provisioning ports of `dezky-core` over these
//!   clients, and a provisioner from the environment.

pub mod authentik;
pub mod domains;
mod error;
pub mod flags;
pub mod health;
pub mod http;
mod macros;
pub mod mail;
pub mod members;
pub mod ocis;
pub mod oidc;
pub mod provisioning;
pub mod resolver;
mod secret;
pub mod service_login;
pub mod sso_apps;
pub mod stalwart;
pub mod stripe;

pub use error::{Error, FieldError, Result, UpstreamError, UpstreamKind};
pub use secret::{Secret, Withheld};
