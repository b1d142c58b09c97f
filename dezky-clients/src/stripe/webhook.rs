//! Stripe webhooks: the `Stripe-Signature` check and the events the control
//! plane handles.
//!
//! [`verify_webhook`] takes the body exactly as received (bytes, before any
//! JSON parsing), the `Stripe-Signature` header and the endpoint's signing
//! secret (`whsec_...`). The header is `t=<unix seconds>` and one or more
//! `v1=<hex>` entries (more than one while a secret is rolled); each `v1` is
//! the HMAC-SHA256 of `"{t}.{body}"` keyed with the secret. Any `v1` that
//! matches (compared in constant time) is accepted; other schemes (`v0`) are
//! ignored; then `t` must be within the tolerance of `now`, in either
//! direction ([`DEFAULT_TOLERANCE`], 300 s, as Stripe's own libraries).
//!
//! Events are neither ordered nor unique: see [`is_newer`] and
//! `docs/stripe-client.md` ("Webhooks").

// `open_enum!`'s napi conversion is `unsafe` glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use serde::Deserialize;
use serde_json::Value;

use super::billing::Subscription;
use super::types::{Customer, Invoice};
use crate::error::{Error, Result};
use crate::macros::open_enum;
use crate::secret::Secret;

/// The tolerance Stripe's libraries apply to the signature's timestamp.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The header the signature comes in.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// Why a webhook's signature was refused (`DEZKY_WEBHOOK_SIGNATURE`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureRefusal {
    /// The header has no `t=` entry.
    MissingTimestamp,
    /// The header has no `v1=` entry.
    MissingSignature,
    /// The header cannot be read: an entry without `=`, a `t` that is not
    /// Unix seconds, or more than one `t`.
    Malformed(&'static str),
    /// No `v1` is the body's signature under this secret (wrong secret, or
    /// a body changed or re-serialised after signing).
    NoMatch,
    /// The timestamp is further from now than the tolerance (a replay, or
    /// a clock out of step).
    OutsideTolerance {
        /// `now - t`, in seconds (negative for a timestamp in the future).
        age_secs: i64,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
}

impl fmt::Display for SignatureRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureRefusal::MissingTimestamp => f.write_str("the header has no t= timestamp"),
            SignatureRefusal::MissingSignature => f.write_str("the header has no v1= signature"),
            SignatureRefusal::Malformed(what) => write!(f, "malformed header: {what}"),
            SignatureRefusal::NoMatch => {
                f.write_str("no v1 signature matches the body under this secret")
            }
            SignatureRefusal::OutsideTolerance {
                age_secs,
                tolerance_secs,
            } => {
                if *age_secs < 0 {
                    write!(
                        f,
                        "the timestamp is {} s in the future (tolerance {tolerance_secs} s)",
                        age_secs.unsigned_abs()
                    )
                } else {
                    write!(
                        f,
                        "the timestamp is {age_secs} s old (tolerance {tolerance_secs} s)"
                    )
                }
            }
        }
    }
}

fn refuse(reason: SignatureRefusal) -> Error {
    Error::WebhookSignature { reason }
}

/// The parts of a `Stripe-Signature` header that count.
struct Header<'a> {
    timestamp: i64,
    signatures: Vec<&'a str>,
}

fn parse_header(header: &str) -> Result<Header<'_>> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for entry in header.split(',') {
        let entry = entry.trim_matches([' ', '\t']);
        if entry.is_empty() {
            continue;
        }
        let Some((key, value)) = entry.split_once('=') else {
            return Err(refuse(SignatureRefusal::Malformed("an entry without =")));
        };
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(refuse(SignatureRefusal::Malformed("more than one t")));
                }
                let seconds = Some(value)
                    .filter(|v| {
                        !v.is_empty() && v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit())
                    })
                    .and_then(|v| v.parse::<i64>().ok())
                    .ok_or_else(|| refuse(SignatureRefusal::Malformed("t is not Unix seconds")))?;
                timestamp = Some(seconds);
            }
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| refuse(SignatureRefusal::MissingTimestamp))?;
    if signatures.is_empty() {
        return Err(refuse(SignatureRefusal::MissingSignature));
    }
    Ok(Header {
        timestamp,
        signatures,
    })
}

/// Lower- or upper-case hex to bytes; `None` for anything else.
fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    fn nibble(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn unix_seconds(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Checks the `Stripe-Signature` of a webhook body without parsing it (see
/// the module documentation): `Ok` when a `v1` matches and `t` is within
/// `tolerance` of `now`, else [`Error::WebhookSignature`] with the
/// [`SignatureRefusal`]. An empty secret is refused as
/// [`Error::InvalidInput`]. Neither the secret nor the signatures appear
/// in any error.
pub fn verify_signature(
    raw_body: &[u8],
    signature_header: &str,
    secret: &Secret,
    now: SystemTime,
    tolerance: Duration,
) -> Result<()> {
    if secret.expose().is_empty() {
        return Err(Error::invalid(
            "secret",
            "the webhook signing secret is empty",
        ));
    }
    let header = parse_header(signature_header)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
    let mut signed = Vec::with_capacity(raw_body.len() + 21);
    signed.extend_from_slice(header.timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(raw_body);
    // Every candidate is checked (no early exit), each in constant time.
    let mut matched = false;
    for candidate in &header.signatures {
        if let Some(tag) = hex_bytes(candidate) {
            matched |= hmac::verify(&key, &signed, &tag).is_ok();
        }
    }
    if !matched {
        return Err(refuse(SignatureRefusal::NoMatch));
    }
    let age_secs = unix_seconds(now).saturating_sub(header.timestamp);
    let tolerance_secs = tolerance.as_secs();
    if age_secs.unsigned_abs() > tolerance_secs {
        return Err(refuse(SignatureRefusal::OutsideTolerance {
            age_secs,
            tolerance_secs,
        }));
    }
    Ok(())
}

/// Verifies a webhook ([`verify_signature`]) and parses its event
/// ([`parse_event`]). Pass [`DEFAULT_TOLERANCE`] unless there is a reason
/// not to, and `SystemTime::now()` as `now`.
pub fn verify_webhook(
    raw_body: &[u8],
    signature_header: &str,
    secret: &Secret,
    now: SystemTime,
    tolerance: Duration,
) -> Result<Event> {
    verify_signature(raw_body, signature_header, secret, now, tolerance)?;
    parse_event(raw_body)
}

open_enum!(
    /// An event's `type`: those the control plane handles, and the rest as sent.
    EventType {
        /// A subscription was created.
        SubscriptionCreated = "customer.subscription.created",
        /// A subscription changed (status, seats, price, cancellation).
        SubscriptionUpdated = "customer.subscription.updated",
        /// A subscription ended.
        SubscriptionDeleted = "customer.subscription.deleted",
        /// An invoice was paid.
        InvoicePaid = "invoice.paid",
        /// An invoice's payment failed.
        InvoicePaymentFailed = "invoice.payment_failed",
        /// A customer changed.
        CustomerUpdated = "customer.updated",
    }
);

/// `data.object` of an event, typed for the events the control plane handles.
#[derive(Debug, Clone, PartialEq)]
pub enum EventObject {
    /// `customer.subscription.*`: the subscription after the change.
    Subscription(Box<Subscription>),
    /// `invoice.paid`, `invoice.payment_failed`.
    Invoice(Box<Invoice>),
    /// `customer.updated`.
    Customer(Box<Customer>),
    /// Any other event type: the object as sent.
    Other(Value),
}

/// A Stripe event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The id (`evt_...`): the key to de-duplicate deliveries by.
    pub id: String,
    /// What happened.
    pub kind: EventType,
    /// When it happened, Unix seconds: the order of events for one object.
    pub created: i64,
    /// Live or test mode.
    pub livemode: bool,
    /// The API version the object is rendered in.
    pub api_version: Option<String>,
    /// The object.
    pub object: EventObject,
    /// For `*.updated`, the changed fields' previous values.
    pub previous_attributes: Option<Value>,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    livemode: bool,
    api_version: Option<String>,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: Value,
    previous_attributes: Option<Value>,
}

fn decode_error(message: String) -> Error {
    Error::Decode {
        service: "stripe".into(),
        url: "webhook event".into(),
        message,
    }
}

fn typed<T: serde::de::DeserializeOwned>(kind: &EventType, object: Value) -> Result<Box<T>> {
    serde_path_to_error::deserialize(object)
        .map(Box::new)
        .map_err(|e| decode_error(format!("{kind} data.object.{}: {}", e.path(), e.inner())))
}

/// Parses an event body (normally after [`verify_signature`]): `id`,
/// `type`, `created`, `livemode`, and `data.object` typed by the type. A
/// body that is not an event, or a handled type whose object does not have
/// the documented shape, is [`Error::Decode`].
pub fn parse_event(raw_body: &[u8]) -> Result<Event> {
    let raw: RawEvent =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(raw_body))
            .map_err(|e| {
                decode_error(format!("not a Stripe event: {}: {}", e.path(), e.inner()))
            })?;
    let kind = EventType::from(raw.kind);
    let object = match kind {
        EventType::SubscriptionCreated
        | EventType::SubscriptionUpdated
        | EventType::SubscriptionDeleted => {
            EventObject::Subscription(typed(&kind, raw.data.object)?)
        }
        EventType::InvoicePaid | EventType::InvoicePaymentFailed => {
            EventObject::Invoice(typed(&kind, raw.data.object)?)
        }
        EventType::CustomerUpdated => EventObject::Customer(typed(&kind, raw.data.object)?),
        EventType::Other(_) => EventObject::Other(raw.data.object),
    };
    Ok(Event {
        id: raw.id,
        kind,
        created: raw.created,
        livemode: raw.livemode,
        api_version: raw.api_version,
        object,
        previous_attributes: raw.data.previous_attributes,
    })
}

/// What to do with a subscription event, given the `created` of the last
/// event applied to the stored snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum EventOrder {
    /// Newer than the stored state (or nothing is stored): apply its object
    /// and store its `created`.
    Apply,
    /// Older than the stored state: a late delivery; ignore it.
    Stale,
    /// Same second as the stored state: the order cannot be told; fetch the
    /// subscription from Stripe and store that.
    Refetch,
}

/// Orders an incoming event against the stored snapshot by `created`
/// (Stripe's seconds): see [`EventOrder`].
pub fn order_event(stored_event_created: Option<i64>, incoming_created: i64) -> EventOrder {
    match stored_event_created {
        None => EventOrder::Apply,
        Some(stored) if incoming_created > stored => EventOrder::Apply,
        Some(stored) if incoming_created < stored => EventOrder::Stale,
        Some(_) => EventOrder::Refetch,
    }
}

/// Whether an event created at `incoming_created` may be applied over a
/// snapshot last set by an event created at `stored_event_created`: only
/// when it is strictly newer (a tie is [`EventOrder::Refetch`], see [`order_event`]).
pub fn is_newer(stored_event_created: Option<i64>, incoming_created: i64) -> bool {
    order_event(stored_event_created, incoming_created) == EventOrder::Apply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_read_strictly() {
        assert_eq!(hex_bytes("00ff10Ab"), Some(vec![0, 255, 16, 171]));
        assert_eq!(hex_bytes("0"), None);
        assert_eq!(hex_bytes("zz"), None);
        assert_eq!(hex_bytes("é0"), None);
        assert_eq!(hex_bytes(""), Some(vec![]));
    }

    #[test]
    fn headers_are_parsed() {
        let h = parse_header("t=12,v1=ab,v0=cd, v1=ef").expect("parsed");
        assert_eq!(h.timestamp, 12);
        assert_eq!(h.signatures, vec!["ab", "ef"]);
        let refusal = |header: &str| match parse_header(header) {
            Err(Error::WebhookSignature { reason }) => reason,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("{header} accepted"),
        };
        assert_eq!(refusal("v1=ab"), SignatureRefusal::MissingTimestamp);
        assert_eq!(refusal("t=1,v0=ab"), SignatureRefusal::MissingSignature);
        assert_eq!(refusal(""), SignatureRefusal::MissingTimestamp);
        assert!(matches!(refusal("t=1,v1"), SignatureRefusal::Malformed(_)));
        assert!(matches!(
            refusal("t=-1,v1=ab"),
            SignatureRefusal::Malformed(_)
        ));
        assert!(matches!(
            refusal("t=1x,v1=ab"),
            SignatureRefusal::Malformed(_)
        ));
        assert!(matches!(
            refusal("t=,v1=ab"),
            SignatureRefusal::Malformed(_)
        ));
        assert!(matches!(
            refusal("t=99999999999999999999,v1=ab"),
            SignatureRefusal::Malformed(_)
        ));
        assert!(matches!(
            refusal("t=1,t=2,v1=ab"),
            SignatureRefusal::Malformed(_)
        ));
    }

    #[test]
    fn ordering_by_created() {
        assert_eq!(order_event(None, 5), EventOrder::Apply);
        assert_eq!(order_event(Some(4), 5), EventOrder::Apply);
        assert_eq!(order_event(Some(5), 5), EventOrder::Refetch);
        assert_eq!(order_event(Some(6), 5), EventOrder::Stale);
        assert!(is_newer(None, 0));
        assert!(is_newer(Some(1), 2));
        assert!(!is_newer(Some(2), 2));
        assert!(!is_newer(Some(3), 2));
    }
}
