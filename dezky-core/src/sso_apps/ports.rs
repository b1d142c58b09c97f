//! The identity provider side of SSO apps.

use serde::Serialize;

use crate::provisioning::PortFuture;

/// An application of the identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SsoApplication {
    /// The uuid (a policy binding's target).
    pub pk: String,
    /// The slug.
    pub slug: String,
    /// The name.
    pub name: String,
    /// The OAuth2 provider's pk, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<i64>,
    /// The launch URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_url: Option<String>,
}

/// A policy binding of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SsoBinding {
    /// The binding's uuid.
    pub pk: String,
    /// The bound group's uuid, for a group binding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The identity provider's applications, their bindings and providers.
///
/// Deleting something that is gone succeeds (`Ok(false)`): a composite
/// delete run again after a failure resumes where it stopped.
pub trait SsoPort: Send + Sync {
    /// Every application.
    fn applications(&self) -> PortFuture<'_, Vec<SsoApplication>>;

    /// The application `slug`, if any.
    fn application<'a>(&'a self, slug: &'a str) -> PortFuture<'a, Option<SsoApplication>>;

    /// The policy bindings whose target is the application `app_pk`.
    fn bindings<'a>(&'a self, app_pk: &'a str) -> PortFuture<'a, Vec<SsoBinding>>;

    /// Deletes the binding `pk`; `false` when it was gone.
    fn delete_binding<'a>(&'a self, pk: &'a str) -> PortFuture<'a, bool>;

    /// Deletes the application `slug`; `false` when it was gone.
    fn delete_application<'a>(&'a self, slug: &'a str) -> PortFuture<'a, bool>;

    /// Deletes the OAuth2 provider `pk`; `false` when it was gone.
    fn delete_provider(&self, pk: i64) -> PortFuture<'_, bool>;
}
