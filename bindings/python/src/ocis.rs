//! The OCIS libregraph client (`OcisClient`) over `dezky_clients::ocis`, with
//! the refresh-token service login and a credential file. Conversion and
//! error mapping only: every rule is in `dezky-clients` (docs/ocis-client.md).
//! Each operation is a coroutine, with a blocking `_sync` twin; records are
//! dicts with snake_case keys.

use std::sync::Arc;

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::ocis::{
    self, Drive, EnsuredSpace, NewProjectSpace, NewUser, Quota, RemovalError, SpaceRemoval, User,
};
use dezky_clients::service_login::{DEFAULT_CLIENT_ID, FileCredentialStore, RefreshTokenSource};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{IntoPyResult, SdkError};
use crate::options::{self, invalid};
use crate::runtime::client_methods;

fn quota_dict<'py>(py: Python<'py>, q: Quota) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("total", q.total)?;
    d.set_item("used", q.used)?;
    d.set_item("remaining", q.remaining)?;
    d.set_item("deleted", q.deleted)?;
    d.set_item("state", q.state.map(String::from))?;
    Ok(d)
}

fn drive_dict<'py>(py: Python<'py>, drive: Drive) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let trashed = drive.is_trashed();
    let root = drive.root.unwrap_or_default();
    d.set_item("id", drive.id)?;
    d.set_item("drive_type", drive.drive_type.map(String::from))?;
    d.set_item("name", drive.name)?;
    d.set_item("description", drive.description)?;
    d.set_item("drive_alias", drive.drive_alias)?;
    d.set_item("last_modified_date_time", drive.last_modified_date_time)?;
    d.set_item(
        "owner_id",
        drive.owner.and_then(|o| o.user).and_then(|u| u.id),
    )?;
    match drive.quota {
        Some(q) => d.set_item("quota", quota_dict(py, q)?)?,
        None => d.set_item("quota", py.None())?,
    }
    d.set_item("root_id", root.id)?;
    d.set_item("web_dav_url", root.web_dav_url)?;
    d.set_item("web_url", drive.web_url)?;
    d.set_item("trashed", trashed)?;
    Ok(d)
}

fn drive_any(py: Python<'_>, drive: Drive) -> PyResult<Bound<'_, PyAny>> {
    Ok(drive_dict(py, drive)?.into_any())
}

fn drives_any(py: Python<'_>, drives: Vec<Drive>) -> PyResult<Bound<'_, PyAny>> {
    let list = PyList::empty(py);
    for drive in drives {
        list.append(drive_dict(py, drive)?)?;
    }
    Ok(list.into_any())
}

fn quota_any(py: Python<'_>, quota: Option<Quota>) -> PyResult<Bound<'_, PyAny>> {
    match quota {
        Some(q) => Ok(quota_dict(py, q)?.into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

fn none_any(py: Python<'_>, (): ()) -> PyResult<Bound<'_, PyAny>> {
    Ok(py.None().into_bound(py))
}

fn ensured_any(py: Python<'_>, s: EnsuredSpace) -> PyResult<Bound<'_, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("drive", drive_dict(py, s.drive)?)?;
    d.set_item("created", s.created)?;
    d.set_item("restored", s.restored)?;
    Ok(d.into_any())
}

fn removal_any(py: Python<'_>, r: SpaceRemoval) -> PyResult<Bound<'_, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("already_gone", r.already_gone)?;
    d.set_item("disabled", r.disabled)?;
    d.set_item("purged", r.purged)?;
    Ok(d.into_any())
}

fn user_any(py: Python<'_>, u: User) -> PyResult<Bound<'_, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("id", u.id)?;
    d.set_item("display_name", u.display_name)?;
    d.set_item(
        "on_premises_sam_account_name",
        u.on_premises_sam_account_name,
    )?;
    d.set_item("mail", u.mail)?;
    d.set_item("given_name", u.given_name)?;
    d.set_item("surname", u.surname)?;
    d.set_item("user_type", u.user_type)?;
    d.set_item("account_enabled", u.account_enabled)?;
    Ok(d.into_any())
}

/// A failed `remove_project_space`: the underlying error plus `step` and `disabled`.
struct Removal(RemovalError);

impl std::fmt::Display for Removal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl SdkError for Removal {
    fn code(&self) -> &'static str {
        self.0.error.code()
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        self.0.error.details(details)?;
        details.set_item("step", self.0.step.as_str())?;
        details.set_item("disabled", self.0.disabled)?;
        Ok(())
    }
}

/// Checks a space name with OCIS's rule (trimmed, non-empty, at most 255 bytes, none of `/ \ .
/// : ? * " > < |`) and returns it trimmed. Raises `InvalidArgumentError` (`field == "name"`).
#[pyfunction]
pub(crate) fn validate_space_name(name: &str) -> PyResult<String> {
    ocis::validate_space_name(name).map(str::to_owned).py()
}

/// A client of the OCIS libregraph API. Create one per process and share it.
///
/// `base_url` is the OCIS URL, with or without `/graph`. Give either `access_token`, or
/// `token_url` (Authentik's `https://<authentik>/application/o/token/`) with `credentials_file`
/// (the JSON file holding the service user's refresh token) and optionally `client_id` (default
/// `ocis-web`). `timeout` and `connect_timeout` are in seconds.
#[pyclass(name = "OcisClient", module = "dezky._dezky", frozen)]
pub(crate) struct PyOcisClient {
    inner: ocis::OcisClient,
}

client_methods! {
    impl PyOcisClient {
        #[new]
        #[pyo3(signature = (
            base_url,
            *,
            access_token = None,
            token_url = None,
            client_id = None,
            credentials_file = None,
            timeout = None,
            connect_timeout = None,
            max_retries = None,
        ))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            base_url: &str,
            access_token: Option<String>,
            token_url: Option<String>,
            client_id: Option<String>,
            credentials_file: Option<String>,
            timeout: Option<f64>,
            connect_timeout: Option<f64>,
            max_retries: Option<u32>,
        ) -> PyResult<Self> {
            let config = options::http_config(base_url, timeout, connect_timeout, max_retries)?;
            let auth = match (access_token, token_url, credentials_file) {
                (Some(token), None, None) => Auth::Bearer(Secret::new(token)),
                (None, Some(token_url), Some(file)) => Auth::Tokens(Arc::new(
                    RefreshTokenSource::new(
                        &token_url,
                        client_id.unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
                        Arc::new(FileCredentialStore::new(file)),
                        Some(config.clone()),
                    )
                    .py()?,
                )),
                (None, Some(_), None) => {
                    return Err(invalid("credentials_file", "is required with token_url"));
                }
                (None, None, Some(_)) => {
                    return Err(invalid("token_url", "is required with credentials_file"));
                }
                _ => {
                    return Err(invalid(
                        "access_token",
                        "give either access_token, or token_url and credentials_file",
                    ));
                }
            };
            Ok(PyOcisClient {
                inner: ocis::OcisClient::new(config, auth).py()?,
            })
        }

        /// A client from `OCIS_API_URL` and `OCIS_TOKEN_URL`, `OCIS_CLIENT_ID`,
        /// `OCIS_CREDENTIALS_FILE` (or a static `OCIS_ACCESS_TOKEN`); `ConfigError` when they
        /// are missing.
        #[staticmethod]
        fn from_env() -> PyResult<Self> {
            Ok(PyOcisClient {
                inner: ocis::OcisClient::from_env().py()?,
            })
        }

        fn __repr__(&self) -> String {
            format!("OcisClient({})", self.inner.http().config().base_url)
        }
    }

    operations(c = self.inner.clone()) {
        /// Creates a project space. Not idempotent: prefer :meth:`ensure_project_space`.
        #[pyo3(signature = (name, description = None, quota_bytes = None))]
        fn create_project_space / create_project_space_sync(
            name: String,
            description: Option<String>,
            quota_bytes: Option<i64>,
        ) => drive_any {
            let options = NewProjectSpace {
                description,
                quota_bytes,
            };
            async move { c.create_project_space(&name, &options).await }
        }

        /// The project space named `name`: found, restored from the trash, or created.
        #[pyo3(signature = (name, description = None, quota_bytes = None))]
        fn ensure_project_space / ensure_project_space_sync(
            name: String,
            description: Option<String>,
            quota_bytes: Option<i64>,
        ) => ensured_any {
            let options = NewProjectSpace {
                description,
                quota_bytes,
            };
            async move { c.ensure_project_space(&name, &options).await }
        }

        /// One drive by id.
        fn get_drive / get_drive_sync(id: String) => drive_any {
            async move { c.get_drive(&id).await }
        }

        /// Every drive, optionally with a libregraph `$filter` (one `eq` on `driveType` or
        /// `id`; other operators are answered with 501).
        #[pyo3(signature = (filter = None))]
        fn list_drives / list_drives_sync(filter: Option<String>) => drives_any {
            async move { c.list_drives(filter.as_deref()).await }
        }

        /// Every project space, disabled ones included.
        fn list_project_spaces / list_project_spaces_sync() => drives_any {
            async move { c.list_project_spaces().await }
        }

        /// Sets a space's quota in bytes.
        fn set_space_quota / set_space_quota_sync(id: String, quota_bytes: i64) => drive_any {
            async move { c.set_space_quota(&id, quota_bytes).await }
        }

        /// A space's quota; `None` for a disabled space (unknown, not zero).
        fn space_quota / space_quota_sync(id: String) => quota_any {
            async move { c.space_quota(&id).await }
        }

        /// Disables (soft-deletes) a space.
        fn disable_space / disable_space_sync(id: String) => none_any {
            async move { c.disable_space(&id).await }
        }

        /// Restores a disabled space.
        fn restore_space / restore_space_sync(id: String) => drive_any {
            async move { c.restore_space(&id).await }
        }

        /// Purges a disabled space; `InvalidArgumentError` (`field == "id"`) when it is still
        /// enabled.
        fn purge_space / purge_space_sync(id: String) => none_any {
            async move { c.purge_space(&id).await }
        }

        /// Disables, confirms and purges a project space. A failure's exception also has `step`
        /// (`lookup`, `disable`, `confirm_trashed`, `purge`) and `disabled`; calling again
        /// resumes there.
        fn remove_project_space / remove_project_space_sync(id: String) => removal_any {
            async move { c.remove_project_space(&id).await.map_err(Removal) }
        }

        /// One user by id or login name.
        fn get_user / get_user_sync(id_or_name: String) => user_any {
            async move { c.get_user(&id_or_name).await }
        }

        /// Creates a user (admin only). Users normally appear in OCIS on their first OIDC
        /// login; create one only to share a space before that.
        #[pyo3(signature = (display_name, on_premises_sam_account_name, mail = None, password = None))]
        fn create_user / create_user_sync(
            display_name: String,
            on_premises_sam_account_name: String,
            mail: Option<String>,
            password: Option<String>,
        ) => user_any {
            let user = NewUser {
                display_name,
                on_premises_sam_account_name,
                mail,
                password: password.map(Secret::new),
            };
            async move { c.create_user(&user).await }
        }

        /// Deletes a user (admin only).
        fn delete_user / delete_user_sync(id: String) => none_any {
            async move { c.delete_user(&id).await }
        }
    }
}
