//! The mail port of `dezky_core::domains` over the real Stalwart client:
//! [`StalwartMail`].
//!
//! A domain is created with the description `dezky tenant <tenantId>` (the
//! marker provisioning uses, so the tenant's primary domain is found as the
//! tenant's), with the server's automatic DKIM. Aliases are entries of the
//! account's `aliases` list (v0.16 has no alias object): the list is read and
//! written back whole. Mailing lists are `x:MailingList` objects, found by
//! `text` query and then by name and domain (the registry has no `domainId`
//! filter for lists). Errors become [`PortError`]s through
//! [`crate::provisioning::port_error`].

use std::collections::BTreeSet;

use dezky_core::domains::{MailDomain, MailPort, MailingList};
use dezky_core::provisioning::{FailureKind, PortError, PortFuture};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::provisioning::{marker, marker_owner, port_error};
use crate::stalwart::{NewDomain, StalwartClient};
use crate::{Error, Result};

/// The mail port over a [`StalwartClient`].
#[derive(Debug, Clone)]
pub struct StalwartMail {
    client: StalwartClient,
}

fn port<T>(result: Result<T>) -> std::result::Result<T, PortError> {
    result.map_err(|e| port_error(&e))
}

fn gone_is_done(result: Result<()>) -> std::result::Result<(), PortError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => port(other),
    }
}

fn not_found(what: String) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_NOT_FOUND",
        format!("{what} does not exist"),
    )
}

fn split(address: &str) -> std::result::Result<(&str, &str), PortError> {
    address.rsplit_once('@').ok_or_else(|| {
        PortError::new(
            FailureKind::Rejected,
            "DEZKY_INVALID_ARGUMENT",
            "an address needs an @",
        )
    })
}

/// An entry of an account's `aliases` (`x:EmailAlias`), kept as read.
#[derive(Debug, Deserialize)]
struct AccountAliases {
    #[serde(default)]
    aliases: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListObject {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain_id: String,
    #[serde(default)]
    recipients: Map<String, Value>,
}

fn set_of(addresses: &BTreeSet<String>) -> Value {
    Value::Object(addresses.iter().map(|a| (a.clone(), json!(true))).collect())
}

impl StalwartMail {
    /// The port over `client`.
    pub fn new(client: StalwartClient) -> Self {
        StalwartMail { client }
    }

    async fn domain_id(&self, name: &str) -> std::result::Result<String, PortError> {
        match port(self.client.find_domain(name).await)? {
            Some(d) => Ok(d.id),
            None => Err(not_found(format!("the domain {name}"))),
        }
    }

    /// The account's aliases in list order.
    async fn aliases(&self, mailbox: &str) -> std::result::Result<Vec<Value>, PortError> {
        let found: Vec<AccountAliases> = port(
            self.client
                .get_objects("x:Account", &[mailbox.to_owned()], Some(&["aliases"]))
                .await,
        )?;
        let Some(account) = found.into_iter().next() else {
            return Err(not_found(format!("the mailbox {mailbox}")));
        };
        let mut entries: Vec<(usize, Value)> = account
            .aliases
            .into_iter()
            .map(|(k, v)| (k.parse().unwrap_or(usize::MAX), v))
            .collect();
        entries.sort_by_key(|(i, _)| *i);
        Ok(entries.into_iter().map(|(_, v)| v).collect())
    }

    async fn write_aliases(
        &self,
        mailbox: &str,
        aliases: Vec<Value>,
    ) -> std::result::Result<(), PortError> {
        let list: Map<String, Value> = aliases
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect();
        port(
            self.client
                .update_objects(
                    "x:Account",
                    vec![(mailbox.to_owned(), json!({ "aliases": list }))],
                )
                .await,
        )
    }

    async fn list_at(&self, address: &str) -> std::result::Result<Option<ListObject>, PortError> {
        let (local, domain) = split(address)?;
        let Some(domain) = port(self.client.find_domain(domain).await)? else {
            return Ok(None);
        };
        let ids = port(
            self.client
                .query_ids("x:MailingList", json!({ "text": local }))
                .await,
        )?;
        if ids.is_empty() {
            return Ok(None);
        }
        let lists: Vec<ListObject> = port(
            self.client
                .get_objects(
                    "x:MailingList",
                    &ids,
                    Some(&["name", "domainId", "recipients"]),
                )
                .await,
        )?;
        Ok(lists
            .into_iter()
            .find(|l| l.name.eq_ignore_ascii_case(local) && l.domain_id == domain.id))
    }
}

fn list_of(list: ListObject, address: &str) -> MailingList {
    MailingList {
        handle: list.id,
        address: address.to_owned(),
        recipients: list.recipients.into_iter().map(|(k, _)| k).collect(),
    }
}

fn is_alias(entry: &Value, local: &str, domain_id: &str) -> bool {
    entry["name"]
        .as_str()
        .is_some_and(|n| n.eq_ignore_ascii_case(local))
        && entry["domainId"] == json!(domain_id)
}

impl MailPort for StalwartMail {
    fn find_domain<'a>(&'a self, name: &'a str) -> PortFuture<'a, Option<MailDomain>> {
        Box::pin(async move {
            Ok(
                port(self.client.find_domain(name).await)?.map(|d| MailDomain {
                    owner: d.description.as_deref().and_then(marker_owner),
                    handle: d.id,
                    name: d.name,
                }),
            )
        })
    }

    fn create_domain<'a>(
        &'a self,
        name: &'a str,
        tenant_id: &'a str,
    ) -> PortFuture<'a, MailDomain> {
        Box::pin(async move {
            let new = NewDomain {
                description: Some(marker(tenant_id)),
                ..NewDomain::named(name)
            };
            let id = port(self.client.create_domain(&new).await)?;
            Ok(MailDomain {
                handle: id,
                name: name.to_owned(),
                owner: Some(tenant_id.to_owned()),
            })
        })
    }

    fn dkim_selectors<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut selectors: Vec<String> = port(self.client.dkim_signatures(handle).await)?
                .into_iter()
                .map(|s| s.selector)
                .filter(|s| !s.is_empty())
                .collect();
            selectors.sort();
            selectors.dedup();
            Ok(selectors)
        })
    }

    fn zone_file<'a>(&'a self, handle: &'a str) -> PortFuture<'a, String> {
        Box::pin(async move {
            Ok(port(self.client.get_domain(handle).await)?
                .dns_zone_file
                .unwrap_or_default())
        })
    }

    fn mailboxes<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Vec<String>> {
        Box::pin(async move {
            Ok(port(self.client.mailbox_ids(handle).await)?
                .into_iter()
                .map(|id| format!("Account/{id}"))
                .collect())
        })
    }

    fn remove_domain<'a>(&'a self, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move { gone_is_done(self.client.delete_domain(handle).await) })
    }

    fn add_alias<'a>(&'a self, mailbox: &'a str, address: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let (local, domain) = split(address)?;
            let domain_id = self.domain_id(domain).await?;
            let mut aliases = self.aliases(mailbox).await?;
            if aliases.iter().any(|a| is_alias(a, local, &domain_id)) {
                return Ok(());
            }
            aliases.push(json!({"name": local, "domainId": domain_id, "enabled": true}));
            self.write_aliases(mailbox, aliases).await
        })
    }

    fn remove_alias<'a>(&'a self, mailbox: &'a str, address: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let (local, domain) = split(address)?;
            let Some(domain) = port(self.client.find_domain(domain).await)? else {
                return Ok(());
            };
            let aliases = self.aliases(mailbox).await?;
            let kept: Vec<Value> = aliases
                .iter()
                .filter(|a| !is_alias(a, local, &domain.id))
                .cloned()
                .collect();
            if kept.len() == aliases.len() {
                return Ok(());
            }
            self.write_aliases(mailbox, kept).await
        })
    }

    fn find_list<'a>(&'a self, address: &'a str) -> PortFuture<'a, Option<MailingList>> {
        Box::pin(async move { Ok(self.list_at(address).await?.map(|l| list_of(l, address))) })
    }

    fn create_list<'a>(
        &'a self,
        address: &'a str,
        recipients: &'a BTreeSet<String>,
    ) -> PortFuture<'a, MailingList> {
        Box::pin(async move {
            let (local, domain) = split(address)?;
            let domain_id = self.domain_id(domain).await?;
            let ids = port(
                self.client
                    .create_objects(
                        "x:MailingList",
                        vec![json!({
                            "name": local,
                            "domainId": domain_id,
                            "recipients": set_of(recipients),
                        })],
                    )
                    .await,
            )?;
            let handle = ids.into_iter().next().ok_or_else(|| {
                port_error(&Error::invalid(
                    "x:MailingList",
                    "the server created no list",
                ))
            })?;
            Ok(MailingList {
                handle,
                address: address.to_owned(),
                recipients: recipients.clone(),
            })
        })
    }

    fn set_list_recipients<'a>(
        &'a self,
        handle: &'a str,
        recipients: &'a BTreeSet<String>,
    ) -> PortFuture<'a, ()> {
        Box::pin(async move {
            port(
                self.client
                    .update_objects(
                        "x:MailingList",
                        vec![(
                            handle.to_owned(),
                            json!({ "recipients": set_of(recipients) }),
                        )],
                    )
                    .await,
            )
        })
    }

    fn remove_list<'a>(&'a self, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            gone_is_done(
                self.client
                    .destroy_objects("x:MailingList", &[handle.to_owned()])
                    .await,
            )
        })
    }

    fn set_quota<'a>(&'a self, mailbox: &'a str, bytes: Option<u64>) -> PortFuture<'a, ()> {
        Box::pin(async move {
            port(
                self.client
                    .update_objects(
                        "x:Account",
                        vec![(mailbox.to_owned(), json!({ "quotas/maxDiskQuota": bytes }))],
                    )
                    .await,
            )
        })
    }
}

// ---------------------------------------------------------------------------
// From the environment
// ---------------------------------------------------------------------------

/// Domain operations over the Stalwart server the environment configures; see [`domains_from_lookup`].
pub fn domains_from_env() -> Result<dezky_core::domains::Domains> {
    domains_from_lookup(|name| std::env::var(name).ok())
}

/// Domain operations over the Stalwart server `lookup` configures (`STALWART_API_URL` and the
/// client's other settings); a missing or broken setting is `DEZKY_CONFIG`.
pub fn domains_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<dezky_core::domains::Domains> {
    let client = StalwartClient::from_lookup(&lookup)?;
    Ok(dezky_core::domains::Domains::new(std::sync::Arc::new(
        StalwartMail::new(client),
    )))
}

#[cfg(test)]
mod from_env_tests {
    use super::*;

    #[test]
    fn the_server_must_be_configured() {
        let missing = domains_from_lookup(|_| None).expect_err("no server");
        assert_eq!(missing.code(), "DEZKY_CONFIG", "{missing:?}");
        let broken =
            domains_from_lookup(|n| (n == "STALWART_API_URL").then(|| "not a url".to_owned()))
                .expect_err("a broken URL");
        assert_eq!(broken.code(), "DEZKY_CONFIG", "{broken:?}");
    }
}
