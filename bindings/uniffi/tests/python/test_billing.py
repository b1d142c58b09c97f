"""Billing maths through the UniFFI Python output: monthly amounts, MRR by
tenant, plan and partner per currency, partner margins (docs/billing.md).
Mirrors billing() in tests/kotlin/Main.kt."""

import json

import pytest

from dezky_ffi.dezky_uniffi import BillingCycle, DezkyError, margin_basis_points, monthly_amount, mrr

T1, T2 = "6650f1c2a9b4e3d2c1b0a001", "6650f1c2a9b4e3d2c1b0a002"
P1 = "6650f1c2a9b4e3d2c1b0a111"
TENANTS = [{"_id": {"$oid": T1}, "slug": "acme", "status": "active", "partnerId": {"$oid": P1}, "seats": 4},
           {"_id": T2, "slug": "bolt", "status": "active"}]
PARTNERS = [{"_id": P1, "slug": "nordic-it", "status": "active", "marginPct": 12.5}]
CATALOGUE = [{"_id": "pr1", "plan": "business", "cycle": "monthly", "currency": "EUR", "perSeatAmount": 1500},
             {"_id": "pr2", "plan": "business", "cycle": "monthly", "currency": "eur", "perSeatAmount": 9, "active": False}]
SUBSCRIPTIONS = [
    {"_id": "s1", "tenantId": T1, "plan": "pro", "status": "active", "cycle": "yearly", "currency": "eur", "perSeatAmount": 10, "seats": 7},
    {"_id": "s2", "tenantId": T1, "plan": "business", "status": "past_due"},
    {"_id": "s3", "tenantId": T2, "plan": "pro", "status": "active", "cycle": "monthly", "currency": "dkk", "perSeatAmount": 5000, "seats": 2},
    {"_id": "s4", "tenantId": T2, "plan": "pro", "status": "trialing", "cycle": "monthly", "currency": "eur", "perSeatAmount": 1, "seats": 1},
    {"_id": "s5", "tenantId": T2, "plan": "legacy", "status": "active"},
]


def report():
    return json.loads(mrr(json.dumps(SUBSCRIPTIONS), json.dumps(CATALOGUE), json.dumps(TENANTS), json.dumps(PARTNERS)))


def test_monthly_amounts_round_half_up_once():
    assert monthly_amount(BillingCycle.YEARLY, 10, 7) == 6
    assert monthly_amount(BillingCycle.YEARLY, 6, 1) == 1
    assert monthly_amount(BillingCycle.YEARLY, 5, 1) == 0
    assert monthly_amount(BillingCycle.MONTHLY, 1500, 4) == 6000
    assert monthly_amount(BillingCycle.MONTHLY, 2**64 - 1, 2) == 2**64 - 1


def test_mrr_by_tenant_plan_and_partner():
    r = report()
    assert [(s["subscriptionId"], s["amount"], s["fromCatalogue"]) for s in r["subscriptions"]] == [
        ("s1", 6, False), ("s2", 6000, True), ("s3", 10000, False)]
    assert r["total"] == {"eur": 6006, "dkk": 10000}
    assert r["byTenant"] == {T1: {"eur": 6006}, T2: {"dkk": 10000}}
    assert r["byPlan"] == {"pro": {"eur": 6, "dkk": 10000}, "business": {"eur": 6000}}
    assert r["byPartner"] == [{"partnerId": P1, "partnerSlug": "nordic-it", "currency": "eur", "mrr": 6006,
                               "marginBasisPoints": 1250, "margin": 751, "net": 5255}]
    assert [u["subscriptionId"] for u in r["unpriced"]] == ["s5"]
    assert "legacy" in r["unpriced"][0]["reason"]


def test_margins_are_read_exactly():
    assert margin_basis_points(json.dumps(PARTNERS[0])) == 1250
    assert margin_basis_points(json.dumps({**PARTNERS[0], "marginPct": 0.07})) == 7
    assert margin_basis_points(json.dumps({k: v for k, v in PARTNERS[0].items() if k != "marginPct"})) == 0


def call_mrr(subscriptions="[]", catalogue="[]", tenants="[]", partners="[]"):
    return mrr(subscriptions, catalogue, tenants, partners)


INVALID = [
    ("subscriptions[0].status", lambda: call_mrr(json.dumps([{**SUBSCRIPTIONS[0], "status": "gone"}]))),
    ("subscriptions[1].seats", lambda: call_mrr(json.dumps([SUBSCRIPTIONS[0], {**SUBSCRIPTIONS[0], "seats": -1}]))),
    ("subscriptions[0].currency", lambda: call_mrr(json.dumps([{**SUBSCRIPTIONS[0], "currency": "xyz"}]))),
    ("catalogue[0].cycle", lambda: call_mrr(catalogue=json.dumps([{**CATALOGUE[0], "cycle": "weekly"}]))),
    ("tenants[1].status", lambda: call_mrr(tenants=json.dumps([TENANTS[0], {**TENANTS[1], "status": "gone"}]))),
    ("partners[0].marginPct", lambda: call_mrr(partners=json.dumps([{**PARTNERS[0], "marginPct": 101}]))),
    ("partner.marginPct", lambda: call_mrr(json.dumps(SUBSCRIPTIONS[:1]), "[]", json.dumps(TENANTS),
                                           json.dumps([{**PARTNERS[0], "marginPct": 12.345}]))),
    ("subscriptions", lambda: call_mrr("{}")),
    ("tenants[0]", lambda: call_mrr(tenants="[1]")),
    ("partner", lambda: margin_basis_points("[]")),
    ("partner.marginPct", lambda: margin_basis_points(json.dumps({**PARTNERS[0], "marginPct": 1.005}))),
]


@pytest.mark.parametrize(("field", "call"), INVALID, ids=[f"{i}-{f}" for i, (f, _) in enumerate(INVALID)])
def test_bad_documents_are_invalid_naming_the_field(field, call):
    with pytest.raises(DezkyError.Invalid) as info:
        call()
    error = info.value
    assert error.code() == "DEZKY_INVALID_ARGUMENT"
    assert error.field == field
    assert error.reason and error.reason in str(error)


def test_text_that_is_not_json_is_malformed():
    for call in (lambda: call_mrr("["), lambda: call_mrr(partners="nope"), lambda: margin_basis_points("")):
        with pytest.raises(DezkyError.MalformedJson) as info:
            call()
        assert info.value.code() == "DEZKY_MALFORMED_JSON"
