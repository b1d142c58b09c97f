//! The Authentik client (`AuthentikClient`) over `dezky_clients::authentik`.
//! Conversion only: every rule is in `dezky-clients` (docs/authentik-client.md).
//! Arguments are typed (napi refuses a wrong type; `lib/arguments.cjs` names
//! it); the records are the client's own, `#[napi(object)]` there. Listings
//! are read to the end; secrets the caller asked for (a client secret, a token
//! key, a recovery link) are returned as strings.

use std::collections::HashMap;

use dezky_clients::Secret;
use dezky_clients::authentik::{
    self, Application as AuthentikApplication, AuthenticatedSession as AuthentikSession,
    AuthenticatorSummary, CertificateKeyPair as AuthentikKeyPair, ClientType,
    Device as AuthentikDevice, Flow as AuthentikFlow, FlowDesignation, Group as AuthentikGroup,
    NewApplication, NewOAuth2Provider, NewUser, OAuth2Provider, PolicyBinding as AuthentikBinding,
    RedirectUri as AuthentikRedirectUri, ScopeMapping as AuthentikScopeMapping, SessionTermination,
    SsoApp, SsoAppSpec, SubMode, Token as AuthentikToken, User as AuthentikUser, UserType,
};
use dezky_clients::http::collect_all;
use napi::Env;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::error::IntoJs;
use crate::options::{Result, http_config, id, list, promise_methods, whole_opt};

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
            redirect_uris: p.redirect_uris,
            sub_mode: p.sub_mode.map(|s| s.to_string()),
            assigned_application_slug: p.assigned_application_slug,
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
            application: a.application,
            provider_pk: a.provider_pk,
            client_id: a.client_id,
            client_secret: a.client_secret.expose().to_owned(),
            issuer: a.issuer,
            signing_key: a.signing_key,
            binding: a.binding,
        }
    }
}

/// How to reach Authentik.
#[napi(object, object_to_js = false)]
pub struct AuthentikClientOptions {
    /// The server URL, with or without `/api/v3`.
    pub base_url: String,
    /// An API token (`intent = api`).
    pub token: String,
    /// Time for one attempt (default 30000).
    pub timeout_ms: Option<f64>,
    /// Time to connect (default 5000).
    pub connect_timeout_ms: Option<f64>,
    /// Retries of safe requests (default 2, at most 10).
    pub max_retries: Option<f64>,
    /// Page size of listings (default 100).
    pub page_size: Option<f64>,
}

/// A user to create; the username is the email address.
#[napi(object, object_to_js = false)]
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
    pub attributes: Option<Map<String, Value>>,
}

impl From<AuthentikNewUser> for NewUser {
    fn from(u: AuthentikNewUser) -> Self {
        NewUser {
            email: u.email,
            name: u.name,
            groups: u.groups.unwrap_or_default(),
            is_active: u.is_active.unwrap_or(true),
            path: u.path,
            user_type: u.r#type.map(|t| UserType::parse(&t)),
            attributes: u.attributes.map(Value::Object),
        }
    }
}

/// An OAuth2 provider to create. `signingKey` is required.
#[napi(object, object_to_js = false)]
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

impl From<AuthentikNewOAuth2Provider> for NewOAuth2Provider {
    fn from(p: AuthentikNewOAuth2Provider) -> Self {
        NewOAuth2Provider {
            name: p.name,
            authorization_flow: p.authorization_flow,
            invalidation_flow: p.invalidation_flow,
            redirect_uris: p
                .redirect_uris
                .into_iter()
                .map(AuthentikRedirectUri::strict)
                .collect(),
            signing_key: p.signing_key,
            property_mappings: p.property_mappings.unwrap_or_default(),
            client_type: p
                .client_type
                .map_or(ClientType::Confidential, |c| ClientType::parse(&c)),
            sub_mode: p
                .sub_mode
                .map_or(SubMode::HashedUserId, |s| SubMode::parse(&s)),
            access_code_validity: p.access_code_validity.unwrap_or_else(|| "minutes=1".into()),
            access_token_validity: p
                .access_token_validity
                .unwrap_or_else(|| "minutes=10".into()),
            refresh_token_validity: p.refresh_token_validity.unwrap_or_else(|| "days=30".into()),
        }
    }
}

/// An application to create.
#[napi(object, object_to_js = false)]
pub struct AuthentikNewApplication {
    /// The name.
    pub name: String,
    /// The slug.
    pub slug: String,
    /// The provider's pk.
    pub provider: Option<f64>,
    /// The launch URL.
    pub meta_launch_url: Option<String>,
    /// The description.
    pub meta_description: Option<String>,
}

/// An SSO app to create.
#[napi(object, object_to_js = false)]
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

impl From<AuthentikSsoAppSpec> for SsoAppSpec {
    fn from(s: AuthentikSsoAppSpec) -> Self {
        let mut spec = SsoAppSpec::new(s.name, s.slug, s.redirect_uris);
        spec.group_pk = s.group_pk;
        spec.launch_url = s.launch_url;
        if let Some(client_type) = s.client_type {
            spec.client_type = ClientType::parse(&client_type);
        }
        spec.authorization_flow_slug = s.authorization_flow_slug;
        spec.invalidation_flow_slug = s.invalidation_flow_slug;
        spec.signing_key_name = s.signing_key_name;
        spec.access_token_validity = s.access_token_validity;
        spec.refresh_token_validity = s.refresh_token_validity;
        spec
    }
}

/// Options of `createApiToken`.
#[napi(object, object_to_js = false)]
pub struct AuthentikApiTokenOptions {
    /// The description.
    pub description: Option<String>,
    /// Whether the token expires (default false).
    pub expiring: Option<bool>,
}

/// A client of the Authentik API v3. Create one per process and share it.
#[napi]
pub struct AuthentikClient {
    inner: authentik::AuthentikClient,
}

#[napi]
impl AuthentikClient {
    /// A client from `options`. Throws `DEZKY_INVALID_ARGUMENT` or
    /// `DEZKY_CONFIG` for unusable options.
    #[napi(constructor)]
    pub fn new(env: Env, options: AuthentikClientOptions) -> napi::Result<Self> {
        let o = options;
        let inner = (|| -> Result<_> {
            let config = http_config(
                &o.base_url,
                o.timeout_ms,
                o.connect_timeout_ms,
                o.max_retries,
            )?;
            let client = authentik::AuthentikClient::new(config, Secret::new(o.token))?;
            match whole_opt(o.page_size, "options.pageSize", 1000)? {
                Some(size) => client.with_page_size(size as u32),
                None => Ok(client),
            }
        })();
        Ok(AuthentikClient {
            inner: inner.js(&env)?,
        })
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
}

promise_methods!(AuthentikClient(authentik::AuthentikClient) {
    " Every group (without member lists)."
    fn list_groups() -> Vec<AuthentikGroup> |c| collect_all(c.list_groups()).await;

    " The group named exactly `name`, or `null`. An empty name is refused."
    fn find_group_by_name(name: String) -> Option<AuthentikGroup>
        |c| c.find_group_by_name(&name).await;

    " The tenant group `name`, created with `{tenant_slug, tenant_id}` attributes if absent."
    fn ensure_group(name: String, tenant_slug: String, tenant_id: String) -> AuthentikGroup
        |c| c.ensure_group(&name, &tenant_slug, &tenant_id).await;

    " The group with uuid `pk`."
    fn get_group(pk: String) -> AuthentikGroup |c| c.get_group(&pk).await;

    " Deletes the group with uuid `pk`."
    fn delete_group(pk: String) -> () |c| c.delete_group(&pk).await;

    " Adds user `userPk` to group `groupPk`."
    fn add_user_to_group(group_pk: String, user_pk: f64) -> ()
        { let user = id(user_pk, "userPk")?; } |c| c.add_user_to_group(&group_pk, user).await;

    " Removes user `userPk` from group `groupPk`."
    fn remove_user_from_group(group_pk: String, user_pk: f64) -> ()
        { let user = id(user_pk, "userPk")?; } |c| c.remove_user_from_group(&group_pk, user).await;

    " Creates a user whose username is its email; a taken one is `DEZKY_ALREADY_EXISTS`."
    fn create_user(user: AuthentikNewUser) -> AuthentikUser
        |c| c.create_user(&NewUser::from(user)).await;

    " The user with pk `pk`."
    fn get_user(pk: f64) -> AuthentikUser { let pk = id(pk, "pk")?; } |c| c.get_user(pk).await;

    " Users matching exact filters (`{username: ..., email: ...}`); an empty value is refused."
    fn list_users(filters: Option<HashMap<String, String>>) -> Vec<AuthentikUser> |c| {
        let filters = filters.unwrap_or_default();
        let pairs: Vec<(&str, &str)> =
            filters.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        collect_all(c.list_users(&pairs)?).await
    };

    " The user named exactly `username`, or `null`."
    fn find_user_by_username(username: String) -> Option<AuthentikUser>
        |c| c.find_user_by_username(&username).await;

    " The users whose email is exactly `email` (not unique in Authentik)."
    fn find_users_by_email(email: String) -> Vec<AuthentikUser>
        |c| c.find_users_by_email(&email).await;

    " Sets a user's password; one refused by the policy is `DEZKY_UPSTREAM_REJECTED`."
    fn set_password(pk: f64, password: String) -> ()
        { let pk = id(pk, "pk")?; } |c| c.set_password(pk, &Secret::new(password)).await;

    " Deactivates a user (`isActive = false`)."
    fn suspend_user(pk: f64) -> AuthentikUser
        { let pk = id(pk, "pk")?; } |c| c.suspend_user(pk).await;

    " Reactivates a user."
    fn resume_user(pk: f64) -> AuthentikUser
        { let pk = id(pk, "pk")?; } |c| c.resume_user(pk).await;

    " Deletes a user."
    fn delete_user(pk: f64) -> () { let pk = id(pk, "pk")?; } |c| c.delete_user(pk).await;

    " A one-time recovery link (it logs in as the user: treat it as a secret)."
    fn recovery_link(pk: f64) -> String
        { let pk = id(pk, "pk")?; } |c| c.recovery_link(pk).await.map(|s| s.expose().to_owned());

    " Every session of the user named exactly `username`."
    fn list_user_sessions(username: String) -> Vec<AuthentikSession>
        |c| c.list_user_sessions(&username).await;

    " Ends every session of user `userPk` named `username`; never another user's."
    fn terminate_user_sessions(username: String, user_pk: f64) -> AuthentikSessionTermination
        { let pk = id(user_pk, "userPk")?; } |c| c.terminate_user_sessions(&username, pk).await;

    " The authenticators of user `userPk`."
    fn list_authenticators(user_pk: f64) -> Vec<AuthentikDevice>
        { let pk = id(user_pk, "userPk")?; } |c| c.list_authenticators(pk).await;

    " The MFA status of user `userPk` (see docs/authentik-client.md for the counting rule)."
    fn count_authenticators(user_pk: f64) -> AuthentikAuthenticatorSummary
        { let pk = id(user_pk, "userPk")?; } |c| c.count_authenticators(pk).await;

    " The flow with `designation` and `slug`, or `null`."
    fn find_flow(designation: String, slug: String) -> Option<AuthentikFlow>
        |c| c.find_flow(&FlowDesignation::parse(&designation), &slug).await;

    " Key pairs with a private key."
    fn list_signing_keys() -> Vec<AuthentikKeyPair> |c| c.list_signing_keys().await;

    " The signing key: `preferredName` if given, else the managed JWT key, else"
    " the self-signed certificate; `DEZKY_CONFIG` when there is none."
    fn discover_signing_key(preferred_name: Option<String>) -> AuthentikKeyPair
        |c| c.discover_signing_key(preferred_name.as_deref()).await;

    " The scope mappings with these managed ids, in that order."
    fn scope_mappings(managed: Vec<String>) -> Vec<AuthentikScopeMapping> |c| {
        let ids: Vec<&str> = managed.iter().map(String::as_str).collect();
        c.scope_mappings(&ids).await
    };

    " Creates an OAuth2 provider (signing key required, no encryption key)."
    fn create_oauth2_provider(provider: AuthentikNewOAuth2Provider) -> AuthentikOAuth2Provider
        |c| c.create_oauth2_provider(&provider.into()).await;

    " The OAuth2 provider `pk`."
    fn get_oauth2_provider(pk: f64) -> AuthentikOAuth2Provider
        { let pk = id(pk, "pk")?; } |c| c.get_oauth2_provider(pk).await;

    " Every OAuth2 provider."
    fn list_oauth2_providers() -> Vec<AuthentikOAuth2Provider>
        |c| collect_all(c.list_oauth2_providers()).await.map(list);

    " Deletes the OAuth2 provider `pk`."
    fn delete_oauth2_provider(pk: f64) -> ()
        { let pk = id(pk, "pk")?; } |c| c.delete_oauth2_provider(pk).await;

    " Creates an application."
    fn create_application(application: AuthentikNewApplication) -> AuthentikApplication {
        let provider = application.provider.map(|p| id(p, "application.provider")).transpose()?;
        let app = NewApplication {
            name: application.name,
            slug: application.slug,
            provider,
            meta_launch_url: application.meta_launch_url,
            meta_description: application.meta_description,
        };
    } |c| c.create_application(&app).await;

    " The application with slug `slug`."
    fn get_application(slug: String) -> AuthentikApplication |c| c.get_application(&slug).await;

    " Every application (`superuser_full_list=true`)."
    fn list_applications() -> Vec<AuthentikApplication>
        |c| collect_all(c.list_applications()).await;

    " Deletes the application with slug `slug`."
    fn delete_application(slug: String) -> () |c| c.delete_application(&slug).await;

    " The policy bindings of `target` (an application uuid)."
    fn list_bindings(target: String) -> Vec<AuthentikBinding> |c| c.list_bindings(&target).await;

    " Binds group `groupPk` to application `appPk` (idempotent)."
    fn bind_group_to_application(app_pk: String, group_pk: String) -> AuthentikBinding
        |c| c.bind_group_to_application(&app_pk, &group_pk).await;

    " Deletes the policy binding `pk`."
    fn delete_binding(pk: String) -> () |c| c.delete_binding(&pk).await;

    " Discovery + provider + application + group binding; deletes what it"
    " created when a later step fails."
    fn create_sso_app(spec: AuthentikSsoAppSpec) -> AuthentikSsoApp
        |c| c.create_sso_app(&spec.into()).await;

    " Creates an API token (`intent = api`) for user `userPk`."
    fn create_api_token(
        identifier: String,
        user_pk: f64,
        options: Option<AuthentikApiTokenOptions>,
    ) -> AuthentikToken {
        let pk = id(user_pk, "userPk")?;
        let (description, expiring) = options.map_or((None, None), |o| (o.description, o.expiring));
        let expiring = expiring.unwrap_or(false);
    } |c| c.create_api_token(&identifier, pk, description.as_deref(), expiring).await;

    " The key of token `identifier` (a secret: never log it)."
    fn view_token_key(identifier: String) -> String
        |c| c.view_token_key(&identifier).await.map(|s| s.expose().to_owned());

    " Deletes token `identifier`."
    fn delete_token(identifier: String) -> () |c| c.delete_token(&identifier).await;
});
