//! The Stalwart v0.16 management client (`StalwartClient`) over
//! `dezky_clients::stalwart`. Conversion and error mapping only: every rule is
//! in `dezky-clients` (docs/stalwart-client.md).
//!
//! Byte counts cross as numbers (exact up to 2^53 bytes, 8 PiB).

use std::collections::HashMap;
use std::time::Duration;

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::stalwart::{
    self, CredentialInfo, DkimSignature, Domain, EmailAlias, Mailbox, NewDomain, NewMailbox,
    Permissions,
};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert;
use crate::error::IntoJs;
use crate::options::{self, Result, flag, invalid, object, required, text, whole};
use crate::task::call as run;

/// A mail domain (`x:Domain`).
#[napi(object, object_from_js = false)]
pub struct StalwartDomain {
    /// The object id.
    pub id: String,
    /// The domain name.
    pub name: String,
    /// Alias domain names.
    pub aliases: Vec<String>,
    /// Whether the domain accepts mail.
    pub is_enabled: Option<bool>,
    /// The description.
    pub description: Option<String>,
    /// The catch-all address.
    pub catch_all_address: Option<String>,
    /// Whether relaying is allowed.
    pub allow_relaying: Option<bool>,
    /// When it was created (UTC).
    pub created_at: Option<String>,
    /// The DNS records to publish as a zone file (`getDomain` only).
    pub dns_zone_file: Option<String>,
}

impl From<Domain> for StalwartDomain {
    fn from(d: Domain) -> Self {
        StalwartDomain {
            id: d.id,
            name: d.name,
            aliases: d.aliases.into_iter().collect(),
            is_enabled: d.is_enabled,
            description: d.description,
            catch_all_address: d.catch_all_address,
            allow_relaying: d.allow_relaying,
            created_at: d.created_at,
            dns_zone_file: d.dns_zone_file,
        }
    }
}

/// A DKIM signature of a domain (its private key is never read).
#[napi(object, object_from_js = false)]
pub struct StalwartDkimSignature {
    /// The object id.
    pub id: String,
    /// `Dkim1Ed25519Sha256`, `Dkim1RsaSha256`, `Dkim2Ed25519Sha256` or `Dkim2RsaSha256`.
    pub algorithm: String,
    /// The domain's id.
    pub domain_id: String,
    /// The selector (`<selector>._domainkey.<domain>`).
    pub selector: String,
    /// `active`, `pending`, `retiring` or `retired`.
    pub stage: Option<String>,
    /// The public key (PEM).
    pub public_key: Option<String>,
    /// When it was created.
    pub created_at: Option<String>,
    /// When its rotation moves it to the next stage.
    pub next_transition_at: Option<String>,
}

impl From<DkimSignature> for StalwartDkimSignature {
    fn from(s: DkimSignature) -> Self {
        StalwartDkimSignature {
            id: s.id,
            algorithm: s.algorithm,
            domain_id: s.domain_id,
            selector: s.selector,
            stage: s.stage,
            public_key: s.public_key,
            created_at: s.created_at,
            next_transition_at: s.next_transition_at,
        }
    }
}

/// An account's own permission rules.
#[napi(object, object_from_js = false)]
pub struct StalwartPermissions {
    /// `Inherit` (the roles' permissions), `Merge` or `Replace`.
    #[napi(js_name = "type", ts_type = "'Inherit' | 'Merge' | 'Replace'")]
    pub kind: String,
    /// Permissions granted (`Merge`, `Replace`).
    pub enabled_permissions: Vec<String>,
    /// Permissions withdrawn (`Merge`, `Replace`).
    pub disabled_permissions: Vec<String>,
}

impl From<Permissions> for StalwartPermissions {
    fn from(p: Permissions) -> Self {
        let (kind, list) = match p {
            Permissions::Inherit => ("Inherit", None),
            Permissions::Merge(list) => ("Merge", Some(list)),
            Permissions::Replace(list) => ("Replace", Some(list)),
        };
        let list = list.unwrap_or_default();
        StalwartPermissions {
            kind: kind.to_owned(),
            enabled_permissions: list.enabled_permissions.into_iter().collect(),
            disabled_permissions: list.disabled_permissions.into_iter().collect(),
        }
    }
}

/// A credential of an account, without its secret.
#[napi(object, object_from_js = false)]
pub struct StalwartCredential {
    /// `Password`, `AppPassword` or `ApiKey`.
    pub kind: String,
    /// The server's id of the credential.
    pub credential_id: Option<String>,
    /// When it expires.
    pub expires_at: Option<String>,
}

impl From<CredentialInfo> for StalwartCredential {
    fn from(c: CredentialInfo) -> Self {
        StalwartCredential {
            kind: c.kind,
            credential_id: c.credential_id,
            expires_at: c.expires_at,
        }
    }
}

/// An additional address of an account.
#[napi(object, object_from_js = false)]
pub struct StalwartEmailAlias {
    /// The local part.
    pub name: String,
    /// The alias's domain id.
    pub domain_id: String,
    /// Whether it receives mail.
    pub enabled: Option<bool>,
    /// The description.
    pub description: Option<String>,
}

impl From<EmailAlias> for StalwartEmailAlias {
    fn from(a: EmailAlias) -> Self {
        StalwartEmailAlias {
            name: a.name,
            domain_id: a.domain_id,
            enabled: a.enabled,
            description: a.description,
        }
    }
}

/// A mailbox (an `x:Account` of type `User`).
#[napi(object, object_from_js = false)]
pub struct StalwartMailbox {
    /// The object id.
    pub id: String,
    /// The local part of the address.
    pub name: String,
    /// The domain's id.
    pub domain_id: String,
    /// `name@domain`.
    pub email_address: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The `maxDiskQuota` in bytes.
    pub quota_bytes: Option<f64>,
    /// Every quota by `StorageQuota` name (`maxDiskQuota`, `maxEmails`, ...).
    pub quotas: HashMap<String, f64>,
    /// Whether logins are refused (`authenticate` disabled).
    pub suspended: bool,
    /// The account's own permission rules.
    pub permissions: StalwartPermissions,
    /// The credentials, in list order.
    pub credentials: Vec<StalwartCredential>,
    /// Additional addresses.
    pub aliases: Vec<StalwartEmailAlias>,
    /// The groups it belongs to.
    pub member_group_ids: Vec<String>,
    /// The locale (`en_US`).
    pub locale: Option<String>,
    /// When it was created.
    pub created_at: Option<String>,
    /// Bytes in use.
    pub used_disk_quota: Option<f64>,
}

impl From<Mailbox> for StalwartMailbox {
    fn from(m: Mailbox) -> Self {
        StalwartMailbox {
            suspended: m.is_suspended(),
            quota_bytes: m.quota_bytes().map(|q| q as f64),
            id: m.id,
            name: m.name,
            domain_id: m.domain_id,
            email_address: m.email_address,
            description: m.description,
            quotas: m.quotas.into_iter().map(|(k, v)| (k, v as f64)).collect(),
            permissions: m.permissions.into(),
            credentials: m.credentials.into_iter().map(Into::into).collect(),
            aliases: m.aliases.into_iter().map(Into::into).collect(),
            member_group_ids: m.member_group_ids.into_iter().collect(),
            locale: m.locale,
            created_at: m.created_at,
            used_disk_quota: m.used_disk_quota.map(|u| u as f64),
        }
    }
}

/// How to reach Stalwart. Give `apiKey`, or `username` and `password`.
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StalwartClientOptions {
    /// The server's URL, normally the internal listener (`http://stalwart:8080`).
    pub base_url: String,
    /// An API key (`API_...`), sent as a Bearer token.
    pub api_key: Option<String>,
    /// An admin account name (Basic authentication).
    pub username: Option<String>,
    /// Its password.
    pub password: Option<String>,
    /// Time for one attempt (default 30000).
    pub timeout_ms: Option<u32>,
    /// Time to connect (default 5000).
    pub connect_timeout_ms: Option<u32>,
    /// Retries of read-only requests (default 2, at most 10).
    pub max_retries: Option<u32>,
}

/// A domain to create.
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StalwartNewDomain {
    /// The domain name.
    pub name: String,
    /// A description.
    pub description: Option<String>,
    /// Alias domain names.
    pub aliases: Option<Vec<String>>,
    /// Whether the domain accepts mail (server default `true`).
    pub is_enabled: Option<bool>,
    /// The catch-all address.
    pub catch_all_address: Option<String>,
    /// Whether relaying is allowed.
    pub allow_relaying: Option<bool>,
}

/// A mailbox to create.
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StalwartNewMailbox {
    /// The domain's id.
    pub domain_id: String,
    /// The local part of the address.
    pub name: String,
    /// The password.
    pub password: String,
    /// The `maxDiskQuota` in bytes.
    pub quota_bytes: Option<f64>,
    /// A description.
    pub description: Option<String>,
    /// The locale (`de_DE`), when not the server's default.
    pub locale: Option<String>,
}

fn millis(value: &Value) -> Result<Duration> {
    let mut map = Map::new();
    map.insert("timeoutMs".into(), value.clone());
    whole(&map, "timeoutMs", "", u64::from(u32::MAX))?
        .map(Duration::from_millis)
        .ok_or_else(|| invalid("timeoutMs", "is required"))
}

fn build(options: &Value) -> Result<stalwart::StalwartClient> {
    let map = object(options, "options")?;
    let config = options::http_config(map, "options", None)?;
    let auth = match (
        text(map, "apiKey", "options")?,
        text(map, "username", "options")?,
        text(map, "password", "options")?,
    ) {
        (Some(key), None, None) => Auth::Bearer(Secret::new(key)),
        (None, Some(username), Some(password)) => Auth::Basic {
            username,
            password: Secret::new(password),
        },
        _ => {
            return Err(invalid("options", "give apiKey, or username and password"));
        }
    };
    stalwart::StalwartClient::new(config, auth)
}

fn new_domain(value: &Value) -> Result<NewDomain> {
    let map = object(value, "domain")?;
    let aliases = match map.get("aliases") {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(&format!("domain.aliases[{i}]"), "must be a string"))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(invalid("domain.aliases", "must be an array of strings")),
    };
    Ok(NewDomain {
        name: required(map, "name", "domain")?,
        description: text(map, "description", "domain")?,
        aliases,
        is_enabled: flag(map, "isEnabled", "domain")?,
        catch_all_address: text(map, "catchAllAddress", "domain")?,
        allow_relaying: flag(map, "allowRelaying", "domain")?,
    })
}

fn new_mailbox(value: &Value) -> Result<NewMailbox> {
    let map = object(value, "mailbox")?;
    let mut mailbox = NewMailbox::new(
        required(map, "domainId", "mailbox")?,
        required(map, "name", "mailbox")?,
        Secret::new(required(map, "password", "mailbox")?),
    );
    mailbox.quota_bytes = whole(map, "quotaBytes", "mailbox", 9_007_199_254_740_991)?;
    mailbox.description = text(map, "description", "mailbox")?;
    mailbox.locale = text(map, "locale", "mailbox")?;
    Ok(mailbox)
}

/// A client of Stalwart's JMAP management API. Create one per process and
/// share it: it reads the session once and keeps at most the server's
/// `maxConcurrentRequests` requests in flight.
#[napi]
pub struct StalwartClient {
    inner: stalwart::StalwartClient,
}

/// Reads a string argument, or returns a rejected promise.
macro_rules! arg {
    ($env:expr, $value:expr, $name:expr) => {
        match convert::string(&$value, $name).js($env) {
            Ok(value) => value,
            Err(e) => return PromiseRaw::reject($env, e),
        }
    };
}

/// Reads an object argument with `$read`, or returns a rejected promise.
macro_rules! record {
    ($env:expr, $value:expr, $name:expr, $read:expr) => {
        match convert::json($env, &$value, $name)
            .js($env)
            .and_then(|v| ($read)(&v).js($env))
        {
            Ok(value) => value,
            Err(e) => return PromiseRaw::reject($env, e),
        }
    };
}

#[napi]
impl StalwartClient {
    /// A client from `options` (`baseUrl`, and `apiKey` or `username` with
    /// `password`). Throws `DEZKY_INVALID_ARGUMENT` or `DEZKY_CONFIG` for
    /// unusable options.
    #[napi(constructor, ts_args_type = "options: StalwartClientOptions")]
    pub fn new(env: Env, options: Unknown<'_>) -> napi::Result<Self> {
        let value = convert::json(&env, &options, "options").js(&env)?;
        let inner = build(&value).js(&env)?;
        Ok(StalwartClient { inner })
    }

    /// A client from `STALWART_API_URL` and `STALWART_API_KEY` (or
    /// `STALWART_USERNAME` and `STALWART_PASSWORD`); throws `DEZKY_CONFIG`
    /// when they are missing.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Self> {
        let inner = stalwart::StalwartClient::from_env().js(&env)?;
        Ok(StalwartClient { inner })
    }

    /// Creates a domain; resolves to its id. A taken name rejects with
    /// `DEZKY_ALREADY_EXISTS` (the existing domain in `linked`).
    #[napi(
        ts_args_type = "domain: StalwartNewDomain",
        ts_return_type = "Promise<string>"
    )]
    pub fn create_domain<'e>(
        &self,
        env: &'e Env,
        domain: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let domain = record!(env, domain, "domain", new_domain);
        run!(
            env,
            self.inner,
            |c| async move { c.create_domain(&domain).await },
            |id| id
        )
    }

    /// The domain named `name`, or `null`; without its zone file.
    #[napi(
        ts_args_type = "name: string",
        ts_return_type = "Promise<StalwartDomain | null>"
    )]
    pub fn find_domain<'e>(
        &self,
        env: &'e Env,
        name: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<StalwartDomain>>> {
        let name = arg!(env, name, "name");
        run!(
            env,
            self.inner,
            |c| async move { c.find_domain(&name).await },
            |d: Option<Domain>| d.map(StalwartDomain::from)
        )
    }

    /// The domain `id` with `dnsZoneFile`, the records to publish.
    #[napi(
        ts_args_type = "id: string",
        ts_return_type = "Promise<StalwartDomain>"
    )]
    pub fn get_domain<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StalwartDomain>> {
        let id = arg!(env, id, "id");
        run!(
            env,
            self.inner,
            |c| async move { c.get_domain(&id).await },
            StalwartDomain::from
        )
    }

    /// The DKIM signatures of a domain (possibly none yet).
    #[napi(
        ts_args_type = "domainId: string",
        ts_return_type = "Promise<StalwartDkimSignature[]>"
    )]
    pub fn dkim_signatures<'e>(
        &self,
        env: &'e Env,
        domain_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<StalwartDkimSignature>>> {
        let domain_id = arg!(env, domain_id, "domainId");
        run!(
            env,
            self.inner,
            |c| async move { c.dkim_signatures(&domain_id).await },
            |list: Vec<DkimSignature>| list.into_iter().map(Into::into).collect::<Vec<_>>()
        )
    }

    /// Waits until the domain's DKIM signatures exist (the server generates
    /// them after creating the domain); rejects with `DEZKY_TIMEOUT` (method
    /// `WAIT`) after `timeoutMs`.
    #[napi(
        ts_args_type = "domainId: string, timeoutMs: number",
        ts_return_type = "Promise<StalwartDkimSignature[]>"
    )]
    pub fn wait_for_dkim<'e>(
        &self,
        env: &'e Env,
        domain_id: Unknown<'_>,
        timeout_ms: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<StalwartDkimSignature>>> {
        let domain_id = arg!(env, domain_id, "domainId");
        let timeout = record!(env, timeout_ms, "timeoutMs", millis);
        run!(
            env,
            self.inner,
            |c| async move { c.wait_for_dkim(&domain_id, timeout).await },
            |list: Vec<DkimSignature>| list.into_iter().map(Into::into).collect::<Vec<_>>()
        )
    }

    /// Deletes a domain, with its own DKIM signatures; rejects with
    /// `DEZKY_IN_USE` (the linked objects in `linked`) while accounts, aliases
    /// or mailing lists use it.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn delete_domain<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = arg!(env, id, "id");
        run!(
            env,
            self.inner,
            |c| async move { c.delete_domain(&id).await },
            |()| ()
        )
    }

    /// Creates a mailbox with its password and quota and provisions its
    /// default address book; resolves to the account id.
    #[napi(
        ts_args_type = "mailbox: StalwartNewMailbox",
        ts_return_type = "Promise<string>"
    )]
    pub fn create_mailbox<'e>(
        &self,
        env: &'e Env,
        mailbox: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let mailbox = record!(env, mailbox, "mailbox", new_mailbox);
        run!(
            env,
            self.inner,
            |c| async move { c.create_mailbox(&mailbox).await },
            |id| id
        )
    }

    /// Makes the server create the account's default address book now.
    #[napi(ts_args_type = "accountId: string", ts_return_type = "Promise<void>")]
    pub fn provision_address_book<'e>(
        &self,
        env: &'e Env,
        account_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let account_id = arg!(env, account_id, "accountId");
        run!(
            env,
            self.inner,
            |c| async move { c.provision_address_book(&account_id).await },
            |()| ()
        )
    }

    /// The mailbox with the address `address`, or `null`.
    #[napi(
        ts_args_type = "address: string",
        ts_return_type = "Promise<StalwartMailbox | null>"
    )]
    pub fn find_mailbox<'e>(
        &self,
        env: &'e Env,
        address: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<StalwartMailbox>>> {
        let address = arg!(env, address, "address");
        run!(
            env,
            self.inner,
            |c| async move { c.find_mailbox(&address).await },
            |m: Option<Mailbox>| m.map(StalwartMailbox::from)
        )
    }

    /// The mailbox `id`.
    #[napi(
        ts_args_type = "id: string",
        ts_return_type = "Promise<StalwartMailbox>"
    )]
    pub fn get_mailbox<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StalwartMailbox>> {
        let id = arg!(env, id, "id");
        run!(
            env,
            self.inner,
            |c| async move { c.get_mailbox(&id).await },
            StalwartMailbox::from
        )
    }

    /// Refuses every login of the mailbox (disables `authenticate`), keeping
    /// its password and other permission rules; mail is still received.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn suspend_mailbox<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = arg!(env, id, "id");
        run!(
            env,
            self.inner,
            |c| async move { c.suspend_mailbox(&id).await },
            |()| ()
        )
    }

    /// Allows logins again, keeping the other permission rules.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn resume_mailbox<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = arg!(env, id, "id");
        run!(
            env,
            self.inner,
            |c| async move { c.resume_mailbox(&id).await },
            |()| ()
        )
    }

    /// Sets a new password (only the password credential changes; app
    /// passwords and API keys stay).
    #[napi(
        ts_args_type = "id: string, password: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn reset_password<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
        password: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = arg!(env, id, "id");
        let password = Secret::new(arg!(env, password, "password"));
        run!(
            env,
            self.inner,
            |c| async move { c.reset_password(&id, &password).await },
            |()| ()
        )
    }

    /// Deletes a mailbox; the server purges its data in the background.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<void>")]
    pub fn delete_mailbox<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let id = arg!(env, id, "id");
        run!(
            env,
            self.inner,
            |c| async move { c.delete_mailbox(&id).await },
            |()| ()
        )
    }
}
