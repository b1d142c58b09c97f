//! The resolver trait the diff asks. `dezky-clients` implements it on
//! hickory-resolver; tests implement it with a map.

use std::future::Future;

use serde::Serialize;

use super::zone::RecordData;

/// The record types the verifier asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QueryType {
    /// IPv4 addresses.
    A,
    /// IPv6 addresses.
    Aaaa,
    /// Text.
    Txt,
    /// Mail exchangers.
    Mx,
    /// Aliases.
    Cname,
    /// Nameservers.
    Ns,
    /// Service locations.
    Srv,
    /// DANE.
    Tlsa,
    /// CA authorization.
    Caa,
}

impl QueryType {
    /// The type for a record type mnemonic (`TXT` → `Txt`); `None` for types the verifier does not query.
    pub fn from_mnemonic(rtype: &str) -> Option<QueryType> {
        Some(match rtype.to_ascii_uppercase().as_str() {
            "A" => QueryType::A,
            "AAAA" => QueryType::Aaaa,
            "TXT" => QueryType::Txt,
            "MX" => QueryType::Mx,
            "CNAME" => QueryType::Cname,
            "NS" => QueryType::Ns,
            "SRV" => QueryType::Srv,
            "TLSA" => QueryType::Tlsa,
            "CAA" => QueryType::Caa,
            _ => return None,
        })
    }
}

/// Why a question got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No response in time.
    Timeout,
    /// SERVFAIL.
    ServFail,
    /// REFUSED.
    Refused,
    /// The connection failed.
    Network,
    /// Anything else (a malformed response, another rcode).
    Other,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Answer {
    /// Records of the asked type (possibly found through CNAMEs).
    Records {
        /// The records of the asked type; CNAMEs of the chain are not among them.
        records: Vec<RecordData>,
        /// The CNAME targets followed, in order, normalized (empty without CNAME).
        cname_chain: Vec<String>,
    },
    /// NXDOMAIN: the name does not exist.
    NxDomain,
    /// NOERROR without records of that type.
    NoData,
    /// No definite answer. Never read as "missing".
    Failure {
        /// What kind of failure.
        kind: FailureKind,
        /// The resolver's message.
        message: String,
    },
}

impl Answer {
    /// A definite negative answer (NXDOMAIN or NODATA).
    pub fn is_negative(&self) -> bool {
        matches!(self, Answer::NxDomain | Answer::NoData)
    }

    /// Records without a CNAME chain.
    pub fn records(records: Vec<RecordData>) -> Answer {
        if records.is_empty() {
            Answer::NoData
        } else {
            Answer::Records {
                records,
                cname_chain: Vec::new(),
            }
        }
    }
}

/// A DNS resolver as the verifier uses it. Names are normalized FQDNs with a
/// trailing dot. Implementations must map NXDOMAIN and NODATA to those
/// variants and every other failure to [`Answer::Failure`].
pub trait Resolver: Send + Sync {
    /// Asks one question.
    fn lookup(&self, name: &str, qtype: QueryType) -> impl Future<Output = Answer> + Send;
}

impl<R: Resolver> Resolver for &R {
    fn lookup(&self, name: &str, qtype: QueryType) -> impl Future<Output = Answer> + Send {
        (**self).lookup(name, qtype)
    }
}

impl<R: Resolver> Resolver for std::sync::Arc<R> {
    fn lookup(&self, name: &str, qtype: QueryType) -> impl Future<Output = Answer> + Send {
        (**self).lookup(name, qtype)
    }
}
