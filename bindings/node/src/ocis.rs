//! The OCIS libregraph client (`OcisClient`) over `dezky_clients::ocis`, with
//! the refresh-token service login and a credential file. Conversion and
//! error mapping only: every rule is in `dezky-clients` (docs/ocis-client.md).
//!
//! Byte counts cross as numbers (exact up to 2^53 bytes, 8 PiB).

use std::sync::Arc;

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::ocis::{self, Drive, NewProjectSpace, NewUser, Quota, RemovalError, User};
use dezky_clients::service_login::{DEFAULT_CLIENT_ID, FileCredentialStore, RefreshTokenSource};
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert;
use crate::error::{IntoJs, SdkError, invalid_argument, to_js};
use crate::options::{self, Result, invalid, required, text};
use crate::task::call;

/// A space's quota, in bytes.
#[napi(object, object_from_js = false)]
pub struct OcisQuota {
    /// The allowed size.
    pub total: Option<f64>,
    /// Bytes in use.
    pub used: Option<f64>,
    /// Bytes left.
    pub remaining: Option<f64>,
    /// Bytes in the recycle bin.
    pub deleted: Option<f64>,
    /// `normal`, `nearing`, `critical`, `exceeded` (or a value OCIS adds later).
    pub state: Option<String>,
}

impl From<Quota> for OcisQuota {
    fn from(q: Quota) -> Self {
        OcisQuota {
            total: q.total.map(|v| v as f64),
            used: q.used.map(|v| v as f64),
            remaining: q.remaining.map(|v| v as f64),
            deleted: q.deleted.map(|v| v as f64),
            state: q.state.map(String::from),
        }
    }
}

/// A space (libregraph `drive`).
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
            quota: d.quota.map(OcisQuota::from),
            root_id: root.id,
            web_dav_url: root.web_dav_url,
            web_url: d.web_url,
            trashed,
        }
    }
}

/// A user (libregraph `user`).
#[napi(object, object_from_js = false)]
pub struct OcisUser {
    /// The id (a UUID).
    pub id: Option<String>,
    /// The display name.
    pub display_name: Option<String>,
    /// The login name.
    pub on_premises_sam_account_name: Option<String>,
    /// The mail address.
    pub mail: Option<String>,
    /// The given name.
    pub given_name: Option<String>,
    /// The surname.
    pub surname: Option<String>,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    /// Whether the account is enabled.
    pub account_enabled: Option<bool>,
}

impl From<User> for OcisUser {
    fn from(u: User) -> Self {
        OcisUser {
            id: u.id,
            display_name: u.display_name,
            on_premises_sam_account_name: u.on_premises_sam_account_name,
            mail: u.mail,
            given_name: u.given_name,
            surname: u.surname,
            user_type: u.user_type,
            account_enabled: u.account_enabled,
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

/// The outcome of `removeProjectSpace`.
#[napi(object, object_from_js = false)]
pub struct OcisSpaceRemoval {
    /// The space did not exist (already purged).
    pub already_gone: bool,
    /// This call disabled it.
    pub disabled: bool,
    /// This call purged it.
    pub purged: bool,
}

/// The service login: access tokens minted from the refresh token kept in a file.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct OcisServiceLoginOptions {
    /// Authentik's token endpoint (`https://sso.example/application/o/token/`).
    pub token_url: String,
    /// The public OAuth client (default `ocis-web`).
    pub client_id: Option<String>,
    /// The JSON credential file holding the refresh token.
    pub credentials_file: String,
}

/// How to reach OCIS. Give exactly one of `accessToken` and `serviceLogin`.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct OcisClientOptions {
    /// The OCIS URL, with or without `/graph`.
    pub base_url: String,
    /// A static access token.
    pub access_token: Option<String>,
    /// The refresh-token service login.
    pub service_login: Option<OcisServiceLoginOptions>,
    /// Time for one attempt (default 30000).
    pub timeout_ms: Option<u32>,
    /// Time to connect (default 5000).
    pub connect_timeout_ms: Option<u32>,
    /// Retries of safe requests (default 2, at most 10).
    pub max_retries: Option<u32>,
}

/// What a new project space gets besides its name.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct OcisNewProjectSpace {
    /// The description.
    pub description: Option<String>,
    /// The quota in bytes (default: the server's).
    pub quota_bytes: Option<f64>,
}

/// A user to create.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct OcisNewUser {
    /// The display name.
    pub display_name: String,
    /// The login name (equal to the OIDC username).
    pub on_premises_sam_account_name: String,
    /// The mail address.
    pub mail: Option<String>,
    /// An initial password.
    pub password: Option<String>,
}

fn bytes(value: Option<f64>, field: &str) -> Result<Option<i64>> {
    match value {
        None => Ok(None),
        Some(v)
            if v.is_finite()
                && v.fract() == 0.0
                && (0.0..=9_007_199_254_740_991.0).contains(&v) =>
        {
            Ok(Some(v as i64))
        }
        Some(_) => Err(invalid(
            field,
            "must be a whole number of bytes from 0 to 2^53-1",
        )),
    }
}

/// Builds the client from the options object (read as JSON, so that a wrong
/// type is a `DEZKY_INVALID_ARGUMENT` naming the field).
fn build(options: &Value) -> Result<ocis::OcisClient> {
    let Value::Object(map) = options else {
        return Err(invalid("options", "must be an object"));
    };
    let config = options::http_config(map, "options", None)?;
    let token = text(map, "accessToken", "options")?;
    let login = match map.get("serviceLogin") {
        None | Some(Value::Null) => None,
        Some(Value::Object(login)) => Some(login),
        Some(_) => return Err(invalid("options.serviceLogin", "must be an object")),
    };
    let auth = match (token, login) {
        (Some(token), None) => Auth::Bearer(Secret::new(token)),
        (None, Some(login)) => {
            let path = "options.serviceLogin";
            let token_url = text(login, "tokenUrl", path)?
                .ok_or_else(|| invalid("options.serviceLogin.tokenUrl", "is required"))?;
            let file = text(login, "credentialsFile", path)?
                .ok_or_else(|| invalid("options.serviceLogin.credentialsFile", "is required"))?;
            let client_id =
                text(login, "clientId", path)?.unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
            Auth::Tokens(Arc::new(RefreshTokenSource::new(
                &token_url,
                client_id,
                Arc::new(FileCredentialStore::new(file)),
                Some(config.clone()),
            )?))
        }
        _ => {
            return Err(invalid(
                "options",
                "give exactly one of accessToken and serviceLogin",
            ));
        }
    };
    ocis::OcisClient::new(config, auth)
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

fn string_arg(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<String> {
    convert::string(value, name).js(env)
}

/// Checks a space name with OCIS's rule (trimmed, non-empty, at most 255 bytes,
/// none of `/ \ . : ? * " > < |`) and returns it trimmed; throws
/// `DEZKY_INVALID_ARGUMENT` (field `name`) otherwise.
#[napi(ts_args_type = "name: string")]
pub fn validate_space_name(env: Env, name: Unknown<'_>) -> napi::Result<String> {
    let name = string_arg(&env, &name, "name")?;
    ocis::validate_space_name(&name).map(str::to_owned).js(&env)
}

/// A client of the OCIS libregraph API. Create one per process and share it.
#[napi]
pub struct OcisClient {
    inner: ocis::OcisClient,
}

fn reject<'e, T: napi::bindgen_prelude::ToNapiValue + 'static>(
    env: &'e Env,
    error: napi::Error,
) -> napi::Result<PromiseRaw<'e, T>> {
    PromiseRaw::reject(env, error)
}

#[napi]
impl OcisClient {
    /// A client from `options` (`baseUrl` and one of `accessToken` or
    /// `serviceLogin: { tokenUrl, clientId?, credentialsFile }`). Throws
    /// `DEZKY_INVALID_ARGUMENT` or `DEZKY_CONFIG` for unusable options.
    #[napi(constructor, ts_args_type = "options: OcisClientOptions")]
    pub fn new(env: Env, options: Unknown<'_>) -> napi::Result<Self> {
        let value = convert::json(&env, &options, "options").js(&env)?;
        let inner = build(&value).js(&env)?;
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

    /// Creates a project space (not idempotent: prefer `ensureProjectSpace`).
    #[napi(
        ts_args_type = "name: string, options?: OcisNewProjectSpace | undefined | null",
        ts_return_type = "Promise<OcisDrive>"
    )]
    pub fn create_project_space<'e>(
        &self,
        env: &'e Env,
        name: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, OcisDrive>> {
        let (name, options) = match space_args(env, &name, options.as_ref()) {
            Ok(args) => args,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.create_project_space(&name, &options).await },
            OcisDrive::from
        )
    }

    /// The project space named `name`: found, restored from the trash, or created.
    #[napi(
        ts_args_type = "name: string, options?: OcisNewProjectSpace | undefined | null",
        ts_return_type = "Promise<OcisEnsuredSpace>"
    )]
    pub fn ensure_project_space<'e>(
        &self,
        env: &'e Env,
        name: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, OcisEnsuredSpace>> {
        let (name, options) = match space_args(env, &name, options.as_ref()) {
            Ok(args) => args,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.ensure_project_space(&name, &options).await },
            |s: ocis::EnsuredSpace| OcisEnsuredSpace {
                drive: OcisDrive::from(s.drive),
                created: s.created,
                restored: s.restored,
            }
        )
    }

    /// One drive by id.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<OcisDrive>")]
    pub fn get_drive<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, OcisDrive>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.get_drive(&id).await },
            OcisDrive::from
        )
    }

    /// Every drive, optionally with a libregraph `$filter` (one `eq` on
    /// `driveType` or `id`; others are a 501).
    #[napi(
        ts_args_type = "filter?: string | undefined | null",
        ts_return_type = "Promise<OcisDrive[]>"
    )]
    pub fn list_drives<'e>(
        &self,
        env: &'e Env,
        filter: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, Vec<OcisDrive>>> {
        let filter = match filter.filter(|f| !convert::is_missing(f)) {
            None => None,
            Some(f) => match string_arg(env, &f, "filter") {
                Ok(f) => Some(f),
                Err(e) => return reject(env, e),
            },
        };
        call!(
            env,
            self.inner,
            |c| async move { c.list_drives(filter.as_deref()).await },
            |drives: Vec<Drive>| drives.into_iter().map(OcisDrive::from).collect::<Vec<_>>()
        )
    }

    /// Every project space, disabled ones included.
    #[napi(ts_return_type = "Promise<OcisDrive[]>")]
    pub fn list_project_spaces<'e>(
        &self,
        env: &'e Env,
    ) -> napi::Result<PromiseRaw<'e, Vec<OcisDrive>>> {
        call!(
            env,
            self.inner,
            |c| async move { c.list_project_spaces().await },
            |drives: Vec<Drive>| drives.into_iter().map(OcisDrive::from).collect::<Vec<_>>()
        )
    }

    /// Sets a space's quota in bytes.
    #[napi(
        ts_args_type = "id: string, quotaBytes: number",
        ts_return_type = "Promise<OcisDrive>"
    )]
    pub fn set_space_quota<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
        quota_bytes: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, OcisDrive>> {
        let args = string_arg(env, &id, "id").and_then(|id| {
            let quota = match convert::json(env, &quota_bytes, "quotaBytes").js(env)? {
                Value::Number(n) => n.as_f64(),
                _ => None,
            };
            let quota = bytes(quota, "quotaBytes")
                .and_then(|q| q.ok_or_else(|| invalid("quotaBytes", "must be a number")))
                .js(env)?;
            Ok((id, quota))
        });
        let (id, quota) = match args {
            Ok(args) => args,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.set_space_quota(&id, quota).await },
            OcisDrive::from
        )
    }

    /// A space's quota; `null` for a disabled space (unknown, not zero).
    #[napi(
        ts_args_type = "id: string",
        ts_return_type = "Promise<OcisQuota | null>"
    )]
    pub fn space_quota<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<OcisQuota>>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.space_quota(&id).await },
            |q: Option<Quota>| q.map(OcisQuota::from)
        )
    }

    /// Disables (soft-deletes) a space.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn disable_space<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.disable_space(&id).await },
            |()| ()
        )
    }

    /// Restores a disabled space.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<OcisDrive>")]
    pub fn restore_space<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, OcisDrive>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.restore_space(&id).await },
            OcisDrive::from
        )
    }

    /// Purges a disabled space; rejects with `DEZKY_INVALID_ARGUMENT` (field
    /// `id`) when it is still enabled.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn purge_space<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.purge_space(&id).await },
            |()| ()
        )
    }

    /// Disables, confirms and purges a project space. On failure the error
    /// also carries `step` (`lookup`, `disable`, `confirm_trashed`, `purge`) and
    /// `disabled`; calling again resumes there.
    #[napi(
        ts_args_type = "id: string",
        ts_return_type = "Promise<OcisSpaceRemoval>"
    )]
    pub fn remove_project_space<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, OcisSpaceRemoval>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        let client = self.inner.clone();
        env.spawn_future_with_callback(
            async move { Ok(client.remove_project_space(&id).await) },
            |env: &Env, r| match r {
                Ok(r) => Ok(OcisSpaceRemoval {
                    already_gone: r.already_gone,
                    disabled: r.disabled,
                    purged: r.purged,
                }),
                Err(e) => Err(to_js(env, &Removal(e))),
            },
        )
    }

    /// One user by id or login name.
    #[napi(
        ts_args_type = "idOrName: string",
        ts_return_type = "Promise<OcisUser>"
    )]
    pub fn get_user<'e>(
        &self,
        env: &'e Env,
        id_or_name: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, OcisUser>> {
        let id = match string_arg(env, &id_or_name, "idOrName") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.get_user(&id).await },
            OcisUser::from
        )
    }

    /// Creates a user (admin only; users normally appear on their first OIDC login).
    #[napi(
        ts_args_type = "user: OcisNewUser",
        ts_return_type = "Promise<OcisUser>"
    )]
    pub fn create_user<'e>(
        &self,
        env: &'e Env,
        user: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, OcisUser>> {
        let user = match convert::json(env, &user, "user")
            .js(env)
            .and_then(|v| new_user(&v).js(env))
        {
            Ok(user) => user,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.create_user(&user).await },
            OcisUser::from
        )
    }

    /// Deletes a user (admin only).
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn delete_user<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = match string_arg(env, &id, "id") {
            Ok(id) => id,
            Err(e) => return reject(env, e),
        };
        call!(
            env,
            self.inner,
            |c| async move { c.delete_user(&id).await },
            |()| ()
        )
    }
}

fn space_args(
    env: &Env,
    name: &Unknown<'_>,
    options: Option<&Unknown<'_>>,
) -> napi::Result<(String, NewProjectSpace)> {
    let name = string_arg(env, name, "name")?;
    let options = match options.filter(|o| !convert::is_missing(o)) {
        None => NewProjectSpace::default(),
        Some(o) => {
            let map = match convert::json(env, o, "options").js(env)? {
                Value::Null => return Ok((name, NewProjectSpace::default())),
                Value::Object(map) => map,
                _ => {
                    return Err(to_js(
                        env,
                        &invalid_argument("options", "must be an object"),
                    ));
                }
            };
            let quota = match map.get("quotaBytes") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => n.as_f64(),
                Some(_) => Some(f64::NAN),
            };
            NewProjectSpace {
                description: text(&map, "description", "options").js(env)?,
                quota_bytes: bytes(quota, "options.quotaBytes").js(env)?,
            }
        }
    };
    Ok((name, options))
}

fn new_user(value: &Value) -> Result<NewUser> {
    let Value::Object(map) = value else {
        return Err(invalid("user", "must be an object"));
    };
    let required = |name: &str| required(map, name, "user");
    Ok(NewUser {
        display_name: required("displayName")?,
        on_premises_sam_account_name: required("onPremisesSamAccountName")?,
        mail: text(map, "mail", "user")?,
        password: text(map, "password", "user")?.map(Secret::new),
    })
}
