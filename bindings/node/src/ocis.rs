//! The OCIS libregraph client (`OcisClient`) over `dezky_clients::ocis`, with
//! the refresh-token service login and a credential file. Conversion only:
//! every rule is in `dezky-clients` (docs/ocis-client.md). Arguments are
//! typed (napi refuses a wrong type; `lib/arguments.cjs` names it); users and
//! quotas are the client's own records, `#[napi(object)]` there.
//!
//! Byte counts cross as numbers (exact up to 2^53 bytes, 8 PiB).

use std::sync::Arc;

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::ocis::{
    self, Drive, EnsuredSpace, NewProjectSpace, NewUser as OcisNewUser, Quota as OcisQuota,
    RemovalError, SpaceRemoval as OcisSpaceRemoval, User as OcisUser,
};
use dezky_clients::service_login::{DEFAULT_CLIENT_ID, FileCredentialStore, RefreshTokenSource};
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw};
use napi_derive::napi;

use crate::error::{IntoJs, SdkError};
use crate::options::{
    MAX_SAFE_INTEGER, Result, client_options, invalid, list, new_client, promise_methods, whole,
};
use crate::task::call;

/// A space (libregraph `drive`), with its owner and root flattened.
#[napi(object, object_from_js = false)]
pub struct OcisDrive {
    /// `<storageId>$<spaceId>`.
    pub id: Option<String>,
    /// `personal`, `project`, `virtual`, `share`, `mountpoint`, ...
    pub drive_type: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The alias (`project/acme`).
    pub drive_alias: Option<String>,
    /// When it last changed (RFC 3339).
    pub last_modified_date_time: Option<String>,
    /// The owner's user id.
    pub owner_id: Option<String>,
    /// The quota; absent for a disabled space (its usage is unknown, not zero).
    pub quota: Option<OcisQuota>,
    /// The root item's id.
    pub root_id: Option<String>,
    /// The WebDAV URL of the space.
    pub web_dav_url: Option<String>,
    /// The web UI URL.
    pub web_url: Option<String>,
    /// Whether the space is disabled (`root.deleted.state == "trashed"`).
    pub trashed: bool,
}

impl From<Drive> for OcisDrive {
    fn from(d: Drive) -> Self {
        let trashed = d.is_trashed();
        let root = d.root.unwrap_or_default();
        OcisDrive {
            id: d.id,
            drive_type: d.drive_type.map(String::from),
            name: d.name,
            description: d.description,
            drive_alias: d.drive_alias,
            last_modified_date_time: d.last_modified_date_time,
            owner_id: d.owner.and_then(|o| o.user).and_then(|u| u.id),
            quota: d.quota,
            root_id: root.id,
            web_dav_url: root.web_dav_url,
            web_url: d.web_url,
            trashed,
        }
    }
}

/// The outcome of `ensureProjectSpace`.
#[napi(object, object_from_js = false)]
pub struct OcisEnsuredSpace {
    /// The space.
    pub drive: OcisDrive,
    /// Whether this call created it.
    pub created: bool,
    /// Whether this call restored it from the trash.
    pub restored: bool,
}

impl From<EnsuredSpace> for OcisEnsuredSpace {
    fn from(s: EnsuredSpace) -> Self {
        OcisEnsuredSpace {
            drive: s.drive.into(),
            created: s.created,
            restored: s.restored,
        }
    }
}

/// The service login: access tokens minted from the refresh token kept in a file.
#[napi(object, object_to_js = false)]
pub struct OcisServiceLoginOptions {
    /// Authentik's token endpoint (`https://sso.example/application/o/token/`).
    pub token_url: String,
    /// The public OAuth client (default `ocis-web`).
    pub client_id: Option<String>,
    /// The JSON credential file holding the refresh token.
    pub credentials_file: String,
}

client_options! {
    " How to reach OCIS. Give exactly one of `accessToken` and `serviceLogin`."
    OcisClientOptions {
        " The OCIS URL, with or without `/graph`."
        base_url: String,
        " A static access token."
        access_token: Option<String>,
        " The refresh-token service login."
        service_login: Option<OcisServiceLoginOptions>,
    }
}

/// What a new project space gets besides its name.
#[napi(object, object_to_js = false)]
pub struct OcisNewProjectSpace {
    /// The description.
    pub description: Option<String>,
    /// The quota in bytes (default: the server's).
    pub quota_bytes: Option<f64>,
}

/// A byte count: a whole number up to 2^53-1.
fn bytes(value: f64, field: &str) -> Result<i64> {
    whole(value, field, MAX_SAFE_INTEGER).map(|n| n as i64)
}

/// What a new project space gets besides its name.
fn space(options: Option<OcisNewProjectSpace>) -> Result<NewProjectSpace> {
    let Some(o) = options else {
        return Ok(NewProjectSpace::default());
    };
    let quota_bytes = o.quota_bytes.map(|q| bytes(q, "options.quotaBytes"));
    Ok(NewProjectSpace {
        description: o.description,
        quota_bytes: quota_bytes.transpose()?,
    })
}

/// A failed `removeProjectSpace`: the underlying error, plus `step` and `disabled`.
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

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        self.0.error.set_details(object)?;
        object.set_named_property("step", self.0.step.as_str())?;
        object.set_named_property("disabled", self.0.disabled)?;
        Ok(())
    }
}

/// Checks a space name with OCIS's rule (trimmed, non-empty, at most 255 bytes,
/// none of `/ \ . : ? * " > < |`) and returns it trimmed; throws
/// `DEZKY_INVALID_ARGUMENT` (field `name`) otherwise.
#[napi]
pub fn validate_space_name(env: Env, name: String) -> napi::Result<String> {
    ocis::validate_space_name(&name).map(str::to_owned).js(&env)
}

/// A client of the OCIS libregraph API. Create one per process and share it.
#[napi]
pub struct OcisClient {
    inner: ocis::OcisClient,
}

#[napi]
impl OcisClient {
    /// A client from `options`. Throws `DEZKY_INVALID_ARGUMENT` or
    /// `DEZKY_CONFIG` for unusable options.
    #[napi(constructor)]
    pub fn new(env: Env, options: OcisClientOptions) -> napi::Result<Self> {
        let o = options;
        let inner = new_client(&env, o.http_config(&o.base_url), |config| {
            let auth = match (o.access_token, o.service_login) {
                (Some(token), None) => Auth::Bearer(Secret::new(token)),
                (None, Some(login)) => Auth::Tokens(Arc::new(RefreshTokenSource::new(
                    &login.token_url,
                    login
                        .client_id
                        .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
                    Arc::new(FileCredentialStore::new(login.credentials_file)),
                    Some(config.clone()),
                )?)),
                _ => {
                    return Err(invalid(
                        "options",
                        "give exactly one of accessToken and serviceLogin",
                    ));
                }
            };
            ocis::OcisClient::new(config, auth)
        })?;
        Ok(OcisClient { inner })
    }

    /// A client from `OCIS_API_URL` and the service login variables
    /// `OCIS_TOKEN_URL`, `OCIS_CLIENT_ID`, `OCIS_CREDENTIALS_FILE` (or a static
    /// `OCIS_ACCESS_TOKEN`); throws `DEZKY_CONFIG` when they are missing.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Self> {
        let inner = ocis::OcisClient::from_env().js(&env)?;
        Ok(OcisClient { inner })
    }

    /// Disables, confirms and purges a project space. On failure the error
    /// also carries `step` (`lookup`, `disable`, `confirm_trashed`, `purge`) and
    /// `disabled`; calling again resumes there.
    #[napi]
    pub fn remove_project_space<'e>(
        &self,
        env: &'e Env,
        id: String,
    ) -> napi::Result<PromiseRaw<'e, OcisSpaceRemoval>> {
        call!(
            env,
            self.inner,
            |c| async move { c.remove_project_space(&id).await.map_err(Removal) },
            |removal| removal
        )
    }
}

promise_methods!(OcisClient(ocis::OcisClient) {
    " Creates a project space (not idempotent: prefer `ensureProjectSpace`)."
    fn create_project_space(name: String, options: Option<OcisNewProjectSpace>) -> OcisDrive
        { let new = space(options)?; } |c| c.create_project_space(&name, &new).await;

    " The project space named `name`: found, restored from the trash, or created."
    fn ensure_project_space(name: String, options: Option<OcisNewProjectSpace>) -> OcisEnsuredSpace
        { let new = space(options)?; } |c| c.ensure_project_space(&name, &new).await;

    " One drive by id."
    fn get_drive(id: String) -> OcisDrive |c| c.get_drive(&id).await;

    " Every drive, optionally with a libregraph `$filter` (one `eq` on"
    " `driveType` or `id`; others are a 501)."
    fn list_drives(filter: Option<String>) -> Vec<OcisDrive>
        |c| c.list_drives(filter.as_deref()).await.map(list);

    " Every project space, disabled ones included."
    fn list_project_spaces() -> Vec<OcisDrive> |c| c.list_project_spaces().await.map(list);

    " Sets a space's quota in bytes."
    fn set_space_quota(id: String, quota_bytes: f64) -> OcisDrive
        { let quota = bytes(quota_bytes, "quotaBytes")?; } |c| c.set_space_quota(&id, quota).await;

    " A space's quota; `null` for a disabled space (unknown, not zero)."
    fn space_quota(id: String) -> Option<OcisQuota> |c| c.space_quota(&id).await;

    " Disables (soft-deletes) a space."
    fn disable_space(id: String) -> () |c| c.disable_space(&id).await;

    " Restores a disabled space."
    fn restore_space(id: String) -> OcisDrive |c| c.restore_space(&id).await;

    " Purges a disabled space; rejects with `DEZKY_INVALID_ARGUMENT` (field"
    " `id`) when it is still enabled."
    fn purge_space(id: String) -> () |c| c.purge_space(&id).await;

    " One user by id or login name."
    fn get_user(id_or_name: String) -> OcisUser |c| c.get_user(&id_or_name).await;

    " Creates a user (admin only; users normally appear on their first OIDC login)."
    fn create_user(user: OcisNewUser) -> OcisUser |c| c.create_user(&user).await;

    " Deletes a user (admin only)."
    fn delete_user(id: String) -> () |c| c.delete_user(&id).await;
});
