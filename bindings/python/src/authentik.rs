//! The Authentik client (`AuthentikClient`) over `dezky_clients::authentik`.
//! Conversion and error mapping only: every rule is in `dezky-clients`
//! (docs/authentik-client.md). Each operation is an awaitable with a blocking
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

use crate::error::{self, IntoPyResult};
use crate::options::{self, invalid};
use crate::runtime::client_methods;

/// A JSON value as the Python object `json.loads` makes of it.
fn value_any<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| error::invalid_argument("record", e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A record (or a list or option of records) as dicts with the API's names.
fn json_any<T: ToJson>(py: Python<'_>, record: T) -> PyResult<Bound<'_, PyAny>> {
    value_any(py, &record.to_json())
}

fn none_any(py: Python<'_>, (): ()) -> PyResult<Bound<'_, PyAny>> {
    Ok(py.None().into_bound(py))
}

fn secret_any(py: Python<'_>, secret: Secret) -> PyResult<Bound<'_, PyAny>> {
    Ok(pyo3::types::PyString::new(py, secret.expose()).into_any())
}

fn summary_any(py: Python<'_>, summary: AuthenticatorSummary) -> PyResult<Bound<'_, PyAny>> {
    let has_mfa = summary.has_mfa();
    let mut value = summary.to_json();
    value["has_mfa"] = Value::Bool(has_mfa);
    value_any(py, &value)
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

/// A dict argument as a JSON object (through `json.dumps`, so only JSON values pass).
fn json_arg(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Value>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if !obj.is_instance_of::<PyDict>() {
        return Err(invalid(name, "must be a dict"));
    }
    let text: String = obj
        .py()
        .import("json")?
        .call_method1("dumps", (obj,))
        .map_err(|_| invalid(name, "must hold JSON values only"))?
        .extract()?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|_| invalid(name, "must hold JSON values only"))
}

/// A `dict[str, str]` argument as pairs.
fn string_map(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    match json_arg(name, obj)? {
        None => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                _ => Err(invalid(&format!("{name}.{k}"), "must be a str")),
            })
            .collect(),
        Some(_) => Err(invalid(name, "must be a dict")),
    }
}

/// A client of the Authentik API v3.
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

        /// A client from `AUTHENTIK_API_URL` and `AUTHENTIK_API_TOKEN`.
        #[staticmethod]
        fn from_env() -> PyResult<Self> {
            Ok(PyAuthentikClient {
                inner: authentik::AuthentikClient::from_env().py()?,
            })
        }

        fn issuer_for(&self, slug: &str) -> String {
            self.inner.issuer_for(slug)
        }

        fn __repr__(&self) -> String {
            format!("AuthentikClient({})", self.inner.http().config().base_url)
        }
    }

    operations(c = self.inner.clone()) {
        fn list_groups / list_groups_sync() => json_any {
            async move { collect_all(c.list_groups()).await }
        }

        #[pyo3(signature = (name))]
        fn find_group_by_name / find_group_by_name_sync(name: String) => json_any {
            async move { c.find_group_by_name(&name).await }
        }

        #[pyo3(signature = (name, tenant_slug, tenant_id))]
        fn ensure_group / ensure_group_sync(
            name: String,
            tenant_slug: String,
            tenant_id: String,
        ) => json_any {
            async move { c.ensure_group(&name, &tenant_slug, &tenant_id).await }
        }

        #[pyo3(signature = (pk))]
        fn get_group / get_group_sync(pk: String) => json_any {
            async move { c.get_group(&pk).await }
        }

        #[pyo3(signature = (pk))]
        fn delete_group / delete_group_sync(pk: String) => none_any {
            async move { c.delete_group(&pk).await }
        }

        #[pyo3(signature = (group_pk, user_pk))]
        fn add_user_to_group / add_user_to_group_sync(group_pk: String, user_pk: i64) => none_any {
            async move { c.add_user_to_group(&group_pk, user_pk).await }
        }

        #[pyo3(signature = (group_pk, user_pk))]
        fn remove_user_from_group / remove_user_from_group_sync(
            group_pk: String,
            user_pk: i64,
        ) => none_any {
            async move { c.remove_user_from_group(&group_pk, user_pk).await }
        }

        #[pyo3(signature = (email, name, *, groups = None, is_active = true, path = None, r#type = None, attributes = None))]
        #[allow(clippy::too_many_arguments)]
        fn create_user / create_user_sync(
            email: String,
            name: String,
            groups: Option<Vec<String>>,
            is_active: bool,
            path: Option<String>,
            r#type: Option<String>,
            attributes: Option<Bound<'py, PyAny>>,
        ) => json_any {
            let user = NewUser {
                email,
                name,
                groups: groups.unwrap_or_default(),
                is_active,
                path,
                user_type: r#type.map(|t| UserType::parse(&t)),
                attributes: json_arg("attributes", attributes.as_ref())?,
            };
            async move { c.create_user(&user).await }
        }

        #[pyo3(signature = (pk))]
        fn get_user / get_user_sync(pk: i64) => json_any {
            async move { c.get_user(pk).await }
        }

        #[pyo3(signature = (filters = None))]
        fn list_users / list_users_sync(filters: Option<Bound<'py, PyAny>>) => json_any {
            let filters = string_map("filters", filters.as_ref())?;
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

        #[pyo3(signature = (username))]
        fn find_user_by_username / find_user_by_username_sync(username: String) => json_any {
            async move { c.find_user_by_username(&username).await }
        }

        #[pyo3(signature = (email))]
        fn find_users_by_email / find_users_by_email_sync(email: String) => json_any {
            async move { c.find_users_by_email(&email).await }
        }

        #[pyo3(signature = (pk, password))]
        fn set_password / set_password_sync(pk: i64, password: String) => none_any {
            let password = Secret::new(password);
            async move { c.set_password(pk, &password).await }
        }

        #[pyo3(signature = (pk))]
        fn suspend_user / suspend_user_sync(pk: i64) => json_any {
            async move { c.suspend_user(pk).await }
        }

        #[pyo3(signature = (pk))]
        fn resume_user / resume_user_sync(pk: i64) => json_any {
            async move { c.resume_user(pk).await }
        }

        #[pyo3(signature = (pk))]
        fn delete_user / delete_user_sync(pk: i64) => none_any {
            async move { c.delete_user(pk).await }
        }

        #[pyo3(signature = (pk))]
        fn recovery_link / recovery_link_sync(pk: i64) => secret_any {
            async move { c.recovery_link(pk).await }
        }

        #[pyo3(signature = (username))]
        fn list_user_sessions / list_user_sessions_sync(username: String) => json_any {
            async move { c.list_user_sessions(&username).await }
        }

        #[pyo3(signature = (username, user_pk))]
        fn terminate_user_sessions / terminate_user_sessions_sync(
            username: String,
            user_pk: i64,
        ) => json_any {
            async move { c.terminate_user_sessions(&username, user_pk).await }
        }

        #[pyo3(signature = (user_pk))]
        fn list_authenticators / list_authenticators_sync(user_pk: i64) => json_any {
            async move { c.list_authenticators(user_pk).await }
        }

        #[pyo3(signature = (user_pk))]
        fn count_authenticators / count_authenticators_sync(user_pk: i64) => summary_any {
            async move { c.count_authenticators(user_pk).await }
        }

        #[pyo3(signature = (designation, slug))]
        fn find_flow / find_flow_sync(designation: String, slug: String) => json_any {
            async move { c.find_flow(&FlowDesignation::parse(&designation), &slug).await }
        }

        fn list_signing_keys / list_signing_keys_sync() => json_any {
            async move { c.list_signing_keys().await }
        }

        #[pyo3(signature = (preferred_name = None))]
        fn discover_signing_key / discover_signing_key_sync(
            preferred_name: Option<String>,
        ) => json_any {
            async move { c.discover_signing_key(preferred_name.as_deref()).await }
        }

        #[pyo3(signature = (managed))]
        fn scope_mappings / scope_mappings_sync(managed: Vec<String>) => json_any {
            async move {
                c.scope_mappings(&managed.iter().map(String::as_str).collect::<Vec<_>>()).await
            }
        }

        #[pyo3(signature = (name, authorization_flow, invalidation_flow, redirect_uris, signing_key, *, property_mappings = None, client_type = None, sub_mode = None, access_code_validity = None, access_token_validity = None, refresh_token_validity = None))]
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

        #[pyo3(signature = (pk))]
        fn get_oauth2_provider / get_oauth2_provider_sync(pk: i64) => json_any {
            async move { c.get_oauth2_provider(pk).await }
        }

        fn list_oauth2_providers / list_oauth2_providers_sync() => json_any {
            async move { collect_all(c.list_oauth2_providers()).await }
        }

        #[pyo3(signature = (pk))]
        fn delete_oauth2_provider / delete_oauth2_provider_sync(pk: i64) => none_any {
            async move { c.delete_oauth2_provider(pk).await }
        }

        #[pyo3(signature = (name, slug, *, provider = None, meta_launch_url = None, meta_description = None))]
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

        #[pyo3(signature = (slug))]
        fn get_application / get_application_sync(slug: String) => json_any {
            async move { c.get_application(&slug).await }
        }

        fn list_applications / list_applications_sync() => json_any {
            async move { collect_all(c.list_applications()).await }
        }

        #[pyo3(signature = (slug))]
        fn delete_application / delete_application_sync(slug: String) => none_any {
            async move { c.delete_application(&slug).await }
        }

        #[pyo3(signature = (target))]
        fn list_bindings / list_bindings_sync(target: String) => json_any {
            async move { c.list_bindings(&target).await }
        }

        #[pyo3(signature = (app_pk, group_pk))]
        fn bind_group_to_application / bind_group_to_application_sync(
            app_pk: String,
            group_pk: String,
        ) => json_any {
            async move { c.bind_group_to_application(&app_pk, &group_pk).await }
        }

        #[pyo3(signature = (pk))]
        fn delete_binding / delete_binding_sync(pk: String) => none_any {
            async move { c.delete_binding(&pk).await }
        }

        #[pyo3(signature = (name, slug, redirect_uris, *, group_pk = None, launch_url = None, client_type = None, authorization_flow_slug = None, invalidation_flow_slug = None, signing_key_name = None, access_token_validity = None, refresh_token_validity = None))]
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

        #[pyo3(signature = (identifier, user_pk, *, description = None, expiring = false))]
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

        #[pyo3(signature = (identifier))]
        fn view_token_key / view_token_key_sync(identifier: String) => secret_any {
            async move { c.view_token_key(&identifier).await }
        }

        #[pyo3(signature = (identifier))]
        fn delete_token / delete_token_sync(identifier: String) => none_any {
            async move { c.delete_token(&identifier).await }
        }
    }
}
