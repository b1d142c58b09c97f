//! The DNS resolver of the mail-domain verifier: [`dezky_core::dns::Resolver`]
//! on hickory-resolver.
//!
//! - [`DnsResolver::public`]: 1.1.1.1 and 8.8.8.8 over UDP and TCP, as the control plane uses.
//! - [`DnsResolver::new`]: any nameservers and port, timeout, attempts, cache size.
//! - [`DnsResolver::authoritative`]: a "recheck now" that asks the zone's own
//!   nameservers directly (recursion off) for the names inside the zone, and
//!   resolves every other name through the resolver it is called on.
//! - [`DnsResolver::verify_domains`]: the batch the bindings call; in
//!   authoritative mode the batch is one run (see `resolver/authoritative.rs`):
//!   answers kept for the batch, a concurrency limit per set of nameservers,
//!   timed-out queries retried.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::time::Duration;

use dezky_core::dns::{
    Answer, DomainReport, ExpectedRecords, FailureKind, QueryType, RecordData, Resolver,
    VerifyOptions, normalize_name, verify_domain, verify_domains,
};
use futures_util::StreamExt;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

use crate::{Error, Result};

mod authoritative;

pub use authoritative::AuthoritativeResolver;
use authoritative::Run;

/// The public resolvers the control plane uses: Cloudflare and Google.
pub const PUBLIC_NAMESERVERS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
];

/// How to reach DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverSettings {
    /// The nameservers to ask, in order.
    pub nameservers: Vec<IpAddr>,
    /// Their port (53).
    pub port: u16,
    /// Per-attempt timeout (2 s).
    pub timeout: Duration,
    /// Attempts per question (2).
    pub attempts: usize,
    /// Answers cached; 0 disables the cache (a recheck must not read its own cache).
    pub cache_size: u64,
    /// Set the RD bit (true for recursive resolvers, false when asking authoritative servers).
    pub recursion_desired: bool,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        ResolverSettings {
            nameservers: PUBLIC_NAMESERVERS.to_vec(),
            port: 53,
            timeout: Duration::from_secs(2),
            attempts: 2,
            cache_size: 1024,
            recursion_desired: true,
        }
    }
}

/// hickory-resolver behind the verifier's [`Resolver`] trait.
#[derive(Clone)]
pub struct DnsResolver {
    inner: TokioResolver,
    settings: ResolverSettings,
}

impl std::fmt::Debug for DnsResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsResolver")
            .field("settings", &self.settings)
            .finish()
    }
}

impl DnsResolver {
    /// A resolver with `settings`. Needs a tokio runtime when queried.
    pub fn new(settings: ResolverSettings) -> Result<DnsResolver> {
        if settings.nameservers.is_empty() {
            return Err(Error::Config {
                field: "nameservers".to_owned(),
                reason: "at least one is needed".to_owned(),
            });
        }
        if settings.attempts == 0 || settings.timeout.is_zero() {
            return Err(Error::Config {
                field: "timeout".to_owned(),
                reason: "timeout and attempts must be positive".to_owned(),
            });
        }
        let servers = settings
            .nameservers
            .iter()
            .map(|ip| {
                let mut udp = ConnectionConfig::udp();
                let mut tcp = ConnectionConfig::tcp();
                udp.port = settings.port;
                tcp.port = settings.port;
                NameServerConfig::new(*ip, true, vec![udp, tcp])
            })
            .collect();
        let mut opts = ResolverOpts::default();
        opts.timeout = settings.timeout;
        opts.attempts = settings.attempts;
        opts.cache_size = settings.cache_size;
        opts.recursion_desired = settings.recursion_desired;
        opts.preserve_intermediates = true;
        opts.ndots = 0;
        let inner = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(servers),
            TokioRuntimeProvider::default(),
        )
        .with_options(opts)
        .build()
        .map_err(|e| Error::Dns {
            message: format!("cannot build the resolver: {e}"),
        })?;
        Ok(DnsResolver { inner, settings })
    }

    /// The control plane's default: 1.1.1.1 and 8.8.8.8, port 53.
    pub fn public() -> Result<DnsResolver> {
        DnsResolver::new(ResolverSettings::default())
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &ResolverSettings {
        &self.settings
    }

    /// A resolver for "recheck now" for the domains of the zone holding
    /// `domain` (its apex found from the SOA, else the closest of `domain`
    /// and its parents with NS records): the zone's NS records and their
    /// addresses are found through `self`; names inside the zone are then
    /// asked at those servers directly (same port and timeout as `self`,
    /// recursion off), every other name (SPF `include` targets, CNAME targets
    /// outside the zone, MX hosts, DMARC report destinations) through `self`.
    /// Answers are kept for the life of the returned resolver (one recheck).
    pub async fn authoritative(&self, domain: &str) -> Result<AuthoritativeResolver> {
        let run = Run::new(self.clone());
        let zone = run
            .zone(domain)
            .await
            .map_err(|message| Error::Dns { message })?;
        Ok(AuthoritativeResolver::new(run, zone))
    }

    /// Verifies one domain through `self`, or with `authoritative` at its own
    /// zone's nameservers (see [`DnsResolver::authoritative`]). Fails only when those
    /// nameservers cannot be found (`DEZKY_DNS_RESOLVER`); DNS failures are
    /// `unknown` checks in the report.
    pub async fn verify_domain(
        &self,
        expected: &ExpectedRecords,
        options: &VerifyOptions,
        authoritative: bool,
    ) -> Result<DomainReport> {
        if !authoritative {
            return Ok(verify_domain(self, expected, options).await);
        }
        let resolver = self.authoritative(&expected.domain).await?;
        Ok(verify_domain(&resolver, expected, options).await)
    }

    /// Verifies `domains`, at most `concurrency` at a time, reports in input
    /// order. Without `authoritative`, every domain is asked through `self`.
    /// With it, the names inside each domain's zone are asked at that zone's
    /// nameservers and the others through `self` (see
    /// [`DnsResolver::authoritative`]), in one run: every answer is kept for
    /// the batch, so a name shared by many domains (the platform's MX host)
    /// is asked once, and the domains whose zones share nameservers share
    /// their concurrency limit. A domain whose nameservers cannot be found
    /// gets every check `unknown` with the reason, and the other domains are
    /// still verified.
    pub async fn verify_domains(
        &self,
        domains: &[ExpectedRecords],
        options: &VerifyOptions,
        concurrency: usize,
        authoritative: bool,
    ) -> Vec<DomainReport> {
        if !authoritative {
            return verify_domains(self, domains, options, concurrency).await;
        }
        // Boxed as `dyn Future + Send`, as in `dezky_core::dns::verify_domains`:
        // callers spawn this future.
        type Boxed<'a> = Pin<Box<dyn Future<Output = DomainReport> + Send + 'a>>;
        let run = Run::new(self.clone());
        let run = &run;
        let futures: Vec<Boxed<'_>> = domains
            .iter()
            .map(|d| -> Boxed<'_> { Box::pin(verify_at_own_nameservers(run, d, options)) })
            .collect();
        futures_util::stream::iter(futures)
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    /// The owner of the SOA record `self` returns for `name`: `name` itself
    /// at a zone apex, the apex (from the authority section) below it.
    async fn soa_owner(&self, name: &str) -> Option<String> {
        let fqdn = normalize_name(name);
        match self.inner.lookup(fqdn.as_str(), RecordType::SOA).await {
            Ok(lookup) => lookup.answers().iter().find_map(|r| match &r.data {
                RData::SOA(_) => Some(normalize_name(&r.name.to_string())),
                _ => None,
            }),
            Err(NetError::Dns(DnsError::NoRecordsFound(no))) => {
                no.soa.map(|soa| normalize_name(&soa.name.to_string()))
            }
            Err(_) => None,
        }
    }

    async fn ask(&self, name: &str, qtype: QueryType) -> Answer {
        let rtype = record_type(qtype);
        let fqdn = normalize_name(name);
        match self.inner.lookup(fqdn.as_str(), rtype).await {
            Ok(lookup) => {
                let mut records = Vec::new();
                let mut cname_chain = Vec::new();
                for rec in lookup.answers() {
                    match &rec.data {
                        RData::CNAME(c) if qtype != QueryType::Cname => {
                            cname_chain.push(normalize_name(&c.0.to_string()))
                        }
                        data => {
                            if let Some(d) = convert(data) {
                                records.push(d);
                            }
                        }
                    }
                }
                if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records {
                        records,
                        cname_chain,
                    }
                }
            }
            Err(e) => map_error(&e),
        }
    }
}

/// Verifies one domain of an authoritative run at its zone's nameservers, or
/// reports every check `unknown` when they cannot be found.
async fn verify_at_own_nameservers(
    run: &std::sync::Arc<Run>,
    expected: &ExpectedRecords,
    options: &VerifyOptions,
) -> DomainReport {
    match run.zone(&expected.domain).await {
        Ok(zone) => {
            let resolver = AuthoritativeResolver::new(run.clone(), zone);
            verify_domain(&resolver, expected, options).await
        }
        Err(e) => {
            let unreachable = Unreachable {
                message: format!("cannot ask the zone's nameservers: {e}"),
            };
            verify_domain(&unreachable, expected, options).await
        }
    }
}

/// hickory's record type for a question.
fn record_type(qtype: QueryType) -> RecordType {
    match qtype {
        QueryType::A => RecordType::A,
        QueryType::Aaaa => RecordType::AAAA,
        QueryType::Txt => RecordType::TXT,
        QueryType::Mx => RecordType::MX,
        QueryType::Cname => RecordType::CNAME,
        QueryType::Ns => RecordType::NS,
        QueryType::Srv => RecordType::SRV,
        QueryType::Tlsa => RecordType::TLSA,
        QueryType::Caa => RecordType::CAA,
    }
}

/// Answers every question with a failure: the checks of a domain whose
/// nameservers could not be found are `unknown`, never `missing`.
struct Unreachable {
    message: String,
}

impl Resolver for Unreachable {
    fn lookup(&self, _name: &str, _qtype: QueryType) -> impl Future<Output = Answer> + Send {
        std::future::ready(Answer::Failure {
            kind: FailureKind::Other,
            message: self.message.clone(),
        })
    }
}

fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Records { .. } => "records of another type".to_owned(),
        Answer::NxDomain => "NXDOMAIN".to_owned(),
        Answer::NoData => "no data".to_owned(),
        Answer::Failure { kind, message } => format!("{kind:?}: {message}"),
    }
}

fn map_error(e: &NetError) -> Answer {
    let failure = |kind, message: String| Answer::Failure { kind, message };
    match e {
        NetError::Dns(DnsError::NoRecordsFound(no)) => match no.response_code {
            ResponseCode::NXDomain => Answer::NxDomain,
            ResponseCode::NoError => Answer::NoData,
            ResponseCode::ServFail => failure(FailureKind::ServFail, e.to_string()),
            ResponseCode::Refused => failure(FailureKind::Refused, e.to_string()),
            _ => failure(FailureKind::Other, e.to_string()),
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            failure(FailureKind::ServFail, e.to_string())
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => {
            failure(FailureKind::Refused, e.to_string())
        }
        NetError::Timeout => failure(FailureKind::Timeout, e.to_string()),
        NetError::Io(_) | NetError::NoConnections => failure(FailureKind::Network, e.to_string()),
        _ => failure(FailureKind::Other, e.to_string()),
    }
}

fn convert(data: &RData) -> Option<RecordData> {
    Some(match data {
        RData::A(a) => RecordData::A { address: a.0 },
        RData::AAAA(a) => RecordData::Aaaa { address: a.0 },
        RData::TXT(t) => RecordData::Txt {
            strings: t.txt_data.iter().map(|s| s.to_vec()).collect(),
        },
        RData::MX(mx) => RecordData::Mx {
            preference: mx.preference,
            exchange: normalize_name(&mx.exchange.to_string()),
        },
        RData::CNAME(c) => RecordData::Cname {
            target: normalize_name(&c.0.to_string()),
        },
        RData::NS(ns) => RecordData::Ns {
            host: normalize_name(&ns.0.to_string()),
        },
        RData::SRV(s) => RecordData::Srv {
            priority: s.priority,
            weight: s.weight,
            port: s.port,
            target: normalize_name(&s.target.to_string()),
        },
        RData::TLSA(t) => RecordData::Tlsa {
            usage: u8::from(t.cert_usage),
            selector: u8::from(t.selector),
            matching: u8::from(t.matching),
            data: t.cert_data.iter().map(|b| format!("{b:02x}")).collect(),
        },
        RData::CAA(c) => RecordData::Caa {
            flags: if c.issuer_critical { 128 } else { 0 } | c.reserved_flags,
            tag: c.tag.to_ascii_lowercase(),
            value: String::from_utf8_lossy(&c.value).into_owned(),
        },
        _ => return None,
    })
}

impl Resolver for DnsResolver {
    fn lookup(
        &self,
        name: &str,
        qtype: QueryType,
    ) -> impl std::future::Future<Output = Answer> + Send {
        self.ask(name, qtype)
    }
}
