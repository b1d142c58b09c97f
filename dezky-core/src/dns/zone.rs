//! Stalwart's `dnsZoneFile` read with NLnet Labs' `domain` zone-file scanner.
//!
//! `domain` handles what Stalwart writes (absolute names, parenthesised
//! multi-string TXT, `\"` `\\` `\DDD` escapes, comments, optional TTL and
//! class). hickory-proto's parser is not used: it keeps the quotes of
//! strings inside `( … )` (see docs/dns.md).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use domain::base::Rtype;
use domain::rdata::ZoneRecordData;
use domain::zonefile::inplace::{Entry, Zonefile};
use serde::Serialize;

use super::name::normalize_name;
use crate::{Error, Result};

/// The data of one record, typed for the diff.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RecordData {
    /// An IPv4 address.
    A {
        /// The address.
        address: Ipv4Addr,
    },
    /// An IPv6 address.
    Aaaa {
        /// The address.
        address: Ipv6Addr,
    },
    /// A TXT record: its character-strings as published (each at most 255 bytes).
    Txt {
        /// The character-strings, in order. Compare [`RecordData::txt_joined`], never the split.
        strings: Vec<Vec<u8>>,
    },
    /// A mail exchanger.
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The exchange, normalized (`mail.example.net.`, `.` for a null MX).
        exchange: String,
    },
    /// An alias.
    Cname {
        /// The target, normalized.
        target: String,
    },
    /// A nameserver.
    Ns {
        /// The nameserver, normalized.
        host: String,
    },
    /// A service location.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target, normalized.
        target: String,
    },
    /// A DANE TLSA record.
    Tlsa {
        /// Certificate usage.
        usage: u8,
        /// Selector.
        selector: u8,
        /// Matching type.
        matching: u8,
        /// Certificate association data, lowercase hex.
        data: String,
    },
    /// A CAA record.
    Caa {
        /// Flags.
        flags: u8,
        /// Tag, lowercase (`issue`, `iodef`, …).
        tag: String,
        /// Value as written.
        value: String,
    },
    /// Any other type, kept in presentation format.
    Other {
        /// The type mnemonic.
        rtype: String,
        /// The data in presentation format.
        rdata: String,
    },
}

impl RecordData {
    /// The type mnemonic (`TXT`, `MX`, …).
    pub fn rtype(&self) -> &str {
        match self {
            RecordData::A { .. } => "A",
            RecordData::Aaaa { .. } => "AAAA",
            RecordData::Txt { .. } => "TXT",
            RecordData::Mx { .. } => "MX",
            RecordData::Cname { .. } => "CNAME",
            RecordData::Ns { .. } => "NS",
            RecordData::Srv { .. } => "SRV",
            RecordData::Tlsa { .. } => "TLSA",
            RecordData::Caa { .. } => "CAA",
            RecordData::Other { rtype, .. } => rtype,
        }
    }

    /// A TXT record's strings joined without separator (RFC 7208 §3.3,
    /// RFC 6376 §3.6.2.2), lossily decoded as UTF-8; `None` for other types.
    pub fn txt_joined(&self) -> Option<String> {
        match self {
            RecordData::Txt { strings } => {
                Some(String::from_utf8_lossy(&strings.concat()).into_owned())
            }
            _ => None,
        }
    }

    /// Builds a TXT record from text, split into 255-byte character-strings
    /// (at byte boundaries, as DNS counts them).
    pub fn txt(text: &str) -> RecordData {
        let bytes = text.as_bytes();
        let strings = if bytes.is_empty() {
            vec![Vec::new()]
        } else {
            bytes.chunks(255).map(<[u8]>::to_vec).collect()
        };
        RecordData::Txt { strings }
    }
}

/// Writes one character-string in zone-file syntax, quoted, escaping `"`, `\`
/// and non-printable bytes as `\DDD`.
fn write_charstr(f: &mut fmt::Formatter<'_>, s: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for &b in s {
        match b {
            b'"' => f.write_str("\\\"")?,
            b'\\' => f.write_str("\\\\")?,
            0x20..=0x7e => write!(f, "{}", b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for RecordData {
    /// Presentation format, as it goes into a zone file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::A { address } => write!(f, "{address}"),
            RecordData::Aaaa { address } => write!(f, "{address}"),
            RecordData::Txt { strings } => {
                for (i, s) in strings.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write_charstr(f, s)?;
                }
                Ok(())
            }
            RecordData::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}"),
            RecordData::Cname { target } => f.write_str(target),
            RecordData::Ns { host } => f.write_str(host),
            RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                write!(f, "{priority} {weight} {port} {target}")
            }
            RecordData::Tlsa {
                usage,
                selector,
                matching,
                data,
            } => {
                write!(f, "{usage} {selector} {matching} {data}")
            }
            RecordData::Caa { flags, tag, value } => {
                write!(f, "{flags} {tag} ")?;
                write_charstr(f, value.as_bytes())
            }
            RecordData::Other { rdata, .. } => f.write_str(rdata),
        }
    }
}

/// One record of a zone file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneRecord {
    /// The owner, normalized (`_dmarc.acme.test.`).
    pub name: String,
    /// The TTL as written, or the zone's default.
    pub ttl: u32,
    /// The data.
    #[serde(flatten)]
    pub data: RecordData,
}

impl ZoneRecord {
    /// The record in zone-file syntax: `<name> [<ttl>] IN <TYPE> <rdata>`;
    /// TXT records with more than one string are written in parentheses, one
    /// string per line, as Stalwart does.
    pub fn to_zone_line(&self, with_ttl: bool) -> String {
        let owner = if with_ttl {
            format!("{} {}", self.name, self.ttl)
        } else {
            self.name.clone()
        };
        match &self.data {
            RecordData::Txt { strings } if strings.len() > 1 => {
                let mut out = format!("{owner} IN TXT (\n");
                for s in strings {
                    out.push_str("    ");
                    out.push_str(
                        &RecordData::Txt {
                            strings: vec![s.clone()],
                        }
                        .to_string(),
                    );
                    out.push('\n');
                }
                out.push(')');
                out
            }
            data => format!("{owner} IN {} {}", data.rtype(), data),
        }
    }
}

fn name_string(name: &impl fmt::Display) -> String {
    normalize_name(&name.to_string())
}

fn convert<O, N>(rtype: Rtype, data: &ZoneRecordData<O, N>) -> RecordData
where
    O: AsRef<[u8]>,
    N: fmt::Display,
    ZoneRecordData<O, N>: fmt::Display,
{
    match data {
        ZoneRecordData::A(a) => RecordData::A { address: a.addr() },
        ZoneRecordData::Aaaa(a) => RecordData::Aaaa { address: a.addr() },
        ZoneRecordData::Txt(txt) => RecordData::Txt {
            strings: txt.iter().map(<[u8]>::to_vec).collect(),
        },
        ZoneRecordData::Mx(mx) => RecordData::Mx {
            preference: mx.preference(),
            exchange: name_string(mx.exchange()),
        },
        ZoneRecordData::Cname(c) => RecordData::Cname {
            target: name_string(c.cname()),
        },
        ZoneRecordData::Ns(ns) => RecordData::Ns {
            host: name_string(ns.nsdname()),
        },
        ZoneRecordData::Srv(srv) => RecordData::Srv {
            priority: srv.priority(),
            weight: srv.weight(),
            port: srv.port(),
            target: name_string(srv.target()),
        },
        ZoneRecordData::Tlsa(t) => RecordData::Tlsa {
            usage: t.usage().to_int(),
            selector: t.selector().to_int(),
            matching: t.matching_type().to_int(),
            data: t
                .data()
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        },
        ZoneRecordData::Caa(c) => RecordData::Caa {
            flags: c.flags().bits(),
            tag: c.tag().to_string().to_ascii_lowercase(),
            value: String::from_utf8_lossy(c.value().as_ref()).into_owned(),
        },
        other => RecordData::Other {
            rtype: rtype.to_string(),
            rdata: other.to_string(),
        },
    }
}

/// Parses a zone file (Stalwart's `dnsZoneFile`, or any RFC 1035 master file
/// without `$INCLUDE`) into records. `origin` resolves relative names (Stalwart
/// writes none); records without a TTL get `$TTL` or 3600.
///
/// Errors are [`Error::ZoneParse`] naming the line and column; nothing is guessed.
pub fn parse_zone_file(text: &str, origin: Option<&str>) -> Result<Vec<ZoneRecord>> {
    check_balanced(text)?;
    let result = std::panic::catch_unwind(|| scan(text, origin));
    match result {
        Ok(r) => r,
        Err(_) => Err(Error::ZoneParse {
            line: 0,
            message: "the zone-file scanner failed on this input".to_owned(),
        }),
    }
}

/// Rejects an unterminated quoted string or unbalanced parentheses before the
/// scanner sees them: `domain` 0.12.3 indexes past its buffer on a `(` left
/// open after a quoted string at the end of the input (found by our fuzzing).
fn check_balanced(text: &str) -> Result<()> {
    let (mut depth, mut line, mut open_line) = (0usize, 1usize, 1usize);
    let (mut quoted, mut comment, mut escaped) = (false, false, false);
    for b in text.bytes() {
        if b == b'\n' {
            line += 1;
            comment = false;
            escaped = false;
            if quoted {
                return Err(Error::ZoneParse {
                    line: line - 1,
                    message: "unterminated quoted string".to_owned(),
                });
            }
            continue;
        }
        if comment {
            continue;
        }
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' => escaped = true,
            b'"' => quoted = !quoted,
            b';' if !quoted => comment = true,
            b'(' if !quoted => {
                if depth == 0 {
                    open_line = line;
                }
                depth += 1;
            }
            b')' if !quoted => {
                if depth == 0 {
                    return Err(Error::ZoneParse {
                        line,
                        message: "`)` without `(`".to_owned(),
                    });
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err(Error::ZoneParse {
            line,
            message: "unterminated quoted string".to_owned(),
        });
    }
    if depth > 0 {
        return Err(Error::ZoneParse {
            line: open_line,
            message: "`(` is never closed".to_owned(),
        });
    }
    Ok(())
}

fn scan(text: &str, origin: Option<&str>) -> Result<Vec<ZoneRecord>> {
    let mut zone = Zonefile::new();
    zone.extend_from_slice(text.as_bytes());
    // An entry needs a terminating line feed.
    zone.extend_from_slice(b"\n");
    zone.set_default_class(domain::base::iana::Class::IN);
    if let Some(origin) = origin {
        let name: domain::base::Name<_> =
            normalize_name(origin)
                .parse()
                .map_err(|_| Error::ZoneParse {
                    line: 0,
                    message: format!("bad origin `{origin}`"),
                })?;
        zone.set_origin(name);
    }
    let mut out = Vec::new();
    loop {
        let entry = zone.next_entry().map_err(|e| {
            let text = e.to_string();
            let line = text
                .split(':')
                .next()
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            Error::ZoneParse {
                line,
                message: text,
            }
        })?;
        match entry {
            None => return Ok(out),
            Some(Entry::Include { .. }) => {
                return Err(Error::ZoneParse {
                    line: 0,
                    message: "$INCLUDE is not supported".to_owned(),
                });
            }
            Some(Entry::Record(record)) => {
                let rtype = record.rtype();
                out.push(ZoneRecord {
                    name: name_string(record.owner()),
                    ttl: record.ttl().as_secs(),
                    data: convert(rtype, record.data()),
                });
            }
        }
    }
}
