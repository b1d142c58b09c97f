//! Authoritative mode: a zone's own nameservers for the names inside the
//! zone, the recursive resolver for everything else, within one run.
//!
//! A run (one [`super::DnsResolver::verify_domains`] batch, or one
//! [`super::DnsResolver::authoritative`] resolver) keeps every answer it got,
//! so a question is asked once per run; identical questions in flight wait
//! for the first. Queries to one set of nameservers share a concurrency
//! limit across the domains of the run, and a timed-out query (a dropped
//! answer, as response-rate limiting does) is retried with exponential
//! backoff and jitter.
//!
//! CNAME chains are followed here, not by hickory: its caching client asks
//! the *same* nameservers for a CNAME's target when an answer holds the
//! CNAME without the target's records, whether or not recursion is desired,
//! so an alias leaving the zone (a DKIM selector delegated to a mail
//! provider) ends in REFUSED and the chain is lost. The zone's servers are
//! asked through hickory's [`NameServerPool`] directly (one question, one
//! response); a chain is followed inside the zone and, once it leaves the
//! zone, through the recursive resolver, keeping every CNAME target.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dezky_core::dns::{Answer, FailureKind, QueryType, RecordData, normalize_name};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::{DnsHandle, FirstAnswer};
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::{DnsRequestOptions, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::{NameServerPool, PoolContext, TlsConfig};
use tokio::sync::{OnceCell, Semaphore};

use super::{DnsResolver, convert, describe, map_error, record_type};
use crate::http::RetryPolicy;

/// Queries in flight at once to one set of nameservers, across the run.
pub(super) const NAMESERVER_CONCURRENCY: usize = 8;
/// CNAMEs followed before giving up.
const MAX_CNAME_HOPS: usize = 8;
/// Retries of a timed-out query: 100 ms, 200 ms, 400 ms, 800 ms steps with
/// full jitter, after the first attempt.
const RETRY: RetryPolicy = RetryPolicy {
    max_retries: 4,
    base_delay: Duration::from_millis(100),
    max_delay: Duration::from_secs(2),
    max_retry_after: Duration::ZERO,
};

/// Answers computed once per key; concurrent askers of the same key wait
/// for the first.
struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    fn new() -> Self {
        Memo {
            cells: Mutex::new(HashMap::new()),
        }
    }

    async fn get<F: Future<Output = V>>(&self, key: K, compute: impl FnOnce() -> F) -> V {
        let cell = {
            let mut cells = match self.cells.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            cells.entry(key).or_default().clone()
        };
        cell.get_or_init(compute).await.clone()
    }
}

/// One zone's answer to one question, before CNAMEs are followed.
#[derive(Debug, Clone)]
enum Reply {
    /// The answer section (owner, record), and whether the response code
    /// was NXDOMAIN (the last name of a CNAME chain does not exist).
    Answers {
        records: Vec<(String, RecordData)>,
        nxdomain: bool,
    },
    /// A referral: the name is delegated to other nameservers.
    Referral,
    /// NXDOMAIN, NODATA or a failure.
    Final(Answer),
}

/// A set of nameservers: hickory's pool over them and the run's limit.
struct Servers {
    addresses: Vec<IpAddr>,
    pool: NameServerPool<TokioRuntimeProvider>,
    permits: Semaphore,
}

/// A zone: its apex and its nameservers.
pub(super) struct Zone {
    apex: String,
    servers: Arc<Servers>,
}

impl Zone {
    /// Whether `name` (normalized) is the apex or below it.
    fn contains(&self, name: &str) -> bool {
        in_zone(&self.apex, name)
    }
}

/// Whether `name` is `apex` or below it (both normalized), label by label.
fn in_zone(apex: &str, name: &str) -> bool {
    name == apex
        || apex == "."
        || name
            .strip_suffix(apex)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// The state of one authoritative run.
pub(super) struct Run {
    recursive: DnsResolver,
    at_recursive: Memo<(String, QueryType), Answer>,
    at_zone: Memo<(String, String, QueryType), Reply>,
    zones: Memo<String, Result<Arc<Zone>, String>>,
    zone_servers: Memo<String, Result<Arc<Zone>, String>>,
    servers: Mutex<HashMap<Vec<IpAddr>, Arc<Servers>>>,
}

impl Run {
    /// A run resolving names outside the zones through `recursive`.
    pub(super) fn new(recursive: DnsResolver) -> Arc<Run> {
        Arc::new(Run {
            recursive,
            at_recursive: Memo::new(),
            at_zone: Memo::new(),
            zones: Memo::new(),
            zone_servers: Memo::new(),
            servers: Mutex::new(HashMap::new()),
        })
    }

    /// The zone holding `domain` and its nameservers, or why they cannot be found.
    pub(super) async fn zone(&self, domain: &str) -> Result<Arc<Zone>, String> {
        let domain = normalize_name(domain);
        self.zones
            .get(domain.clone(), || async move {
                let apex = self.apex(&domain).await?;
                self.zone_servers
                    .get(apex.clone(), || self.nameservers(apex))
                    .await
            })
            .await
    }

    /// The zone cut above (or at) `domain`: the owner of the SOA the
    /// recursive resolver returns for it (in the answer at the apex, in the
    /// authority section below it); without one, the closest of `domain` and
    /// its parents that has NS records.
    async fn apex(&self, domain: &str) -> Result<String, String> {
        if let Some(owner) = self.recursive.soa_owner(domain).await
            && in_zone(&owner, domain)
            && owner.matches('.').count() >= 2
        {
            return Ok(owner);
        }
        let mut candidate = domain.to_owned();
        let mut first = None;
        loop {
            let answer = self.recursive(&candidate, QueryType::Ns).await;
            if matches!(&answer, Answer::Records { records, .. }
                if records.iter().any(|r| matches!(r, RecordData::Ns { .. })))
            {
                return Ok(candidate);
            }
            first.get_or_insert(answer);
            // Up to the parent, stopping below the top-level domain.
            match candidate.split_once('.') {
                Some((_, parent)) if parent.matches('.').count() >= 2 => {
                    candidate = parent.to_owned();
                }
                _ => break,
            }
        }
        let first = first.unwrap_or(Answer::NoData);
        Err(format!("no NS records for {domain}: {}", describe(&first)))
    }

    /// The nameservers of the zone at `apex`: its NS records and their
    /// addresses, through the recursive resolver.
    async fn nameservers(&self, apex: String) -> Result<Arc<Zone>, String> {
        let hosts = match self.recursive(&apex, QueryType::Ns).await {
            Answer::Records { records, .. } => records
                .into_iter()
                .filter_map(|r| match r {
                    RecordData::Ns { host } => Some(host),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            other => return Err(format!("no NS records for {apex}: {}", describe(&other))),
        };
        let mut addresses = Vec::new();
        for host in &hosts {
            for q in [QueryType::A, QueryType::Aaaa] {
                if let Answer::Records { records, .. } = self.recursive(host, q).await {
                    for r in records {
                        match r {
                            RecordData::A { address } => addresses.push(IpAddr::V4(address)),
                            RecordData::Aaaa { address } => addresses.push(IpAddr::V6(address)),
                            _ => {}
                        }
                    }
                }
            }
        }
        addresses.sort();
        addresses.dedup();
        if addresses.is_empty() {
            return Err(format!(
                "the nameservers of {apex} ({}) have no address",
                hosts.join(", ")
            ));
        }
        let servers = self.servers_at(addresses)?;
        Ok(Arc::new(Zone { apex, servers }))
    }

    /// The run's pool for `addresses`, shared by every zone they serve.
    fn servers_at(&self, addresses: Vec<IpAddr>) -> Result<Arc<Servers>, String> {
        let mut all = match self.servers.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(s) = all.get(&addresses) {
            return Ok(s.clone());
        }
        let settings = self.recursive.settings();
        let configs = addresses.iter().map(|ip| {
            let mut udp = ConnectionConfig::udp();
            let mut tcp = ConnectionConfig::tcp();
            udp.port = settings.port;
            tcp.port = settings.port;
            NameServerConfig::new(*ip, true, vec![udp, tcp])
        });
        let mut opts = ResolverOpts::default();
        opts.timeout = settings.timeout;
        opts.attempts = 1;
        opts.cache_size = 0;
        opts.recursion_desired = false;
        let tls = TlsConfig::new().map_err(|e| format!("cannot build the resolver: {e}"))?;
        let pool = NameServerPool::from_config(
            configs,
            Arc::new(PoolContext::new(opts, tls)),
            TokioRuntimeProvider::default(),
        );
        let servers = Arc::new(Servers {
            addresses: addresses.clone(),
            pool,
            permits: Semaphore::new(NAMESERVER_CONCURRENCY),
        });
        all.insert(addresses, servers.clone());
        Ok(servers)
    }

    /// `name` through the recursive resolver, once per run.
    pub(super) async fn recursive(&self, name: &str, qtype: QueryType) -> Answer {
        let name = normalize_name(name);
        self.at_recursive
            .get((name.clone(), qtype), || {
                with_retries(|| self.recursive.ask(&name, qtype), |a| a.clone())
            })
            .await
    }

    /// `name` for a domain of `zone`: at the zone's nameservers when inside
    /// it, else through the recursive resolver; CNAMEs followed, the chain
    /// kept.
    pub(super) async fn lookup(&self, zone: &Zone, name: &str, qtype: QueryType) -> Answer {
        let mut chain = Vec::new();
        let mut current = normalize_name(name);
        for _ in 0..MAX_CNAME_HOPS {
            if !zone.contains(&current) {
                return with_chain(chain, self.recursive(&current, qtype).await);
            }
            let reply = self.at_zone(zone, &current, qtype).await;
            let (records, nxdomain) = match reply {
                Reply::Final(answer) => return with_chain(chain, answer),
                Reply::Referral => {
                    return with_chain(chain, self.recursive(&current, qtype).await);
                }
                Reply::Answers { records, nxdomain } => (records, nxdomain),
            };
            // Only the zone's own names are taken from its servers.
            let mut end = current.clone();
            if qtype != QueryType::Cname {
                while zone.contains(&end) && chain.len() < MAX_CNAME_HOPS {
                    let next = records.iter().find_map(|(owner, data)| match data {
                        RecordData::Cname { target } if *owner == end => Some(target.clone()),
                        _ => None,
                    });
                    let Some(target) = next else { break };
                    chain.push(target.clone());
                    end = target;
                }
            }
            if zone.contains(&end) {
                let found: Vec<RecordData> = records
                    .into_iter()
                    .filter(|(owner, data)| *owner == end && answers(qtype, data))
                    .map(|(_, data)| data)
                    .collect();
                if !found.is_empty() {
                    return Answer::Records {
                        records: found,
                        cname_chain: chain,
                    };
                }
                if end == current || nxdomain {
                    return if nxdomain {
                        Answer::NxDomain
                    } else {
                        Answer::NoData
                    };
                }
            }
            current = end;
        }
        Answer::Failure {
            kind: FailureKind::Other,
            message: format!("CNAME chain from {name} longer than {MAX_CNAME_HOPS}"),
        }
    }

    /// One question to the zone's nameservers, recursion off, once per run.
    async fn at_zone(&self, zone: &Zone, name: &str, qtype: QueryType) -> Reply {
        let servers = zone.servers.clone();
        self.at_zone
            .get((zone.apex.clone(), name.to_owned(), qtype), || {
                with_retries(
                    move || ask_servers(servers.clone(), name.to_owned(), qtype),
                    |r| match r {
                        Reply::Final(a) => a.clone(),
                        _ => Answer::NoData,
                    },
                )
            })
            .await
    }
}

/// Asks `servers` one question and classifies the response.
async fn ask_servers(servers: Arc<Servers>, name: String, qtype: QueryType) -> Reply {
    let failure = |message: String| {
        Reply::Final(Answer::Failure {
            kind: FailureKind::Other,
            message,
        })
    };
    let qname = match Name::from_ascii(&name) {
        Ok(n) => n,
        Err(e) => return failure(format!("{name} is no domain name: {e}")),
    };
    let Ok(_permit) = servers.permits.acquire().await else {
        return failure("the nameserver pool is closed".to_owned());
    };
    let mut options = DnsRequestOptions::default();
    options.recursion_desired = false;
    options.use_edns = false;
    let response = servers
        .pool
        .lookup(Query::query(qname, record_type(qtype)), options)
        .first_answer()
        .await;
    match response {
        Ok(response) => Reply::Answers {
            records: response
                .answers
                .iter()
                .filter_map(|r| {
                    let data = match &r.data {
                        RData::CNAME(c) => RecordData::Cname {
                            target: normalize_name(&c.0.to_string()),
                        },
                        other => convert(other)?,
                    };
                    Some((normalize_name(&r.name.to_string()), data))
                })
                .collect(),
            nxdomain: response.response_code == ResponseCode::NXDomain,
        },
        Err(NetError::Dns(DnsError::NoRecordsFound(no)))
            if no.response_code == ResponseCode::NoError && no.soa.is_none() && no.ns.is_some() =>
        {
            Reply::Referral
        }
        Err(e) => Reply::Final(map_error(&e).with_context(&servers.addresses)),
    }
}

/// Whether `data` answers a question of type `qtype`.
fn answers(qtype: QueryType, data: &RecordData) -> bool {
    matches!(
        (qtype, data),
        (QueryType::A, RecordData::A { .. })
            | (QueryType::Aaaa, RecordData::Aaaa { .. })
            | (QueryType::Txt, RecordData::Txt { .. })
            | (QueryType::Mx, RecordData::Mx { .. })
            | (QueryType::Cname, RecordData::Cname { .. })
            | (QueryType::Ns, RecordData::Ns { .. })
            | (QueryType::Srv, RecordData::Srv { .. })
            | (QueryType::Tlsa, RecordData::Tlsa { .. })
            | (QueryType::Caa, RecordData::Caa { .. })
    )
}

/// `answer` reached through the CNAMEs of `chain`.
fn with_chain(mut chain: Vec<String>, answer: Answer) -> Answer {
    match answer {
        Answer::Records {
            records,
            cname_chain,
        } => {
            chain.extend(cname_chain);
            Answer::Records {
                records,
                cname_chain: chain,
            }
        }
        other => other,
    }
}

/// Runs `attempt` again while it times out (a dropped query), waiting an
/// exponential backoff with full jitter between attempts.
async fn with_retries<T, F, Fut>(mut attempt: F, answer: impl Fn(&T) -> Answer) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut retry = 0;
    loop {
        let result = attempt().await;
        let timed_out = matches!(
            answer(&result),
            Answer::Failure {
                kind: FailureKind::Timeout,
                ..
            }
        );
        if !timed_out || retry >= RETRY.max_retries {
            return result;
        }
        tokio::time::sleep(RETRY.backoff(retry)).await;
        retry += 1;
    }
}

/// Adds which nameservers failed to a failure's message.
trait WithContext {
    fn with_context(self, addresses: &[IpAddr]) -> Self;
}

impl WithContext for Answer {
    fn with_context(self, addresses: &[IpAddr]) -> Self {
        match self {
            Answer::Failure { kind, message } => Answer::Failure {
                kind,
                message: format!(
                    "{message} (at {})",
                    addresses
                        .iter()
                        .map(IpAddr::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            other => other,
        }
    }
}

/// A resolver for the domains of one zone in an authoritative run.
#[derive(Clone)]
pub struct AuthoritativeResolver {
    run: Arc<Run>,
    zone: Arc<Zone>,
}

impl std::fmt::Debug for AuthoritativeResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthoritativeResolver")
            .field("zone", &self.zone.apex)
            .field("nameservers", &self.zone.servers.addresses)
            .finish()
    }
}

impl AuthoritativeResolver {
    pub(super) fn new(run: Arc<Run>, zone: Arc<Zone>) -> Self {
        AuthoritativeResolver { run, zone }
    }

    /// The zone's apex (normalized, with the trailing dot).
    pub fn zone(&self) -> &str {
        &self.zone.apex
    }

    /// The addresses of the zone's nameservers, sorted.
    pub fn nameservers(&self) -> &[IpAddr] {
        &self.zone.servers.addresses
    }
}

impl dezky_core::dns::Resolver for AuthoritativeResolver {
    fn lookup(&self, name: &str, qtype: QueryType) -> impl Future<Output = Answer> + Send {
        let name = name.to_owned();
        async move { self.run.lookup(&self.zone, &name, qtype).await }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn failure(kind: FailureKind) -> Answer {
        Answer::Failure {
            kind,
            message: "test".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_timed_out_query_is_retried_and_other_failures_are_not() {
        let calls = AtomicUsize::new(0);
        let answer = with_retries(
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        failure(FailureKind::Timeout)
                    } else {
                        Answer::NoData
                    }
                }
            },
            Answer::clone,
        )
        .await;
        assert_eq!(answer, Answer::NoData);
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let answer = with_retries(
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { failure(FailureKind::Refused) }
            },
            Answer::clone,
        )
        .await;
        assert_eq!(answer, failure(FailureKind::Refused));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // A server that never answers: the first attempt and every retry, then the timeout.
        calls.store(0, Ordering::SeqCst);
        let answer = with_retries(
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { failure(FailureKind::Timeout) }
            },
            Answer::clone,
        )
        .await;
        assert_eq!(answer, failure(FailureKind::Timeout));
        assert_eq!(calls.load(Ordering::SeqCst) as u32, 1 + RETRY.max_retries);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn identical_questions_in_flight_are_asked_once() {
        let memo: Memo<(String, QueryType), Answer> = Memo::new();
        let calls = AtomicUsize::new(0);
        let ask = || {
            memo.get(("mail.example.net.".to_owned(), QueryType::A), || async {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Answer::NxDomain
            })
        };
        let answers = futures_util::future::join_all((0..20).map(|_| ask())).await;
        assert!(answers.iter().all(|a| *a == Answer::NxDomain));
        assert_eq!(ask().await, Answer::NxDomain);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let other = memo
            .get(
                ("mail.example.net.".to_owned(), QueryType::Aaaa),
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Answer::NoData
                },
            )
            .await;
        assert_eq!(other, Answer::NoData);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_zone_holds_its_apex_and_the_names_below_only() {
        assert!(in_zone("routed.test.", "routed.test."));
        assert!(in_zone("routed.test.", "_dmarc.routed.test."));
        assert!(in_zone("routed.test.", "a.b.routed.test."));
        assert!(!in_zone("routed.test.", "notrouted.test."));
        assert!(!in_zone("routed.test.", "test."));
        assert!(!in_zone("routed.test.", "keys.provider.test."));
    }

    #[test]
    fn chains_are_kept_in_order_across_the_hand_over() {
        let through = with_chain(
            vec!["rsa.keys.provider.test.".to_owned()],
            Answer::Records {
                records: vec![RecordData::Txt {
                    strings: vec![b"v=DKIM1".to_vec()],
                }],
                cname_chain: vec!["rsa.other.test.".to_owned()],
            },
        );
        match through {
            Answer::Records { cname_chain, .. } => {
                assert_eq!(cname_chain, ["rsa.keys.provider.test.", "rsa.other.test."])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            with_chain(vec!["x.test.".to_owned()], Answer::NxDomain),
            Answer::NxDomain
        );
    }
}
