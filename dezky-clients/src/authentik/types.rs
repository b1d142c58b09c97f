//! The Authentik records the client reads and writes: hand-written subsets of
//! the 2025.10 component schemas. Fields the server may leave out are
//! optional; values upstream may extend are open enums. Records serialize
//! with the API's own field names (secrets left out), for the bindings.
//! With the `napi` feature, the records the Node binding returns are also
//! `#[napi(object)]` (camelCase JS names, TypeScript declarations): counts
//! are `u32` (JS numbers), open enums JS strings, and a secret crosses only
//! where the caller asked for it (`SsoApp::client_secret`).

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use dezky_core::policy::MemberMfa;

use crate::macros::open_enum;
use crate::{Secret, Withheld};

open_enum! {
    /// `UserTypeEnum`.
    UserType {
        /// A member of the organisation.
        Internal = "internal",
        /// A guest or customer.
        External = "external",
        /// A service account.
        ServiceAccount = "service_account",
        /// A service account managed by Authentik itself.
        InternalServiceAccount = "internal_service_account",
    }
}

open_enum! {
    /// `ClientTypeEnum`.
    ClientType {
        /// Holds a client secret (server-side apps).
        Confidential = "confidential",
        /// Cannot keep a secret (single-page and native apps).
        Public = "public",
    }
}

open_enum! {
    /// `SubModeEnum`: what the `sub` claim holds.
    SubMode {
        /// The hashed user id (`User.uid`), the default.
        HashedUserId = "hashed_user_id",
        /// The numeric user pk.
        UserId = "user_id",
        /// The user's uuid.
        UserUuid = "user_uuid",
        /// The email address.
        UserEmail = "user_email",
        /// The username.
        UserUsername = "user_username",
        /// `attributes.upn`, else the hashed id.
        UserUpn = "user_upn",
    }
}

open_enum! {
    /// `MatchingModeEnum` of a redirect URI.
    MatchingMode {
        /// The URL must match exactly.
        Strict = "strict",
        /// The URL is a regular expression.
        Regex = "regex",
    }
}

open_enum! {
    /// `IntentEnum` of a token.
    TokenIntent {
        /// A verification token (email links).
        Verification = "verification",
        /// An API token, accepted as `Authorization: Bearer`.
        Api = "api",
        /// A recovery token.
        Recovery = "recovery",
        /// An app password (not accepted by the API).
        AppPassword = "app_password",
    }
}

open_enum! {
    /// `FlowDesignationEnum`.
    FlowDesignation {
        /// Log-in flows.
        Authentication = "authentication",
        /// Consent flows of providers.
        Authorization = "authorization",
        /// Log-out flows of providers.
        Invalidation = "invalidation",
        /// Sign-up flows.
        Enrollment = "enrollment",
        /// Account deletion flows.
        Unenrollment = "unenrollment",
        /// Password recovery flows.
        Recovery = "recovery",
        /// Authenticator set-up flows.
        StageConfiguration = "stage_configuration",
    }
}

/// `Pagination` of a `Paginated*List`: page numbers, 0 when there is none.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Pagination {
    #[serde(default)]
    pub(crate) next: f64,
}

/// A `Paginated*List`. `autocomplete` is required in 2025.10 but absent from
/// older servers, so it is optional here.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Paginated<T> {
    pub(crate) pagination: Pagination,
    pub(crate) results: Vec<T>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) autocomplete: Option<Value>,
}

/// A user as embedded in other records (`PartialUser`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialUser {
    /// The numeric pk.
    pub pk: i64,
    /// The username.
    pub username: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the account may log in.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
}

/// A group as embedded in other records (`PartialGroup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialGroup {
    /// The uuid.
    pub pk: String,
    /// The numeric id.
    #[serde(default)]
    pub num_pk: Option<i64>,
    /// The unique name.
    pub name: String,
}

/// `Group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikGroup")
)]
pub struct Group {
    /// The uuid, used in paths and in `User.groups`.
    pub pk: String,
    /// The numeric id.
    #[serde(default)]
    pub num_pk: Option<i64>,
    /// The unique name.
    pub name: String,
    /// Whether members are superusers.
    #[serde(default)]
    pub is_superuser: Option<bool>,
    /// The parent group's uuid.
    #[serde(default)]
    pub parent: Option<String>,
    /// Member pks (empty when listed with `include_users=false`).
    #[serde(default)]
    pub users: Vec<i64>,
    /// Free-form attributes (`tenant_slug`, `tenant_id` for tenant groups).
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<serde_json::Map<String, Value>>")
    )]
    pub attributes: Option<Value>,
}

/// `User`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikUser")
)]
pub struct User {
    /// The numeric pk, used in paths.
    pub pk: i64,
    /// The username (the email address for Dezky members).
    pub username: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the account may log in.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Last log-in time (RFC 3339).
    #[serde(default)]
    pub last_login: Option<String>,
    /// Whether the user is a superuser.
    #[serde(default)]
    pub is_superuser: Option<bool>,
    /// Group uuids.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The hashed id (the `sub` claim in the default mode).
    #[serde(default)]
    pub uid: Option<String>,
    /// The user's uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The directory path.
    #[serde(default)]
    pub path: Option<String>,
    /// The account type.
    #[cfg_attr(feature = "napi", napi(js_name = "type", ts_type = "string"))]
    #[serde(default, rename = "type")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub user_type: Option<UserType>,
    /// Free-form attributes.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<serde_json::Map<String, Value>>")
    )]
    pub attributes: Option<Value>,
}

/// What [`super::AuthentikClient::create_user`] needs. The username is the email address.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// The email address, also used as the username.
    pub email: String,
    /// The display name.
    pub name: String,
    /// Group uuids (`Group::pk`).
    pub groups: Vec<String>,
    /// Whether the account may log in right away.
    pub is_active: bool,
    /// The directory path (`users` by default on the server).
    pub path: Option<String>,
    /// The account type (`internal` by default on the server).
    pub user_type: Option<UserType>,
    /// Free-form attributes.
    pub attributes: Option<Value>,
}

/// `AuthenticatedSession`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikSession")
)]
pub struct AuthenticatedSession {
    /// The session's uuid, used to delete it.
    #[serde(default)]
    pub uuid: Option<String>,
    /// Whether it is the caller's own session.
    #[serde(default)]
    pub current: Option<bool>,
    /// The pk of the user the session belongs to.
    pub user: i64,
    /// The last client IP address.
    #[serde(default)]
    pub last_ip: Option<String>,
    /// The last user agent string.
    #[serde(default)]
    pub last_user_agent: Option<String>,
    /// When it was last used (RFC 3339).
    #[serde(default)]
    pub last_used: Option<String>,
    /// When it expires (RFC 3339).
    #[serde(default)]
    pub expires: Option<String>,
}

/// What [`super::AuthentikClient::terminate_user_sessions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(
        object,
        object_from_js = false,
        js_name = "AuthentikSessionTermination"
    )
)]
pub struct SessionTermination {
    /// Uuids of the sessions deleted.
    pub terminated: Vec<String>,
    /// Sessions the listing returned that belong to another user: never deleted.
    pub skipped_foreign: u32,
    /// Sessions that ended between the listing and the delete (404).
    pub already_gone: u32,
}

/// An authenticator (`Device`) from `/authenticators/admin/all/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikDevice")
)]
pub struct Device {
    /// The device id (unique per type only).
    pub pk: String,
    /// The name the user gave it.
    #[serde(default)]
    pub name: Option<String>,
    /// `<app_label>.<Model>`, e.g. `authentik_stages_authenticator_totp.TOTPDevice`.
    #[cfg_attr(feature = "napi", napi(js_name = "type"))]
    #[serde(rename = "type")]
    pub device_type: String,
    /// Whether set-up was completed.
    #[serde(default)]
    pub confirmed: bool,
    /// The human name of the type.
    #[serde(default)]
    pub verbose_name: Option<String>,
    /// When it was last used (RFC 3339).
    #[serde(default)]
    pub last_used: Option<String>,
}

/// The MFA status of a user, from [`super::AuthentikClient::count_authenticators`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(
        object,
        object_from_js = false,
        js_name = "AuthentikAuthenticatorSummary"
    )
)]
pub struct AuthenticatorSummary {
    /// Confirmed second factors (TOTP, WebAuthn, Duo, SMS, email), without
    /// recovery codes and endpoint devices.
    pub count: u32,
    /// `count` by device type (`authentik_stages_authenticator_totp.TOTPDevice` → 1).
    pub by_type: BTreeMap<String, u32>,
    /// Confirmed static recovery-code devices: reported, not counted as a factor.
    pub recovery_code_devices: u32,
    /// Devices whose set-up was not completed: not counted.
    pub unconfirmed: u32,
    /// Endpoint / device-trust entries: not MFA factors, not counted.
    pub endpoint_devices: u32,
    /// Whether the user has at least one confirmed second factor (`count > 0`).
    pub has_mfa: bool,
}

impl AuthenticatorSummary {
    /// Whether the user has at least one confirmed second factor.
    pub fn has_mfa(&self) -> bool {
        self.count > 0
    }

    /// The member's enrolment as a tenant's security policy judges it
    /// (`dezky_core::policy::mfa_compliance`): the confirmed factors only.
    pub fn member_mfa(&self, member: impl Into<String>, admin: bool) -> MemberMfa {
        MemberMfa {
            member: member.into(),
            admin,
            factors: self.count,
        }
    }
}

/// `Flow` (only what provider creation needs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikFlow")
)]
pub struct Flow {
    /// The uuid, sent as `authorization_flow` / `invalidation_flow`.
    pub pk: String,
    /// The slug.
    pub slug: String,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// What the flow is for.
    #[serde(default)]
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub designation: Option<FlowDesignation>,
}

/// `CertificateKeyPair`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikKeyPair")
)]
pub struct CertificateKeyPair {
    /// The uuid, sent as `signing_key`.
    pub pk: String,
    /// The name.
    pub name: String,
    /// The managed id (`goauthentik.io/crypto/jwt-managed` for the JWT key).
    #[serde(default)]
    pub managed: Option<String>,
    /// Whether the private key is present.
    #[serde(default)]
    pub private_key_available: Option<bool>,
    /// `rsa`, `ec`, ...
    #[serde(default)]
    pub private_key_type: Option<String>,
    /// When the certificate expires (RFC 3339).
    #[serde(default)]
    pub cert_expiry: Option<String>,
    /// SHA-256 fingerprint of the certificate.
    #[serde(default)]
    pub fingerprint_sha256: Option<String>,
}

/// `ScopeMapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikScopeMapping")
)]
pub struct ScopeMapping {
    /// The uuid, sent in `property_mappings`.
    pub pk: String,
    /// The managed id (`goauthentik.io/providers/oauth2/scope-openid`).
    #[serde(default)]
    pub managed: Option<String>,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The scope it answers to.
    #[serde(default)]
    pub scope_name: Option<String>,
}

/// `RedirectURI` / `RedirectURIRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikRedirectUri")
)]
pub struct RedirectUri {
    /// How `url` is compared.
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub matching_mode: MatchingMode,
    /// The URL (or pattern).
    pub url: String,
}

impl RedirectUri {
    /// An exact-match redirect URI.
    pub fn strict(url: impl Into<String>) -> Self {
        RedirectUri {
            matching_mode: MatchingMode::Strict,
            url: url.into(),
        }
    }
}

fn secret_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Withheld>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(|s| Withheld::new(Secret::new(s))))
}

/// `OAuth2Provider`. Its client secret is withheld: Rust callers read it,
/// serde and JavaScript never see it (`create_sso_app` returns it once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikOAuth2Provider")
)]
pub struct OAuth2Provider {
    /// The numeric pk, used in paths and as `Application.provider`.
    pub pk: i64,
    /// The name.
    pub name: String,
    /// The authorization flow's uuid.
    #[serde(default)]
    pub authorization_flow: Option<String>,
    /// The invalidation flow's uuid.
    #[serde(default)]
    pub invalidation_flow: Option<String>,
    /// Scope mapping uuids.
    #[serde(default)]
    pub property_mappings: Vec<String>,
    /// `confidential` or `public`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    pub client_type: Option<ClientType>,
    /// The client id (the token audience).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The client secret (never serialized, never handed to JavaScript).
    #[serde(default, deserialize_with = "secret_opt", skip_serializing)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    #[cfg_attr(feature = "napi", napi(skip))]
    pub client_secret: Option<Withheld>,
    /// Access-code lifetime (`minutes=1`).
    #[serde(default)]
    pub access_code_validity: Option<String>,
    /// Access-token lifetime.
    #[serde(default)]
    pub access_token_validity: Option<String>,
    /// Refresh-token lifetime.
    #[serde(default)]
    pub refresh_token_validity: Option<String>,
    /// The signing key's uuid (none means HS256 with the client secret).
    #[serde(default)]
    pub signing_key: Option<String>,
    /// The encryption key's uuid (set means JWE tokens).
    #[serde(default)]
    pub encryption_key: Option<String>,
    /// Allowed redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<RedirectUri>,
    /// What the `sub` claim holds.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    pub sub_mode: Option<SubMode>,
    /// The slug of the application using it.
    #[serde(default)]
    pub assigned_application_slug: Option<String>,
}

/// What [`super::AuthentikClient::create_oauth2_provider`] sends
/// (`OAuth2ProviderRequest`). There is no way to leave out the signing key.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOAuth2Provider {
    /// The name.
    pub name: String,
    /// The authorization flow's uuid.
    pub authorization_flow: String,
    /// The invalidation flow's uuid.
    pub invalidation_flow: String,
    /// Allowed redirect URIs (at least one).
    pub redirect_uris: Vec<RedirectUri>,
    /// The signing key's uuid (RSA or EC; never absent: HS256 is not created).
    pub signing_key: String,
    /// Scope mapping uuids (openid, email, profile).
    pub property_mappings: Vec<String>,
    /// `confidential` or `public`.
    pub client_type: ClientType,
    /// What the `sub` claim holds.
    pub sub_mode: SubMode,
    /// Access-code lifetime, e.g. `minutes=1`.
    pub access_code_validity: String,
    /// Access-token lifetime, e.g. `minutes=10`.
    pub access_token_validity: String,
    /// Refresh-token lifetime, e.g. `days=30`.
    pub refresh_token_validity: String,
}

/// `Application`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikApplication")
)]
pub struct Application {
    /// The uuid (a policy binding's `target`).
    pub pk: String,
    /// The name.
    pub name: String,
    /// The slug, used in paths and in the issuer URL.
    pub slug: String,
    /// The provider's pk.
    #[serde(default)]
    pub provider: Option<i64>,
    /// The launch URL.
    #[serde(default)]
    pub launch_url: Option<String>,
    /// The configured launch URL.
    #[serde(default)]
    pub meta_launch_url: Option<String>,
    /// The description.
    #[serde(default)]
    pub meta_description: Option<String>,
    /// `all` or `any`.
    #[serde(default)]
    pub policy_engine_mode: Option<String>,
    /// The group label shown in the user's library.
    #[serde(default)]
    pub group: Option<String>,
}

/// What [`super::AuthentikClient::create_application`] sends (`ApplicationRequest`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewApplication {
    /// The name.
    pub name: String,
    /// The slug (1–50 characters of `[-a-zA-Z0-9_]`).
    pub slug: String,
    /// The provider's pk.
    pub provider: Option<i64>,
    /// The launch URL.
    pub meta_launch_url: Option<String>,
    /// The description.
    pub meta_description: Option<String>,
}

/// `PolicyBinding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikBinding")
)]
pub struct PolicyBinding {
    /// The uuid.
    pub pk: String,
    /// The bound object's uuid (an application).
    pub target: String,
    /// The bound group's uuid.
    #[serde(default)]
    pub group: Option<String>,
    /// The bound policy's uuid.
    #[serde(default)]
    pub policy: Option<String>,
    /// The bound user's pk.
    #[serde(default)]
    pub user: Option<i64>,
    /// The evaluation order.
    pub order: i64,
    /// Whether it is evaluated.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `Token` (the key is read with `view_key`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikToken")
)]
pub struct Token {
    /// The uuid.
    pub pk: String,
    /// The identifier, used in paths.
    pub identifier: String,
    /// What the token is for.
    #[serde(default)]
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub intent: Option<TokenIntent>,
    /// The owner's pk.
    #[serde(default)]
    pub user: Option<i64>,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Expiry (RFC 3339), when it expires.
    #[serde(default)]
    pub expires: Option<String>,
    /// Whether it expires.
    #[serde(default)]
    pub expiring: Option<bool>,
}

/// What [`super::AuthentikClient::create_sso_app`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoAppSpec {
    /// The application and provider name.
    pub name: String,
    /// The application slug (also the issuer path).
    pub slug: String,
    /// Exact-match redirect URIs (at least one).
    pub redirect_uris: Vec<String>,
    /// The group whose members may use the app; `None` binds nothing.
    pub group_pk: Option<String>,
    /// The launch URL shown in the user's library.
    pub launch_url: Option<String>,
    /// `confidential` (default) or `public`.
    pub client_type: ClientType,
    /// The authorization flow's slug; default `default-provider-authorization-implicit-consent`.
    pub authorization_flow_slug: Option<String>,
    /// The invalidation flow's slug; default `default-provider-invalidation-flow`.
    pub invalidation_flow_slug: Option<String>,
    /// The name of the signing key to prefer (see the signing-key rule).
    pub signing_key_name: Option<String>,
    /// Access-token lifetime; default `minutes=10`.
    pub access_token_validity: Option<String>,
    /// Refresh-token lifetime; default `days=30`.
    pub refresh_token_validity: Option<String>,
}

impl SsoAppSpec {
    /// A confidential app with the defaults.
    pub fn new(
        name: impl Into<String>,
        slug: impl Into<String>,
        redirect_uris: Vec<String>,
    ) -> Self {
        SsoAppSpec {
            name: name.into(),
            slug: slug.into(),
            redirect_uris,
            group_pk: None,
            launch_url: None,
            client_type: ClientType::Confidential,
            authorization_flow_slug: None,
            invalidation_flow_slug: None,
            signing_key_name: None,
            access_token_validity: None,
            refresh_token_validity: None,
        }
    }
}

/// What [`super::AuthentikClient::create_sso_app`] created. In JavaScript
/// `clientSecret` is a string: never log it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "AuthentikSsoApp")
)]
pub struct SsoApp {
    /// The application.
    pub application: Application,
    /// The OAuth2 provider's pk.
    pub provider_pk: i64,
    /// The client id (the `aud` of its tokens).
    pub client_id: String,
    /// The client secret: hand it to the app once, never log it.
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    pub client_secret: Secret,
    /// The issuer (`<host>/application/o/<slug>/`).
    pub issuer: String,
    /// The signing key used.
    pub signing_key: String,
    /// The group binding, when a group was given.
    pub binding: Option<PolicyBinding>,
}
