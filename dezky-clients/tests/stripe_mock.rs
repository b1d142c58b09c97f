//! The Stripe client against stripe-mock, Stripe's own mock server, which
//! validates every request (path, method, content type, parameters) against
//! the current OpenAPI document and answers with the current fixtures.
//!
//! The test starts `stripe-mock` on 127.0.0.1 on a free port and stops it at
//! the end. Without the binary the tests FAIL: run
//! `scripts/install-test-deps.sh` (or set `STRIPE_MOCK_BIN`).

#![allow(clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dezky_clients::http::{HttpConfig, collect_all};
use dezky_clients::stripe::{
    BillingAddress, BillingDetails, NewCustomer, NewSubscription, ProrationBehavior,
    SetupIntentStatus, StripeClient, SubscriptionStatus, TaxIdVerificationStatus,
};
use dezky_clients::{Error, Secret, UpstreamKind};

/// Where stripe-mock is: `$STRIPE_MOCK_BIN`, `$(go env GOPATH)/bin`,
/// `~/go/bin`, or `target/test-deps/bin`.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("STRIPE_MOCK_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "STRIPE_MOCK_BIN={} is not a file: run scripts/install-test-deps.sh",
            path.display()
        );
        return path;
    }
    let mut candidates = Vec::new();
    if let Ok(output) = Command::new("go").args(["env", "GOPATH"]).output() {
        let gopath = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        for dir in gopath.split(':').filter(|d| !d.is_empty()) {
            candidates.push(PathBuf::from(dir).join("bin/stripe-mock"));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join("go/bin/stripe-mock"));
    }
    candidates.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-deps/bin/stripe-mock"),
    );
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "stripe-mock is not installed (looked in {candidates:?}): \
                 run scripts/install-test-deps.sh, or set STRIPE_MOCK_BIN"
            )
        })
}

/// A running stripe-mock, killed when dropped.
struct StripeMock {
    child: Child,
    url: String,
}

impl StripeMock {
    fn start() -> StripeMock {
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").expect("free port");
            probe.local_addr().expect("addr").port()
        };
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(binary())
            // HTTPS (on by default, port 12112 on all interfaces) goes to
            // a free loopback port, so that parallel instances do not collide.
            .args(["-http-addr", &address, "-https-addr", "127.0.0.1:"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("stripe-mock starts");
        let mut mock = StripeMock {
            child,
            url: format!("http://{address}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&address).is_err() {
            if let Ok(Some(status)) = mock.child.try_wait() {
                panic!("stripe-mock exited at start with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "stripe-mock did not listen on {address} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        mock
    }

    fn client(&self, key: &str) -> StripeClient {
        let config = HttpConfig::new(&self.url)
            .expect("config")
            .with_timeout(Duration::from_secs(10));
        StripeClient::new(config, Secret::new(key)).expect("client")
    }
}

impl Drop for StripeMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const KEY: &str = "sk_test_123";

#[tokio::test]
async fn customers_setup_intents_cards_and_invoices() {
    let mock = StripeMock::start();
    let stripe = mock.client(KEY);

    let customer = stripe
        .create_customer(&NewCustomer {
            tenant_id: "t-42".into(),
            tenant_slug: Some("acme".into()),
            name: Some("ACME GmbH".into()),
            email: Some("billing@acme.example".into()),
        })
        .await
        .expect("stripe-mock accepts the customer");
    assert!(customer.id.starts_with("cus_"), "{}", customer.id);
    // stripe-mock reflects same-named input values.
    assert_eq!(customer.email.as_deref(), Some("billing@acme.example"));
    assert_eq!(customer.name.as_deref(), Some("ACME GmbH"));

    let retrieved = stripe
        .retrieve_customer(&customer.id)
        .await
        .expect("retrieved");
    assert!(retrieved.id.starts_with("cus_"));

    let updated = stripe
        .set_default_payment_method(&customer.id, "pm_card_visa")
        .await
        .expect("stripe-mock accepts invoice_settings[default_payment_method]");
    assert!(updated.id.starts_with("cus_"));

    let attached = stripe
        .attach_payment_method(&customer.id, "pm_card_visa")
        .await
        .expect("attached");
    assert!(attached.id.starts_with("pm_"));

    let intent = stripe
        .create_setup_intent(&customer.id, "form-1", Some("t-42"))
        .await
        .expect("stripe-mock accepts automatic_payment_methods");
    assert!(intent.id.starts_with("seti_"));
    assert!(intent.client_secret.is_some());
    assert!(!matches!(intent.status, SetupIntentStatus::Other(_)));

    // The fixture's default payment method is null: expansion keeps it null.
    stripe
        .default_card(&customer.id)
        .await
        .expect("stripe-mock accepts expand[]");

    let invoices = collect_all(stripe.invoices(&customer.id))
        .await
        .expect("stripe-mock lists invoices");
    assert!(!invoices.is_empty());
    assert!(invoices.iter().all(|i| i.id.is_some()));

    let found = stripe
        .search_customers_by_metadata("tenant_id", "t-42")
        .await
        .expect("stripe-mock accepts the search query");
    assert!(found.iter().all(|c| c.id.starts_with("cus_")));
}

#[tokio::test]
async fn a_malformed_key_is_unauthorized() {
    let mock = StripeMock::start();
    let stripe = mock.client("not-a-stripe-key");
    let error = stripe
        .retrieve_customer("cus_123")
        .await
        .expect_err("refused");
    match error {
        Error::Upstream(e) => {
            assert_eq!(e.kind, UpstreamKind::Unauthorized, "{e:?}");
            assert_eq!(e.status, 401);
            assert!(e.upstream_code.is_some(), "{e:?}");
            // stripe-mock quotes the key in its message; the client cuts it out.
            let shown = format!("{e:?} {e}");
            assert!(!shown.contains("not-a-stripe-key"), "{shown}");
            assert!(
                e.message.as_deref().is_some_and(|m| m.contains("***")),
                "{e:?}"
            );
        }
        other => panic!("expected an upstream error, got {other:?}"),
    }
}

#[tokio::test]
async fn billing_details_tax_ids_and_subscriptions() {
    let mock = StripeMock::start();
    let stripe = mock.client(KEY);
    let customer = "cus_QXg1o8vcGmoR32";

    let updated = stripe
        .update_billing_details(
            customer,
            &BillingDetails {
                name: Some("ACME GmbH".into()),
                email: Some("billing@acme.example".into()),
                address: Some(BillingAddress {
                    line1: Some("Hauptstr. 1".into()),
                    line2: Some("3. OG".into()),
                    postal_code: Some("10115".into()),
                    city: Some("Berlin".into()),
                    state: None,
                    country: Some("DE".into()),
                }),
            },
            "req-1",
        )
        .await
        .expect("stripe-mock accepts name, email and address[...]");
    assert!(updated.id.starts_with("cus_"));

    let added = stripe
        .add_eu_vat_id(customer, "DE123456789", "req-2")
        .await
        .expect("stripe-mock accepts type=eu_vat");
    assert!(added.id.starts_with("txi_"), "{}", added.id);
    assert!(
        matches!(
            added.verification_status(),
            Some(s) if !matches!(s, TaxIdVerificationStatus::Other(_))
        ),
        "{added:?}"
    );
    let listed = stripe.tax_ids(customer).await.expect("listed");
    assert!(listed.iter().all(|t| t.id.starts_with("txi_")));
    stripe
        .delete_tax_id(customer, &added.id)
        .await
        .expect("deleted");

    let subscription = stripe
        .create_subscription(
            &NewSubscription {
                customer_id: customer.into(),
                price_id: "price_1PgafmB7WZ01zgkW6dKueIc5".into(),
                seats: 5,
                tenant_id: Some("t-42".into()),
            },
            "req-3",
        )
        .await
        .expect("stripe-mock accepts items[0][price] and items[0][quantity]");
    assert!(subscription.id.starts_with("sub_"));
    assert!(!matches!(subscription.status, SubscriptionStatus::Other(_)));
    let item = subscription.seat_item().expect("one item").id.clone();
    let changed = stripe
        .change_seats(
            &subscription.id,
            &item,
            8,
            ProrationBehavior::CreateProrations,
            "req-4",
        )
        .await
        .expect("stripe-mock accepts items[0][id], items[0][quantity], proration_behavior");
    assert!(changed.id.starts_with("sub_"));
    let canceled = stripe
        .cancel_at_period_end(&subscription.id, "req-5")
        .await
        .expect("stripe-mock accepts cancel_at_period_end");
    assert!(canceled.id.starts_with("sub_"));
    let read = stripe
        .retrieve_subscription(&subscription.id)
        .await
        .expect("retrieved");
    // The fixture's price is monthly, per unit: the snapshot is complete.
    let snapshot = read.snapshot().expect("snapshot");
    assert_eq!(snapshot.cycle, dezky_core::billing::BillingCycle::Monthly);
    assert_eq!(snapshot.per_seat_amount, 2000);
}
