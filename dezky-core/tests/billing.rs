//! Billing maths: records read with field-named errors, monthly amounts with
//! the one rounding rule, MRR by tenant, plan and partner with margins.

#![allow(clippy::expect_used)]

use dezky_core::Error;
use dezky_core::billing::{
    BillingCycle, MAX_AMOUNT, MAX_SEATS, Price, Subscription, SubscriptionStatus,
    margin_basis_points, monthly_amount, mrr,
};
use dezky_core::lifecycle::{PartnerDocument, TenantDocument};
use num_bigint::BigUint;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => panic!("an object"),
    }
}

fn field_of(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn oid(n: u32) -> String {
    format!("{n:024x}")
}

fn sub(n: u32, tenant: u32, extra: Value) -> Subscription {
    let mut doc = json!({"_id": {"$oid": oid(n)}, "tenantId": oid(tenant), "plan": "business", "status": "active"});
    for (k, v) in map(extra) {
        doc[k] = v;
    }
    Subscription::from_document("subscription", &map(doc)).expect("a subscription")
}

fn tenant(n: u32, partner: Option<u32>, seats: Option<u32>) -> TenantDocument {
    let mut doc = json!({"_id": oid(n), "slug": format!("t{n}"), "name": "T", "status": "active", "plan": "business"});
    if let Some(p) = partner {
        doc["partnerId"] = json!(oid(p));
    }
    if let Some(s) = seats {
        doc["seats"] = json!(s);
    }
    TenantDocument::from_document("tenant", &map(doc)).expect("a tenant")
}

fn partner(n: u32, margin: Value) -> PartnerDocument {
    PartnerDocument::from_document(
        "partner",
        &map(json!({"_id": oid(n), "slug": format!("p{n}"), "name": "P", "status": "active", "marginPct": margin})),
    )
    .expect("a partner")
}

#[test]
fn records_read_with_named_errors() {
    let s = sub(
        1,
        9,
        json!({"cycle": "yearly", "currency": "EUR", "perSeatAmount": 12000, "seats": 5,
                              "stripeSubscriptionId": "sub_1"}),
    );
    assert_eq!(s.cycle, Some(BillingCycle::Yearly));
    assert_eq!(s.currency.as_deref(), Some("eur"));
    assert_eq!((s.per_seat_amount, s.seats), (Some(12000), Some(5)));
    let bad = |extra: Value| {
        let mut doc =
            json!({"_id": oid(1), "tenantId": oid(2), "plan": "business", "status": "active"});
        for (k, v) in map(extra) {
            doc[k] = v;
        }
        field_of(Subscription::from_document("subscription", &map(doc)))
    };
    assert_eq!(bad(json!({"status": "live"})), "subscription.status");
    assert_eq!(bad(json!({"cycle": "weekly"})), "subscription.cycle");
    assert_eq!(bad(json!({"currency": "xyz"})), "subscription.currency");
    assert_eq!(bad(json!({"currency": "euro"})), "subscription.currency");
    assert_eq!(
        bad(json!({"perSeatAmount": -1})),
        "subscription.perSeatAmount"
    );
    assert_eq!(
        bad(json!({"perSeatAmount": 9.99})),
        "subscription.perSeatAmount"
    );
    assert_eq!(bad(json!({"seats": 1_000_001})), "subscription.seats");
    assert_eq!(
        bad(json!({"perSeatAmount": 1_000_000_000_001u64})),
        "subscription.perSeatAmount"
    );
    assert_eq!(bad(json!({"tenantId": 7})), "subscription.tenantId");
    assert_eq!(bad(json!({"plan": ""})), "subscription.plan");
    let price = Price::from_document(
        "price",
        &map(json!({"_id": oid(3), "plan": "business", "cycle": "monthly", "currency": "dkk", "perSeatAmount": 7500})),
    )
    .expect("a price");
    assert!(price.active);
    assert_eq!(
        field_of(Price::from_document(
            "price",
            &map(json!({"_id": oid(3), "plan": "b", "cycle": "monthly", "currency": "dkk"}))
        )),
        "price.perSeatAmount"
    );
}

#[test]
fn monthly_amounts_round_half_up_once() {
    assert_eq!(monthly_amount(BillingCycle::Monthly, 999, 3), 2997);
    // 1 * 1 / 12 = 0.083 -> 0; 6 / 12 = 0.5 -> 1; 18 / 12 = 1.5 -> 2; 17 / 12 = 1.42 -> 1.
    assert_eq!(monthly_amount(BillingCycle::Yearly, 1, 1), 0);
    assert_eq!(monthly_amount(BillingCycle::Yearly, 6, 1), 1);
    assert_eq!(monthly_amount(BillingCycle::Yearly, 18, 1), 2);
    assert_eq!(monthly_amount(BillingCycle::Yearly, 17, 1), 1);
    // Per subscription, not per seat: 7 seats at 10 a year are 70 / 12 = 5.83 -> 6 (not 7 * 1).
    assert_eq!(monthly_amount(BillingCycle::Yearly, 10, 7), 6);
    assert_eq!(
        monthly_amount(BillingCycle::Monthly, MAX_AMOUNT, MAX_SEATS),
        MAX_AMOUNT * MAX_SEATS
    );
}

#[test]
fn margins_are_exact_basis_points() {
    assert_eq!(margin_basis_points(&partner(1, json!(20))), Ok(2000));
    assert_eq!(margin_basis_points(&partner(1, json!(12.5))), Ok(1250));
    assert_eq!(margin_basis_points(&partner(1, json!(0.01))), Ok(1));
    assert_eq!(margin_basis_points(&partner(1, json!(100))), Ok(10_000));
    assert_eq!(
        field_of(margin_basis_points(&partner(1, json!(33.333)))),
        "partner.marginPct"
    );
    let none = PartnerDocument::from_document(
        "partner",
        &map(json!({"_id": oid(1), "slug": "p", "status": "active"})),
    )
    .expect("a partner");
    assert_eq!(margin_basis_points(&none), Ok(0));
}

#[test]
fn mrr_by_tenant_plan_and_partner_never_mixes_currencies() {
    let tenants = [
        tenant(10, Some(100), None),
        tenant(11, Some(100), Some(4)),
        tenant(12, None, None),
    ];
    let partners = [partner(100, json!(12.5))];
    let catalogue = [Price::from_document(
        "price",
        &map(json!({"_id": oid(50), "plan": "starter", "cycle": "yearly", "currency": "eur", "perSeatAmount": 6000})),
    )
    .expect("a price")];
    let subs = [
        // 5 seats at 10.00 EUR a month.
        sub(
            1,
            10,
            json!({"cycle": "monthly", "currency": "eur", "perSeatAmount": 1000, "seats": 5}),
        ),
        // 3 seats at 1,000.00 DKK a year: 3000.00 / 12 = 250.00 DKK.
        sub(
            2,
            10,
            json!({"cycle": "yearly", "currency": "dkk", "perSeatAmount": 100000, "seats": 3}),
        ),
        // No snapshot: the catalogue's starter price, the tenant's 4 seats: 4 * 60.00 / 12 = 20.00 EUR.
        sub(3, 11, json!({"plan": "starter"})),
        // Past due still counts; trialing and canceled do not.
        sub(
            4,
            12,
            json!({"status": "past_due", "cycle": "monthly", "currency": "eur", "perSeatAmount": 333, "seats": 1}),
        ),
        sub(
            5,
            12,
            json!({"status": "trialing", "cycle": "monthly", "currency": "eur", "perSeatAmount": 99999, "seats": 1}),
        ),
        sub(
            6,
            11,
            json!({"status": "canceled", "cycle": "monthly", "currency": "eur", "perSeatAmount": 99999, "seats": 1}),
        ),
        // No snapshot, no catalogue price: listed, not guessed.
        sub(7, 12, json!({"plan": "enterprise"})),
    ];
    let r = mrr(&subs, &catalogue, &tenants, &partners).expect("a report");
    assert_eq!(r.total.get("eur"), Some(&(5000 + 2000 + 333)));
    assert_eq!(r.total.get("dkk"), Some(&25000));
    assert_eq!(
        r.by_tenant[&oid(10)],
        [("dkk".to_owned(), 25000), ("eur".to_owned(), 5000)].into()
    );
    assert_eq!(r.by_plan["starter"], [("eur".to_owned(), 2000)].into());
    assert_eq!(r.subscriptions.len(), 4);
    assert!(
        r.subscriptions
            .iter()
            .any(|s| s.subscription_id == oid(3) && s.from_catalogue)
    );
    assert_eq!(r.unpriced.len(), 1);
    assert_eq!(r.unpriced[0].subscription_id, oid(7));
    // The partner: tenants 10 and 11, per currency, 12.5 % margin rounded half up.
    let eur = r
        .by_partner
        .iter()
        .find(|p| p.currency == "eur")
        .expect("eur");
    assert_eq!((eur.mrr, eur.margin, eur.net), (7000, 875, 6125));
    let dkk = r
        .by_partner
        .iter()
        .find(|p| p.currency == "dkk")
        .expect("dkk");
    assert_eq!((dkk.mrr, dkk.margin, dkk.net), (25000, 3125, 21875));
    assert_eq!(dkk.partner_slug, "p100");
    // Every table adds up to the total.
    for currency in ["eur", "dkk"] {
        let sum: u64 = r.by_tenant.values().filter_map(|t| t.get(currency)).sum();
        assert_eq!(Some(&sum), r.total.get(currency));
        let sum: u64 = r.by_plan.values().filter_map(|t| t.get(currency)).sum();
        assert_eq!(Some(&sum), r.total.get(currency));
    }
    // A partner margin that cannot be read exactly fails the report, naming it.
    let bad = [partner(100, json!(10.125))];
    assert_eq!(
        field_of(mrr(&subs, &catalogue, &tenants, &bad)),
        "partner.marginPct"
    );
}

#[test]
fn totals_that_would_overflow_are_refused() {
    let big = json!({"cycle": "monthly", "currency": "eur", "perSeatAmount": MAX_AMOUNT, "seats": MAX_SEATS});
    let subs: Vec<Subscription> = (0..20).map(|i| sub(i, 10, big.clone())).collect();
    assert_eq!(field_of(mrr(&subs, &[], &[], &[])), "subscriptions");
    assert!(mrr(&subs[..18], &[], &[], &[]).is_ok());
}

#[test]
fn ambiguous_catalogue_prices_are_not_guessed() {
    let price = |n: u32, currency: &str| {
        Price::from_document(
            "price",
            &map(json!({"_id": oid(n), "plan": "business", "cycle": "monthly", "currency": currency, "perSeatAmount": 100})),
        )
        .expect("a price")
    };
    let catalogue = [price(1, "eur"), price(2, "dkk")];
    let r = mrr(&[sub(1, 10, json!({}))], &catalogue, &[], &[]).expect("a report");
    assert!(r.total.is_empty());
    assert!(r.unpriced[0].reason.contains("2 active catalogue prices"));
    // The subscription's own currency settles it.
    let r = mrr(
        &[sub(1, 10, json!({"currency": "dkk"}))],
        &catalogue,
        &[],
        &[],
    )
    .expect("a report");
    assert_eq!(r.total.get("dkk"), Some(&100));
    assert_eq!(
        SubscriptionStatus::PastDue.counts_in_mrr(),
        !SubscriptionStatus::Trialing.counts_in_mrr()
    );
}

proptest! {
    /// Monthly amounts equal the big-integer reference: (per seat * seats [+ 6]) / 12.
    #[test]
    fn monthly_amount_matches_big_integers(per_seat in 0u64..=MAX_AMOUNT, seats in 0u64..=MAX_SEATS, yearly in any::<bool>()) {
        let exact = BigUint::from(per_seat) * BigUint::from(seats);
        let expected = if yearly { (exact * 2u32 + 12u32) / 24u32 } else { exact };
        let cycle = if yearly { BillingCycle::Yearly } else { BillingCycle::Monthly };
        prop_assert_eq!(BigUint::from(monthly_amount(cycle, per_seat, seats)), expected);
    }

    /// A partner's margin equals the reference half-up rounding of mrr * bp / 10,000, and margin + net = mrr.
    #[test]
    fn partner_margin_matches_big_integers(
        amounts in proptest::collection::vec(0u64..=MAX_AMOUNT, 1..8),
        whole in 0u32..=99, cents in 0u32..=99,
    ) {
        let margin = format!("{whole}.{cents:02}");
        let margin_json: Value = serde_json::from_str(&margin).expect("a number");
        let tenants: Vec<TenantDocument> = (0..amounts.len() as u32).map(|i| tenant(10 + i, Some(100), None)).collect();
        let subs: Vec<Subscription> = amounts.iter().enumerate().map(|(i, a)| {
            sub(i as u32, 10 + i as u32, json!({"cycle": "monthly", "currency": "eur", "perSeatAmount": a, "seats": 1}))
        }).collect();
        let r = mrr(&subs, &[], &tenants, &[partner(100, margin_json)]).expect("a report");
        let p = &r.by_partner[0];
        let total: u64 = amounts.iter().sum();
        let bp = whole * 100 + cents;
        let expected = (BigUint::from(total) * BigUint::from(bp) * 2u32 + 10_000u32) / 20_000u32;
        prop_assert_eq!(p.margin_basis_points, bp);
        prop_assert_eq!(BigUint::from(p.margin), expected);
        prop_assert_eq!(p.margin + p.net, p.mrr);
        prop_assert_eq!(p.mrr, total);
    }
}
