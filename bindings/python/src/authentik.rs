//! The Authentik client (`AuthentikClient`) over `dezky_clients::authentik`.
//! Conversion and error mapping only: every rule is in `dezky-clients`
//! (docs/authentik-client.md). Each operation is a coroutine with a blocking
//! `_sync` twin; records are dicts with the API's snake_case names; listings
//! are read to the end and returned as lists.

use dezky_clients::Secret;
use dezky_clients::authentik::{
    self, AuthenticatorSummary, ClientType, FlowDesignation, NewApplication, NewOAuth2Provider,
    NewUser, RedirectUri, SsoApp, SsoAppSpec, SubMode, ToJson, UserType,
};
use dezky_clients::http::collect_all;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::convert::{self, data};
use crate::error::IntoPyResult;
use crate::options::{self, invalid};
use crate::runtime::client_methods;

/// A record (or a list or option of records) as dicts with the API's names.
fn json_any<T: ToJson>(py: Python<'_>, record: T) -> PyResult<Bound<'_, PyAny>> {
    convert::to_py(py, &record.to_json())
}

fn secret_any(py: Python<'_>, secret: Secret) -> PyResult<Bound<'_, PyAny>> {
    Ok(pyo3::types::PyString::new(py, secret.expose()).into_any())
}

fn summary_any(py: Python<'_>, summary: AuthenticatorSummary) -> PyResult<Bound<'_, PyAny>> {
    let has_mfa = summary.has_mfa();
    let mut value = summary.to_json();
    value["has_mfa"] = Value::Bool(has_mfa);
    convert::to_py(py, &value)
}

fn sso_any(py: Python<'_>, app: SsoApp) -> PyResult<Bound<'_, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("application", json_any(py, &app.application)?)?;
    d.set_item("provider_pk", app.provider_pk)?;
    d.set_item("client_id", &app.client_id)?;
    d.set_item("client_secret", app.client_secret.expose())?;
    d.set_item("issuer", &app.issuer)?;
    d.set_item("signing_key", &app.signing_key)?;
    d.set_item("binding", json_any(py, &app.binding)?)?;
    Ok(d.into_any())
}

/// A `dict[str, str]` argument as pairs, in the dict's order.
fn string_pairs(name: &str, dict: &Bound<'_, PyDict>) -> PyResult<Vec<(String, String)>> {
    dict.iter()
        .map(|(k, v)| {
            let key: String = k.extract()?;
            let value = v
                .extract::<String>()
                .map_err(|_| invalid(&format!("{name}.{key}"), "must be a str"))?;
            Ok((key, value))
        })
        .collect()
}

/// A client of the Authentik API v3. Create one per process and share it.
///
/// `base_url` is the server URL, with or without `/api/v3`; `token` an API token (`intent =
/// api`). `timeout` and `connect_timeout` are in seconds; `page_size` (1 to 1000, default 100)
/// is sent with every listing.
#[pyclass(name = "AuthentikClient", module = "dezky._dezky", frozen)]
pub(crate) struct PyAuthentikClient {
    inner: authentik::AuthentikClient,
}

client_methods! {
    impl PyAuthentikClient {
        #[new]
        #[pyo3(signature = (base_url, token, *, timeout = None, connect_timeout = None, max_retries = None, page_size = None))]
        fn new(
            base_url: &str,
            token: String,
            timeout: Option<f64>,
            connect_timeout: Option<f64>,
            max_retries: Option<u32>,
            page_size: Option<u32>,
        ) -> PyResult<Self> {
            let config = options::http_config(base_url, timeout, connect_timeout, max_retries)?;
            let mut inner = authentik::AuthentikClient::new(config, Secret::new(token)).py()?;
            if let Some(size) = page_size {
                inner = inner.with_page_size(size).py()?;
            }
            Ok(PyAuthentikClient { inner })
        }

        /// A client from `AUTHENTIK_API_URL` (with or without `/api/v3`) and
        /// `AUTHENTIK_API_TOKEN`; `ConfigError` when they are missing.
        #[staticmethod]
        fn from_env() -> PyResult<Self> {
            Ok(PyAuthentikClient {
                inner: authentik::AuthentikClient::from_env().py()?,
            })
        }

        /// The issuer of the application `slug` (`<host>/application/o/<slug>/`).
        fn issuer_for(&self, slug: &str) -> String {
            self.inner.issuer_for(slug)
        }

        fn __repr__(&self) -> String {
            format!("AuthentikClient({})", self.inner.http().config().base_url)
        }
    }

    operations(c = self.inner.clone()) {
        /// Every group (without member lists).
        #[pyo3(signature = () -> "list[_authentik.Group]")]
        fn list_groups / list_groups_sync() => json_any {
            async move { collect_all(c.list_groups()).await }
        }

        /// The group named exactly `name`, or `None`; an empty name is refused.
        #[pyo3(signature = (name) -> "_authentik.Group | None")]
        fn find_group_by_name / find_group_by_name_sync(name: String) => json_any {
            async move { c.find_group_by_name(&name).await }
        }

        /// The tenant group `name`, created with `{tenant_slug, tenant_id}` attributes if
        /// absent (safe against a concurrent create).
        #[pyo3(signature = (name, tenant_slug, tenant_id) -> "_authentik.Group")]
        fn ensure_group / ensure_group_sync(
            name: String,
            tenant_slug: String,
            tenant_id: String,
        ) => json_any {
            async move { c.ensure_group(&name, &tenant_slug, &tenant_id).await }
        }

        /// The group with uuid `pk`.
        #[pyo3(signature = (pk) -> "_authentik.Group")]
        fn get_group / get_group_sync(pk: String) => json_any {
            async move { c.get_group(&pk).await }
        }

        /// Deletes the group with uuid `pk`.
        #[pyo3(signature = (pk) -> "None")]
        fn delete_group / delete_group_sync(pk: String) => data {
            async move { c.delete_group(&pk).await }
        }

        /// Adds user `user_pk` to group `group_pk`.
        #[pyo3(signature = (group_pk, user_pk) -> "None")]
        fn add_user_to_group / add_user_to_group_sync(group_pk: String, user_pk: i64) => data {
            async move { c.add_user_to_group(&group_pk, user_pk).await }
        }

        /// Removes user `user_pk` from group `group_pk`.
        #[pyo3(signature = (group_pk, user_pk) -> "None")]
        fn remove_user_from_group / remove_user_from_group_sync(
            group_pk: String,
            user_pk: i64,
        ) => data {
            async move { c.remove_user_from_group(&group_pk, user_pk).await }
        }

        /// Creates a user whose username is `email`; a taken one is `AlreadyExistsError`.
        #[pyo3(signature = (
            email,
            name,
            *,
            groups = None,
            is_active = true,
            path = None,
            r#type = None,
            attributes: "Mapping[str, Any] | None" = None,
        ) -> "_authentik.User")]
        #[allow(clippy::too_many_arguments)]
        fn create_user / create_user_sync(
            email: String,
            name: String,
            groups: Option<Vec<String>>,
            is_active: bool,
            path: Option<String>,
            r#type: Option<String>,
            attributes: Option<Bound<'py, PyDict>>,
        ) => json_any {
            let user = NewUser {
                email,
                name,
                groups: groups.unwrap_or_default(),
                is_active,
                path,
                user_type: r#type.map(|t| UserType::parse(&t)),
                attributes: attributes
                    .map(|a| convert::to_value("attributes", a.as_any()))
                    .transpose()?,
            };
            async move { c.create_user(&user).await }
        }

        /// The user with pk `pk`.
        #[pyo3(signature = (pk) -> "_authentik.User")]
        fn get_user / get_user_sync(pk: i64) => json_any {
            async move { c.get_user(pk).await }
        }

        /// Users matching exact filters (`{"username": ..., "email": ...}`); an empty value is
        /// refused.
        #[pyo3(signature = (filters: "Mapping[str, Any] | None" = None) -> "list[_authentik.User]")]
        fn list_users / list_users_sync(filters: Option<Bound<'py, PyDict>>) => json_any {
            let filters = filters.map_or_else(|| Ok(Vec::new()), |d| string_pairs("filters", &d))?;
            async move {
                match c.list_users(
                    &filters
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                ) {
                    Ok(stream) => collect_all(stream).await,
                    Err(e) => Err(e),
                }
            }
        }

        /// The user named exactly `username`, or `None`.
        #[pyo3(signature = (username) -> "_authentik.User | None")]
        fn find_user_by_username / find_user_by_username_sync(username: String) => json_any {
            async move { c.find_user_by_username(&username).await }
        }

        /// The users whose email is exactly `email` (not unique in Authentik).
        #[pyo3(signature = (email) -> "list[_authentik.User]")]
        fn find_users_by_email / find_users_by_email_sync(email: String) => json_any {
            async move { c.find_users_by_email(&email).await }
        }

        /// Sets a user's password; one the policy refuses is `UpstreamRejectedError`.
        #[pyo3(signature = (pk, password) -> "None")]
        fn set_password / set_password_sync(pk: i64, password: String) => data {
            let password = Secret::new(password);
            async move { c.set_password(pk, &password).await }
        }

        /// Deactivates a user (`is_active = False`).
        #[pyo3(signature = (pk) -> "_authentik.User")]
        fn suspend_user / suspend_user_sync(pk: i64) => json_any {
            async move { c.suspend_user(pk).await }
        }

        /// Reactivates a user.
        #[pyo3(signature = (pk) -> "_authentik.User")]
        fn resume_user / resume_user_sync(pk: i64) => json_any {
            async move { c.resume_user(pk).await }
        }

        /// Deletes a user.
        #[pyo3(signature = (pk) -> "None")]
        fn delete_user / delete_user_sync(pk: i64) => data {
            async move { c.delete_user(pk).await }
        }

        /// A one-time recovery link; it logs in as the user, so treat it as a secret.
        #[pyo3(signature = (pk) -> "str")]
        fn recovery_link / recovery_link_sync(pk: i64) => secret_any {
            async move { c.recovery_link(pk).await }
        }

        /// Every session of the user named exactly `username`.
        #[pyo3(signature = (username) -> "list[_authentik.Session]")]
        fn list_user_sessions / list_user_sessions_sync(username: String) => json_any {
            async move { c.list_user_sessions(&username).await }
        }

        /// Ends every session of user `user_pk` named `username`; never another user's.
        #[pyo3(signature = (username, user_pk) -> "_authentik.SessionTermination")]
        fn terminate_user_sessions / terminate_user_sessions_sync(
            username: String,
            user_pk: i64,
        ) => json_any {
            async move { c.terminate_user_sessions(&username, user_pk).await }
        }

        /// The authenticators of user `user_pk`.
        #[pyo3(signature = (user_pk) -> "list[_authentik.Device]")]
        fn list_authenticators / list_authenticators_sync(user_pk: i64) => json_any {
            async move { c.list_authenticators(user_pk).await }
        }

        /// The MFA status of user `user_pk` (recovery codes reported apart, endpoint devices
        /// excluded).
        #[pyo3(signature = (user_pk) -> "_authentik.AuthenticatorSummary")]
        fn count_authenticators / count_authenticators_sync(user_pk: i64) => summary_any {
            async move { c.count_authenticators(user_pk).await }
        }

        /// The flow with `designation` and `slug`, or `None`.
        #[pyo3(signature = (designation, slug) -> "_authentik.Flow | None")]
        fn find_flow / find_flow_sync(designation: String, slug: String) => json_any {
            async move { c.find_flow(&FlowDesignation::parse(&designation), &slug).await }
        }

        /// Key pairs with a private key.
        #[pyo3(signature = () -> "list[_authentik.KeyPair]")]
        fn list_signing_keys / list_signing_keys_sync() => json_any {
            async move { c.list_signing_keys().await }
        }

        /// The signing key: `preferred_name` if given, else the managed JWT key, else the
        /// self-signed certificate; `ConfigError` when there is none.
        #[pyo3(signature = (preferred_name = None) -> "_authentik.KeyPair")]
        fn discover_signing_key / discover_signing_key_sync(
            preferred_name: Option<String>,
        ) => json_any {
            async move { c.discover_signing_key(preferred_name.as_deref()).await }
        }

        /// The scope mappings with these managed ids, in that order.
        #[pyo3(signature = (managed) -> "list[_authentik.ScopeMapping]")]
        fn scope_mappings / scope_mappings_sync(managed: Vec<String>) => json_any {
            async move {
                c.scope_mappings(&managed.iter().map(String::as_str).collect::<Vec<_>>()).await
            }
        }

        /// Creates an OAuth2 provider with the signing key, no encryption key and explicit
        /// token lifetimes.
        #[pyo3(signature = (
            name,
            authorization_flow,
            invalidation_flow,
            redirect_uris,
            signing_key,
            *,
            property_mappings = None,
            client_type = None,
            sub_mode = None,
            access_code_validity = None,
            access_token_validity = None,
            refresh_token_validity = None,
        ) -> "_authentik.OAuth2Provider")]
        #[allow(clippy::too_many_arguments)]
        fn create_oauth2_provider / create_oauth2_provider_sync(
            name: String,
            authorization_flow: String,
            invalidation_flow: String,
            redirect_uris: Vec<String>,
            signing_key: String,
            property_mappings: Option<Vec<String>>,
            client_type: Option<String>,
            sub_mode: Option<String>,
            access_code_validity: Option<String>,
            access_token_validity: Option<String>,
            refresh_token_validity: Option<String>,
        ) => json_any {
            let provider = NewOAuth2Provider {
                name,
                authorization_flow,
                invalidation_flow,
                redirect_uris: redirect_uris.into_iter().map(RedirectUri::strict).collect(),
                signing_key,
                property_mappings: property_mappings.unwrap_or_default(),
                client_type: client_type
                    .map_or(ClientType::Confidential, |t| ClientType::parse(&t)),
                sub_mode: sub_mode.map_or(SubMode::HashedUserId, |s| SubMode::parse(&s)),
                access_code_validity: access_code_validity.unwrap_or_else(|| "minutes=1".into()),
                access_token_validity: access_token_validity.unwrap_or_else(|| "minutes=10".into()),
                refresh_token_validity: refresh_token_validity.unwrap_or_else(|| "days=30".into()),
            };
            async move { c.create_oauth2_provider(&provider).await }
        }

        /// The OAuth2 provider `pk`.
        #[pyo3(signature = (pk) -> "_authentik.OAuth2Provider")]
        fn get_oauth2_provider / get_oauth2_provider_sync(pk: i64) => json_any {
            async move { c.get_oauth2_provider(pk).await }
        }

        /// Every OAuth2 provider.
        #[pyo3(signature = () -> "list[_authentik.OAuth2Provider]")]
        fn list_oauth2_providers / list_oauth2_providers_sync() => json_any {
            async move { collect_all(c.list_oauth2_providers()).await }
        }

        /// Deletes the OAuth2 provider `pk`.
        #[pyo3(signature = (pk) -> "None")]
        fn delete_oauth2_provider / delete_oauth2_provider_sync(pk: i64) => data {
            async move { c.delete_oauth2_provider(pk).await }
        }

        /// Creates an application.
        #[pyo3(signature = (
            name,
            slug,
            *,
            provider = None,
            meta_launch_url = None,
            meta_description = None,
        ) -> "_authentik.Application")]
        fn create_application / create_application_sync(
            name: String,
            slug: String,
            provider: Option<i64>,
            meta_launch_url: Option<String>,
            meta_description: Option<String>,
        ) => json_any {
            let app = NewApplication {
                name,
                slug,
                provider,
                meta_launch_url,
                meta_description,
            };
            async move { c.create_application(&app).await }
        }

        /// The application with slug `slug` (read directly, without the policy filter of the
        /// listing).
        #[pyo3(signature = (slug) -> "_authentik.Application")]
        fn get_application / get_application_sync(slug: String) => json_any {
            async move { c.get_application(&slug).await }
        }

        /// Every application (`superuser_full_list=true`).
        #[pyo3(signature = () -> "list[_authentik.Application]")]
        fn list_applications / list_applications_sync() => json_any {
            async move { collect_all(c.list_applications()).await }
        }

        /// Deletes the application with slug `slug`.
        #[pyo3(signature = (slug) -> "None")]
        fn delete_application / delete_application_sync(slug: String) => data {
            async move { c.delete_application(&slug).await }
        }

        /// The policy bindings of `target` (an application uuid).
        #[pyo3(signature = (target) -> "list[_authentik.Binding]")]
        fn list_bindings / list_bindings_sync(target: String) => json_any {
            async move { c.list_bindings(&target).await }
        }

        /// Binds group `group_pk` to application `app_pk` (idempotent).
        #[pyo3(signature = (app_pk, group_pk) -> "_authentik.Binding")]
        fn bind_group_to_application / bind_group_to_application_sync(
            app_pk: String,
            group_pk: String,
        ) => json_any {
            async move { c.bind_group_to_application(&app_pk, &group_pk).await }
        }

        /// Deletes the policy binding `pk`.
        #[pyo3(signature = (pk) -> "None")]
        fn delete_binding / delete_binding_sync(pk: String) => data {
            async move { c.delete_binding(&pk).await }
        }

        /// Discovery, OAuth2 provider, application and group binding; deletes what it created
        /// when a later step fails. `client_secret` is returned once: never log it.
        #[pyo3(signature = (
            name,
            slug,
            redirect_uris,
            *,
            group_pk = None,
            launch_url = None,
            client_type = None,
            authorization_flow_slug = None,
            invalidation_flow_slug = None,
            signing_key_name = None,
            access_token_validity = None,
            refresh_token_validity = None,
        ) -> "_authentik.SsoApp")]
        #[allow(clippy::too_many_arguments)]
        fn create_sso_app / create_sso_app_sync(
            name: String,
            slug: String,
            redirect_uris: Vec<String>,
            group_pk: Option<String>,
            launch_url: Option<String>,
            client_type: Option<String>,
            authorization_flow_slug: Option<String>,
            invalidation_flow_slug: Option<String>,
            signing_key_name: Option<String>,
            access_token_validity: Option<String>,
            refresh_token_validity: Option<String>,
        ) => sso_any {
            let mut spec = SsoAppSpec::new(name, slug, redirect_uris);
            spec.group_pk = group_pk;
            spec.launch_url = launch_url;
            if let Some(t) = client_type {
                spec.client_type = ClientType::parse(&t);
            }
            spec.authorization_flow_slug = authorization_flow_slug;
            spec.invalidation_flow_slug = invalidation_flow_slug;
            spec.signing_key_name = signing_key_name;
            spec.access_token_validity = access_token_validity;
            spec.refresh_token_validity = refresh_token_validity;
            async move { c.create_sso_app(&spec).await }
        }

        /// Creates an API token (`intent = api`) for user `user_pk`.
        #[pyo3(signature = (identifier, user_pk, *, description = None, expiring = false) -> "_authentik.Token")]
        fn create_api_token / create_api_token_sync(
            identifier: String,
            user_pk: i64,
            description: Option<String>,
            expiring: bool,
        ) => json_any {
            async move {
                c.create_api_token(&identifier, user_pk, description.as_deref(), expiring).await
            }
        }

        /// The key of token `identifier` (a secret: never log it).
        #[pyo3(signature = (identifier) -> "str")]
        fn view_token_key / view_token_key_sync(identifier: String) => secret_any {
            async move { c.view_token_key(&identifier).await }
        }

        /// Deletes token `identifier`.
        #[pyo3(signature = (identifier) -> "None")]
        fn delete_token / delete_token_sync(identifier: String) => data {
            async move { c.delete_token(&identifier).await }
        }
    }
}
