//! A typed client for the Authentik REST API v3 (2025.10): tenant groups,
//! members (create, suspend, force-logout, password, MFA status), per-tenant
//! SSO apps (OAuth2 provider + application + group binding) and API tokens.
//!
//! Every listing is read page by page to the end (`page_size` sent
//! explicitly); filters are exact and never sent empty (an empty filter is
//! ignored by the server, which would list everything). See
//! `docs/authentik-client.md` for the choices made.

mod sso;
mod types;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use types::{
    Application, AuthenticatedSession, AuthenticatorSummary, CertificateKeyPair, ClientType,
    Device, Flow, FlowDesignation, Group, MatchingMode, NewApplication, NewOAuth2Provider, NewUser,
    OAuth2Provider, PartialGroup, PartialUser, PolicyBinding, RedirectUri, ScopeMapping,
    SessionTermination, SsoApp, SsoAppSpec, SubMode, Token, TokenIntent, User, UserType,
};

use crate::http::{
    Auth, HttpClient, HttpConfig, Page, Service, collect_all, field_errors, paginate, segment,
};
use crate::{Error, Result, Secret, UpstreamError, UpstreamKind};

pub use sso::{
    DEFAULT_AUTHORIZATION_FLOW, DEFAULT_INVALIDATION_FLOW, DEFAULT_SCOPE_MAPPINGS, MANAGED_JWT_KEY,
    SELF_SIGNED_KEY_NAME,
};

use types::Paginated;

/// A record as a JSON value with the API's field names (secrets are never
/// serialized), for the language bindings.
pub trait ToJson {
    /// The JSON value.
    fn to_json(&self) -> Value;
}

impl<T: Serialize> ToJson for T {
    fn to_json(&self) -> Value {
        // These records hold only strings, numbers, booleans and string-keyed
        // maps, which always serialize.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The page size sent with every listing.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The `Service` of Authentik: names errors `authentik` and reads its
/// `GenericError` and `ValidationError` bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthentikService;

/// The `detail` texts of a refused credential (answered with 403).
const CREDENTIAL_REFUSED: [&str; 2] = ["Token invalid/expired", "Unsupported authentication type"];

/// The fields whose uniqueness violation means "exists already".
const UNIQUE_FIELDS: [&str; 3] = ["name", "username", "slug"];

fn says_unique(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("unique") || lower.contains("already exists")
}

impl Service for AuthentikService {
    fn name(&self) -> &'static str {
        "authentik"
    }

    fn decode_error(&self, body: &[u8], error: &mut UpstreamError) {
        // `set_password` answers a refused password with 400 and no body.
        let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        error.upstream_code = map
            .remove("code")
            .and_then(|c| c.as_str().map(str::to_owned));
        if let Some(Value::String(detail)) = map.get("detail") {
            let detail = detail.trim().to_owned();
            if matches!(error.status, 401 | 403) && CREDENTIAL_REFUSED.contains(&detail.as_str()) {
                error.kind = UpstreamKind::Unauthorized;
            }
            error.message = Some(crate::http::clip(&detail));
            return;
        }
        // ValidationError: `{"<field>": [..], "non_field_errors": [..]}`.
        error.fields = field_errors(&map);
        error.message = error
            .fields
            .iter()
            .find(|f| f.field == "non_field_errors")
            .or_else(|| error.fields.first())
            .and_then(|f| f.messages.first().cloned());
        if error.status == 400
            && error.fields.iter().any(|f| {
                UNIQUE_FIELDS.contains(&f.field.as_str())
                    && f.messages.iter().any(|m| says_unique(m))
            })
        {
            error.kind = UpstreamKind::AlreadyExists;
        }
    }
}

/// Refuses an empty filter value: the server would ignore it and list everything.
fn filter<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    if value.trim().is_empty() {
        return Err(Error::invalid(
            field,
            "must not be empty (the server ignores an empty filter and lists everything)",
        ));
    }
    Ok(value)
}

fn non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

fn positive(field: &str, pk: i64) -> Result<()> {
    if pk <= 0 {
        return Err(Error::invalid(field, "must be a positive id"));
    }
    Ok(())
}

/// `^[-a-zA-Z0-9_]+$` and at most `max` characters (slugs, token identifiers).
fn slug_like(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty()
        || value.len() > max
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            field,
            format!("must be 1 to {max} characters of letters, digits, '-' and '_'"),
        ));
    }
    Ok(())
}

/// Normalises the base URL to end with `/api/v3`, whether or not it was given.
fn with_api_path(mut config: HttpConfig) -> HttpConfig {
    let path = config.base_url.path().trim_end_matches('/').to_owned();
    if !path.ends_with("/api/v3") {
        config.base_url.set_path(&format!("{path}/api/v3"));
    }
    config
}

/// The Authentik API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthentikClient {
    http: HttpClient,
    page_size: u32,
}

impl AuthentikClient {
    /// A client for the server at `config.base_url` (with or without the
    /// `/api/v3` suffix) using the API token `token` (`intent = api`).
    pub fn new(config: HttpConfig, token: Secret) -> Result<Self> {
        if token.expose().trim().is_empty() {
            return Err(Error::Config {
                field: "token".into(),
                reason: "is empty".into(),
            });
        }
        let http = HttpClient::new(with_api_path(config), Auth::Bearer(token), AuthentikService)?;
        Ok(AuthentikClient {
            http,
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// A client configured from `AUTHENTIK_API_URL` (with or without
    /// `/api/v3`), `AUTHENTIK_API_TOKEN` and the optional
    /// `AUTHENTIK_TIMEOUT_MS`, `AUTHENTIK_CONNECT_TIMEOUT_MS`, `AUTHENTIK_MAX_RETRIES`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`AuthentikClient::from_env`] over any lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let config = HttpConfig::from_lookup("AUTHENTIK", &lookup)?;
        let token = lookup("AUTHENTIK_API_TOKEN")
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Error::Config {
                field: "AUTHENTIK_API_TOKEN".into(),
                reason: "is not set".into(),
            })?;
        Self::new(config, Secret::new(token.trim()))
    }

    /// Sets the page size of listings (1 to 1000).
    pub fn with_page_size(mut self, page_size: u32) -> Result<Self> {
        if !(1..=1000).contains(&page_size) {
            return Err(Error::invalid("page_size", "must be from 1 to 1000"));
        }
        self.page_size = page_size;
        Ok(self)
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Every item of the listing at `path` with the filters `query`, page by page.
    pub(crate) fn list<T>(
        &self,
        path: &str,
        query: Vec<(String, String)>,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let http = self.http.clone();
        let path = path.to_owned();
        let page_size = self.page_size.to_string();
        paginate(1u32, move |page: u32| {
            let http = http.clone();
            let path = path.clone();
            let query = query.clone();
            let page_size = page_size.clone();
            async move {
                let answer: Paginated<T> = http
                    .get(&path)
                    .query_pairs(query)
                    .query("page", page.to_string())
                    .query("page_size", page_size)
                    .send_json()
                    .await?;
                let next = answer.pagination.next;
                let next = (next.is_finite() && next >= 1.0 && next <= f64::from(u32::MAX))
                    .then_some(next as u32);
                Ok(Page {
                    items: answer.results,
                    next,
                })
            }
        })
    }

    async fn list_all<T>(&self, path: &str, query: Vec<(String, String)>) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        collect_all(self.list(path, query)).await
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.http.post(path).json(body).send_json().await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        self.http.delete(path).send().await.map(|_| ())
    }

    // ----- groups -----

    /// Every group, without member lists.
    pub fn list_groups(&self) -> impl Stream<Item = Result<Group>> + Send + 'static {
        self.list("/core/groups/", pairs([("include_users", "false")]))
    }

    /// The group named exactly `name`, if any.
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let name = filter("name", name)?;
        let groups: Vec<Group> = self
            .list_all(
                "/core/groups/",
                pairs([("name", name), ("include_users", "false")]),
            )
            .await?;
        Ok(groups.into_iter().find(|g| g.name == name))
    }

    /// The tenant group `name`, created if absent with attributes
    /// `{"tenant_slug": .., "tenant_id": ..}`. Safe to call concurrently: a
    /// create that loses a race (400 naming `name`) reads the winner's group.
    pub async fn ensure_group(
        &self,
        name: &str,
        tenant_slug: &str,
        tenant_id: &str,
    ) -> Result<Group> {
        non_empty("tenant_slug", tenant_slug)?;
        non_empty("tenant_id", tenant_id)?;
        if let Some(group) = self.find_group_by_name(name).await? {
            return Ok(group);
        }
        let body = json!({
            "name": name,
            "attributes": {"tenant_slug": tenant_slug, "tenant_id": tenant_id},
        });
        match self.post_json::<_, Group>("/core/groups/", &body).await {
            Ok(group) => {
                tracing::debug!(group = %group.pk, "authentik group created");
                Ok(group)
            }
            Err(Error::Upstream(error))
                if error.status == 400 && error.fields.iter().any(|f| f.field == "name") =>
            {
                match self.find_group_by_name(name).await? {
                    Some(group) => Ok(group),
                    None => Err(Error::Upstream(error)),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The group with uuid `group_pk`.
    pub async fn get_group(&self, group_pk: &str) -> Result<Group> {
        non_empty("group_pk", group_pk)?;
        self.http
            .get(&format!("/core/groups/{}/", segment(group_pk)))
            .query("include_users", "false")
            .send_json()
            .await
    }

    /// Deletes the group with uuid `group_pk`.
    pub async fn delete_group(&self, group_pk: &str) -> Result<()> {
        non_empty("group_pk", group_pk)?;
        self.delete(&format!("/core/groups/{}/", segment(group_pk)))
            .await
    }

    /// Adds user `user_pk` to group `group_pk` (no change if a member already).
    pub async fn add_user_to_group(&self, group_pk: &str, user_pk: i64) -> Result<()> {
        self.group_member(group_pk, user_pk, "add_user").await
    }

    /// Removes user `user_pk` from group `group_pk`.
    pub async fn remove_user_from_group(&self, group_pk: &str, user_pk: i64) -> Result<()> {
        self.group_member(group_pk, user_pk, "remove_user").await
    }

    async fn group_member(&self, group_pk: &str, user_pk: i64, action: &str) -> Result<()> {
        non_empty("group_pk", group_pk)?;
        positive("user_pk", user_pk)?;
        self.http
            .post(&format!("/core/groups/{}/{action}/", segment(group_pk)))
            .json(&json!({"pk": user_pk}))
            // Adding or removing a member twice has the same effect.
            .idempotent(true)
            .send()
            .await
            .map(|_| ())
    }

    // ----- users -----

    /// Creates a user whose username is `user.email`. A taken username is
    /// `AlreadyExists`.
    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        let email = user.email.trim();
        if email.is_empty() || !email.contains('@') || email.len() > 150 {
            return Err(Error::invalid(
                "email",
                "must be an email address of at most 150 characters",
            ));
        }
        non_empty("name", &user.name)?;
        for group in &user.groups {
            non_empty("groups", group)?;
        }
        let mut body = json!({
            "username": email,
            "email": email,
            "name": user.name,
            "is_active": user.is_active,
            "groups": user.groups,
        });
        if let Some(path) = &user.path {
            non_empty("path", path)?;
            body["path"] = json!(path);
        }
        if let Some(user_type) = &user.user_type {
            body["type"] = json!(user_type);
        }
        if let Some(attributes) = &user.attributes {
            if !attributes.is_object() {
                return Err(Error::invalid("attributes", "must be an object"));
            }
            body["attributes"] = attributes.clone();
        }
        self.post_json("/core/users/", &body).await
    }

    /// The user with pk `user_pk`.
    pub async fn get_user(&self, user_pk: i64) -> Result<User> {
        positive("user_pk", user_pk)?;
        self.http
            .get(&format!("/core/users/{user_pk}/"))
            .send_json()
            .await
    }

    /// Users matching the given exact filters (`username`, `email`, ...),
    /// each value non-empty.
    pub fn list_users(
        &self,
        filters: &[(&str, &str)],
    ) -> Result<impl Stream<Item = Result<User>> + Send + 'static> {
        let mut query = Vec::with_capacity(filters.len());
        for (field, value) in filters {
            query.push((field.to_string(), filter(field, value)?.to_owned()));
        }
        Ok(self.list("/core/users/", query))
    }

    /// The user whose username is exactly `username`, if any.
    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<User>> {
        let username = filter("username", username)?;
        let users: Vec<User> = collect_all(self.list_users(&[("username", username)])?).await?;
        Ok(users.into_iter().find(|u| u.username == username))
    }

    /// The users whose email is exactly `email` (Authentik does not make
    /// emails unique, so there may be several).
    pub async fn find_users_by_email(&self, email: &str) -> Result<Vec<User>> {
        let email = filter("email", email)?;
        let users: Vec<User> = collect_all(self.list_users(&[("email", email)])?).await?;
        Ok(users
            .into_iter()
            .filter(|u| u.email.as_deref() == Some(email))
            .collect())
    }

    /// Sets the password of user `user_pk`. A password the policy refuses is
    /// `Rejected` (HTTP 400, which Authentik sends without a body).
    pub async fn set_password(&self, user_pk: i64, password: &Secret) -> Result<()> {
        positive("user_pk", user_pk)?;
        if password.expose().is_empty() {
            return Err(Error::invalid("password", "must not be empty"));
        }
        let result = self
            .http
            .post(&format!("/core/users/{user_pk}/set_password/"))
            .json(&json!({"password": password.expose()}))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(Error::Upstream(mut error)) => {
                if error.status == 400 && error.message.is_none() && error.fields.is_empty() {
                    error.message = Some("the password was refused (password policy)".into());
                }
                Err(Error::Upstream(error))
            }
            Err(error) => Err(error),
        }
    }

    /// Deactivates user `user_pk` (`is_active = false`); the user can no
    /// longer log in. Sessions should be terminated as well.
    pub async fn suspend_user(&self, user_pk: i64) -> Result<User> {
        self.set_active(user_pk, false).await
    }

    /// Reactivates user `user_pk`.
    pub async fn resume_user(&self, user_pk: i64) -> Result<User> {
        self.set_active(user_pk, true).await
    }

    async fn set_active(&self, user_pk: i64, active: bool) -> Result<User> {
        positive("user_pk", user_pk)?;
        self.http
            .patch(&format!("/core/users/{user_pk}/"))
            .json(&json!({"is_active": active}))
            // Setting the same value twice has the same effect.
            .idempotent(true)
            .send_json()
            .await
    }

    /// Deletes user `user_pk`.
    pub async fn delete_user(&self, user_pk: i64) -> Result<()> {
        positive("user_pk", user_pk)?;
        self.delete(&format!("/core/users/{user_pk}/")).await
    }

    /// A one-time recovery link for user `user_pk` (needs a recovery flow on
    /// the brand). The link logs in as the user: it is a [`Secret`].
    pub async fn recovery_link(&self, user_pk: i64) -> Result<Secret> {
        positive("user_pk", user_pk)?;
        #[derive(serde::Deserialize)]
        struct Link {
            link: String,
        }
        let link: Link = self
            .http
            .post(&format!("/core/users/{user_pk}/recovery/"))
            .send_json()
            .await?;
        Ok(Secret::new(link.link))
    }

    // ----- sessions -----

    /// Every session of the user named exactly `username`. Sessions of other
    /// users are dropped should the server return any.
    pub async fn list_user_sessions(&self, username: &str) -> Result<Vec<AuthenticatedSession>> {
        let username = filter("username", username)?;
        self.list_all(
            "/core/authenticated_sessions/",
            pairs([("user__username", username)]),
        )
        .await
    }

    /// Ends every session of user `user_pk` (named `username`): lists them by
    /// username, and deletes only those whose `user` is `user_pk`.
    pub async fn terminate_user_sessions(
        &self,
        username: &str,
        user_pk: i64,
    ) -> Result<SessionTermination> {
        let username = filter("username", username)?;
        positive("user_pk", user_pk)?;
        let sessions = self.list_user_sessions(username).await?;
        let mut outcome = SessionTermination::default();
        for session in sessions {
            if session.user != user_pk {
                outcome.skipped_foreign += 1;
                tracing::warn!(
                    expected = user_pk,
                    found = session.user,
                    "authentik session listing returned another user's session; not deleted"
                );
                continue;
            }
            let Some(uuid) = session.uuid.filter(|u| !u.is_empty()) else {
                continue;
            };
            match self
                .delete(&format!("/core/authenticated_sessions/{}/", segment(&uuid)))
                .await
            {
                Ok(()) => outcome.terminated.push(uuid),
                Err(error) if error.is_not_found() => outcome.already_gone += 1,
                Err(error) => return Err(error),
            }
        }
        Ok(outcome)
    }

    // ----- MFA -----

    /// The authenticators of user `user_pk` (always filtered by user).
    pub async fn list_authenticators(&self, user_pk: i64) -> Result<Vec<Device>> {
        positive("user_pk", user_pk)?;
        self.http
            .get("/authenticators/admin/all/")
            .query("user", user_pk.to_string())
            .send_json()
            .await
    }

    /// The MFA status of user `user_pk`: confirmed second factors by type.
    /// Static recovery codes are reported apart and not counted; endpoint
    /// (device-trust) entries and unconfirmed devices are not counted.
    pub async fn count_authenticators(&self, user_pk: i64) -> Result<AuthenticatorSummary> {
        Ok(summarize_devices(&self.list_authenticators(user_pk).await?))
    }

    // ----- API tokens -----

    /// Creates an API token (`intent = api`) for user `user_pk`: an
    /// `app_password` token (what the service-account endpoint makes) is
    /// not accepted as a Bearer token. Read its key with [`Self::view_token_key`].
    pub async fn create_api_token(
        &self,
        identifier: &str,
        user_pk: i64,
        description: Option<&str>,
        expiring: bool,
    ) -> Result<Token> {
        slug_like("identifier", identifier, 255)?;
        positive("user_pk", user_pk)?;
        let mut body = json!({
            "identifier": identifier,
            "intent": TokenIntent::Api,
            "user": user_pk,
            "expiring": expiring,
        });
        if let Some(description) = description {
            body["description"] = json!(description);
        }
        self.post_json("/core/tokens/", &body).await
    }

    /// The key of token `identifier`.
    pub async fn view_token_key(&self, identifier: &str) -> Result<Secret> {
        slug_like("identifier", identifier, 255)?;
        #[derive(serde::Deserialize)]
        struct TokenView {
            key: String,
        }
        let view: TokenView = self
            .http
            .get(&format!("/core/tokens/{}/view_key/", segment(identifier)))
            .send_json()
            .await?;
        Ok(Secret::new(view.key))
    }

    /// Deletes token `identifier`.
    pub async fn delete_token(&self, identifier: &str) -> Result<()> {
        slug_like("identifier", identifier, 255)?;
        self.delete(&format!("/core/tokens/{}/", segment(identifier)))
            .await
    }

    /// The timeout configured for one attempt.
    pub fn timeout(&self) -> Duration {
        self.http.config().timeout
    }
}

fn pairs<const N: usize>(items: [(&str, &str); N]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Whether a device type is a static recovery-code device.
fn is_recovery_codes(device_type: &str) -> bool {
    device_type.ends_with(".StaticDevice") || device_type.contains("authenticator_static")
}

/// Whether a device type is an endpoint / device-trust entry (not an MFA factor).
fn is_endpoint(device_type: &str) -> bool {
    device_type.to_ascii_lowercase().contains("endpoint")
}

/// The counting rule of [`AuthentikClient::count_authenticators`].
pub fn summarize_devices(devices: &[Device]) -> AuthenticatorSummary {
    let mut summary = AuthenticatorSummary {
        by_type: BTreeMap::new(),
        ..AuthenticatorSummary::default()
    };
    for device in devices {
        if is_endpoint(&device.device_type) {
            summary.endpoint_devices += 1;
        } else if !device.confirmed {
            summary.unconfirmed += 1;
        } else if is_recovery_codes(&device.device_type) {
            summary.recovery_code_devices += 1;
        } else {
            summary.count += 1;
            *summary
                .by_type
                .entry(device.device_type.clone())
                .or_default() += 1;
        }
    }
    summary.has_mfa = summary.has_mfa();
    summary
}
