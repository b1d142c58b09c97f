//! ownCloud Infinite Scale through its libregraph API: project spaces (one
//! per tenant), their quota, and users.
//!
//! ```no_run
//! # async fn demo() -> dezky_clients::Result<()> {
//! use dezky_clients::ocis::{NewProjectSpace, OcisClient};
//!
//! let ocis = OcisClient::from_env()?; // OCIS_API_URL + the service login
//! let space = ocis
//!     .ensure_project_space("acme", &NewProjectSpace {
//!         description: Some("Acme Co".into()),
//!         quota_bytes: Some(10 << 30),
//!     })
//!     .await?;
//! println!("{:?} (created: {})", space.drive.id, space.created);
//! # Ok(())
//! # }
//! ```
//!
//! Errors are classified by HTTP status first; the OData `error.code` and
//! `message` are kept as detail ([`crate::UpstreamError::upstream_code`]),
//! and the request id comes from `X-Request-Id` or else from
//! `error.innererror["request-id"]`.

// `#[napi(object)]` (with the `napi` feature) expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

mod types;

use std::sync::Arc;

use futures_util::Stream;
use reqwest::{Method, Url};

use crate::error::{Error, Result, UpstreamError};
use crate::http::{
    Auth, HttpClient, HttpConfig, Page, Service, collect_all, decode_common_error, paginate,
    segment,
};
use crate::secret::Secret;
use crate::service_login::RefreshTokenSource;

pub use types::{
    Deleted, Drive, DriveRoot, DriveType, ErrorCode, Identity, IdentitySet, NewProjectSpace,
    NewUser, Quota, QuotaState, User,
};
use types::{
    DriveCollection, EmptyUpdate, NewDrive, NewUserBody, PasswordProfileBody, QuotaTotal,
    QuotaUpdate,
};

/// The characters OCIS refuses in a space name.
const FORBIDDEN_IN_SPACE_NAME: &[char] = &['/', '\\', '.', ':', '?', '*', '"', '>', '<', '|'];

/// The longest space name OCIS accepts, in bytes.
const MAX_SPACE_NAME_BYTES: usize = 255;

/// Checks a space name with OCIS's own rule and returns it trimmed: not empty
/// after trimming, at most 255 bytes, and none of `/ \ . : ? * " > < |` (a
/// dot is refused, so `acme.io` is not a valid name).
pub fn validate_space_name(name: &str) -> Result<&str> {
    let trimmed = name.trim();
    let refuse = |reason: String| Error::InvalidInput {
        field: "name".into(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(refuse("a space name must not be empty".into()));
    }
    if trimmed.len() > MAX_SPACE_NAME_BYTES {
        return Err(refuse(format!(
            "a space name has at most {MAX_SPACE_NAME_BYTES} bytes, this one has {}",
            trimmed.len()
        )));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| FORBIDDEN_IN_SPACE_NAME.contains(c))
    {
        return Err(refuse(format!(
            "a space name must not contain {c:?} (none of / \\ . : ? * \" > < | is allowed)"
        )));
    }
    Ok(trimmed)
}

fn require_id<'a>(field: &str, id: &'a str) -> Result<&'a str> {
    if id.trim().is_empty() {
        return Err(Error::InvalidInput {
            field: field.into(),
            reason: "must not be empty".into(),
        });
    }
    Ok(id)
}

/// OCIS as seen by the HTTP layer: OData error bodies, status-first kinds.
#[derive(Debug)]
pub struct OcisService;

impl Service for OcisService {
    fn name(&self) -> &'static str {
        "ocis"
    }

    fn decode_error(&self, body: &[u8], error: &mut UpstreamError) {
        // The kind was set from the status and stays: OCIS often sends a code
        // that disagrees with its status (`notAllowed` with 401, 403 or 400).
        decode_common_error(body, error);
        if error.request_id.is_none()
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        {
            error.request_id = value
                .pointer("/error/innererror/request-id")
                .and_then(|v| v.as_str())
                .map(|s| s.chars().take(200).collect());
        }
    }
}

/// The outcome of [`OcisClient::ensure_project_space`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsuredSpace {
    /// The space.
    pub drive: Drive,
    /// Whether this call created it (false: it existed, or was restored).
    pub created: bool,
    /// Whether this call restored it from the trash.
    pub restored: bool,
}

/// A step of [`OcisClient::remove_project_space`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalStep {
    /// Reading the space's state.
    Lookup,
    /// Disabling it (`DELETE`).
    Disable,
    /// Checking that it is trashed.
    ConfirmTrashed,
    /// Purging it (`DELETE` with `Purge: T`).
    Purge,
}

impl RemovalStep {
    /// The step's name: `lookup`, `disable`, `confirm_trashed`, `purge`.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalStep::Lookup => "lookup",
            RemovalStep::Disable => "disable",
            RemovalStep::ConfirmTrashed => "confirm_trashed",
            RemovalStep::Purge => "purge",
        }
    }
}

/// What [`OcisClient::remove_project_space`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "OcisSpaceRemoval")
)]
pub struct SpaceRemoval {
    /// The space did not exist (already purged, perhaps by an earlier call).
    pub already_gone: bool,
    /// This call disabled it (false: it was already disabled).
    pub disabled: bool,
    /// This call purged it.
    pub purged: bool,
}

/// A failed [`OcisClient::remove_project_space`]: the step that failed and
/// whether the space is disabled by then. Calling again resumes there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("removing the space failed at step {}: {error}", .step.as_str())]
pub struct RemovalError {
    /// The step that failed.
    pub step: RemovalStep,
    /// Whether the space is known to be disabled.
    pub disabled: bool,
    /// What went wrong.
    pub error: Error,
}

impl From<RemovalError> for Error {
    fn from(error: RemovalError) -> Error {
        error.error
    }
}

/// Where the next page of a listing comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    First,
    Next(Url),
}

/// A client of the OCIS libregraph API (`https://<ocis>/graph`).
#[derive(Debug, Clone)]
pub struct OcisClient {
    http: HttpClient,
}

impl OcisClient {
    /// A client for the OCIS at `config.base_url`, which may be given with or
    /// without the `/graph` suffix (`https://cloud.example` and
    /// `https://cloud.example/graph` are the same). `auth` is normally
    /// [`Auth::Tokens`] with a [`RefreshTokenSource`], or [`Auth::Bearer`].
    pub fn new(mut config: HttpConfig, auth: Auth) -> Result<Self> {
        let path = config.base_url.path().trim_end_matches('/').to_owned();
        if !path.ends_with("/graph") {
            config.base_url.set_path(&format!("{path}/graph"));
        } else {
            config.base_url.set_path(&path);
        }
        Ok(OcisClient {
            http: HttpClient::new(config, auth, OcisService)?,
        })
    }

    /// A client from the environment: `OCIS_API_URL` (with or without
    /// `/graph`), `OCIS_TIMEOUT_MS`, `OCIS_CONNECT_TIMEOUT_MS`,
    /// `OCIS_MAX_RETRIES`, and the service login `OCIS_TOKEN_URL`,
    /// `OCIS_CLIENT_ID` (default `ocis-web`) and `OCIS_CREDENTIALS_FILE`.
    /// Without `OCIS_TOKEN_URL`, a static `OCIS_ACCESS_TOKEN` is used if set.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`OcisClient::from_env`] over any lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let config = HttpConfig::from_lookup("OCIS", &lookup)?;
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let auth = if set("OCIS_TOKEN_URL").is_some() {
            Auth::Tokens(Arc::new(RefreshTokenSource::from_lookup(
                &lookup,
                Some(config.clone()),
            )?))
        } else if let Some(token) = set("OCIS_ACCESS_TOKEN") {
            Auth::Bearer(Secret::new(token.trim()))
        } else {
            return Err(Error::Config {
                field: "OCIS_TOKEN_URL".into(),
                reason: "is not set (nor OCIS_ACCESS_TOKEN)".into(),
            });
        };
        Self::new(config, auth)
    }

    /// The HTTP client underneath (for calls this client does not wrap).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn drive_path(id: &str) -> String {
        format!("/v1.0/drives/{}", segment(id))
    }

    /// Creates a project space. **Not idempotent:** OCIS does not check names,
    /// so a repeated call creates a second space; prefer
    /// [`OcisClient::ensure_project_space`]. The name is checked with
    /// [`validate_space_name`] before anything is sent, and sent trimmed.
    pub async fn create_project_space(
        &self,
        name: &str,
        options: &NewProjectSpace,
    ) -> Result<Drive> {
        let name = validate_space_name(name)?;
        if let Some(quota) = options.quota_bytes
            && quota < 0
        {
            return Err(Error::InvalidInput {
                field: "quota_bytes".into(),
                reason: "must not be negative".into(),
            });
        }
        let body = NewDrive {
            name,
            drive_type: "project",
            description: options.description.as_deref(),
            quota: options.quota_bytes.map(|total| QuotaTotal { total }),
        };
        self.http.post("/v1.0/drives").json(&body).send_json().await
    }

    /// The project space named `name`, created if there is none. An enabled
    /// space with that name is returned as is; failing that, a disabled one
    /// is restored; failing that, a new one is created. (With several enabled
    /// spaces of that name, the first listed is returned.)
    pub async fn ensure_project_space(
        &self,
        name: &str,
        options: &NewProjectSpace,
    ) -> Result<EnsuredSpace> {
        let name = validate_space_name(name)?;
        let spaces = self.list_project_spaces().await?;
        let mut matching = spaces
            .into_iter()
            .filter(|d| d.name.as_deref() == Some(name));
        let mut trashed = None;
        for drive in matching.by_ref() {
            if !drive.is_trashed() {
                return Ok(EnsuredSpace {
                    drive,
                    created: false,
                    restored: false,
                });
            }
            trashed.get_or_insert(drive);
        }
        if let Some(id) = trashed.and_then(|d| d.id) {
            let drive = self.restore_space(&id).await?;
            return Ok(EnsuredSpace {
                drive,
                created: false,
                restored: true,
            });
        }
        let drive = self.create_project_space(name, options).await?;
        Ok(EnsuredSpace {
            drive,
            created: true,
            restored: false,
        })
    }

    /// One drive by id (`<storageId>$<spaceId>`).
    pub async fn get_drive(&self, id: &str) -> Result<Drive> {
        let id = require_id("id", id)?;
        self.http.get(&Self::drive_path(id)).send_json().await
    }

    /// Every drive the caller may list (all of them for an admin), optionally
    /// filtered with a libregraph `$filter` (OCIS supports one `eq` on
    /// `driveType` or `id`; other operators are answered with 501). A `null`
    /// body or one without `value` is an empty list; `@odata.nextLink` is
    /// followed when present.
    pub fn drives(&self, filter: Option<&str>) -> impl Stream<Item = Result<Drive>> + '_ {
        let filter = filter.map(str::to_owned);
        paginate(Cursor::First, move |cursor| {
            let filter = filter.clone();
            async move {
                let request = match cursor {
                    Cursor::First => {
                        let request = self.http.get("/v1.0/drives");
                        match &filter {
                            Some(filter) => request.query("$filter", filter),
                            None => request,
                        }
                    }
                    Cursor::Next(url) => self.http.request_url(Method::GET, url),
                };
                let response = request.send().await?;
                let page: Option<DriveCollection> = response.json()?;
                let page = page.unwrap_or_default();
                let next = match page.next_link {
                    Some(link) => Some(Cursor::Next(self.next_url(&link).map_err(|reason| {
                        response.decode_error(format!("@odata.nextLink {reason}"))
                    })?)),
                    None => None,
                };
                Ok(Page {
                    items: page.value.unwrap_or_default(),
                    next,
                })
            }
        })
    }

    /// A next-page link, only if it stays on the configured server (the
    /// credential is sent with it).
    fn next_url(&self, link: &str) -> std::result::Result<Url, &'static str> {
        let base = &self.http.config().base_url;
        let url = base.join(link).map_err(|_| "is not a URL")?;
        if url.scheme() != base.scheme()
            || url.host_str() != base.host_str()
            || url.port_or_known_default() != base.port_or_known_default()
        {
            return Err("points to another server");
        }
        Ok(url)
    }

    /// Every drive, read to the end (see [`OcisClient::drives`]).
    pub async fn list_drives(&self, filter: Option<&str>) -> Result<Vec<Drive>> {
        collect_all(self.drives(filter)).await
    }

    /// Every project space (`$filter=driveType eq 'project'`), disabled ones included.
    pub async fn list_project_spaces(&self) -> Result<Vec<Drive>> {
        self.list_drives(Some("driveType eq 'project'")).await
    }

    /// Sets a space's quota in bytes; returns the updated space.
    pub async fn set_space_quota(&self, id: &str, quota_bytes: i64) -> Result<Drive> {
        let id = require_id("id", id)?;
        if quota_bytes < 0 {
            return Err(Error::InvalidInput {
                field: "quota_bytes".into(),
                reason: "must not be negative".into(),
            });
        }
        self.http
            .patch(&Self::drive_path(id))
            .json(&QuotaUpdate {
                quota: QuotaTotal { total: quota_bytes },
            })
            .idempotent(true)
            .send_json()
            .await
    }

    /// A space's quota and usage. `None` when the space reports none, which
    /// is the case for a disabled (trashed) space: its usage is unknown, and
    /// must not be read as zero.
    pub async fn space_quota(&self, id: &str) -> Result<Option<Quota>> {
        let drive = self.get_drive(id).await?;
        if drive.is_trashed() {
            return Ok(None);
        }
        Ok(drive.quota)
    }

    /// Disables (soft-deletes) a space: it goes to the trash and can be
    /// restored or purged.
    pub async fn disable_space(&self, id: &str) -> Result<()> {
        let id = require_id("id", id)?;
        self.http.delete(&Self::drive_path(id)).send().await?;
        Ok(())
    }

    /// Restores a disabled space (`PATCH` with `Restore: T` and `{}`).
    pub async fn restore_space(&self, id: &str) -> Result<Drive> {
        let id = require_id("id", id)?;
        self.http
            .patch(&Self::drive_path(id))
            .header("Restore", "T")
            .json(&EmptyUpdate {})
            .idempotent(true)
            .send_json()
            .await
    }

    /// Purges a disabled space for good (`DELETE` with `Purge: T`). OCIS
    /// refuses to purge an enabled space; this client checks first and
    /// refuses locally with [`Error::InvalidInput`] (field `id`) when the
    /// space is not disabled.
    pub async fn purge_space(&self, id: &str) -> Result<()> {
        let drive = self.get_drive(id).await?;
        if !drive.is_trashed() {
            return Err(Error::InvalidInput {
                field: "id".into(),
                reason: "the space is still enabled: disable it before purging it".into(),
            });
        }
        self.purge_disabled(id).await
    }

    async fn purge_disabled(&self, id: &str) -> Result<()> {
        self.http
            .delete(&Self::drive_path(id))
            .header("Purge", "T")
            .send()
            .await?;
        Ok(())
    }

    /// Removes a project space in its two steps: disable, confirm that it is
    /// trashed, purge. Each call starts by reading the space's state, so a
    /// call after a failure resumes at the step that failed; a space that no
    /// longer exists counts as removed (`already_gone`).
    pub async fn remove_project_space(
        &self,
        id: &str,
    ) -> std::result::Result<SpaceRemoval, RemovalError> {
        let fail = |step, disabled, error| RemovalError {
            step,
            disabled,
            error,
        };
        let mut outcome = SpaceRemoval {
            already_gone: false,
            disabled: false,
            purged: false,
        };
        let drive = match self.get_drive(id).await {
            Ok(drive) => drive,
            Err(e) if e.is_not_found() => {
                outcome.already_gone = true;
                return Ok(outcome);
            }
            Err(e) => return Err(fail(RemovalStep::Lookup, false, e)),
        };
        if !drive.is_trashed() {
            self.disable_space(id)
                .await
                .map_err(|e| fail(RemovalStep::Disable, false, e))?;
            outcome.disabled = true;
            let drive = self
                .get_drive(id)
                .await
                .map_err(|e| fail(RemovalStep::ConfirmTrashed, false, e))?;
            if !drive.is_trashed() {
                return Err(fail(
                    RemovalStep::ConfirmTrashed,
                    false,
                    Error::Decode {
                        service: "ocis".into(),
                        url: format!("GET {}", self.http.url(&Self::drive_path(id))),
                        message: "the space is not trashed after it was disabled".into(),
                    },
                ));
            }
        }
        self.purge_disabled(id)
            .await
            .map_err(|e| fail(RemovalStep::Purge, true, e))?;
        outcome.purged = true;
        Ok(outcome)
    }

    /// One user by id or login name.
    pub async fn get_user(&self, id_or_name: &str) -> Result<User> {
        let id = require_id("id", id_or_name)?;
        self.http
            .get(&format!("/v1.0/users/{}", segment(id)))
            .send_json()
            .await
    }

    /// Creates a user (admin only, and only with a writable identity backend).
    /// With Authentik as the identity provider this is normally unnecessary:
    /// OCIS creates the account on the user's first OIDC login
    /// (autoprovisioning). The id is assigned by OCIS.
    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        if user.display_name.trim().is_empty() {
            return Err(Error::InvalidInput {
                field: "display_name".into(),
                reason: "must not be empty".into(),
            });
        }
        if user.on_premises_sam_account_name.trim().is_empty() {
            return Err(Error::InvalidInput {
                field: "on_premises_sam_account_name".into(),
                reason: "must not be empty".into(),
            });
        }
        let body = NewUserBody {
            display_name: &user.display_name,
            on_premises_sam_account_name: &user.on_premises_sam_account_name,
            mail: user.mail.as_deref(),
            password_profile: user.password.as_ref().map(|p| PasswordProfileBody {
                password: p.expose(),
            }),
        };
        self.http.post("/v1.0/users").json(&body).send_json().await
    }

    /// Deletes a user (admin only); OCIS also disables and purges the user's
    /// personal space.
    pub async fn delete_user(&self, id: &str) -> Result<()> {
        let id = require_id("id", id)?;
        self.http
            .delete(&format!("/v1.0/users/{}", segment(id)))
            .send()
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_names_follow_the_server_rule() {
        assert_eq!(validate_space_name("  acme  ").ok(), Some("acme"));
        assert!(validate_space_name("Acme Co – Team 1").is_ok());
        for bad in [
            "", "   ", "acme.io", "a/b", "a\\b", "a:b", "a?", "a*", "a\"", "a>", "a<", "a|",
        ] {
            let error = validate_space_name(bad).expect_err(bad);
            assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT", "{bad}");
        }
        assert!(validate_space_name(&"a".repeat(255)).is_ok());
        assert!(validate_space_name(&"a".repeat(256)).is_err());
        // 255 bytes, not characters: 128 two-byte characters are too many.
        assert!(validate_space_name(&"é".repeat(128)).is_err());
    }

    #[test]
    fn open_enums_keep_unknown_values() {
        let quota: Quota =
            serde_json::from_str(r#"{"state":"overflowing","total":5}"#).expect("quota");
        assert_eq!(quota.state, Some(QuotaState::Other("overflowing".into())));
        let drive: Drive = serde_json::from_str(r#"{"driveType":"project"}"#).expect("drive");
        assert_eq!(drive.drive_type, Some(DriveType::Project));
        assert_eq!(
            serde_json::to_string(&QuotaState::Nearing).expect("json"),
            r#""nearing""#
        );
        assert_eq!(ErrorCode::from("notSupported"), ErrorCode::NotSupported);
    }
}
