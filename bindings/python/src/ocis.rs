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
use pyo3::types::PyDict;
use serde_json::{Value, json};

use crate::convert::{Data, data};
use crate::error::{IntoPyResult, SdkError};
use crate::options::{self, invalid};
use crate::runtime::client_methods;

impl Data for Quota {
    fn into_value(self) -> Value {
        json!({
            "total": self.total,
            "used": self.used,
            "remaining": self.remaining,
            "deleted": self.deleted,
            "state": self.state.map(String::from),
        })
    }
}

impl Data for Drive {
    fn into_value(self) -> Value {
        let trashed = self.is_trashed();
        let root = self.root.unwrap_or_default();
        json!({
            "id": self.id,
            "drive_type": self.drive_type.map(String::from),
            "name": self.name,
            "description": self.description,
            "drive_alias": self.drive_alias,
            "last_modified_date_time": self.last_modified_date_time,
            "owner_id": self.owner.and_then(|o| o.user).and_then(|u| u.id),
            "quota": self.quota.into_value(),
            "root_id": root.id,
            "web_dav_url": root.web_dav_url,
            "web_url": self.web_url,
            "trashed": trashed,
        })
    }
}

impl Data for EnsuredSpace {
    fn into_value(self) -> Value {
        json!({"drive": self.drive.into_value(), "created": self.created, "restored": self.restored})
    }
}

impl Data for SpaceRemoval {
    fn into_value(self) -> Value {
        json!({"already_gone": self.already_gone, "disabled": self.disabled, "purged": self.purged})
    }
}

impl Data for User {
    fn into_value(self) -> Value {
        json!({
            "id": self.id,
            "display_name": self.display_name,
            "on_premises_sam_account_name": self.on_premises_sam_account_name,
            "mail": self.mail,
            "given_name": self.given_name,
            "surname": self.surname,
            "user_type": self.user_type,
            "account_enabled": self.account_enabled,
        })
    }
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
        #[pyo3(signature = (name, description = None, quota_bytes = None) -> "_ocis.Drive")]
        fn create_project_space / create_project_space_sync(
            name: String,
            description: Option<String>,
            quota_bytes: Option<i64>,
        ) => data {
            let options = NewProjectSpace {
                description,
                quota_bytes,
            };
            async move { c.create_project_space(&name, &options).await }
        }

        /// The project space named `name`: found, restored from the trash, or created.
        #[pyo3(signature = (name, description = None, quota_bytes = None) -> "_ocis.EnsuredSpace")]
        fn ensure_project_space / ensure_project_space_sync(
            name: String,
            description: Option<String>,
            quota_bytes: Option<i64>,
        ) => data {
            let options = NewProjectSpace {
                description,
                quota_bytes,
            };
            async move { c.ensure_project_space(&name, &options).await }
        }

        /// One drive by id.
        #[pyo3(signature = (id) -> "_ocis.Drive")]
        fn get_drive / get_drive_sync(id: String) => data {
            async move { c.get_drive(&id).await }
        }

        /// Every drive, optionally with a libregraph `$filter` (one `eq` on `driveType` or
        /// `id`; other operators are answered with 501).
        #[pyo3(signature = (filter = None) -> "list[_ocis.Drive]")]
        fn list_drives / list_drives_sync(filter: Option<String>) => data {
            async move { c.list_drives(filter.as_deref()).await }
        }

        /// Every project space, disabled ones included.
        #[pyo3(signature = () -> "list[_ocis.Drive]")]
        fn list_project_spaces / list_project_spaces_sync() => data {
            async move { c.list_project_spaces().await }
        }

        /// Sets a space's quota in bytes.
        #[pyo3(signature = (id, quota_bytes) -> "_ocis.Drive")]
        fn set_space_quota / set_space_quota_sync(id: String, quota_bytes: i64) => data {
            async move { c.set_space_quota(&id, quota_bytes).await }
        }

        /// A space's quota; `None` for a disabled space (unknown, not zero).
        #[pyo3(signature = (id) -> "_ocis.Quota | None")]
        fn space_quota / space_quota_sync(id: String) => data {
            async move { c.space_quota(&id).await }
        }

        /// Disables (soft-deletes) a space.
        #[pyo3(signature = (id) -> "None")]
        fn disable_space / disable_space_sync(id: String) => data {
            async move { c.disable_space(&id).await }
        }

        /// Restores a disabled space.
        #[pyo3(signature = (id) -> "_ocis.Drive")]
        fn restore_space / restore_space_sync(id: String) => data {
            async move { c.restore_space(&id).await }
        }

        /// Purges a disabled space; `InvalidArgumentError` (`field == "id"`) when it is still
        /// enabled.
        #[pyo3(signature = (id) -> "None")]
        fn purge_space / purge_space_sync(id: String) => data {
            async move { c.purge_space(&id).await }
        }

        /// Disables, confirms and purges a project space. A failure's exception also has `step`
        /// (`lookup`, `disable`, `confirm_trashed`, `purge`) and `disabled`; calling again
        /// resumes there.
        #[pyo3(signature = (id) -> "_ocis.SpaceRemoval")]
        fn remove_project_space / remove_project_space_sync(id: String) => data {
            async move { c.remove_project_space(&id).await.map_err(Removal) }
        }

        /// One user by id or login name.
        #[pyo3(signature = (id_or_name) -> "_ocis.User")]
        fn get_user / get_user_sync(id_or_name: String) => data {
            async move { c.get_user(&id_or_name).await }
        }

        /// Creates a user (admin only). Users normally appear in OCIS on their first OIDC
        /// login; create one only to share a space before that.
        #[pyo3(signature = (display_name, on_premises_sam_account_name, mail = None, password = None) -> "_ocis.User")]
        fn create_user / create_user_sync(
            display_name: String,
            on_premises_sam_account_name: String,
            mail: Option<String>,
            password: Option<String>,
        ) => data {
            let user = NewUser {
                display_name,
                on_premises_sam_account_name,
                mail,
                password: password.map(Secret::new),
            };
            async move { c.create_user(&user).await }
        }

        /// Deletes a user (admin only).
        #[pyo3(signature = (id) -> "None")]
        fn delete_user / delete_user_sync(id: String) => data {
            async move { c.delete_user(&id).await }
        }
    }
}
