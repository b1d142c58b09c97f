//! The Authentik client (`AuthentikClient`) over `dezky_clients::authentik`.
//! Conversion and error mapping only: every rule is in `dezky-clients`
//! (docs/authentik-client.md). Listings are read to the end and returned as
//! arrays; secrets the caller asked for (a client secret, a token key, a
//! recovery link) are returned as strings.

use std::collections::HashMap;

use dezky_clients::Secret;
use dezky_clients::authentik::{
    self, Application, AuthenticatedSession, AuthenticatorSummary, CertificateKeyPair, ClientType,
    Device, Flow, FlowDesignation, Group, NewApplication, NewOAuth2Provider, NewUser,
    OAuth2Provider, PolicyBinding, RedirectUri, ScopeMapping, SessionTermination, SsoApp,
    SsoAppSpec, SubMode, Token, User, UserType,
};
use dezky_clients::http::collect_all;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert;
use crate::error::IntoJs;
use crate::options::{self, Result, invalid};
use crate::task::call;

/// A group.
#[napi(object, object_from_js = false)]
pub struct AuthentikGroup {
    /// The uuid.
    pub pk: String,
    /// The numeric id.
    pub num_pk: Option<i64>,
    /// The unique name.
    pub name: String,
    /// Whether members are superusers.
    pub is_superuser: Option<bool>,
    /// The parent group's uuid.
    pub parent: Option<String>,
    /// Member pks (empty unless members were asked for).
    pub users: Vec<i64>,
    /// Free-form attributes (`tenant_slug`, `tenant_id`).
    pub attributes: Option<Value>,
}

impl From<Group> for AuthentikGroup {
    fn from(g: Group) -> Self {
        AuthentikGroup {
            pk: g.pk,
            num_pk: g.num_pk,
            name: g.name,
            is_superuser: g.is_superuser,
            parent: g.parent,
            users: g.users,
            attributes: g.attributes,
        }
    }
}

/// A user.
#[napi(object, object_from_js = false)]
pub struct AuthentikUser {
    /// The numeric pk.
    pub pk: i64,
    /// The username.
    pub username: String,
    /// The display name.
    pub name: Option<String>,
    /// Whether the account may log in.
    pub is_active: Option<bool>,
    /// Last log-in (RFC 3339).
    pub last_login: Option<String>,
    /// Whether the user is a superuser.
    pub is_superuser: Option<bool>,
    /// Group uuids.
    pub groups: Vec<String>,
    /// The email address.
    pub email: Option<String>,
    /// The hashed id (`sub` in the default mode).
    pub uid: Option<String>,
    /// The uuid.
    pub uuid: Option<String>,
    /// The directory path.
    pub path: Option<String>,
    /// `internal`, `external`, `service_account`, `internal_service_account`.
    pub r#type: Option<String>,
    /// Free-form attributes.
    pub attributes: Option<Value>,
}

impl From<User> for AuthentikUser {
    fn from(u: User) -> Self {
        AuthentikUser {
            pk: u.pk,
            username: u.username,
            name: u.name,
            is_active: u.is_active,
            last_login: u.last_login,
            is_superuser: u.is_superuser,
            groups: u.groups,
            email: u.email,
            uid: u.uid,
            uuid: u.uuid,
            path: u.path,
            r#type: u.user_type.map(|t| t.to_string()),
            attributes: u.attributes,
        }
    }
}

/// A login session.
#[napi(object, object_from_js = false)]
pub struct AuthentikSession {
    /// The session's uuid.
    pub uuid: Option<String>,
    /// Whether it is the caller's own.
    pub current: Option<bool>,
    /// The owner's pk.
    pub user: i64,
    /// The last IP address.
    pub last_ip: Option<String>,
    /// The last user agent.
    pub last_user_agent: Option<String>,
    /// When it was last used (RFC 3339).
    pub last_used: Option<String>,
    /// When it expires (RFC 3339).
    pub expires: Option<String>,
}

impl From<AuthenticatedSession> for AuthentikSession {
    fn from(s: AuthenticatedSession) -> Self {
        AuthentikSession {
            uuid: s.uuid,
            current: s.current,
            user: s.user,
            last_ip: s.last_ip,
            last_user_agent: s.last_user_agent,
            last_used: s.last_used,
            expires: s.expires,
        }
    }
}

/// What `terminateUserSessions` did.
#[napi(object, object_from_js = false)]
pub struct AuthentikSessionTermination {
    /// Uuids of the sessions deleted.
    pub terminated: Vec<String>,
    /// Sessions of other users in the listing: never deleted.
    pub skipped_foreign: u32,
    /// Sessions that ended before their delete.
    pub already_gone: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<SessionTermination> for AuthentikSessionTermination {
    fn from(t: SessionTermination) -> Self {
        AuthentikSessionTermination {
            terminated: t.terminated,
            skipped_foreign: count(t.skipped_foreign),
            already_gone: count(t.already_gone),
        }
    }
}

/// An authenticator device.
#[napi(object, object_from_js = false)]
pub struct AuthentikDevice {
    /// The device id (unique per type).
    pub pk: String,
    /// Its name.
    pub name: Option<String>,
    /// `<app_label>.<Model>`.
    pub r#type: String,
    /// Whether set-up was completed.
    pub confirmed: bool,
    /// The type's human name.
    pub verbose_name: Option<String>,
    /// When it was last used.
    pub last_used: Option<String>,
}

impl From<Device> for AuthentikDevice {
    fn from(d: Device) -> Self {
        AuthentikDevice {
            pk: d.pk,
            name: d.name,
            r#type: d.device_type,
            confirmed: d.confirmed,
            verbose_name: d.verbose_name,
            last_used: d.last_used,
        }
    }
}

/// The MFA status of a user.
#[napi(object, object_from_js = false)]
pub struct AuthentikAuthenticatorSummary {
    /// Confirmed second factors (recovery codes and endpoint devices excluded).
    pub count: u32,
    /// `count` by device type.
    pub by_type: HashMap<String, u32>,
    /// Confirmed static recovery-code devices (not counted).
    pub recovery_code_devices: u32,
    /// Unconfirmed devices (not counted).
    pub unconfirmed: u32,
    /// Endpoint / device-trust entries (not counted).
    pub endpoint_devices: u32,
    /// `count > 0`.
    pub has_mfa: bool,
}

impl From<AuthenticatorSummary> for AuthentikAuthenticatorSummary {
    fn from(s: AuthenticatorSummary) -> Self {
        AuthentikAuthenticatorSummary {
            count: count(s.count),
            has_mfa: s.has_mfa(),
            by_type: s.by_type.into_iter().map(|(k, v)| (k, count(v))).collect(),
            recovery_code_devices: count(s.recovery_code_devices),
            unconfirmed: count(s.unconfirmed),
            endpoint_devices: count(s.endpoint_devices),
        }
    }
}

/// A flow.
#[napi(object, object_from_js = false)]
pub struct AuthentikFlow {
    /// The uuid.
    pub pk: String,
    /// The slug.
    pub slug: String,
    /// The name.
    pub name: Option<String>,
    /// What it is for.
    pub designation: Option<String>,
}

impl From<Flow> for AuthentikFlow {
    fn from(f: Flow) -> Self {
        AuthentikFlow {
            pk: f.pk,
            slug: f.slug,
            name: f.name,
            designation: f.designation.map(|d| d.to_string()),
        }
    }
}

/// A certificate key pair.
#[napi(object, object_from_js = false)]
pub struct AuthentikKeyPair {
    /// The uuid.
    pub pk: String,
    /// The name.
    pub name: String,
    /// The managed id.
    pub managed: Option<String>,
    /// Whether the private key is present.
    pub private_key_available: Option<bool>,
    /// `rsa`, `ec`, ...
    pub private_key_type: Option<String>,
    /// Certificate expiry (RFC 3339).
    pub cert_expiry: Option<String>,
}

impl From<CertificateKeyPair> for AuthentikKeyPair {
    fn from(k: CertificateKeyPair) -> Self {
        AuthentikKeyPair {
            pk: k.pk,
            name: k.name,
            managed: k.managed,
            private_key_available: k.private_key_available,
            private_key_type: k.private_key_type,
            cert_expiry: k.cert_expiry,
        }
    }
}

/// A scope mapping.
#[napi(object, object_from_js = false)]
pub struct AuthentikScopeMapping {
    /// The uuid.
    pub pk: String,
    /// The managed id.
    pub managed: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// The scope it answers.
    pub scope_name: Option<String>,
}

impl From<ScopeMapping> for AuthentikScopeMapping {
    fn from(m: ScopeMapping) -> Self {
        AuthentikScopeMapping {
            pk: m.pk,
            managed: m.managed,
            name: m.name,
            scope_name: m.scope_name,
        }
    }
}

/// A redirect URI.
#[napi(object, object_from_js = false)]
pub struct AuthentikRedirectUri {
    /// `strict` or `regex`.
    pub matching_mode: String,
    /// The URL or pattern.
    pub url: String,
}

/// An OAuth2/OIDC provider. Its client secret is left out: `createSsoApp`
/// returns it once.
#[napi(object, object_from_js = false)]
pub struct AuthentikOAuth2Provider {
    /// The numeric pk.
    pub pk: i64,
    /// The name.
    pub name: String,
    /// The authorization flow's uuid.
    pub authorization_flow: Option<String>,
    /// The invalidation flow's uuid.
    pub invalidation_flow: Option<String>,
    /// Scope mapping uuids.
    pub property_mappings: Vec<String>,
    /// `confidential` or `public`.
    pub client_type: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// Access-token lifetime.
    pub access_token_validity: Option<String>,
    /// Refresh-token lifetime.
    pub refresh_token_validity: Option<String>,
    /// The signing key's uuid.
    pub signing_key: Option<String>,
    /// The encryption key's uuid.
    pub encryption_key: Option<String>,
    /// Allowed redirect URIs.
    pub redirect_uris: Vec<AuthentikRedirectUri>,
    /// What `sub` holds.
    pub sub_mode: Option<String>,
    /// The slug of its application.
    pub assigned_application_slug: Option<String>,
}

impl From<OAuth2Provider> for AuthentikOAuth2Provider {
    fn from(p: OAuth2Provider) -> Self {
        AuthentikOAuth2Provider {
            pk: p.pk,
            name: p.name,
            authorization_flow: p.authorization_flow,
            invalidation_flow: p.invalidation_flow,
            property_mappings: p.property_mappings,
            client_type: p.client_type.map(|c| c.to_string()),
            client_id: p.client_id,
            access_token_validity: p.access_token_validity,
            refresh_token_validity: p.refresh_token_validity,
            signing_key: p.signing_key,
            encryption_key: p.encryption_key,
            redirect_uris: p
                .redirect_uris
                .into_iter()
                .map(|r| AuthentikRedirectUri {
                    matching_mode: r.matching_mode.to_string(),
                    url: r.url,
                })
                .collect(),
            sub_mode: p.sub_mode.map(|s| s.to_string()),
            assigned_application_slug: p.assigned_application_slug,
        }
    }
}

/// An application.
#[napi(object, object_from_js = false)]
pub struct AuthentikApplication {
    /// The uuid (a binding's target).
    pub pk: String,
    /// The name.
    pub name: String,
    /// The slug.
    pub slug: String,
    /// The provider's pk.
    pub provider: Option<i64>,
    /// The launch URL.
    pub launch_url: Option<String>,
    /// The configured launch URL.
    pub meta_launch_url: Option<String>,
    /// The description.
    pub meta_description: Option<String>,
    /// `all` or `any`.
    pub policy_engine_mode: Option<String>,
    /// The library group label.
    pub group: Option<String>,
}

impl From<Application> for AuthentikApplication {
    fn from(a: Application) -> Self {
        AuthentikApplication {
            pk: a.pk,
            name: a.name,
            slug: a.slug,
            provider: a.provider,
            launch_url: a.launch_url,
            meta_launch_url: a.meta_launch_url,
            meta_description: a.meta_description,
            policy_engine_mode: a.policy_engine_mode,
            group: a.group,
        }
    }
}

/// A policy binding.
#[napi(object, object_from_js = false)]
pub struct AuthentikBinding {
    /// The uuid.
    pub pk: String,
    /// The bound object's uuid.
    pub target: String,
    /// The group's uuid.
    pub group: Option<String>,
    /// The policy's uuid.
    pub policy: Option<String>,
    /// The user's pk.
    pub user: Option<i64>,
    /// The evaluation order.
    pub order: i64,
    /// Whether it is evaluated.
    pub enabled: Option<bool>,
}

impl From<PolicyBinding> for AuthentikBinding {
    fn from(b: PolicyBinding) -> Self {
        AuthentikBinding {
            pk: b.pk,
            target: b.target,
            group: b.group,
            policy: b.policy,
            user: b.user,
            order: b.order,
            enabled: b.enabled,
        }
    }
}

/// A token (without its key).
#[napi(object, object_from_js = false)]
pub struct AuthentikToken {
    /// The uuid.
    pub pk: String,
    /// The identifier.
    pub identifier: String,
    /// `api`, `app_password`, ...
    pub intent: Option<String>,
    /// The owner's pk.
    pub user: Option<i64>,
    /// The description.
    pub description: Option<String>,
    /// Expiry (RFC 3339).
    pub expires: Option<String>,
    /// Whether it expires.
    pub expiring: Option<bool>,
}

impl From<Token> for AuthentikToken {
    fn from(t: Token) -> Self {
        AuthentikToken {
            pk: t.pk,
            identifier: t.identifier,
            intent: t.intent.map(|i| i.to_string()),
            user: t.user,
            description: t.description,
            expires: t.expires,
            expiring: t.expiring,
        }
    }
}

/// What `createSsoApp` created. `clientSecret` is shown once: never log it.
#[napi(object, object_from_js = false)]
pub struct AuthentikSsoApp {
    /// The application.
    pub application: AuthentikApplication,
    /// The provider's pk.
    pub provider_pk: i64,
    /// The client id (the tokens' `aud`).
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The issuer (`<host>/application/o/<slug>/`).
    pub issuer: String,
    /// The signing key's uuid.
    pub signing_key: String,
    /// The group binding, when a group was given.
    pub binding: Option<AuthentikBinding>,
}

impl From<SsoApp> for AuthentikSsoApp {
    fn from(a: SsoApp) -> Self {
        AuthentikSsoApp {
            application: a.application.into(),
            provider_pk: a.provider_pk,
            client_id: a.client_id,
            client_secret: a.client_secret.expose().to_owned(),
            issuer: a.issuer,
            signing_key: a.signing_key,
            binding: a.binding.map(Into::into),
        }
    }
}

/// How to reach Authentik.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct AuthentikClientOptions {
    /// The server URL, with or without `/api/v3`.
    pub base_url: String,
    /// An API token (`intent = api`).
    pub token: String,
    /// Time for one attempt (default 30000).
    pub timeout_ms: Option<u32>,
    /// Time to connect (default 5000).
    pub connect_timeout_ms: Option<u32>,
    /// Retries of safe requests (default 2, at most 10).
    pub max_retries: Option<u32>,
    /// Page size of listings (default 100).
    pub page_size: Option<u32>,
}

/// A user to create; the username is the email address.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct AuthentikNewUser {
    /// The email address (also the username).
    pub email: String,
    /// The display name.
    pub name: String,
    /// Group uuids.
    pub groups: Option<Vec<String>>,
    /// Whether the account may log in (default true).
    pub is_active: Option<bool>,
    /// The directory path.
    pub path: Option<String>,
    /// The account type.
    pub r#type: Option<String>,
    /// Free-form attributes.
    pub attributes: Option<Value>,
}

/// An OAuth2 provider to create. `signingKey` is required.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct AuthentikNewOAuth2Provider {
    /// The name.
    pub name: String,
    /// The authorization flow's uuid.
    pub authorization_flow: String,
    /// The invalidation flow's uuid.
    pub invalidation_flow: String,
    /// Exact-match redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The signing key's uuid.
    pub signing_key: String,
    /// Scope mapping uuids.
    pub property_mappings: Option<Vec<String>>,
    /// `confidential` (default) or `public`.
    pub client_type: Option<String>,
    /// `hashed_user_id` (default), ...
    pub sub_mode: Option<String>,
    /// Default `minutes=1`.
    pub access_code_validity: Option<String>,
    /// Default `minutes=10`.
    pub access_token_validity: Option<String>,
    /// Default `days=30`.
    pub refresh_token_validity: Option<String>,
}

/// An application to create.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct AuthentikNewApplication {
    /// The name.
    pub name: String,
    /// The slug.
    pub slug: String,
    /// The provider's pk.
    pub provider: Option<i64>,
    /// The launch URL.
    pub meta_launch_url: Option<String>,
    /// The description.
    pub meta_description: Option<String>,
}

/// An SSO app to create.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct AuthentikSsoAppSpec {
    /// The application and provider name.
    pub name: String,
    /// The application slug.
    pub slug: String,
    /// Exact-match redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The group whose members may use it.
    pub group_pk: Option<String>,
    /// The launch URL.
    pub launch_url: Option<String>,
    /// `confidential` (default) or `public`.
    pub client_type: Option<String>,
    /// Default `default-provider-authorization-implicit-consent`.
    pub authorization_flow_slug: Option<String>,
    /// Default `default-provider-invalidation-flow`.
    pub invalidation_flow_slug: Option<String>,
    /// The signing key to use, by name.
    pub signing_key_name: Option<String>,
    /// Default `minutes=10`.
    pub access_token_validity: Option<String>,
    /// Default `days=30`.
    pub refresh_token_validity: Option<String>,
}

/// Options of `createApiToken`.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct AuthentikApiTokenOptions {
    /// The description.
    pub description: Option<String>,
    /// Whether the token expires (default false).
    pub expiring: Option<bool>,
}

// ----- reading JS input -----

/// An options object and its path, read through the shared readers.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, path: &'a str) -> Result<Self> {
        Ok(Fields {
            map: options::object(value, path)?,
            path,
        })
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn text(&self, key: &str) -> Result<Option<String>> {
        options::text(self.map, key, self.path)
    }

    fn required(&self, key: &str) -> Result<String> {
        options::required(self.map, key, self.path)
    }

    fn flag(&self, key: &str) -> Result<Option<bool>> {
        options::flag(self.map, key, self.path)
    }

    fn int(&self, key: &str, max: i64) -> Result<Option<i64>> {
        let max = u64::try_from(max).unwrap_or(0);
        Ok(options::whole(self.map, key, self.path, max)?.map(|n| n as i64))
    }

    fn texts(&self, key: &str) -> Result<Option<Vec<String>>> {
        let name = || options::field_name(self.path, key);
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(invalid(&name(), "must be an array of strings")),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(invalid(&name(), "must be an array of strings")),
        }
    }
}

fn build(options: &Value) -> Result<authentik::AuthentikClient> {
    let fields = Fields::of(options, "options")?;
    let config = options::http_config(fields.map, "options", None)?;
    let token = fields.required("token")?;
    let client = authentik::AuthentikClient::new(config, Secret::new(token))?;
    match fields.int("pageSize", 1000)? {
        Some(size) => client.with_page_size(size as u32),
        None => Ok(client),
    }
}

fn new_user(value: &Value) -> Result<NewUser> {
    let f = Fields::of(value, "user")?;
    let attributes = match f.get("attributes") {
        None => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(invalid("user.attributes", "must be an object")),
    };
    Ok(NewUser {
        email: f.required("email")?,
        name: f.required("name")?,
        groups: f.texts("groups")?.unwrap_or_default(),
        is_active: f.flag("isActive")?.unwrap_or(true),
        path: f.text("path")?,
        user_type: f.text("type")?.map(|t| UserType::parse(&t)),
        attributes,
    })
}

fn new_provider(value: &Value) -> Result<NewOAuth2Provider> {
    let f = Fields::of(value, "provider")?;
    Ok(NewOAuth2Provider {
        name: f.required("name")?,
        authorization_flow: f.required("authorizationFlow")?,
        invalidation_flow: f.required("invalidationFlow")?,
        redirect_uris: f
            .texts("redirectUris")?
            .unwrap_or_default()
            .into_iter()
            .map(RedirectUri::strict)
            .collect(),
        signing_key: f.required("signingKey")?,
        property_mappings: f.texts("propertyMappings")?.unwrap_or_default(),
        client_type: f
            .text("clientType")?
            .map_or(ClientType::Confidential, |c| ClientType::parse(&c)),
        sub_mode: f
            .text("subMode")?
            .map_or(SubMode::HashedUserId, |s| SubMode::parse(&s)),
        access_code_validity: f
            .text("accessCodeValidity")?
            .unwrap_or_else(|| "minutes=1".into()),
        access_token_validity: f
            .text("accessTokenValidity")?
            .unwrap_or_else(|| "minutes=10".into()),
        refresh_token_validity: f
            .text("refreshTokenValidity")?
            .unwrap_or_else(|| "days=30".into()),
    })
}

fn new_application(value: &Value) -> Result<NewApplication> {
    let f = Fields::of(value, "application")?;
    Ok(NewApplication {
        name: f.required("name")?,
        slug: f.required("slug")?,
        provider: f.int("provider", i64::MAX)?,
        meta_launch_url: f.text("metaLaunchUrl")?,
        meta_description: f.text("metaDescription")?,
    })
}

fn sso_spec(value: &Value) -> Result<SsoAppSpec> {
    let f = Fields::of(value, "spec")?;
    let mut spec = SsoAppSpec::new(
        f.required("name")?,
        f.required("slug")?,
        f.texts("redirectUris")?.unwrap_or_default(),
    );
    spec.group_pk = f.text("groupPk")?;
    spec.launch_url = f.text("launchUrl")?;
    if let Some(client_type) = f.text("clientType")? {
        spec.client_type = ClientType::parse(&client_type);
    }
    spec.authorization_flow_slug = f.text("authorizationFlowSlug")?;
    spec.invalidation_flow_slug = f.text("invalidationFlowSlug")?;
    spec.signing_key_name = f.text("signingKeyName")?;
    spec.access_token_validity = f.text("accessTokenValidity")?;
    spec.refresh_token_validity = f.text("refreshTokenValidity")?;
    Ok(spec)
}

fn js_string(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<String> {
    convert::string(value, name).js(env)
}

fn js_json(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<Value> {
    convert::json(env, value, name).js(env)
}

fn js_pk(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<i64> {
    let value = js_json(env, value, name)?;
    options::whole_number(&value, name, options::MAX_SAFE_INTEGER as u64)
        .map(|n| n as i64)
        .js(env)
}

fn js_optional_string(
    env: &Env,
    value: Option<&Unknown<'_>>,
    name: &str,
) -> napi::Result<Option<String>> {
    match value.filter(|v| !convert::is_missing(v)) {
        None => Ok(None),
        Some(v) => match js_json(env, v, name)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(invalid(name, "must be a string")).js(env),
        },
    }
}

fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

/// A client of the Authentik API v3. Create one per process and share it.
#[napi]
pub struct AuthentikClient {
    inner: authentik::AuthentikClient,
}

#[napi]
impl AuthentikClient {
    /// A client from `options` (`baseUrl`, `token`, and optionally
    /// `timeoutMs`, `connectTimeoutMs`, `maxRetries`, `pageSize`). Throws
    /// `DEZKY_INVALID_ARGUMENT` or `DEZKY_CONFIG` for unusable options.
    #[napi(constructor, ts_args_type = "options: AuthentikClientOptions")]
    pub fn new(env: Env, options: Unknown<'_>) -> napi::Result<Self> {
        let value = js_json(&env, &options, "options")?;
        let inner = build(&value).js(&env)?;
        Ok(AuthentikClient { inner })
    }

    /// A client from `AUTHENTIK_API_URL` (with or without `/api/v3`) and
    /// `AUTHENTIK_API_TOKEN`; throws `DEZKY_CONFIG` when they are missing.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Self> {
        let inner = authentik::AuthentikClient::from_env().js(&env)?;
        Ok(AuthentikClient { inner })
    }

    /// The issuer of the application `slug` (`<host>/application/o/<slug>/`).
    #[napi]
    pub fn issuer_for(&self, slug: String) -> String {
        self.inner.issuer_for(&slug)
    }

    // ----- groups -----

    /// Every group (without member lists).
    #[napi(ts_return_type = "Promise<AuthentikGroup[]>")]
    pub fn list_groups<'e>(
        &self,
        env: &'e Env,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikGroup>>> {
        call!(
            env,
            self.inner,
            Ok(()),
            |c, _a| async move { collect_all(c.list_groups()).await },
            list::<Group, AuthentikGroup>
        )
    }

    /// The group named exactly `name`, or `null`. An empty name is refused.
    #[napi(
        ts_args_type = "name: string",
        ts_return_type = "Promise<AuthentikGroup | null>"
    )]
    pub fn find_group_by_name<'e>(
        &self,
        env: &'e Env,
        name: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<AuthentikGroup>>> {
        call!(
            env,
            self.inner,
            js_string(env, &name, "name"),
            |c, name| async move { c.find_group_by_name(&name).await },
            |g: Option<Group>| g.map(AuthentikGroup::from)
        )
    }

    /// The tenant group `name`, created with `{tenant_slug, tenant_id}` attributes if absent.
    #[napi(
        ts_args_type = "name: string, tenantSlug: string, tenantId: string",
        ts_return_type = "Promise<AuthentikGroup>"
    )]
    pub fn ensure_group<'e>(
        &self,
        env: &'e Env,
        name: Unknown<'_>,
        tenant_slug: Unknown<'_>,
        tenant_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikGroup>> {
        let args = (|| {
            Ok((
                js_string(env, &name, "name")?,
                js_string(env, &tenant_slug, "tenantSlug")?,
                js_string(env, &tenant_id, "tenantId")?,
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (name, slug, id)| async move { c.ensure_group(&name, &slug, &id).await },
            AuthentikGroup::from
        )
    }

    /// The group with uuid `pk`.
    #[napi(
        ts_args_type = "pk: string",
        ts_return_type = "Promise<AuthentikGroup>"
    )]
    pub fn get_group<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikGroup>> {
        call!(
            env,
            self.inner,
            js_string(env, &pk, "pk"),
            |c, pk| async move { c.get_group(&pk).await },
            AuthentikGroup::from
        )
    }

    /// Deletes the group with uuid `pk`.
    #[napi(ts_args_type = "pk: string", ts_return_type = "Promise<void>")]
    pub fn delete_group<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        call!(
            env,
            self.inner,
            js_string(env, &pk, "pk"),
            |c, pk| async move { c.delete_group(&pk).await },
            |()| ()
        )
    }

    /// Adds user `userPk` to group `groupPk`.
    #[napi(
        ts_args_type = "groupPk: string, userPk: number",
        ts_return_type = "Promise<void>"
    )]
    pub fn add_user_to_group<'e>(
        &self,
        env: &'e Env,
        group_pk: Unknown<'_>,
        user_pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let args = (|| {
            Ok((
                js_string(env, &group_pk, "groupPk")?,
                js_pk(env, &user_pk, "userPk")?,
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (group, user)| async move { c.add_user_to_group(&group, user).await },
            |()| ()
        )
    }

    /// Removes user `userPk` from group `groupPk`.
    #[napi(
        ts_args_type = "groupPk: string, userPk: number",
        ts_return_type = "Promise<void>"
    )]
    pub fn remove_user_from_group<'e>(
        &self,
        env: &'e Env,
        group_pk: Unknown<'_>,
        user_pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let args = (|| {
            Ok((
                js_string(env, &group_pk, "groupPk")?,
                js_pk(env, &user_pk, "userPk")?,
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (group, user)| async move { c.remove_user_from_group(&group, user).await },
            |()| ()
        )
    }

    // ----- users -----

    /// Creates a user whose username is its email; a taken one is `DEZKY_ALREADY_EXISTS`.
    #[napi(
        ts_args_type = "user: AuthentikNewUser",
        ts_return_type = "Promise<AuthentikUser>"
    )]
    pub fn create_user<'e>(
        &self,
        env: &'e Env,
        user: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikUser>> {
        let args = js_json(env, &user, "user").and_then(|v| new_user(&v).js(env));
        call!(
            env,
            self.inner,
            args,
            |c, user| async move { c.create_user(&user).await },
            AuthentikUser::from
        )
    }

    /// The user with pk `pk`.
    #[napi(ts_args_type = "pk: number", ts_return_type = "Promise<AuthentikUser>")]
    pub fn get_user<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikUser>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.get_user(pk).await },
            AuthentikUser::from
        )
    }

    /// Users matching exact filters (`{username: ..., email: ...}`); an empty value is refused.
    #[napi(
        ts_args_type = "filters?: Record<string, string> | undefined | null",
        ts_return_type = "Promise<AuthentikUser[]>"
    )]
    pub fn list_users<'e>(
        &self,
        env: &'e Env,
        filters: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikUser>>> {
        let args: napi::Result<Vec<(String, String)>> =
            match filters.filter(|f| !convert::is_missing(f)) {
                None => Ok(Vec::new()),
                Some(f) => js_json(env, &f, "filters").and_then(|v| match v {
                    Value::Null => Ok(Vec::new()),
                    Value::Object(map) => map
                        .into_iter()
                        .map(|(k, v)| match v {
                            Value::String(s) => Ok((k, s)),
                            _ => Err(invalid(&format!("filters.{k}"), "must be a string")).js(env),
                        })
                        .collect(),
                    _ => Err(invalid("filters", "must be an object")).js(env),
                }),
            };
        call!(
            env,
            self.inner,
            args,
            |c, filters| async move {
                let pairs: Vec<(&str, &str)> = filters
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                match c.list_users(&pairs) {
                    Ok(stream) => collect_all(stream).await,
                    Err(e) => Err(e),
                }
            },
            list::<User, AuthentikUser>
        )
    }

    /// The user named exactly `username`, or `null`.
    #[napi(
        ts_args_type = "username: string",
        ts_return_type = "Promise<AuthentikUser | null>"
    )]
    pub fn find_user_by_username<'e>(
        &self,
        env: &'e Env,
        username: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<AuthentikUser>>> {
        call!(
            env,
            self.inner,
            js_string(env, &username, "username"),
            |c, username| async move { c.find_user_by_username(&username).await },
            |u: Option<User>| u.map(AuthentikUser::from)
        )
    }

    /// The users whose email is exactly `email` (not unique in Authentik).
    #[napi(
        ts_args_type = "email: string",
        ts_return_type = "Promise<AuthentikUser[]>"
    )]
    pub fn find_users_by_email<'e>(
        &self,
        env: &'e Env,
        email: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikUser>>> {
        call!(
            env,
            self.inner,
            js_string(env, &email, "email"),
            |c, email| async move { c.find_users_by_email(&email).await },
            list::<User, AuthentikUser>
        )
    }

    /// Sets a user's password; one refused by the policy is `DEZKY_UPSTREAM_REJECTED`.
    #[napi(
        ts_args_type = "pk: number, password: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn set_password<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
        password: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let args = (|| {
            Ok((
                js_pk(env, &pk, "pk")?,
                Secret::new(js_string(env, &password, "password")?),
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (pk, password)| async move { c.set_password(pk, &password).await },
            |()| ()
        )
    }

    /// Deactivates a user (`isActive = false`).
    #[napi(ts_args_type = "pk: number", ts_return_type = "Promise<AuthentikUser>")]
    pub fn suspend_user<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikUser>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.suspend_user(pk).await },
            AuthentikUser::from
        )
    }

    /// Reactivates a user.
    #[napi(ts_args_type = "pk: number", ts_return_type = "Promise<AuthentikUser>")]
    pub fn resume_user<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikUser>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.resume_user(pk).await },
            AuthentikUser::from
        )
    }

    /// Deletes a user.
    #[napi(ts_args_type = "pk: number", ts_return_type = "Promise<void>")]
    pub fn delete_user<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.delete_user(pk).await },
            |()| ()
        )
    }

    /// A one-time recovery link (it logs in as the user: treat it as a secret).
    #[napi(ts_args_type = "pk: number", ts_return_type = "Promise<string>")]
    pub fn recovery_link<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.recovery_link(pk).await },
            |s: Secret| s.expose().to_owned()
        )
    }

    // ----- sessions -----

    /// Every session of the user named exactly `username`.
    #[napi(
        ts_args_type = "username: string",
        ts_return_type = "Promise<AuthentikSession[]>"
    )]
    pub fn list_user_sessions<'e>(
        &self,
        env: &'e Env,
        username: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikSession>>> {
        call!(
            env,
            self.inner,
            js_string(env, &username, "username"),
            |c, username| async move { c.list_user_sessions(&username).await },
            list::<AuthenticatedSession, AuthentikSession>
        )
    }

    /// Ends every session of user `userPk` named `username`; never another user's.
    #[napi(
        ts_args_type = "username: string, userPk: number",
        ts_return_type = "Promise<AuthentikSessionTermination>"
    )]
    pub fn terminate_user_sessions<'e>(
        &self,
        env: &'e Env,
        username: Unknown<'_>,
        user_pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikSessionTermination>> {
        let args = (|| {
            Ok((
                js_string(env, &username, "username")?,
                js_pk(env, &user_pk, "userPk")?,
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (username, pk)| async move { c.terminate_user_sessions(&username, pk).await },
            AuthentikSessionTermination::from
        )
    }

    // ----- MFA -----

    /// The authenticators of user `userPk`.
    #[napi(
        ts_args_type = "userPk: number",
        ts_return_type = "Promise<AuthentikDevice[]>"
    )]
    pub fn list_authenticators<'e>(
        &self,
        env: &'e Env,
        user_pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikDevice>>> {
        call!(
            env,
            self.inner,
            js_pk(env, &user_pk, "userPk"),
            |c, pk| async move { c.list_authenticators(pk).await },
            list::<Device, AuthentikDevice>
        )
    }

    /// The MFA status of user `userPk` (see docs/authentik-client.md for the counting rule).
    #[napi(
        ts_args_type = "userPk: number",
        ts_return_type = "Promise<AuthentikAuthenticatorSummary>"
    )]
    pub fn count_authenticators<'e>(
        &self,
        env: &'e Env,
        user_pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikAuthenticatorSummary>> {
        call!(
            env,
            self.inner,
            js_pk(env, &user_pk, "userPk"),
            |c, pk| async move { c.count_authenticators(pk).await },
            AuthentikAuthenticatorSummary::from
        )
    }

    // ----- discovery -----

    /// The flow with `designation` and `slug`, or `null`.
    #[napi(
        ts_args_type = "designation: string, slug: string",
        ts_return_type = "Promise<AuthentikFlow | null>"
    )]
    pub fn find_flow<'e>(
        &self,
        env: &'e Env,
        designation: Unknown<'_>,
        slug: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<AuthentikFlow>>> {
        let args = (|| {
            Ok((
                FlowDesignation::parse(&js_string(env, &designation, "designation")?),
                js_string(env, &slug, "slug")?,
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (designation, slug)| async move { c.find_flow(&designation, &slug).await },
            |f: Option<Flow>| f.map(AuthentikFlow::from)
        )
    }

    /// Key pairs with a private key.
    #[napi(ts_return_type = "Promise<AuthentikKeyPair[]>")]
    pub fn list_signing_keys<'e>(
        &self,
        env: &'e Env,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikKeyPair>>> {
        call!(
            env,
            self.inner,
            Ok(()),
            |c, _a| async move { c.list_signing_keys().await },
            list::<CertificateKeyPair, AuthentikKeyPair>
        )
    }

    /// The signing key: `preferredName` if given, else the managed JWT key, else
    /// the self-signed certificate; `DEZKY_CONFIG` when there is none.
    #[napi(
        ts_args_type = "preferredName?: string | undefined | null",
        ts_return_type = "Promise<AuthentikKeyPair>"
    )]
    pub fn discover_signing_key<'e>(
        &self,
        env: &'e Env,
        preferred_name: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikKeyPair>> {
        call!(
            env,
            self.inner,
            js_optional_string(env, preferred_name.as_ref(), "preferredName"),
            |c, name| async move { c.discover_signing_key(name.as_deref()).await },
            AuthentikKeyPair::from
        )
    }

    /// The scope mappings with these managed ids, in that order.
    #[napi(
        ts_args_type = "managed: string[]",
        ts_return_type = "Promise<AuthentikScopeMapping[]>"
    )]
    pub fn scope_mappings<'e>(
        &self,
        env: &'e Env,
        managed: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikScopeMapping>>> {
        let args: napi::Result<Vec<String>> =
            js_json(env, &managed, "managed").and_then(|v| match v {
                Value::Array(items) => items
                    .into_iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s),
                        _ => Err(invalid("managed", "must be an array of strings")).js(env),
                    })
                    .collect::<napi::Result<Vec<String>>>(),
                _ => Err(invalid("managed", "must be an array of strings")).js(env),
            });
        call!(
            env,
            self.inner,
            args,
            |c, managed| async move {
                let ids: Vec<&str> = managed.iter().map(String::as_str).collect();
                c.scope_mappings(&ids).await
            },
            list::<ScopeMapping, AuthentikScopeMapping>
        )
    }

    // ----- providers, applications, bindings -----

    /// Creates an OAuth2 provider (signing key required, no encryption key).
    #[napi(
        ts_args_type = "provider: AuthentikNewOAuth2Provider",
        ts_return_type = "Promise<AuthentikOAuth2Provider>"
    )]
    pub fn create_oauth2_provider<'e>(
        &self,
        env: &'e Env,
        provider: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikOAuth2Provider>> {
        let args = js_json(env, &provider, "provider").and_then(|v| new_provider(&v).js(env));
        call!(
            env,
            self.inner,
            args,
            |c, provider| async move { c.create_oauth2_provider(&provider).await },
            AuthentikOAuth2Provider::from
        )
    }

    /// The OAuth2 provider `pk`.
    #[napi(
        ts_args_type = "pk: number",
        ts_return_type = "Promise<AuthentikOAuth2Provider>"
    )]
    pub fn get_oauth2_provider<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikOAuth2Provider>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.get_oauth2_provider(pk).await },
            AuthentikOAuth2Provider::from
        )
    }

    /// Every OAuth2 provider.
    #[napi(ts_return_type = "Promise<AuthentikOAuth2Provider[]>")]
    pub fn list_oauth2_providers<'e>(
        &self,
        env: &'e Env,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikOAuth2Provider>>> {
        call!(
            env,
            self.inner,
            Ok(()),
            |c, _a| async move { collect_all(c.list_oauth2_providers()).await },
            list::<OAuth2Provider, AuthentikOAuth2Provider>
        )
    }

    /// Deletes the OAuth2 provider `pk`.
    #[napi(ts_args_type = "pk: number", ts_return_type = "Promise<void>")]
    pub fn delete_oauth2_provider<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        call!(
            env,
            self.inner,
            js_pk(env, &pk, "pk"),
            |c, pk| async move { c.delete_oauth2_provider(pk).await },
            |()| ()
        )
    }

    /// Creates an application.
    #[napi(
        ts_args_type = "application: AuthentikNewApplication",
        ts_return_type = "Promise<AuthentikApplication>"
    )]
    pub fn create_application<'e>(
        &self,
        env: &'e Env,
        application: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikApplication>> {
        let args =
            js_json(env, &application, "application").and_then(|v| new_application(&v).js(env));
        call!(
            env,
            self.inner,
            args,
            |c, app| async move { c.create_application(&app).await },
            AuthentikApplication::from
        )
    }

    /// The application with slug `slug`.
    #[napi(
        ts_args_type = "slug: string",
        ts_return_type = "Promise<AuthentikApplication>"
    )]
    pub fn get_application<'e>(
        &self,
        env: &'e Env,
        slug: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikApplication>> {
        call!(
            env,
            self.inner,
            js_string(env, &slug, "slug"),
            |c, slug| async move { c.get_application(&slug).await },
            AuthentikApplication::from
        )
    }

    /// Every application (`superuser_full_list=true`).
    #[napi(ts_return_type = "Promise<AuthentikApplication[]>")]
    pub fn list_applications<'e>(
        &self,
        env: &'e Env,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikApplication>>> {
        call!(
            env,
            self.inner,
            Ok(()),
            |c, _a| async move { collect_all(c.list_applications()).await },
            list::<Application, AuthentikApplication>
        )
    }

    /// Deletes the application with slug `slug`.
    #[napi(ts_args_type = "slug: string", ts_return_type = "Promise<void>")]
    pub fn delete_application<'e>(
        &self,
        env: &'e Env,
        slug: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        call!(
            env,
            self.inner,
            js_string(env, &slug, "slug"),
            |c, slug| async move { c.delete_application(&slug).await },
            |()| ()
        )
    }

    /// The policy bindings of `target` (an application uuid).
    #[napi(
        ts_args_type = "target: string",
        ts_return_type = "Promise<AuthentikBinding[]>"
    )]
    pub fn list_bindings<'e>(
        &self,
        env: &'e Env,
        target: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<AuthentikBinding>>> {
        call!(
            env,
            self.inner,
            js_string(env, &target, "target"),
            |c, target| async move { c.list_bindings(&target).await },
            list::<PolicyBinding, AuthentikBinding>
        )
    }

    /// Binds group `groupPk` to application `appPk` (idempotent).
    #[napi(
        ts_args_type = "appPk: string, groupPk: string",
        ts_return_type = "Promise<AuthentikBinding>"
    )]
    pub fn bind_group_to_application<'e>(
        &self,
        env: &'e Env,
        app_pk: Unknown<'_>,
        group_pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikBinding>> {
        let args = (|| {
            Ok((
                js_string(env, &app_pk, "appPk")?,
                js_string(env, &group_pk, "groupPk")?,
            ))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (app, group)| async move { c.bind_group_to_application(&app, &group).await },
            AuthentikBinding::from
        )
    }

    /// Deletes the policy binding `pk`.
    #[napi(ts_args_type = "pk: string", ts_return_type = "Promise<void>")]
    pub fn delete_binding<'e>(
        &self,
        env: &'e Env,
        pk: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        call!(
            env,
            self.inner,
            js_string(env, &pk, "pk"),
            |c, pk| async move { c.delete_binding(&pk).await },
            |()| ()
        )
    }

    /// Discovery + provider + application + group binding; deletes what it
    /// created when a later step fails.
    #[napi(
        ts_args_type = "spec: AuthentikSsoAppSpec",
        ts_return_type = "Promise<AuthentikSsoApp>"
    )]
    pub fn create_sso_app<'e>(
        &self,
        env: &'e Env,
        spec: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikSsoApp>> {
        let args = js_json(env, &spec, "spec").and_then(|v| sso_spec(&v).js(env));
        call!(
            env,
            self.inner,
            args,
            |c, spec| async move { c.create_sso_app(&spec).await },
            AuthentikSsoApp::from
        )
    }

    // ----- API tokens -----

    /// Creates an API token (`intent = api`) for user `userPk`.
    #[napi(
        ts_args_type = "identifier: string, userPk: number, options?: AuthentikApiTokenOptions | undefined | null",
        ts_return_type = "Promise<AuthentikToken>"
    )]
    pub fn create_api_token<'e>(
        &self,
        env: &'e Env,
        identifier: Unknown<'_>,
        user_pk: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, AuthentikToken>> {
        let args = (|| {
            let identifier = js_string(env, &identifier, "identifier")?;
            let pk = js_pk(env, &user_pk, "userPk")?;
            let (description, expiring) = match options.filter(|o| !convert::is_missing(o)) {
                None => (None, false),
                Some(o) => match js_json(env, &o, "options")? {
                    Value::Null => (None, false),
                    value => {
                        let f = Fields::of(&value, "options").js(env)?;
                        (
                            f.text("description").js(env)?,
                            f.flag("expiring").js(env)?.unwrap_or(false),
                        )
                    }
                },
            };
            Ok((identifier, pk, description, expiring))
        })();
        call!(
            env,
            self.inner,
            args,
            |c, (identifier, pk, description, expiring)| async move {
                c.create_api_token(&identifier, pk, description.as_deref(), expiring)
                    .await
            },
            AuthentikToken::from
        )
    }

    /// The key of token `identifier` (a secret: never log it).
    #[napi(
        ts_args_type = "identifier: string",
        ts_return_type = "Promise<string>"
    )]
    pub fn view_token_key<'e>(
        &self,
        env: &'e Env,
        identifier: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        call!(
            env,
            self.inner,
            js_string(env, &identifier, "identifier"),
            |c, identifier| async move { c.view_token_key(&identifier).await },
            |s: Secret| s.expose().to_owned()
        )
    }

    /// Deletes token `identifier`.
    #[napi(ts_args_type = "identifier: string", ts_return_type = "Promise<void>")]
    pub fn delete_token<'e>(
        &self,
        env: &'e Env,
        identifier: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        call!(
            env,
            self.inner,
            js_string(env, &identifier, "identifier"),
            |c, identifier| async move { c.delete_token(&identifier).await },
            |()| ()
        )
    }
}
