//! The Stalwart v0.16 management client (`StalwartClient`) over
//! `dezky_clients::stalwart`. Conversion and error mapping only: every rule is
//! in `dezky-clients` (docs/stalwart-client.md). Each operation is a
//! coroutine, with a blocking `_sync` twin; records are dicts with snake_case
//! keys.

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::stalwart::{
    self, DkimSignature, Domain, Mailbox, NewDomain, NewMailbox, Permissions,
};
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::convert::{Data, data};
use crate::error::IntoPyResult;
use crate::options::{self, invalid, seconds};
use crate::runtime::client_methods;

impl Data for Domain {
    fn into_value(self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "aliases": self.aliases,
            "is_enabled": self.is_enabled,
            "description": self.description,
            "catch_all_address": self.catch_all_address,
            "allow_relaying": self.allow_relaying,
            "created_at": self.created_at,
            "dns_zone_file": self.dns_zone_file,
        })
    }
}

impl Data for DkimSignature {
    fn into_value(self) -> Value {
        json!({
            "id": self.id,
            "algorithm": self.algorithm,
            "domain_id": self.domain_id,
            "selector": self.selector,
            "stage": self.stage,
            "public_key": self.public_key,
            "created_at": self.created_at,
            "next_transition_at": self.next_transition_at,
        })
    }
}

fn permissions_value(p: Permissions) -> Value {
    let (kind, list) = match p {
        Permissions::Inherit => ("Inherit", None),
        Permissions::Merge(list) => ("Merge", Some(list)),
        Permissions::Replace(list) => ("Replace", Some(list)),
    };
    let list = list.unwrap_or_default();
    json!({
        "type": kind,
        "enabled_permissions": list.enabled_permissions,
        "disabled_permissions": list.disabled_permissions,
    })
}

impl Data for Mailbox {
    fn into_value(self) -> Value {
        let m = self;
        let quota_bytes = m.quota_bytes();
        let suspended = m.is_suspended();
        let credentials: Vec<Value> = m
            .credentials
            .into_iter()
            .map(|c| json!({"kind": c.kind, "credential_id": c.credential_id, "expires_at": c.expires_at}))
            .collect();
        let aliases: Vec<Value> = m
            .aliases
            .into_iter()
            .map(|a| {
                json!({"name": a.name, "domain_id": a.domain_id, "enabled": a.enabled,
                       "description": a.description})
            })
            .collect();
        json!({
            "id": m.id,
            "name": m.name,
            "domain_id": m.domain_id,
            "email_address": m.email_address,
            "description": m.description,
            "quota_bytes": quota_bytes,
            "quotas": m.quotas,
            "suspended": suspended,
            "permissions": permissions_value(m.permissions),
            "credentials": credentials,
            "aliases": aliases,
            "member_group_ids": m.member_group_ids,
            "locale": m.locale,
            "created_at": m.created_at,
            "used_disk_quota": m.used_disk_quota,
        })
    }
}

/// A client of Stalwart's JMAP management API. Create one per process and share it.
///
/// `base_url` is the server's URL, normally the internal listener
/// (`http://stalwart:8080`). Give `api_key` (sent as a Bearer token), or
/// `username` and `password` of an admin account (Basic). `timeout` and
/// `connect_timeout` are in seconds; `max_retries` applies to read-only
/// requests only.
#[pyclass(name = "StalwartClient", module = "dezky._dezky", frozen)]
pub(crate) struct PyStalwartClient {
    inner: stalwart::StalwartClient,
}

fn new_domain(
    name: &str,
    description: Option<String>,
    aliases: Option<Vec<String>>,
    is_enabled: Option<bool>,
    catch_all_address: Option<String>,
    allow_relaying: Option<bool>,
) -> NewDomain {
    NewDomain {
        name: name.to_owned(),
        description,
        aliases: aliases.unwrap_or_default().into_iter().collect(),
        is_enabled,
        catch_all_address,
        allow_relaying,
    }
}

fn new_mailbox(
    domain_id: &str,
    name: &str,
    password: &str,
    quota_bytes: Option<u64>,
    description: Option<String>,
    locale: Option<String>,
) -> NewMailbox {
    let mut mailbox = NewMailbox::new(domain_id, name, Secret::new(password));
    mailbox.quota_bytes = quota_bytes;
    mailbox.description = description;
    mailbox.locale = locale;
    mailbox
}

client_methods! {
    impl PyStalwartClient {
        #[new]
        #[pyo3(signature = (
            base_url,
            *,
            api_key = None,
            username = None,
            password = None,
            timeout = None,
            connect_timeout = None,
            max_retries = None,
        ))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            base_url: &str,
            api_key: Option<String>,
            username: Option<String>,
            password: Option<String>,
            timeout: Option<f64>,
            connect_timeout: Option<f64>,
            max_retries: Option<u32>,
        ) -> PyResult<Self> {
            let config = options::http_config(base_url, timeout, connect_timeout, max_retries)?;
            let auth = match (api_key, username, password) {
                (Some(key), None, None) => Auth::Bearer(Secret::new(key)),
                (None, Some(username), Some(password)) => Auth::Basic {
                    username,
                    password: Secret::new(password),
                },
                _ => {
                    return Err(invalid("api_key", "give api_key, or username and password"));
                }
            };
            Ok(PyStalwartClient {
                inner: stalwart::StalwartClient::new(config, auth).py()?,
            })
        }

        /// A client from `STALWART_API_URL` and `STALWART_API_KEY` (or
        /// `STALWART_USERNAME` and `STALWART_PASSWORD`); `ConfigError` when
        /// they are missing.
        #[staticmethod]
        fn from_env() -> PyResult<Self> {
            Ok(PyStalwartClient {
                inner: stalwart::StalwartClient::from_env().py()?,
            })
        }

        fn __repr__(&self) -> String {
            format!("<StalwartClient {:?}>", self.inner)
        }
    }

    operations(c = self.inner.clone()) {
        /// Creates a domain and returns its id (`AlreadyExistsError` when the name is taken).
        #[pyo3(signature = (
            name,
            *,
            description = None,
            aliases = None,
            is_enabled = None,
            catch_all_address = None,
            allow_relaying = None,
        ) -> "str")]
        #[allow(clippy::too_many_arguments)]
        fn create_domain / create_domain_sync(
            name: &str,
            description: Option<String>,
            aliases: Option<Vec<String>>,
            is_enabled: Option<bool>,
            catch_all_address: Option<String>,
            allow_relaying: Option<bool>,
        ) => data {
            let domain = new_domain(
                name,
                description,
                aliases,
                is_enabled,
                catch_all_address,
                allow_relaying,
            );
            async move { c.create_domain(&domain).await }
        }

        /// Every domain, or with `tenant_id` the domains of that Stalwart tenant
        /// (`memberTenantId`), sorted by name, without their zone files.
        #[pyo3(signature = (tenant_id = None) -> "list[_stalwart.Domain]")]
        fn list_domains / list_domains_sync(tenant_id: Option<String>) => data {
            async move { c.list_domains(tenant_id.as_deref()).await }
        }

        /// The domain named `name`, or `None` (without its zone file).
        #[pyo3(signature = (name) -> "_stalwart.Domain | None")]
        fn find_domain / find_domain_sync(name: String) => data {
            async move { c.find_domain(&name).await }
        }

        /// The domain `id` with `dns_zone_file`, the records to publish.
        #[pyo3(signature = (id) -> "_stalwart.Domain")]
        fn get_domain / get_domain_sync(id: String) => data {
            async move { c.get_domain(&id).await }
        }

        /// The DKIM signatures of a domain (possibly none yet).
        #[pyo3(signature = (domain_id) -> "list[_stalwart.DkimSignature]")]
        fn dkim_signatures / dkim_signatures_sync(domain_id: String) => data {
            async move { c.dkim_signatures(&domain_id).await }
        }

        /// Waits until the domain's DKIM signatures exist (generated by the server
        /// after the domain was created); `UpstreamTimeoutError` with
        /// `method == "WAIT"` after `timeout` seconds.
        #[pyo3(signature = (domain_id, timeout) -> "list[_stalwart.DkimSignature]")]
        fn wait_for_dkim / wait_for_dkim_sync(domain_id: String, timeout: f64) => data {
            let timeout = seconds("timeout", timeout)?;
            async move { c.wait_for_dkim(&domain_id, timeout).await }
        }

        /// Deletes a domain with its own DKIM signatures; `InUseError` (the linked
        /// objects in `linked`) while accounts, aliases or lists use it.
        #[pyo3(signature = (id) -> "None")]
        fn delete_domain / delete_domain_sync(id: String) => data {
            async move { c.delete_domain(&id).await }
        }

        /// Creates a mailbox with its password and quota, provisions its default
        /// address book, and returns the account id.
        #[pyo3(signature = (
            domain_id,
            name,
            password,
            *,
            quota_bytes = None,
            description = None,
            locale = None,
        ) -> "str")]
        #[allow(clippy::too_many_arguments)]
        fn create_mailbox / create_mailbox_sync(
            domain_id: &str,
            name: &str,
            password: &str,
            quota_bytes: Option<u64>,
            description: Option<String>,
            locale: Option<String>,
        ) => data {
            let mailbox = new_mailbox(domain_id, name, password, quota_bytes, description, locale);
            async move { c.create_mailbox(&mailbox).await }
        }

        /// Makes the server create the account's default address book now.
        #[pyo3(signature = (account_id) -> "None")]
        fn provision_address_book / provision_address_book_sync(account_id: String) => data {
            async move { c.provision_address_book(&account_id).await }
        }

        /// The mailbox with the address `address`, or `None`.
        #[pyo3(signature = (address) -> "_stalwart.Mailbox | None")]
        fn find_mailbox / find_mailbox_sync(address: String) => data {
            async move { c.find_mailbox(&address).await }
        }

        /// The mailbox `id`.
        #[pyo3(signature = (id) -> "_stalwart.Mailbox")]
        fn get_mailbox / get_mailbox_sync(id: String) => data {
            async move { c.get_mailbox(&id).await }
        }

        /// Refuses every login (disables `authenticate`), keeping the password and
        /// the other permission rules; mail is still received.
        #[pyo3(signature = (id) -> "None")]
        fn suspend_mailbox / suspend_mailbox_sync(id: String) => data {
            async move { c.suspend_mailbox(&id).await }
        }

        /// Allows logins again, keeping the other permission rules.
        #[pyo3(signature = (id) -> "None")]
        fn resume_mailbox / resume_mailbox_sync(id: String) => data {
            async move { c.resume_mailbox(&id).await }
        }

        /// Sets a new password; app passwords and API keys stay.
        #[pyo3(signature = (id, password) -> "None")]
        fn reset_password / reset_password_sync(id: String, password: &str) => data {
            let password = Secret::new(password);
            async move { c.reset_password(&id, &password).await }
        }

        /// Deletes a mailbox; the server purges its data in the background.
        #[pyo3(signature = (id) -> "None")]
        fn delete_mailbox / delete_mailbox_sync(id: String) => data {
            async move { c.delete_mailbox(&id).await }
        }
    }
}
