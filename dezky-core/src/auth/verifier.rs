//! The token verifier: parsing, key lookup with caching, signature, claims.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use super::actor::{Actor, Surface};
use super::clock::{Clock, SystemClock};
use super::config::VerifierConfig;
use super::jwks::{self, KeyEntry, VerifyingKey};
use super::strict_json;
use super::{KeySource, quoted};
use crate::error::{Error, Result};

/// Verifies access tokens against the configured issuers and audiences.
///
/// Keys are read per issuer through the [`KeySource`] on first use, cached for
/// [`VerifierConfig::key_ttl`], and read again on an unknown `kid` at most once per
/// [`VerifierConfig::min_refresh_interval`]; concurrent requests share one fetch.
pub struct TokenVerifier {
    config: VerifierConfig,
    source: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    issuers: HashMap<String, IssuerState>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct IssuerState {
    /// (audience, surface) accepted for this issuer.
    audiences: Vec<(String, Surface)>,
    cache: RwLock<KeyCache>,
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, KeyEntry>,
    /// When the current keys were fetched.
    fetched_at: Option<Duration>,
    /// When a fetch was last started, successful or not.
    last_attempt: Option<Duration>,
    /// Why the last fetch failed, while it is the latest news.
    last_error: Option<Error>,
}

/// A token split and decoded, nothing verified yet.
struct Parsed<'t> {
    alg: Algorithm,
    kid: Option<String>,
    claims: Map<String, Value>,
    signing_input: &'t str,
    signature: &'t str,
}

enum Lookup {
    Found(Arc<VerifyingKey>),
    Refresh,
}

impl TokenVerifier {
    /// A verifier reading keys from `source`, on the system clock.
    pub fn new(config: VerifierConfig, source: Arc<dyn KeySource>) -> Result<Self> {
        Self::with_clock(config, source, Arc::new(SystemClock))
    }

    /// A verifier on an injected clock (tests).
    pub fn with_clock(
        config: VerifierConfig,
        source: Arc<dyn KeySource>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        config.validate()?;
        let mut issuers: HashMap<String, IssuerState> = HashMap::new();
        for client in &config.clients {
            issuers
                .entry(client.issuer.clone())
                .or_insert_with(|| IssuerState {
                    audiences: Vec::new(),
                    cache: RwLock::new(KeyCache::default()),
                    refresh: tokio::sync::Mutex::new(()),
                })
                .audiences
                .push((client.audience.clone(), client.surface));
        }
        Ok(TokenVerifier {
            config,
            source,
            clock,
            issuers,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Verifies `token` (the bare JWT, without `Bearer `) and returns its actor.
    ///
    /// Errors: [`Error::TokenMalformed`], [`Error::TokenBadSignature`], [`Error::TokenExpired`],
    /// [`Error::TokenNotYetValid`], [`Error::TokenUnknownIssuer`], [`Error::TokenWrongAudience`],
    /// [`Error::TokenUnknownKey`]; [`Error::AuthConfig`] when the issuer's keys cannot be used
    /// at all (an empty JWKS), [`Error::KeysUnavailable`] when they cannot be fetched. No error
    /// contains the token.
    pub async fn verify(&self, token: &str) -> Result<Actor> {
        let parsed = self.parse(token)?;
        let issuer = match parsed.claims.get("iss") {
            Some(Value::String(iss)) => iss.as_str(),
            Some(_) => return Err(malformed("`iss` is not a string")),
            None => return Err(malformed("the token has no `iss` claim")),
        };
        let Some(state) = self.issuers.get(issuer) else {
            return Err(self.unknown_issuer(issuer));
        };
        let Some(kid) = parsed.kid.as_deref() else {
            return Err(Error::TokenUnknownKey {
                issuer: issuer.to_owned(),
                kid: None,
            });
        };
        let key = self.key(issuer, state, kid).await?;
        if !key.algorithms.contains(&parsed.alg) {
            return Err(Error::TokenBadSignature {
                reason: format!(
                    "algorithm {:?} is not allowed for key {} (allowed: {:?})",
                    parsed.alg,
                    quoted(kid),
                    key.algorithms
                ),
            });
        }
        if !key.verify(
            parsed.alg,
            parsed.signing_input.as_bytes(),
            parsed.signature,
        ) {
            return Err(Error::TokenBadSignature {
                reason: "the signature does not match".into(),
            });
        }
        self.check_claims(issuer, state, &parsed.claims)
    }

    fn parse<'t>(&self, token: &'t str) -> Result<Parsed<'t>> {
        if token.len() > self.config.max_token_bytes {
            return Err(malformed(&format!(
                "the token is {} bytes, more than the limit of {}",
                token.len(),
                self.config.max_token_bytes
            )));
        }
        if token.is_empty() {
            return Err(malformed("the token is empty"));
        }
        if !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(malformed(
                "the token holds characters other than base64url and dots (pass it without \
                 `Bearer ` and without whitespace)",
            ));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("a JWT has three dot-separated parts"));
        };
        if let Some(_more) = parts.next() {
            let n = token.split('.').count();
            return Err(malformed(&if n == 5 {
                "the token has five parts: an encrypted token (JWE); leave the Authentik \
                 provider's encryption key unset"
                    .to_owned()
            } else {
                format!("the token has {n} dot-separated parts, a JWT has three")
            }));
        }
        let signing_input = &token[..header.len() + 1 + payload.len()];
        let header = decode_json(header, "header")?;
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => accepted_alg(alg, &self.config.algorithms)?,
            Some(_) => return Err(malformed("the header's `alg` is not a string")),
            None => return Err(malformed("the header has no `alg`")),
        };
        if header.contains_key("crit") {
            return Err(malformed(
                "the header has `crit` extensions, which are not supported",
            ));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(malformed("the header's `kid` is not a string")),
        };
        let claims = decode_json(payload, "payload")?;
        if signature.is_empty() {
            return Err(Error::TokenBadSignature {
                reason: "the token has no signature".into(),
            });
        }
        Ok(Parsed {
            alg,
            kid,
            claims,
            signing_input,
            signature,
        })
    }

    fn unknown_issuer(&self, issuer: &str) -> Error {
        let hint = if self.issuers.contains_key(&format!("{issuer}/")) {
            " (a configured issuer differs only by its trailing slash)"
        } else {
            ""
        };
        Error::TokenUnknownIssuer {
            issuer: format!("{}{hint}", quoted(issuer)),
        }
    }

    async fn key(&self, issuer: &str, state: &IssuerState, kid: &str) -> Result<Arc<VerifyingKey>> {
        if let Lookup::Found(key) = self.lookup(issuer, state, kid, false)? {
            return Ok(key);
        }
        let _refresh = state.refresh.lock().await;
        // Another request may have refreshed while this one waited.
        if let Lookup::Found(key) = self.lookup(issuer, state, kid, false)? {
            return Ok(key);
        }
        let now = self.clock.now();
        let may_fetch = {
            let cache = read(&state.cache);
            cache
                .last_attempt
                .is_none_or(|t| now >= t + self.config.min_refresh_interval)
        };
        if may_fetch {
            write(&state.cache).last_attempt = Some(now);
            let fetched = self
                .source
                .fetch_jwks(issuer)
                .await
                .and_then(|body| jwks::parse(issuer, &body, &self.config.algorithms));
            let mut cache = write(&state.cache);
            match fetched {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = Some(now);
                    cache.last_error = None;
                }
                Err(e @ Error::AuthConfig { .. }) => {
                    cache.keys.clear();
                    cache.fetched_at = Some(now);
                    cache.last_error = Some(e);
                }
                Err(e) => cache.last_error = Some(e),
            }
        }
        match self.lookup(issuer, state, kid, true)? {
            Lookup::Found(key) => Ok(key),
            Lookup::Refresh => Err(Error::TokenUnknownKey {
                issuer: issuer.to_owned(),
                kid: Some(quoted(kid)),
            }),
        }
    }

    /// The key for `kid` if the cache may answer. `last_word`: no fetch follows, so say why not.
    fn lookup(
        &self,
        issuer: &str,
        state: &IssuerState,
        kid: &str,
        last_word: bool,
    ) -> Result<Lookup> {
        let now = self.clock.now();
        let cache = read(&state.cache);
        let fresh = cache
            .fetched_at
            .is_some_and(|t| now < t + self.config.key_ttl);
        let usable = cache
            .fetched_at
            .is_some_and(|t| now < t + self.config.key_ttl + self.config.max_stale);
        if fresh || (last_word && usable) {
            match cache.keys.get(kid) {
                Some(KeyEntry::Usable(key)) => return Ok(Lookup::Found(key.clone())),
                Some(KeyEntry::Unsupported(reason)) => {
                    return Err(Error::AuthConfig {
                        reason: format!("key {} of issuer {issuer}: {reason}", quoted(kid)),
                    });
                }
                None => {}
            }
        }
        if !last_word {
            return Ok(Lookup::Refresh);
        }
        match &cache.last_error {
            // The latest fetch found no usable keys at all (an empty JWKS).
            Some(e @ Error::AuthConfig { .. }) => Err(e.clone()),
            // The latest fetch failed: whether `kid` exists cannot be known.
            Some(e @ Error::KeysUnavailable { .. }) => Err(e.clone()),
            Some(other) => Err(Error::KeysUnavailable {
                issuer: issuer.to_owned(),
                reason: other.to_string(),
            }),
            None if !usable => Err(Error::KeysUnavailable {
                issuer: issuer.to_owned(),
                reason: "no keys fetched yet; the next attempt is rate-limited".into(),
            }),
            None => Ok(Lookup::Refresh),
        }
    }

    fn check_claims(
        &self,
        issuer: &str,
        state: &IssuerState,
        claims: &Map<String, Value>,
    ) -> Result<Actor> {
        let now = self.clock.now().as_secs();
        let leeway = self.config.leeway.as_secs();
        let exp = numeric_date(claims, "exp")?
            .ok_or_else(|| malformed("the token has no `exp` claim"))?;
        if now >= exp.saturating_add(leeway) {
            return Err(Error::TokenExpired { expired_at: exp });
        }
        if let Some(nbf) = numeric_date(claims, "nbf")?
            && nbf > now.saturating_add(leeway)
        {
            return Err(Error::TokenNotYetValid {
                reason: format!("`nbf` is {nbf}, the time is {now}"),
            });
        }
        if let Some(iat) = numeric_date(claims, "iat")?
            && iat > now.saturating_add(leeway)
        {
            return Err(Error::TokenNotYetValid {
                reason: format!("issued in the future: `iat` is {iat}, the time is {now}"),
            });
        }
        let token_audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(auds)) => {
                let mut out = Vec::with_capacity(auds.len());
                for aud in auds {
                    out.push(
                        aud.as_str()
                            .ok_or_else(|| malformed("`aud` holds a value that is not a string"))?,
                    );
                }
                out
            }
            Some(_) => return Err(malformed("`aud` is neither a string nor a list")),
            None => Vec::new(),
        };
        let matched: Vec<&(String, Surface)> = state
            .audiences
            .iter()
            .filter(|(aud, _)| token_audiences.contains(&aud.as_str()))
            .collect();
        let (audience, surface) = match matched.as_slice() {
            [one] => (one.0.clone(), one.1),
            [] => {
                return Err(Error::TokenWrongAudience {
                    audience: if token_audiences.is_empty() {
                        "none".to_owned()
                    } else {
                        token_audiences
                            .iter()
                            .take(5)
                            .map(|a| quoted(a))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                });
            }
            [first, rest @ ..] if rest.iter().all(|m| m.1 == first.1) => (first.0.clone(), first.1),
            _ => {
                return Err(Error::TokenWrongAudience {
                    audience: "several clients of different surfaces at once".into(),
                });
            }
        };
        let subject = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            _ => return Err(malformed("the token has no `sub`")),
        };
        let text = |name: &str| -> Result<Option<String>> {
            match claims.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(malformed(&format!("`{name}` is not a string"))),
            }
        };
        let email = text("email")?;
        let name = match text("name")? {
            Some(name) => Some(name),
            None => text("preferred_username")?,
        };
        let groups = match claims.get("groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(groups)) => groups
                .iter()
                .map(|g| {
                    g.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| malformed("`groups` holds a value that is not a string"))
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(malformed("`groups` is not a list")),
        };
        Ok(Actor {
            subject,
            email,
            name,
            groups,
            surface,
            issuer: issuer.to_owned(),
            audience,
            expires_at: exp,
        })
    }
}

fn malformed(reason: &str) -> Error {
    Error::TokenMalformed {
        reason: reason.to_owned(),
    }
}

fn decode_json(part: &str, what: &str) -> Result<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| malformed(&format!("the {what} is not base64url without padding")))?;
    match strict_json::parse(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(&format!("the {what} is not a JSON object"))),
        Err(strict_json::Refused::Duplicate(name)) => Err(malformed(&format!(
            "the {what} names the member {} more than once",
            quoted(&name)
        ))),
        Err(strict_json::Refused::Syntax) => Err(malformed(&format!("the {what} is not JSON"))),
    }
}

fn accepted_alg(alg: &str, allowed: &[Algorithm]) -> Result<Algorithm> {
    let bad = |reason: String| Err(Error::TokenBadSignature { reason });
    if alg.eq_ignore_ascii_case("none") {
        return bad("unsigned tokens (`alg: none`) are never accepted".into());
    }
    match alg.parse::<Algorithm>() {
        Ok(Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => bad(format!(
            "{alg} is an HMAC algorithm, never accepted: an Authentik provider without a signing \
             key signs with its client secret; set an RSA signing key"
        )),
        Ok(a) if allowed.contains(&a) => Ok(a),
        Ok(_) => bad(format!("algorithm {alg} is not allowed")),
        Err(_) => bad(format!("unknown algorithm {}", quoted(alg))),
    }
}

/// The latest NumericDate accepted: 9999-12-31T23:59:59Z. Anything later cannot be a real
/// time (and `1e300` would overflow every date type downstream), so the token is malformed.
pub(crate) const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// A NumericDate claim as whole seconds (RFC 7519 section 2 allows fractions: they are
/// dropped). Negative values and values past [`MAX_NUMERIC_DATE`] are refused as malformed.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>> {
    let out_of_range = || {
        malformed(&format!(
            "`{name}` is not a time between 1970 and 9999 (seconds since the epoch)"
        ))
    };
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            let seconds = match (n.as_u64(), n.as_f64()) {
                (Some(v), _) => v,
                // Truncation is exact here: the value is finite, non-negative and in range.
                (None, Some(v)) if v.is_finite() && v >= 0.0 && v <= MAX_NUMERIC_DATE as f64 => {
                    v.trunc() as u64
                }
                _ => return Err(out_of_range()),
            };
            if seconds > MAX_NUMERIC_DATE {
                return Err(out_of_range());
            }
            Ok(Some(seconds))
        }
        Some(_) => Err(malformed(&format!("`{name}` is not a number"))),
    }
}

fn read(lock: &RwLock<KeyCache>) -> std::sync::RwLockReadGuard<'_, KeyCache> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(lock: &RwLock<KeyCache>) -> std::sync::RwLockWriteGuard<'_, KeyCache> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
