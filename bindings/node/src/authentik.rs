//! The Authentik client (`AuthentikClient`) over `dezky_clients::authentik`.
//! Conversion only: every rule is in `dezky-clients` (docs/authentik-client.md).
//! Arguments are typed (napi refuses a wrong type; `lib/arguments.cjs` names
//! it); the records are the client's own, `#[napi(object)]` there (with the
//! client secret of `createSsoApp` as a string, the one a provider holds left
//! out). Listings are read to the end; the other secrets the caller asks for
//! (a token key, a recovery link) are returned as strings.

use std::collections::HashMap;

use dezky_clients::Secret;
use dezky_clients::authentik::{
    self, Application as AuthentikApplication, AuthenticatedSession as AuthentikSession,
    AuthenticatorSummary as AuthentikAuthenticatorSummary, CertificateKeyPair as AuthentikKeyPair,
    ClientType, Device as AuthentikDevice, Flow as AuthentikFlow, FlowDesignation,
    Group as AuthentikGroup, NewApplication, NewOAuth2Provider, NewUser,
    OAuth2Provider as AuthentikOAuth2Provider, PolicyBinding as AuthentikBinding,
    RedirectUri as AuthentikRedirectUri, ScopeMapping as AuthentikScopeMapping,
    SessionTermination as AuthentikSessionTermination, SsoApp as AuthentikSsoApp, SsoAppSpec,
    SubMode, Token as AuthentikToken, User as AuthentikUser, UserType,
};
use dezky_clients::http::collect_all;
use napi::Env;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::error::IntoJs;
use crate::options::{client_options, id, new_client, promise_methods, whole_opt};

client_options! {
    " How to reach Authentik."
    AuthentikClientOptions {
        " The server URL, with or without `/api/v3`."
        base_url: String,
        " An API token (`intent = api`)."
        token: String,
        " Page size of listings (default 100)."
        page_size: Option<f64>,
    }
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
    #[napi(ts_type = "string")]
    pub r#type: Option<UserType>,
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
            user_type: u.r#type,
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
    #[napi(ts_type = "string")]
    pub client_type: Option<ClientType>,
    /// `hashed_user_id` (default), ...
    #[napi(ts_type = "string")]
    pub sub_mode: Option<SubMode>,
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
            client_type: p.client_type.unwrap_or(ClientType::Confidential),
            sub_mode: p.sub_mode.unwrap_or(SubMode::HashedUserId),
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
    #[napi(ts_type = "string")]
    pub client_type: Option<ClientType>,
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
            spec.client_type = client_type;
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
        let inner = new_client(&env, o.http_config(&o.base_url), |config| {
            let client = authentik::AuthentikClient::new(config, Secret::new(o.token))?;
            match whole_opt(o.page_size, "options.pageSize", 1000)? {
                Some(size) => client.with_page_size(size as u32),
                None => Ok(client),
            }
        })?;
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
        |c| collect_all(c.list_oauth2_providers()).await;

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
