//! Stalwart v0.16: mail domains and mailboxes through the JMAP management API.
//!
//! v0.16 manages everything with JMAP methods on registry objects (`x:Domain`,
//! `x:Account`, `x:DkimSignature`, ...) at `POST /jmap/`. [`StalwartClient`]
//! discovers the session once, keeps every call on the configured base URL
//! (the session's `apiUrl` names the public host), holds at most
//! `maxConcurrentRequests` requests in flight, cuts `/get` and `/set` calls at
//! the server's object limits and maps JMAP errors to typed errors.
//!
//! ```no_run
//! # async fn demo() -> dezky_clients::Result<()> {
//! use dezky_clients::stalwart::{NewDomain, NewMailbox, StalwartClient};
//! use dezky_clients::Secret;
//! let stalwart = StalwartClient::from_env()?;
//! let domain = stalwart.create_domain(&NewDomain::named("acme.test")).await?;
//! let mut mailbox = NewMailbox::new(&domain, "alice", Secret::new("Correct-Horse-Battery-42"));
//! mailbox.quota_bytes = Some(1 << 30);
//! let alice = stalwart.create_mailbox(&mailbox).await?;
//! stalwart.suspend_mailbox(&alice).await?;
//! # Ok(()) }
//! ```

mod jmap;
mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::{OnceCell, Semaphore};

pub use jmap::{
    CONTACTS, CORE, Call, GetResponse, Ids, JmapRequest, JmapResponse, ObjectRef, QueryResponse,
    ResultReference, STALWART, SetArgs, SetError, SetResponse, ValidationError,
};
pub use types::{
    AUTHENTICATE, CredentialInfo, DKIM_PROPERTIES, DOMAIN_PROPERTIES, DkimSignature, Domain,
    EmailAlias, MAILBOX_PROPERTIES, Mailbox, NewDomain, NewMailbox, Permissions, PermissionsList,
};

use crate::error::{Error, Result, UpstreamError, UpstreamKind};
use crate::http::{Auth, HttpClient, HttpConfig, Service, decode_common_error};
use crate::secret::Secret;
use jmap::Origin;

/// The service name in errors and spans.
pub(crate) const SERVICE: &str = "stalwart";

/// Where the session is read, under the configured base URL.
pub const SESSION_PATH: &str = "/jmap/session";

/// The server's default object limit per `/get` and `/set` call.
pub const MAX_OBJECTS: usize = 500;

/// The server's default limit of concurrent requests per account.
pub const MAX_CONCURRENT_REQUESTS: usize = 4;

#[derive(Debug)]
struct Stalwart;

impl Service for Stalwart {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn decode_error(&self, body: &[u8], error: &mut UpstreamError) {
        if !jmap::decode_problem(body, error) {
            decode_common_error(body, error);
        }
    }
}

/// What the session says about the management account and the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The authenticated user.
    pub username: Option<String>,
    /// The account of `urn:stalwart:jmap` (sent as `accountId` on `x:` calls).
    pub account_id: Option<String>,
    /// The path of the session's `apiUrl` (`/jmap/`), used under the
    /// configured base URL.
    pub api_path: String,
    /// The session's `state`.
    pub state: Option<String>,
    /// Requests held in flight at most.
    pub max_concurrent_requests: usize,
    /// Ids per `/get` call at most.
    pub max_objects_in_get: usize,
    /// Objects per `/set` call at most.
    pub max_objects_in_set: usize,
    /// Method calls per request at most, when the server says.
    pub max_calls_in_request: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSession {
    #[serde(default)]
    capabilities: BTreeMap<String, Value>,
    #[serde(default)]
    accounts: BTreeMap<String, WireAccount>,
    #[serde(default)]
    primary_accounts: BTreeMap<String, String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccount {
    #[serde(default)]
    account_capabilities: BTreeMap<String, Value>,
}

impl WireSession {
    fn into_session(self) -> Session {
        let core = self.capabilities.get(CORE);
        let limit = |name: &str| {
            core.and_then(|c| c.get(name))
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
        };
        let account_id = self.primary_accounts.get(STALWART).cloned().or_else(|| {
            self.accounts
                .iter()
                .find(|(_, a)| a.account_capabilities.contains_key(STALWART))
                .map(|(id, _)| id.clone())
        });
        let api_path = self
            .api_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok().map(|u| u.path().to_owned()))
            .or_else(|| self.api_url.filter(|u| u.starts_with('/')))
            .unwrap_or_else(|| "/jmap/".to_owned());
        Session {
            username: self.username,
            account_id,
            api_path,
            state: self.state,
            max_concurrent_requests: limit("maxConcurrentRequests")
                .unwrap_or(MAX_CONCURRENT_REQUESTS)
                .min(256),
            max_objects_in_get: limit("maxObjectsInGet")
                .unwrap_or(MAX_OBJECTS)
                .min(MAX_OBJECTS),
            max_objects_in_set: limit("maxObjectsInSet")
                .unwrap_or(MAX_OBJECTS)
                .min(MAX_OBJECTS),
            max_calls_in_request: limit("maxCallsInRequest"),
        }
    }
}

struct Connected {
    session: Session,
    api_url: Url,
    limiter: Semaphore,
}

/// The Stalwart v0.16 management client. Cheap to clone: clones share the
/// connection pool, the session and the limit on requests in flight.
#[derive(Clone)]
pub struct StalwartClient {
    http: HttpClient,
    connected: Arc<OnceCell<Connected>>,
}

impl std::fmt::Debug for StalwartClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StalwartClient")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// How polling for DKIM signatures backs off.
const DKIM_POLL_FIRST: Duration = Duration::from_millis(200);
const DKIM_POLL_MAX: Duration = Duration::from_secs(2);

impl StalwartClient {
    /// A client for the server at `config.base_url` (the internal listener,
    /// `http://stalwart:8080`), authenticating with an API key
    /// ([`Auth::Bearer`]) or an admin account ([`Auth::Basic`]).
    pub fn new(config: HttpConfig, auth: Auth) -> Result<Self> {
        Ok(StalwartClient {
            http: HttpClient::new(config, auth, Stalwart)?,
            connected: Arc::new(OnceCell::new()),
        })
    }

    /// A client configured by the environment: `STALWART_API_URL` (and the
    /// optional `STALWART_TIMEOUT_MS`, `STALWART_CONNECT_TIMEOUT_MS`,
    /// `STALWART_MAX_RETRIES`), and either `STALWART_API_KEY` (Bearer) or
    /// `STALWART_USERNAME` with `STALWART_PASSWORD` (Basic). The API key wins
    /// when both are set.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`StalwartClient::from_env`] over any lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let config = HttpConfig::from_lookup("STALWART", &lookup)?;
        let auth = Self::auth_from_lookup(&lookup)?;
        Self::new(config, auth)
    }

    /// The credential named by `STALWART_API_KEY` or
    /// `STALWART_USERNAME`/`STALWART_PASSWORD`.
    pub fn auth_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Auth> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(key) = get("STALWART_API_KEY") {
            return Ok(Auth::Bearer(Secret::new(key.trim())));
        }
        match (get("STALWART_USERNAME"), get("STALWART_PASSWORD")) {
            (Some(username), Some(password)) => Ok(Auth::Basic {
                username: username.trim().to_owned(),
                password: Secret::new(password),
            }),
            (Some(_), None) => Err(Error::Config {
                field: "STALWART_PASSWORD".into(),
                reason: "is not set (STALWART_USERNAME is)".into(),
            }),
            _ => Err(Error::Config {
                field: "STALWART_API_KEY".into(),
                reason: "is not set (nor STALWART_USERNAME and STALWART_PASSWORD)".into(),
            }),
        }
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    async fn connected(&self) -> Result<&Connected> {
        self.connected
            .get_or_try_init(|| async {
                let response = self.http.get(SESSION_PATH).send().await?;
                let wire: WireSession = response.json()?;
                let session = wire.into_session();
                let api_url = self.http.url(&session.api_path);
                Ok::<_, Error>(Connected {
                    limiter: Semaphore::new(session.max_concurrent_requests),
                    session,
                    api_url,
                })
            })
            .await
    }

    /// The session, read once (`GET /jmap/session`) and kept.
    pub async fn session(&self) -> Result<Session> {
        Ok(self.connected().await?.session.clone())
    }

    fn origin(&self, connected: &Connected) -> Origin {
        let mut url = connected.api_url.clone();
        url.set_query(None);
        Origin {
            service: SERVICE,
            url: url.to_string(),
        }
    }

    /// Sends one request. Requests that only read (`/get`, `/query`) are
    /// retried like any safe request; requests that write are not. At most
    /// `maxConcurrentRequests` requests of this client (and its clones) are in
    /// flight at once. Method errors are reported per call by
    /// [`JmapResponse::result`].
    pub async fn send(&self, mut request: JmapRequest) -> Result<JmapResponse> {
        if request.is_empty() {
            return Err(Error::invalid("methodCalls", "the request has no call"));
        }
        let connected = self.connected().await?;
        if let Some(max) = connected.session.max_calls_in_request
            && request.len() > max
        {
            return Err(Error::invalid(
                "methodCalls",
                format!("{} calls, the server takes at most {max}", request.len()),
            ));
        }
        if let Some(account) = &connected.session.account_id {
            request.default_account(account);
        }
        let read_only = request.is_read_only();
        let body = request.to_json();
        let _permit = connected
            .limiter
            .acquire()
            .await
            .map_err(|_| Error::Config {
                field: "stalwart".into(),
                reason: "the client is shut down".into(),
            })?;
        let response = self
            .http
            .request_url(Method::POST, connected.api_url.clone())
            .json(&body)
            .idempotent(read_only)
            .send()
            .await?;
        JmapResponse::from_body(&response.body, self.origin(connected))
    }

    async fn chunk_sizes(&self) -> Result<(usize, usize)> {
        let session = &self.connected().await?.session;
        Ok((session.max_objects_in_get, session.max_objects_in_set))
    }

    /// `x:<object>/get` of any number of ids, cut into calls of at most
    /// `maxObjectsInGet` ids sent concurrently (within the in-flight limit).
    /// Ids that do not exist are left out.
    pub async fn get_objects<T: DeserializeOwned>(
        &self,
        object: &str,
        ids: &[String],
        properties: Option<&[&str]>,
    ) -> Result<Vec<T>> {
        let (per_get, _) = self.chunk_sizes().await?;
        let calls = ids.chunks(per_get.max(1)).map(|chunk| async move {
            let mut request = JmapRequest::new();
            let get = request.get(object, chunk, properties);
            let response = self.send(request).await?;
            Ok::<_, Error>(response.get::<T>(&get)?.list)
        });
        let mut all = Vec::with_capacity(ids.len());
        for list in futures_util::future::try_join_all(calls).await? {
            all.extend(list);
        }
        Ok(all)
    }

    /// The ids `x:<object>/query` finds with `filter`.
    pub async fn query_ids(&self, object: &str, filter: Value) -> Result<Vec<String>> {
        let mut request = JmapRequest::new();
        let query = request.query(object, filter);
        Ok(self.send(request).await?.query(&query)?.ids)
    }

    /// Creates objects in `/set` calls of at most `maxObjectsInSet`, one after
    /// the other; returns their ids in order. The first refusal stops the
    /// run (objects of earlier calls stay created).
    pub async fn create_objects(&self, object: &str, objects: Vec<Value>) -> Result<Vec<String>> {
        let (_, per_set) = self.chunk_sizes().await?;
        let mut ids = Vec::with_capacity(objects.len());
        let mut objects = objects.into_iter().peekable();
        while objects.peek().is_some() {
            let chunk: Vec<Value> = objects.by_ref().take(per_set.max(1)).collect();
            let creation_ids: Vec<String> = (0..chunk.len()).map(|i| format!("n{i}")).collect();
            let mut request = JmapRequest::new();
            let set = request.set(
                object,
                SetArgs {
                    create: creation_ids.iter().cloned().zip(chunk).collect(),
                    ..SetArgs::default()
                },
            );
            let result = self.send(request).await?.set(&set)?;
            for cid in &creation_ids {
                ids.push(result.created_id(cid)?);
            }
        }
        Ok(ids)
    }

    /// Applies patches (by id) in `/set` calls of at most `maxObjectsInSet`.
    pub async fn update_objects(&self, object: &str, patches: Vec<(String, Value)>) -> Result<()> {
        let (_, per_set) = self.chunk_sizes().await?;
        for chunk in patches.chunks(per_set.max(1)) {
            let mut request = JmapRequest::new();
            let set = request.set(
                object,
                SetArgs {
                    update: chunk.iter().cloned().collect(),
                    ..SetArgs::default()
                },
            );
            let result = self.send(request).await?.set(&set)?;
            for (id, _) in chunk {
                result.check_updated(id)?;
            }
        }
        Ok(())
    }

    /// Destroys objects in `/set` calls of at most `maxObjectsInSet`.
    pub async fn destroy_objects(&self, object: &str, ids: &[String]) -> Result<()> {
        let (_, per_set) = self.chunk_sizes().await?;
        for chunk in ids.chunks(per_set.max(1)) {
            let mut request = JmapRequest::new();
            let set = request.set(
                object,
                SetArgs {
                    destroy: Some(Ids::List(chunk.to_vec())),
                    ..SetArgs::default()
                },
            );
            let result = self.send(request).await?.set(&set)?;
            for id in chunk {
                result.check_destroyed(id)?;
            }
        }
        Ok(())
    }

    async fn get_one<T: DeserializeOwned>(
        &self,
        object: &str,
        id: &str,
        properties: &[&str],
    ) -> Result<T> {
        check_id("id", id)?;
        let mut request = JmapRequest::new();
        let get = request.get(object, id, Some(properties));
        let response = self.send(request).await?;
        let mut result = response.get::<T>(&get)?;
        if result.list.is_empty() {
            let connected = self.connected().await?;
            let mut error = self.origin(connected).error(UpstreamKind::NotFound);
            error.upstream_code = Some("notFound".into());
            error.message = Some(format!("{object} {id} does not exist"));
            return Err(error.into());
        }
        Ok(result.list.swap_remove(0))
    }

    // ---- domains ----

    /// Creates a domain; returns its id. A name already used by a domain or
    /// an alias is [`UpstreamKind::AlreadyExists`] with the existing domain in
    /// `linked`. With automatic DKIM (the default) the signatures appear
    /// later: see [`StalwartClient::wait_for_dkim`].
    pub async fn create_domain(&self, domain: &NewDomain) -> Result<String> {
        check_name("name", &domain.name)?;
        let mut domain = domain.clone();
        domain.description = domain.description.filter(|d| !d.is_empty());
        let object =
            serde_json::to_value(&domain).map_err(|e| Error::invalid("domain", e.to_string()))?;
        let mut request = JmapRequest::new();
        let set = request.set(
            "x:Domain",
            SetArgs {
                create: BTreeMap::from([("d".to_owned(), object)]),
                ..SetArgs::default()
            },
        );
        self.send(request).await?.set(&set)?.created_id("d")
    }

    /// The domain named `name` (exact match), without its zone file.
    pub async fn find_domain(&self, name: &str) -> Result<Option<Domain>> {
        check_name("name", name)?;
        let mut request = JmapRequest::new();
        let query = request.query("x:Domain", json!({ "name": name.to_ascii_lowercase() }));
        let get = request.get("x:Domain", query.ids(), Some(DOMAIN_PROPERTIES));
        let response = self.send(request).await?;
        response.query(&query)?;
        Ok(response.get::<Domain>(&get)?.list.into_iter().next())
    }

    /// Every domain, or with `tenant_id` only the domains of that Stalwart
    /// tenant (`memberTenantId`), sorted by name and without their zone
    /// files. One `x:Domain/query` (the server's window: `queryMaxResults`,
    /// 5000 by default), then `/get` of the ids in chunks.
    pub async fn list_domains(&self, tenant_id: Option<&str>) -> Result<Vec<Domain>> {
        let filter = match tenant_id {
            Some(tenant) => {
                check_id("tenant_id", tenant)?;
                json!({ "memberTenantId": tenant })
            }
            None => json!({}),
        };
        let ids = self.query_ids("x:Domain", filter).await?;
        let mut domains: Vec<Domain> = self
            .get_objects("x:Domain", &ids, Some(DOMAIN_PROPERTIES))
            .await?;
        domains.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(domains)
    }

    /// The domain `id` with `dnsZoneFile`, the records to publish.
    pub async fn get_domain(&self, id: &str) -> Result<Domain> {
        let mut properties = DOMAIN_PROPERTIES.to_vec();
        properties.push("dnsZoneFile");
        self.get_one("x:Domain", id, &properties).await
    }

    /// The DKIM signatures of the domain `domain_id`.
    pub async fn dkim_signatures(&self, domain_id: &str) -> Result<Vec<DkimSignature>> {
        check_id("domain_id", domain_id)?;
        let mut request = JmapRequest::new();
        let query = request.query("x:DkimSignature", json!({ "domainId": domain_id }));
        let get = request.get("x:DkimSignature", query.ids(), Some(DKIM_PROPERTIES));
        let response = self.send(request).await?;
        response.query(&query)?;
        Ok(response.get(&get)?.list)
    }

    /// Polls (with backoff, 200 ms doubling up to 2 s) until the domain's
    /// DKIM signatures exist, which the server generates asynchronously
    /// after creating a domain; returns them. When none appear within
    /// `timeout`: [`Error::Timeout`] with method `WAIT`.
    pub async fn wait_for_dkim(
        &self,
        domain_id: &str,
        timeout: Duration,
    ) -> Result<Vec<DkimSignature>> {
        let deadline = Instant::now() + timeout;
        let mut pause = DKIM_POLL_FIRST;
        loop {
            let signatures = self.dkim_signatures(domain_id).await?;
            if !signatures.is_empty() {
                return Ok(signatures);
            }
            let now = Instant::now();
            if now >= deadline {
                let connected = self.connected().await?;
                return Err(Error::Timeout {
                    service: SERVICE.to_owned(),
                    method: "WAIT".to_owned(),
                    url: self.origin(connected).url,
                    after: timeout,
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(DKIM_POLL_MAX);
        }
    }

    /// Deletes a domain. While accounts, aliases, mailing lists or other
    /// objects use it: [`UpstreamKind::InUse`] with those objects in `linked`
    /// (`Account/d`, ...). When the only links are the domain's own DKIM
    /// signatures, they are destroyed and the domain with them.
    pub async fn delete_domain(&self, id: &str) -> Result<()> {
        check_id("id", id)?;
        let mut request = JmapRequest::new();
        let destroy = request.set(
            "x:Domain",
            SetArgs {
                destroy: Some(Ids::from(id)),
                ..SetArgs::default()
            },
        );
        let result = self.send(request).await?.set(&destroy)?;
        let only_dkim = result.not_destroyed.get(id).is_some_and(|e| {
            e.kind == "objectIsLinked"
                && !e.linked_objects.is_empty()
                && e.linked_objects.iter().all(|o| o.object == "DkimSignature")
        });
        if !only_dkim {
            return result.check_destroyed(id);
        }
        let mut request = JmapRequest::new();
        let query = request.query("x:DkimSignature", json!({ "domainId": id }));
        let keys = request.set(
            "x:DkimSignature",
            SetArgs {
                destroy: Some(query.ids()),
                ..SetArgs::default()
            },
        );
        let domain = request.set(
            "x:Domain",
            SetArgs {
                destroy: Some(Ids::from(id)),
                ..SetArgs::default()
            },
        );
        let response = self.send(request).await?;
        response.query(&query)?;
        if let Some(error) = response.set(&keys)?.first_error() {
            return Err(error);
        }
        response.set(&domain)?.check_destroyed(id)
    }

    // ---- mailboxes ----

    /// Creates a mailbox (an `x:Account` of type `User`) with its password
    /// and quota, then provisions its default address book so that CardDAV
    /// clients find it. Returns the account id. An address already used by
    /// an account, an alias or a list is [`UpstreamKind::AlreadyExists`];
    /// an unknown domain is [`UpstreamKind::Rejected`] naming `domainId`.
    pub async fn create_mailbox(&self, mailbox: &NewMailbox) -> Result<String> {
        check_name("name", &mailbox.name)?;
        check_id("domain_id", &mailbox.domain_id)?;
        if mailbox.password.expose().is_empty() {
            return Err(Error::invalid("password", "is empty"));
        }
        let mut request = JmapRequest::new();
        let set = request.set(
            "x:Account",
            SetArgs {
                create: BTreeMap::from([("u".to_owned(), mailbox.to_wire())]),
                ..SetArgs::default()
            },
        );
        let id = self.send(request).await?.set(&set)?.created_id("u")?;
        self.provision_address_book(&id).await?;
        Ok(id)
    }

    /// Makes the server create the account's default address book now:
    /// `AddressBook/get` on the account enumerates its books, which creates
    /// the default one when there is none (needs `impersonate`).
    pub async fn provision_address_book(&self, account_id: &str) -> Result<()> {
        check_id("account_id", account_id)?;
        let mut request = JmapRequest::new();
        request.using(CONTACTS);
        let get = request.call(
            "AddressBook/get",
            json!({ "accountId": account_id, "ids": null, "properties": ["id", "name"] }),
        );
        self.send(request).await?.result(&get)?;
        Ok(())
    }

    /// The mailbox with the address `address` (`alice@acme.test`), if any.
    pub async fn find_mailbox(&self, address: &str) -> Result<Option<Mailbox>> {
        let (local, domain) = address
            .rsplit_once('@')
            .filter(|(l, d)| !l.is_empty() && !d.is_empty())
            .ok_or_else(|| Error::invalid("address", "is not an email address"))?;
        check_name("address", address)?;
        let Some(domain) = self.find_domain(domain).await? else {
            return Ok(None);
        };
        let mut request = JmapRequest::new();
        let query = request.query("x:Account", json!({ "name": local, "domainId": domain.id }));
        let get = request.get("x:Account", query.ids(), Some(MAILBOX_PROPERTIES));
        let response = self.send(request).await?;
        response.query(&query)?;
        Ok(response
            .get::<Mailbox>(&get)?
            .list
            .into_iter()
            .find(|m| m.account_type.as_deref().is_none_or(|t| t == "User")))
    }

    /// The mailbox `id`.
    pub async fn get_mailbox(&self, id: &str) -> Result<Mailbox> {
        self.get_one("x:Account", id, MAILBOX_PROPERTIES).await
    }

    async fn permissions(&self, id: &str) -> Result<Permissions> {
        #[derive(Deserialize)]
        struct Only {
            #[serde(default)]
            permissions: Permissions,
        }
        Ok(self
            .get_one::<Only>("x:Account", id, &["permissions"])
            .await?
            .permissions)
    }

    async fn set_permissions(&self, id: &str, permissions: &Permissions) -> Result<()> {
        let value = serde_json::to_value(permissions)
            .map_err(|e| Error::invalid("permissions", e.to_string()))?;
        let mut request = JmapRequest::new();
        let set = request.set(
            "x:Account",
            SetArgs {
                update: BTreeMap::from([(id.to_owned(), json!({ "permissions": value }))]),
                ..SetArgs::default()
            },
        );
        self.send(request).await?.set(&set)?.check_updated(id)
    }

    /// Suspends a mailbox: disables its `authenticate` permission, so every
    /// login fails, keeping the password and every other permission rule.
    /// Mail is still received. Already suspended: nothing is sent.
    pub async fn suspend_mailbox(&self, id: &str) -> Result<()> {
        let current = self.permissions(id).await?;
        if current.is_suspended() {
            return Ok(());
        }
        self.set_permissions(id, &current.suspended()).await
    }

    /// Resumes a suspended mailbox: removes the `authenticate` withdrawal and
    /// keeps every other rule (a `Merge` left empty becomes `Inherit`). Not
    /// suspended: nothing is sent.
    pub async fn resume_mailbox(&self, id: &str) -> Result<()> {
        let current = self.permissions(id).await?;
        if !current.is_suspended() {
            return Ok(());
        }
        self.set_permissions(id, &current.resumed()).await
    }

    /// Sets a new password by patching only the secret of the account's
    /// `Password` credential (`credentials/<position>/secret`), so app
    /// passwords and API keys stay. An account without a password
    /// credential: [`Error::InvalidInput`] on `credentials`.
    pub async fn reset_password(&self, id: &str, password: &Secret) -> Result<()> {
        #[derive(Deserialize)]
        struct Only {
            #[serde(default, deserialize_with = "types::jmap_list::positions")]
            credentials: BTreeMap<u32, CredentialInfo>,
        }
        if password.expose().is_empty() {
            return Err(Error::invalid("password", "is empty"));
        }
        let account = self
            .get_one::<Only>("x:Account", id, &["credentials"])
            .await?;
        let position = account
            .credentials
            .iter()
            .find(|(_, c)| c.kind == "Password")
            .map(|(position, _)| *position)
            .ok_or_else(|| {
                Error::invalid("credentials", "the account has no password credential")
            })?;
        let mut request = JmapRequest::new();
        let set = request.set(
            "x:Account",
            SetArgs {
                update: BTreeMap::from([(
                    id.to_owned(),
                    json!({ format!("credentials/{position}/secret"): password.expose() }),
                )]),
                ..SetArgs::default()
            },
        );
        self.send(request).await?.set(&set)?.check_updated(id)
    }

    /// Deletes a mailbox; the server purges its data in the background.
    pub async fn delete_mailbox(&self, id: &str) -> Result<()> {
        check_id("id", id)?;
        self.destroy_objects("x:Account", &[id.to_owned()]).await
    }

    /// The ids of the accounts on a domain (up to the server's `queryMaxResults`).
    pub async fn mailbox_ids(&self, domain_id: &str) -> Result<BTreeSet<String>> {
        check_id("domain_id", domain_id)?;
        Ok(self
            .query_ids("x:Account", json!({ "domainId": domain_id }))
            .await?
            .into_iter()
            .collect())
    }
}

/// Ids are short opaque strings; anything else is refused locally.
fn check_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(field, "is not a Stalwart object id"));
    }
    Ok(())
}

fn check_name(field: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(field, "is empty"));
    }
    if name.len() > 255 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(
            field,
            "has spaces or control characters, or is too long",
        ));
    }
    Ok(())
}
