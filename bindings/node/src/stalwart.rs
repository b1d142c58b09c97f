//! The Stalwart v0.16 management client (`StalwartClient`) over
//! `dezky_clients::stalwart`. Conversion only: every rule is in
//! `dezky-clients` (docs/stalwart-client.md). Arguments are typed (napi
//! refuses a wrong type; `lib/arguments.cjs` names it); DKIM signatures,
//! credentials and aliases are the client's own records, `#[napi(object)]` there.
//!
//! Byte counts cross as numbers (exact up to 2^53 bytes, 8 PiB).

use std::collections::HashMap;
use std::time::Duration;

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::stalwart::{
    self, CredentialInfo as StalwartCredential, DkimSignature as StalwartDkimSignature, Domain,
    EmailAlias as StalwartEmailAlias, Mailbox, NewDomain, NewMailbox, Permissions,
};
use napi::Env;
use napi_derive::napi;

use crate::error::IntoJs;
use crate::options::{
    MAX_SAFE_INTEGER, Result, client_options, invalid, list, new_client, promise_methods, whole,
    whole_opt,
};

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
            credentials: m.credentials,
            aliases: m.aliases,
            member_group_ids: m.member_group_ids.into_iter().collect(),
            locale: m.locale,
            created_at: m.created_at,
            used_disk_quota: m.used_disk_quota.map(|u| u as f64),
        }
    }
}

client_options! {
    " How to reach Stalwart. Give `apiKey`, or `username` and `password`."
    StalwartClientOptions {
        " The server's URL, normally the internal listener (`http://stalwart:8080`)."
        base_url: String,
        " An API key (`API_...`), sent as a Bearer token."
        api_key: Option<String>,
        " An admin account name (Basic authentication)."
        username: Option<String>,
        " Its password."
        password: Option<String>,
    }
}

/// A domain to create.
#[napi(object, object_to_js = false)]
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

impl From<StalwartNewDomain> for NewDomain {
    fn from(d: StalwartNewDomain) -> Self {
        NewDomain {
            name: d.name,
            description: d.description,
            aliases: d.aliases.unwrap_or_default().into_iter().collect(),
            is_enabled: d.is_enabled,
            catch_all_address: d.catch_all_address,
            allow_relaying: d.allow_relaying,
        }
    }
}

/// A mailbox to create.
#[napi(object, object_to_js = false)]
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

fn new_mailbox(m: StalwartNewMailbox) -> Result<NewMailbox> {
    let mut mailbox = NewMailbox::new(m.domain_id, m.name, Secret::new(m.password));
    mailbox.quota_bytes = whole_opt(m.quota_bytes, "mailbox.quotaBytes", MAX_SAFE_INTEGER)?;
    mailbox.description = m.description;
    mailbox.locale = m.locale;
    Ok(mailbox)
}

/// A client of Stalwart's JMAP management API. Create one per process and
/// share it: it reads the session once and keeps at most the server's
/// `maxConcurrentRequests` requests in flight.
#[napi]
pub struct StalwartClient {
    inner: stalwart::StalwartClient,
}

#[napi]
impl StalwartClient {
    /// A client from `options`. Throws `DEZKY_INVALID_ARGUMENT` or
    /// `DEZKY_CONFIG` for unusable options.
    #[napi(constructor)]
    pub fn new(env: Env, options: StalwartClientOptions) -> napi::Result<Self> {
        let o = options;
        let inner = new_client(&env, o.http_config(&o.base_url), |config| {
            let auth = match (o.api_key, o.username, o.password) {
                (Some(key), None, None) => Auth::Bearer(Secret::new(key)),
                (None, Some(username), Some(password)) => Auth::Basic {
                    username,
                    password: Secret::new(password),
                },
                _ => return Err(invalid("options", "give apiKey, or username and password")),
            };
            stalwart::StalwartClient::new(config, auth)
        })?;
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
}

promise_methods!(StalwartClient(stalwart::StalwartClient) {
    " Creates a domain; resolves to its id. A taken name rejects with"
    " `DEZKY_ALREADY_EXISTS` (the existing domain in `linked`)."
    fn create_domain(domain: StalwartNewDomain) -> String |c| c.create_domain(&domain.into()).await;

    " The domain named `name`, or `null`; without its zone file."
    fn find_domain(name: String) -> Option<StalwartDomain>
        |c| c.find_domain(&name).await.map(|d| d.map(Into::into));

    " Every domain, or with `tenantId` only those of that Stalwart tenant,"
    " sorted by name and without their zone files."
    fn list_domains(tenant_id: Option<String>) -> Vec<StalwartDomain>
        |c| c.list_domains(tenant_id.as_deref()).await.map(list);

    " The domain `id` with `dnsZoneFile`, the records to publish."
    fn get_domain(id: String) -> StalwartDomain |c| c.get_domain(&id).await;

    " The DKIM signatures of a domain (possibly none yet)."
    fn dkim_signatures(domain_id: String) -> Vec<StalwartDkimSignature>
        |c| c.dkim_signatures(&domain_id).await;

    " Waits until the domain's DKIM signatures exist (the server generates"
    " them after creating the domain); rejects with `DEZKY_TIMEOUT` (method"
    " `WAIT`) after `timeoutMs`."
    fn wait_for_dkim(domain_id: String, timeout_ms: f64) -> Vec<StalwartDkimSignature>
        { let timeout = Duration::from_millis(whole(timeout_ms, "timeoutMs", u32::MAX.into())?); }
        |c| c.wait_for_dkim(&domain_id, timeout).await;

    " Deletes a domain, with its own DKIM signatures; rejects with"
    " `DEZKY_IN_USE` (the linked objects in `linked`) while accounts, aliases"
    " or mailing lists use it."
    fn delete_domain(id: String) -> () |c| c.delete_domain(&id).await;

    " Creates a mailbox with its password and quota and provisions its"
    " default address book; resolves to the account id."
    fn create_mailbox(mailbox: StalwartNewMailbox) -> String
        { let mailbox = new_mailbox(mailbox)?; } |c| c.create_mailbox(&mailbox).await;

    " Makes the server create the account's default address book now."
    fn provision_address_book(account_id: String) -> ()
        |c| c.provision_address_book(&account_id).await;

    " The mailbox with the address `address`, or `null`."
    fn find_mailbox(address: String) -> Option<StalwartMailbox>
        |c| c.find_mailbox(&address).await.map(|m| m.map(Into::into));

    " The mailbox `id`."
    fn get_mailbox(id: String) -> StalwartMailbox |c| c.get_mailbox(&id).await;

    " Refuses every login of the mailbox (disables `authenticate`), keeping"
    " its password and other permission rules; mail is still received."
    fn suspend_mailbox(id: String) -> () |c| c.suspend_mailbox(&id).await;

    " Allows logins again, keeping the other permission rules."
    fn resume_mailbox(id: String) -> () |c| c.resume_mailbox(&id).await;

    " Sets a new password (only the password credential changes; app"
    " passwords and API keys stay)."
    fn reset_password(id: String, password: String) -> ()
        |c| c.reset_password(&id, &Secret::new(password)).await;

    " Deletes a mailbox; the server purges its data in the background."
    fn delete_mailbox(id: String) -> () |c| c.delete_mailbox(&id).await;
});
