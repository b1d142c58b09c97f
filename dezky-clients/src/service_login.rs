//! The service login: access tokens minted from a stored OAuth refresh token.
//!
//! OCIS trusts one OpenID issuer and has no service-account login of its own,
//! so the control plane logs in once, headlessly, as its service user against
//! Authentik and keeps the refresh token. [`RefreshTokenSource`] turns that
//! refresh token into access tokens on demand:
//!
//! - `POST <token endpoint>` with
//!   `grant_type=refresh_token&refresh_token=…&client_id=<public client>`
//!   (form-encoded, no client secret);
//! - the access token is cached until shortly before its `expires_in`;
//! - refreshes are single-flight: however many callers wait for a token, one
//!   grant is made;
//! - a rotated refresh token is written to the [`CredentialStore`] (a
//!   compare-and-swap on the previous value) *before* the new access token is
//!   handed out; if the write fails, the call fails and the rotated token is
//!   kept in memory and written first on the next call (no new grant is made
//!   with the revoked token); without a new refresh token in the answer the
//!   old one stays;
//! - `invalid_grant` is terminal for the stored token:
//!   [`Error::ServiceLoginRequired`], returned at once by every later call until
//!   the store holds another refresh token.
//!
//! Neither token is ever logged: both are held in [`Secret`].

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Method, Url};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::http::{AccessTokenSource, Auth, BoxFuture, HttpClient, HttpConfig, Service};
use crate::secret::Secret;

/// The public OAuth client of the OCIS web UI, whose provider issues the
/// tokens OCIS accepts.
pub const DEFAULT_CLIENT_ID: &str = "ocis-web";

/// How long before its announced expiry an access token is replaced.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The lifetime assumed when the token endpoint announces none.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// A refresh token as kept by a [`CredentialStore`].
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The OAuth refresh token.
    pub refresh_token: Secret,
    /// When the token was obtained (the login, or the grant that rotated it).
    pub obtained_at: SystemTime,
}

impl StoredCredential {
    /// A credential obtained now.
    pub fn new(refresh_token: impl Into<Secret>) -> Self {
        StoredCredential {
            refresh_token: refresh_token.into(),
            obtained_at: SystemTime::now(),
        }
    }
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("refresh_token", &self.refresh_token)
            .field("obtained_at", &self.obtained_at)
            .finish()
    }
}

/// What a [`CredentialStore::store`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// The new credential replaced the expected previous one.
    Stored,
    /// The store no longer held the expected previous credential (another
    /// process rotated it first); nothing was written. Carries what it holds.
    Conflict(Option<StoredCredential>),
}

/// Where the service's refresh token is kept between runs.
///
/// Implementations must make [`CredentialStore::store`] a compare-and-swap:
/// write `new` only if the store still holds `previous` (compared by refresh
/// token; `None` = empty), so that two instances never both rotate.
pub trait CredentialStore: Send + Sync + fmt::Debug {
    /// The stored credential, if any.
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredCredential>>>;
    /// Replaces `previous` with `new`, atomically.
    fn store<'a>(
        &'a self,
        new: &'a StoredCredential,
        previous: Option<&'a StoredCredential>,
    ) -> BoxFuture<'a, Result<StoreOutcome>>;
}

fn same_token(a: Option<&StoredCredential>, b: Option<&StoredCredential>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.refresh_token == b.refresh_token,
        _ => false,
    }
}

/// A credential store in memory, for tests and short-lived tools.
#[derive(Debug, Default)]
pub struct MemoryCredentialStore {
    current: Mutex<Option<StoredCredential>>,
}

impl MemoryCredentialStore {
    /// A store holding `credential`.
    pub fn new(credential: Option<StoredCredential>) -> Self {
        MemoryCredentialStore {
            current: Mutex::new(credential),
        }
    }

    /// Replaces whatever is stored (a new service login).
    pub fn replace(&self, credential: Option<StoredCredential>) {
        *lock(&self.current) = credential;
    }

    /// What the store holds now.
    pub fn current(&self) -> Option<StoredCredential> {
        lock(&self.current).clone()
    }
}

impl CredentialStore for MemoryCredentialStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredCredential>>> {
        Box::pin(async move { Ok(self.current()) })
    }

    fn store<'a>(
        &'a self,
        new: &'a StoredCredential,
        previous: Option<&'a StoredCredential>,
    ) -> BoxFuture<'a, Result<StoreOutcome>> {
        Box::pin(async move {
            let mut current = lock(&self.current);
            if !same_token(current.as_ref(), previous) {
                return Ok(StoreOutcome::Conflict(current.clone()));
            }
            *current = Some(new.clone());
            Ok(StoreOutcome::Stored)
        })
    }
}

/// A poisoned lock still guards valid data here (plain values, no invariants
/// spanning a panic), so it is used as is.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A credential store in a JSON file `{"refresh_token": "…", "obtained_at": <unix seconds>}`
/// (`obtained_at` may be left out when the file is first written by hand).
///
/// Every write goes to a temporary file in the same directory, is flushed to
/// disk (`fsync`) and renamed over the file, so a crash leaves either the old
/// or the new credential, never a torn one. On unix the file is created with
/// mode 0600. The compare-and-swap holds a lock file (`<file>.lock`, created
/// exclusively) so that processes sharing the file do not interleave; a lock
/// older than 30 s is taken to be left by a crashed process and removed.
/// A file that cannot be parsed is [`Error::CredentialStore`].
#[derive(Debug, Clone)]
pub struct FileCredentialStore {
    path: PathBuf,
}

#[derive(serde::Serialize, Deserialize)]
struct CredentialFile {
    refresh_token: String,
    /// Absent in a file written by hand or by a bootstrap script: read as 0.
    #[serde(default)]
    obtained_at: u64,
}

const STALE_LOCK: Duration = Duration::from_secs(30);
const LOCK_PATIENCE: Duration = Duration::from_secs(10);

impl FileCredentialStore {
    /// A store in the file at `path` (which need not exist yet; its directory must).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileCredentialStore { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::CredentialStore {
            location: self.path.display().to_string(),
            message: message.into(),
        }
    }

    fn read(&self) -> Result<Option<StoredCredential>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot read: {e}"))),
        };
        // serde's message may quote the offending value (a token): report
        // only where and what kind of problem it is.
        let file: CredentialFile = serde_json::from_slice(&bytes).map_err(|e| {
            self.error(format!(
                "not a credential file ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if file.refresh_token.trim().is_empty() {
            return Err(self.error("the refresh token is empty"));
        }
        Ok(Some(StoredCredential {
            refresh_token: Secret::new(file.refresh_token),
            obtained_at: UNIX_EPOCH + Duration::from_secs(file.obtained_at),
        }))
    }

    fn write(&self, credential: &StoredCredential) -> Result<()> {
        let file = CredentialFile {
            refresh_token: credential.refresh_token.expose().to_owned(),
            obtained_at: credential
                .obtained_at
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| self.error(e.to_string()))?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "credential".into());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
        let result = (|| -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut out = options.open(&temp)?;
            out.write_all(&bytes)?;
            out.sync_all()?;
            drop(out);
            std::fs::rename(&temp, &self.path)?;
            // Make the rename itself durable (best effort: not every
            // platform can open a directory).
            if let Ok(dir) = std::fs::File::open(&dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&temp);
            return Err(self.error(format!("cannot write: {e}")));
        }
        Ok(())
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn with_lock<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let lock_path = self.lock_path();
        let started = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock_path)
            {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&lock_path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = std::fs::remove_file(&lock_path);
                        continue;
                    }
                    if started.elapsed() > LOCK_PATIENCE {
                        return Err(self.error(format!(
                            "lock file {} is held by another process",
                            lock_path.display()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => {
                    return Err(self.error(format!(
                        "cannot create lock file {}: {e}",
                        lock_path.display()
                    )));
                }
            }
        }
        let result = f();
        let _ = std::fs::remove_file(&lock_path);
        result
    }

    fn compare_and_swap(
        &self,
        new: &StoredCredential,
        previous: Option<&StoredCredential>,
    ) -> Result<StoreOutcome> {
        self.with_lock(|| {
            let current = self.read()?;
            if !same_token(current.as_ref(), previous) {
                return Ok(StoreOutcome::Conflict(current));
            }
            self.write(new)?;
            Ok(StoreOutcome::Stored)
        })
    }
}

impl CredentialStore for FileCredentialStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredCredential>>> {
        let this = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || this.read())
                .await
                .map_err(|e| self.error(format!("reading task failed: {e}")))?
        })
    }

    fn store<'a>(
        &'a self,
        new: &'a StoredCredential,
        previous: Option<&'a StoredCredential>,
    ) -> BoxFuture<'a, Result<StoreOutcome>> {
        let this = self.clone();
        let new = new.clone();
        let previous = previous.cloned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || this.compare_and_swap(&new, previous.as_ref()))
                .await
                .map_err(|e| self.error(format!("writing task failed: {e}")))?
        })
    }
}

/// The token endpoint's service: OAuth error bodies, no retries of grants.
#[derive(Debug)]
struct TokenEndpoint;

impl Service for TokenEndpoint {
    fn name(&self) -> &'static str {
        "authentik"
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

struct Cached {
    token: Secret,
    valid_until: Instant,
}

/// Why the source stopped asking: the refresh token the server refused and
/// the error returned since.
struct Terminal {
    refresh_token: Secret,
    error: Error,
}

/// A grant whose rotated refresh token could not be stored yet: kept in
/// memory (the old token is already revoked) and stored before anything else.
struct Pending {
    rotated: StoredCredential,
    previous: StoredCredential,
    access: Cached,
}

/// Access tokens from a stored refresh token (see the module documentation).
///
/// Cheap to share: use one per credential, behind an `Arc`, for every client
/// that uses that credential.
pub struct RefreshTokenSource {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    store: Arc<dyn CredentialStore>,
    cached: Mutex<Option<Cached>>,
    terminal: Mutex<Option<Terminal>>,
    pending: Mutex<Option<Pending>>,
    refresh: tokio::sync::Mutex<()>,
}

impl fmt::Debug for RefreshTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("store", &self.store)
            .field("access_token", &"***")
            .finish()
    }
}

impl RefreshTokenSource {
    /// A source minting tokens at `token_url` (Authentik's
    /// `https://<authentik>/application/o/token/`, taken exactly as given) for
    /// the public client `client_id`, with the refresh token kept in `store`.
    /// Timeouts and the connect timeout come from `config`, whose base URL is
    /// not used.
    pub fn new(
        token_url: &str,
        client_id: impl Into<String>,
        store: Arc<dyn CredentialStore>,
        config: Option<HttpConfig>,
    ) -> Result<Self> {
        let config_error = |reason: String| Error::Config {
            field: "token_url".into(),
            reason,
        };
        let url =
            Url::parse(token_url).map_err(|e| config_error(format!("not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(config_error("scheme is not http or https".into()));
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(config_error(
                "must not carry credentials or a query string".into(),
            ));
        }
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(Error::Config {
                field: "client_id".into(),
                reason: "is empty".into(),
            });
        }
        let mut http_config = HttpConfig::new(token_url)?;
        if let Some(config) = config {
            http_config = http_config
                .with_timeout(config.timeout)
                .with_connect_timeout(config.connect_timeout)
                .with_retry(config.retry);
            http_config.user_agent = config.user_agent;
        }
        Ok(RefreshTokenSource {
            http: HttpClient::new(http_config, Auth::None, TokenEndpoint)?,
            token_url: url,
            client_id,
            store,
            cached: Mutex::new(None),
            terminal: Mutex::new(None),
            pending: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        self.token_url.as_str()
    }

    /// The OAuth client id sent with each grant.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn cached(&self) -> Option<Secret> {
        let cached = lock(&self.cached);
        cached
            .as_ref()
            .filter(|c| Instant::now() < c.valid_until)
            .map(|c| c.token.clone())
    }

    async fn mint(&self) -> Result<Secret> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let _flight = self.refresh.lock().await;
        // Whoever held the lock before may have refreshed already.
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        // A rotated refresh token that could not be stored is stored first:
        // the token it replaced no longer works.
        let pending = lock(&self.pending).take();
        if let Some(pending) = pending {
            match self
                .store
                .store(&pending.rotated, Some(&pending.previous))
                .await
            {
                // Stored, or another process stored a token meanwhile: either
                // way the store holds a usable one now.
                Ok(_) => {
                    if Instant::now() < pending.access.valid_until {
                        let token = pending.access.token.clone();
                        *lock(&self.cached) = Some(pending.access);
                        return Ok(token);
                    }
                }
                Err(error) => {
                    *lock(&self.pending) = Some(pending);
                    return Err(error);
                }
            }
        }
        // At most two grants: the second only when another process rotated
        // the stored token while the first was in flight.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let stored = self
                .store
                .load()
                .await?
                .ok_or_else(|| Error::ServiceLoginRequired {
                    service: "ocis".into(),
                    message: "no refresh token is stored".into(),
                })?;
            {
                let mut terminal = lock(&self.terminal);
                match terminal.as_ref() {
                    Some(t) if t.refresh_token == stored.refresh_token => {
                        return Err(t.error.clone());
                    }
                    Some(_) => *terminal = None,
                    None => {}
                }
            }
            match self.grant(&stored).await {
                Ok(token) => return Ok(token),
                Err(error @ Error::ServiceLoginRequired { .. }) => {
                    let now = self.store.load().await?;
                    let rotated_meanwhile = now
                        .as_ref()
                        .is_some_and(|n| n.refresh_token != stored.refresh_token);
                    if rotated_meanwhile && attempts < 2 {
                        continue;
                    }
                    *lock(&self.terminal) = Some(Terminal {
                        refresh_token: stored.refresh_token,
                        error: error.clone(),
                    });
                    return Err(error);
                }
                Err(other) => return Err(other),
            }
        }
    }

    async fn grant(&self, stored: &StoredCredential) -> Result<Secret> {
        let sent = self
            .http
            .request_url(Method::POST, self.token_url.clone())
            .form([
                ("grant_type", "refresh_token"),
                ("refresh_token", stored.refresh_token.expose()),
                ("client_id", self.client_id.as_str()),
            ])
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(Error::Upstream(error))
                if error.status == 400
                    && error.upstream_code.as_deref() == Some("invalid_grant") =>
            {
                return Err(Error::ServiceLoginRequired {
                    service: "ocis".into(),
                    message: format!(
                        "the stored refresh token was refused (invalid_grant{})",
                        error
                            .message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                });
            }
            Err(other) => return Err(other),
        };
        let answer: TokenAnswer = response.json().map_err(|_| {
            // The body holds tokens: say only what is missing.
            response.decode_error("the token answer has no access_token")
        })?;
        if answer.access_token.is_empty() {
            return Err(response.decode_error("the token answer has an empty access_token"));
        }
        let access = Secret::new(answer.access_token);
        let lifetime = answer
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        let cached = Cached {
            token: access.clone(),
            valid_until: Instant::now() + lifetime - margin,
        };
        if let Some(new_refresh) = answer.refresh_token.filter(|t| !t.is_empty())
            && new_refresh != stored.refresh_token.expose()
        {
            let rotated = StoredCredential::new(new_refresh);
            match self.store.store(&rotated, Some(stored)).await {
                Ok(StoreOutcome::Stored) => {}
                Err(error) => {
                    // Not handed out before it is stored; kept for the next call.
                    *lock(&self.pending) = Some(Pending {
                        rotated,
                        previous: stored.clone(),
                        access: cached,
                    });
                    return Err(error);
                }
                Ok(StoreOutcome::Conflict(_)) => {
                    // Another process stored a newer token first: keep its
                    // token (the next refresh reads it) and do not refresh again.
                    tracing::warn!(
                        "the stored OCIS refresh token changed during a refresh; keeping the stored one"
                    );
                }
            }
        }
        *lock(&self.cached) = Some(cached);
        Ok(access)
    }
}

impl AccessTokenSource for RefreshTokenSource {
    fn access_token(&self) -> BoxFuture<'_, Result<Secret>> {
        Box::pin(self.mint())
    }

    fn token_rejected(&self, token: &Secret) {
        let mut cached = lock(&self.cached);
        if cached.as_ref().is_some_and(|c| &c.token == token) {
            *cached = None;
        }
    }
}

/// The service-login settings read by [`RefreshTokenSource::from_lookup`].
impl RefreshTokenSource {
    /// A source from `OCIS_TOKEN_URL` (required), `OCIS_CLIENT_ID` (default
    /// `ocis-web`) and `OCIS_CREDENTIALS_FILE` (required: a
    /// [`FileCredentialStore`]).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok(), None)
    }

    /// [`RefreshTokenSource::from_env`] over any lookup, with timeouts from `config`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        config: Option<HttpConfig>,
    ) -> Result<Self> {
        let required = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::Config {
                    field: name.to_owned(),
                    reason: "is not set".into(),
                })
        };
        let token_url = required("OCIS_TOKEN_URL")?;
        let file = required("OCIS_CREDENTIALS_FILE")?;
        let client_id = lookup("OCIS_CLIENT_ID")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
        Self::new(
            &token_url,
            client_id,
            Arc::new(FileCredentialStore::new(file)),
            config,
        )
        .map_err(|e| match e {
            Error::Config { field, reason } if field == "token_url" || field == "base_url" => {
                Error::Config {
                    field: "OCIS_TOKEN_URL".into(),
                    reason,
                }
            }
            other => other,
        })
    }
}
