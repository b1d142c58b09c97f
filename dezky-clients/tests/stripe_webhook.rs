//! Stripe webhook signatures and events. The signatures here are computed
//! independently of the code under test: by an HMAC-SHA256 written below
//! over the `sha2` crate (RFC 2104), and one vector made with Python's
//! `hmac` module. The event objects are stripe-mock's fixtures of the pinned
//! release, and every envelope is checked against the `event` schema of its
//! OpenAPI document.

#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dezky_clients::stripe::{
    DEFAULT_TOLERANCE, EventObject, EventOrder, EventType, SignatureRefusal, SubscriptionStatus,
    is_newer, order_event, parse_event, verify_signature, verify_webhook,
};
use dezky_clients::{Error, Secret};
use dezky_contract::{Spec, stripe_mock_fixtures};
use dezky_flags::contract::{Detail, ErrorContract};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SECRET: &str = "whsec_plJ8Zk0dXy3UuWQm6gGJ4rKtbNf2aV9e";
const T: i64 = 1_700_000_000;

/// HMAC-SHA256 (RFC 2104) over SHA-256 alone.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&inner_pad)
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(&outer_pad)
        .chain_update(inner)
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stripe's `v1`: the hex HMAC of `"{t}.{body}"`.
fn v1(secret: &str, t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    hex(&hmac_sha256(secret.as_bytes(), &signed))
}

fn at(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).expect("positive"))
}

fn fixture(name: &str) -> Value {
    let value = stripe_mock_fixtures()["resources"][name].clone();
    assert!(value.is_object(), "stripe-mock has no {name} fixture");
    value
}

/// An event envelope of `kind` around `object`, valid for the document's `event` schema.
fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    let mut event = fixture("event");
    event["id"] = json!(id);
    event["type"] = json!(kind);
    event["created"] = json!(created);
    event["api_version"] = json!("2026-06-24.dahlia");
    event["data"] = json!({ "object": object });
    Spec::stripe_mock().assert_component("event", &event);
    event
}

fn subscription_event_body() -> Vec<u8> {
    let mut subscription = fixture("subscription");
    subscription["status"] = json!("past_due");
    subscription["items"]["data"][0]["quantity"] = json!(7);
    let mut event = event(
        "evt_sub_1",
        "customer.subscription.updated",
        T - 10,
        subscription,
    );
    event["data"]["previous_attributes"] = json!({"status": "active"});
    serde_json::to_vec(&event).expect("JSON")
}

fn refusal(result: Result<impl std::fmt::Debug, Error>) -> SignatureRefusal {
    match result {
        Err(Error::WebhookSignature { reason }) => reason,
        other => panic!("expected a signature refusal, got {other:?}"),
    }
}

fn secret() -> Secret {
    Secret::new(SECRET)
}

#[test]
fn the_independent_hmac_matches_rfc_4231() {
    // RFC 4231, test case 2.
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    // Test case 6: a key longer than the block.
    assert_eq!(
        hex(&hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

#[test]
fn a_python_signed_body_verifies() {
    // Made once with:
    // python3 -c 'import hmac, hashlib; print(hmac.new(b"whsec_plJ8Zk0dXy3UuWQm6gGJ4rKtbNf2aV9e",
    //   b"1700000000." + BODY, hashlib.sha256).hexdigest())'   (BODY as below)
    let body = br#"{"id":"evt_1","object":"event","type":"customer.updated","created":1700000000,"livemode":false,"data":{"object":{"id":"cus_1","object":"customer"}}}"#;
    let header = "t=1700000000,v1=7976b47bb6001ded3ec001f028ccf4cec29acd29276d9330d7f8246ffa4a4d26";
    assert_eq!(
        Some(v1(SECRET, T, body).as_str()),
        header.strip_prefix("t=1700000000,v1=")
    );
    let event =
        verify_webhook(body, header, &secret(), at(T + 5), DEFAULT_TOLERANCE).expect("verified");
    assert_eq!(event.id, "evt_1");
    assert_eq!(event.kind, EventType::CustomerUpdated);
    assert_eq!(event.created, T);
    assert!(!event.livemode);
    match event.object {
        EventObject::Customer(customer) => assert_eq!(customer.id, "cus_1"),
        other => panic!("expected a customer, got {other:?}"),
    }
}

#[test]
fn a_valid_signature_gives_the_typed_event() {
    let body = subscription_event_body();
    let header = format!("t={T},v1={}", v1(SECRET, T, &body));
    let event =
        verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE).expect("verified");
    assert_eq!(event.id, "evt_sub_1");
    assert_eq!(event.kind, EventType::SubscriptionUpdated);
    assert_eq!(event.kind.as_str(), "customer.subscription.updated");
    assert_eq!(event.created, T - 10);
    assert_eq!(event.api_version.as_deref(), Some("2026-06-24.dahlia"));
    assert_eq!(event.previous_attributes, Some(json!({"status": "active"})));
    let EventObject::Subscription(subscription) = event.object else {
        panic!("expected a subscription");
    };
    assert_eq!(subscription.status, SubscriptionStatus::PastDue);
    let snapshot = subscription.snapshot().expect("snapshot");
    assert_eq!(snapshot.seats, 7);
    assert_eq!(snapshot.per_seat_amount, 2000);
}

#[test]
fn one_matching_v1_among_several_is_enough() {
    let body = subscription_event_body();
    let good = v1(SECRET, T, &body);
    let old = v1("whsec_the_previous_secret", T, &body);
    for header in [
        format!("t={T},v1={old},v1={good}"),
        format!("t={T},v1={good},v1={old}"),
        format!("v1={old}, t={T}, v0={old}, v1={good}"),
        // Upper-case hex is the same signature.
        format!("t={T},v1={}", good.to_ascii_uppercase()),
        // Unknown schemes and a garbled v1 do not stop a good one.
        format!("t={T},v0=00,v1=not-hex,v2=x,v1={good}"),
    ] {
        verify_signature(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE)
            .unwrap_or_else(|e| panic!("{header}: {e}"));
    }
    // The old secret alone, and a v0 carrying the right value, are not enough.
    for header in [
        format!("t={T},v1={old}"),
        format!("t={T},v0={good},v1={old}"),
    ] {
        assert_eq!(
            refusal(verify_signature(
                &body,
                &header,
                &secret(),
                at(T),
                DEFAULT_TOLERANCE
            )),
            SignatureRefusal::NoMatch,
            "{header}"
        );
    }
}

#[test]
fn a_wrong_secret_or_a_changed_body_is_refused() {
    let body = subscription_event_body();
    let header = format!("t={T},v1={}", v1(SECRET, T, &body));
    let check = |body: &[u8], header: &str, secret: &Secret| {
        refusal(verify_webhook(
            body,
            header,
            secret,
            at(T),
            DEFAULT_TOLERANCE,
        ))
    };
    assert_eq!(
        check(&body, &header, &Secret::new("whsec_another")),
        SignatureRefusal::NoMatch
    );
    // One byte changed.
    let mut tampered = body.clone();
    let position = tampered
        .windows(4)
        .position(|w| w == b"\":7}" || w == b"\":7,")
        .expect("the quantity is in the body");
    tampered[position + 2] = b'9';
    assert_eq!(
        check(&tampered, &header, &secret()),
        SignatureRefusal::NoMatch
    );
    // The same JSON, serialised again (pretty): no longer the signed bytes.
    let value: Value = serde_json::from_slice(&body).expect("JSON");
    let reserialised = serde_json::to_vec_pretty(&value).expect("JSON");
    assert_ne!(reserialised, body);
    assert_eq!(
        check(&reserialised, &header, &secret()),
        SignatureRefusal::NoMatch
    );
    // A body with a trailing newline.
    let mut newline = body.clone();
    newline.push(b'\n');
    assert_eq!(
        check(&newline, &header, &secret()),
        SignatureRefusal::NoMatch
    );
    // The signature of another timestamp.
    let shifted = format!("t={},v1={}", T + 1, v1(SECRET, T, &body));
    assert_eq!(check(&body, &shifted, &secret()), SignatureRefusal::NoMatch);
}

#[test]
fn the_timestamp_must_be_within_the_tolerance_both_ways() {
    let body = subscription_event_body();
    let header = format!("t={T},v1={}", v1(SECRET, T, &body));
    let verify = |now: i64, tolerance: Duration| {
        verify_signature(&body, &header, &secret(), at(now), tolerance)
    };
    assert!(verify(T + 300, DEFAULT_TOLERANCE).is_ok());
    assert!(verify(T - 300, DEFAULT_TOLERANCE).is_ok());
    assert_eq!(
        refusal(verify(T + 301, DEFAULT_TOLERANCE)),
        SignatureRefusal::OutsideTolerance {
            age_secs: 301,
            tolerance_secs: 300
        }
    );
    // Signed "in the future": the receiver's clock is 301 s behind.
    let future = refusal(verify(T - 301, DEFAULT_TOLERANCE));
    assert_eq!(
        future,
        SignatureRefusal::OutsideTolerance {
            age_secs: -301,
            tolerance_secs: 300
        }
    );
    assert!(future.to_string().contains("in the future"), "{future}");
    // A replay a day later.
    assert!(matches!(
        refusal(verify(T + 86_400, DEFAULT_TOLERANCE)),
        SignatureRefusal::OutsideTolerance { .. }
    ));
    // Another tolerance.
    assert!(verify(T + 30, Duration::from_secs(30)).is_ok());
    assert!(verify(T + 31, Duration::from_secs(30)).is_err());
}

#[test]
fn headers_without_t_or_v1_or_unreadable_are_refused() {
    let body = subscription_event_body();
    let good = v1(SECRET, T, &body);
    let check = |header: &str| {
        refusal(verify_signature(
            &body,
            header,
            &secret(),
            at(T),
            DEFAULT_TOLERANCE,
        ))
    };
    assert_eq!(
        check(&format!("v1={good}")),
        SignatureRefusal::MissingTimestamp
    );
    assert_eq!(check(""), SignatureRefusal::MissingTimestamp);
    assert_eq!(check(&format!("t={T}")), SignatureRefusal::MissingSignature);
    assert_eq!(
        check(&format!("t={T},v0={good}")),
        SignatureRefusal::MissingSignature
    );
    for malformed in [
        format!("t={T};v1={good}"),
        format!("t={T},v1"),
        format!("t=abc,v1={good}"),
        format!("t=-{T},v1={good}"),
        format!("t={T}.5,v1={good}"),
        format!("t={T},t={},v1={good}", T + 1),
        "garbage".to_owned(),
    ] {
        assert!(
            matches!(check(&malformed), SignatureRefusal::Malformed(_)),
            "{malformed}"
        );
    }
    // An empty secret is an argument error, not a signature check against "".
    let error = verify_signature(
        &body,
        &format!("t={T},v1={good}"),
        &Secret::new(""),
        at(T),
        DEFAULT_TOLERANCE,
    )
    .expect_err("refused");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
}

#[test]
fn a_non_utf8_body_is_checked_as_bytes_and_then_refused_as_no_event() {
    let body = b"{\"id\":\"evt_\xff\xfe\"}".to_vec();
    assert!(std::str::from_utf8(&body).is_err());
    let header = format!("t={T},v1={}", v1(SECRET, T, &body));
    verify_signature(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE)
        .expect("the signature is over the bytes");
    let error = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE)
        .expect_err("not an event");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_DECODE");
    let unsigned = format!("t={T},v1={}", v1(SECRET, T, b"other"));
    assert_eq!(
        refusal(verify_webhook(
            &body,
            &unsigned,
            &secret(),
            at(T),
            DEFAULT_TOLERANCE
        )),
        SignatureRefusal::NoMatch
    );
}

#[test]
fn the_error_contract_and_no_secret_in_errors() {
    let body = subscription_event_body();
    let good = v1(SECRET, T, &body);
    let error = verify_webhook(
        &body,
        &format!("t={T},v1={good}"),
        &secret(),
        at(T + 1000),
        DEFAULT_TOLERANCE,
    )
    .expect_err("too old");
    assert_eq!(error.code(), "DEZKY_WEBHOOK_SIGNATURE");
    assert!(Error::CODES.contains(&"DEZKY_WEBHOOK_SIGNATURE"));
    let details = error.details();
    let reason = details
        .iter()
        .find(|(name, _)| *name == "reason")
        .map(|(_, value)| value.clone());
    assert_eq!(
        reason,
        Some(Detail::from(
            "the timestamp is 1000 s old (tolerance 300 s)"
        ))
    );
    let wrong = verify_webhook(
        &body,
        &format!("t={T},v1={}", v1("whsec_x", T, &body)),
        &secret(),
        at(T),
        DEFAULT_TOLERANCE,
    )
    .expect_err("refused");
    for e in [&error, &wrong] {
        let shown = format!("{e:?} {e} {:?}", e.details());
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains(&good), "{shown}");
        assert!(!shown.contains(&good[..16]), "{shown}");
    }
    assert!(!format!("{:?}", secret()).contains(SECRET));
}

fn signed(event: &Value) -> (Vec<u8>, String) {
    let body = serde_json::to_vec(event).expect("JSON");
    let header = format!("t={T},v1={}", v1(SECRET, T, &body));
    (body, header)
}

#[test]
fn handled_types_are_typed_and_others_kept_raw() {
    let (body, header) = signed(&event("evt_inv", "invoice.paid", T, fixture("invoice")));
    let paid = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE).expect("ok");
    assert_eq!(paid.kind, EventType::InvoicePaid);
    let EventObject::Invoice(invoice) = paid.object else {
        panic!("expected an invoice");
    };
    assert_eq!(invoice.amount_due, 1000);

    let (body, header) = signed(&event(
        "evt_fail",
        "invoice.payment_failed",
        T,
        fixture("invoice"),
    ));
    let failed = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE).expect("ok");
    assert_eq!(failed.kind, EventType::InvoicePaymentFailed);
    assert!(matches!(failed.object, EventObject::Invoice(_)));

    for kind in [
        "customer.subscription.created",
        "customer.subscription.deleted",
    ] {
        let (body, header) = signed(&event("evt_s", kind, T, fixture("subscription")));
        let e = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE).expect(kind);
        assert_eq!(e.kind.as_str(), kind);
        assert!(matches!(e.object, EventObject::Subscription(_)), "{kind}");
    }

    let (body, header) = signed(&event("evt_c", "customer.updated", T, fixture("customer")));
    let customer = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE).expect("ok");
    assert!(matches!(customer.object, EventObject::Customer(c) if c.id == "cus_QXg1o8vcGmoR32"));

    // Any other type: the object as sent.
    let price = fixture("price");
    let (body, header) = signed(&event("evt_p", "price.updated", T, price.clone()));
    let other = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE).expect("ok");
    assert_eq!(other.kind, EventType::Other("price.updated".into()));
    assert_eq!(other.object, EventObject::Other(price));
}

#[test]
fn a_handled_type_with_a_foreign_object_is_a_decode_error() {
    // Signed, so authentic, but its object is not a subscription.
    let (body, header) = signed(&event(
        "evt_bad",
        "customer.subscription.updated",
        T,
        fixture("customer"),
    ));
    let error = verify_webhook(&body, &header, &secret(), at(T), DEFAULT_TOLERANCE)
        .expect_err("not a subscription");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_DECODE");
    assert!(
        error.to_string().contains("customer.subscription.updated"),
        "{error}"
    );
    for not_an_event in [&b"[]"[..], b"{}", b"null", b"", b"{\"id\":\"evt_1\"}"] {
        let error = parse_event(not_an_event).expect_err("not an event");
        assert_eq!(error.code(), "DEZKY_UPSTREAM_DECODE");
    }
}

/// The handler's rule (docs/stripe-client.md, "Webhooks"): de-duplicate by
/// event id; apply a subscription event only when newer than the stored one.
#[test]
fn duplicates_and_late_deliveries_leave_the_latest_state() {
    #[derive(Default)]
    struct Store {
        seen: BTreeSet<String>,
        // subscription id -> (created of the applied event, seats)
        snapshots: BTreeMap<String, (i64, u64)>,
        refetches: usize,
    }
    impl Store {
        fn deliver(&mut self, id: &str, created: i64, seats: u64) {
            if !self.seen.insert(id.to_owned()) {
                return;
            }
            let stored = self.snapshots.get("sub_1").map(|(c, _)| *c);
            match order_event(stored, created) {
                EventOrder::Apply => {
                    self.snapshots.insert("sub_1".into(), (created, seats));
                }
                EventOrder::Stale => {}
                EventOrder::Refetch => self.refetches += 1,
            }
        }
    }
    let mut store = Store::default();
    store.deliver("evt_2", 200, 5);
    store.deliver("evt_1", 100, 3); // late
    store.deliver("evt_2", 200, 5); // duplicate
    store.deliver("evt_3", 300, 8);
    store.deliver("evt_1", 100, 3); // late duplicate
    assert_eq!(store.snapshots["sub_1"], (300, 8));
    assert_eq!(store.refetches, 0);
    store.deliver("evt_4", 300, 9); // same second: cannot be ordered
    assert_eq!(store.refetches, 1);
    assert_eq!(store.snapshots["sub_1"], (300, 8));
    assert!(is_newer(None, 1));
    assert!(is_newer(Some(300), 301));
    assert!(!is_newer(Some(300), 300));
    assert!(!is_newer(Some(300), 299));
}
