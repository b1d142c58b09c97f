"""Writes flags.json, the conformance vectors every binding runs.

The expected results come from this file's own implementation of the flag
contract (docs/flags.md), written separately from the Rust engine, so the
vectors check one implementation against another. Run it after changing a
case: python3 tests/conformance/generate.py
"""

import hashlib
import json
import pathlib

AXES = [("plans", "plan"), ("tenantSlugs", "tenantSlug"), ("partnerSlugs", "partnerSlug"),
        ("environments", "environment"), ("userIds", "userId")]


def bucket_prefix(subject, key):
    return int.from_bytes(hashlib.sha256(f"{subject}:{key}".encode()).digest()[:4], "big")


def bucket(subject, key):
    return bucket_prefix(subject, key) % 100


def scope_matches(scope, ctx):
    for axis, field in AXES:
        allowed = scope.get(axis) or []
        if allowed and ctx.get(field) not in allowed:
            return False
    return True


def scope_empty(scope):
    return all(not (scope.get(axis) or []) for axis, _ in AXES)


def evaluate(flags, key, ctx):
    flag = next((f for f in flags if f["key"] == key), None)
    if flag is None:
        return {"value": False, "reason": "flag_not_found"}
    state, scope = flag["state"], flag.get("scope") or {}
    if state == "off":
        return {"value": False, "reason": "off"}
    if state == "on":
        return {"value": True, "reason": "on"}
    if state == "targeted":
        if not scope_empty(scope) and scope_matches(scope, ctx):
            return {"value": True, "reason": "targeting_match"}
        return {"value": False, "reason": "not_targeted"}
    if not scope_matches(scope, ctx):
        return {"value": False, "reason": "not_targeted"}
    subject = ctx.get("userId" if flag.get("level") == "user" else "tenantId")
    if subject is None:
        return {"value": False, "reason": "subject_missing"}
    if bucket(subject, key) < flag.get("pct", 0):
        return {"value": True, "reason": "in_rollout"}
    return {"value": False, "reason": "out_of_rollout"}


T1 = "6650f1c2a9b4e3d2c1b0a998"  # gdpr_export_v2 -> 12, new_billing_engine -> 29
T2 = "665a00000000000000000001"  # jmap_native_v2 -> 6


def flag(key, state, pct=0, **scope):
    out = {"key": key, "description": "", "state": state, "pct": pct, "scope": {
        "plans": [], "tenantSlugs": [], "partnerSlugs": [], "environments": []}, "history": []}
    for axis, values in scope.items():
        out["scope"][axis] = values
    return out


def user_flag(key, state, pct=0, **scope):
    out = flag(key, state, pct, **scope)
    out["level"] = "user"
    return out


ACME = {"tenantId": T1, "tenantSlug": "acme", "plan": "business", "partnerSlug": "nordic-it", "environment": "prod"}
SOLO = {"tenantId": T2, "tenantSlug": "solo", "plan": "starter", "environment": "prod"}  # no partner

CASES = [
    ("states: off and on ignore scope and context",
     [flag("a_off", "off", 100), flag("b_on", "on"), flag("c_on_scoped", "on", plans=["enterprise"])],
     [ACME, {}]),
    ("targeted: empty scope matches nobody",
     [flag("targeted_empty", "targeted")],
     [ACME, SOLO, {}]),
    ("targeted: every non-empty axis must contain the context value",
     [flag("by_plan", "targeted", plans=["business", "enterprise"]),
      flag("by_plan_and_env", "targeted", plans=["business"], environments=["staging"]),
      flag("by_slug", "targeted", tenantSlugs=["solo"]),
      flag("by_env", "targeted", environments=["prod"])],
     [ACME, SOLO, dict(ACME, environment="staging"), {}]),
    ("targeted: an absent partner never matches a non-empty partner axis",
     [flag("by_partner", "targeted", partnerSlugs=["nordic-it"])],
     [ACME, SOLO, dict(SOLO, partnerSlug=None)]),
    ("targeted: pct is ignored",
     [flag("targeted_pct_zero", "targeted", 0, plans=["business"])],
     [ACME, SOLO]),
    ("rollout: empty scope matches everybody, bucket decides",
     [flag("gdpr_export_v2", "rollout", 13), flag("new_billing_engine", "rollout", 29),
      flag("jmap_native_v2", "rollout", 7)],
     [ACME, SOLO]),
    ("rollout: bucket equal to pct is out",
     [flag("gdpr_export_v2", "rollout", 12), flag("jmap_native_v2", "rollout", 6)],
     [ACME, SOLO]),
    ("rollout: pct 0 enables nobody and pct 100 everybody in scope",
     [flag("none_yet", "rollout", 0), flag("everyone", "rollout", 100),
      flag("everyone_business", "rollout", 100, plans=["business"])],
     [ACME, SOLO]),
    ("rollout: scope must match before the bucket",
     [flag("gdpr_export_v2", "rollout", 50, partnerSlugs=["nordic-it"]),
      flag("jmap_native_v2", "rollout", 50, environments=["staging"])],
     [ACME, SOLO, dict(SOLO, environment="staging")]),
    ("rollout: without tenantId there is nothing to bucket on",
     [flag("everyone", "rollout", 100), flag("half", "rollout", 50)],
     [{"tenantSlug": "acme", "plan": "business"}]),
    ("rollout: raising pct only adds tenants",
     [flag(f"ramp_{p}", "rollout", p) for p in (10, 30, 60, 90)],
     [{"tenantId": f"66{i:022x}"} for i in range(12)]),
    ("user level: rollout buckets on userId inside the tenant's scope",
     [user_flag("user_beta", "rollout", 50, plans=["business"]), flag("tenant_beta", "rollout", 50)],
     [dict(ACME, userId=f"user-{i}") for i in range(8)] + [ACME, dict(SOLO, userId="user-1")]),
    ("user level: targeting by userIds",
     [user_flag("user_pilot", "targeted", userIds=["u-alice", "u-bob"]),
      user_flag("user_pilot_acme", "targeted", userIds=["u-alice"], tenantSlugs=["acme"])],
     [dict(ACME, userId="u-alice"), dict(SOLO, userId="u-alice"), dict(ACME, userId="u-carol"), ACME]),
    ("unknown keys evaluate to false with flag_not_found",
     [flag("known", "on")],
     [ACME]),
    ("an empty flag set",
     [],
     [ACME]),
]

INVALID = [
    ("not JSON", "[{\"key\": \"a\",]", "DEZKY_MALFORMED_JSON", None, None),
    ("not an array", "{\"key\": \"a\", \"state\": \"on\"}", "DEZKY_MALFORMED_JSON", None, None),
    ("a flag that is not an object", "[42]", "DEZKY_INVALID_FLAG", "#0", ""),
    ("missing key", "[{\"state\": \"on\"}]", "DEZKY_INVALID_FLAG", "#0", "key"),
    ("key with uppercase", "[{\"key\": \"NewBilling\", \"state\": \"on\"}]", "DEZKY_INVALID_FLAG", "NewBilling", "key"),
    ("key starting with a digit", "[{\"key\": \"2fa\", \"state\": \"on\"}]", "DEZKY_INVALID_FLAG", "2fa", "key"),
    ("key with a dash", "[{\"key\": \"new-billing\", \"state\": \"on\"}]", "DEZKY_INVALID_FLAG", "new-billing", "key"),
    ("key with a trailing underscore", "[{\"key\": \"beta_\", \"state\": \"on\"}]", "DEZKY_INVALID_FLAG", "beta_", "key"),
    ("unknown state", "[{\"key\": \"a\", \"state\": \"enabled\"}]", "DEZKY_INVALID_FLAG", "a", "state"),
    ("missing state", "[{\"key\": \"a\"}]", "DEZKY_INVALID_FLAG", "a", "state"),
    ("pct above 100", "[{\"key\": \"a\", \"state\": \"rollout\", \"pct\": 101}]", "DEZKY_INVALID_FLAG", "a", "pct"),
    ("negative pct", "[{\"key\": \"a\", \"state\": \"rollout\", \"pct\": -1}]", "DEZKY_INVALID_FLAG", "a", "pct"),
    ("fractional pct", "[{\"key\": \"a\", \"state\": \"rollout\", \"pct\": 12.5}]", "DEZKY_INVALID_FLAG", "a", "pct"),
    ("pct as a string", "[{\"key\": \"a\", \"state\": \"rollout\", \"pct\": \"50\"}]", "DEZKY_INVALID_FLAG", "a", "pct"),
    ("scope axis not an array", "[{\"key\": \"a\", \"state\": \"targeted\", \"scope\": {\"plans\": \"business\"}}]",
     "DEZKY_INVALID_FLAG", "a", "scope.plans"),
    ("scope value not a string", "[{\"key\": \"a\", \"state\": \"targeted\", \"scope\": {\"environments\": [\"prod\", 3]}}]",
     "DEZKY_INVALID_FLAG", "a", "scope.environments[1]"),
    ("userIds on a tenant-level flag", "[{\"key\": \"a\", \"state\": \"targeted\", \"scope\": {\"userIds\": [\"u1\"]}}]",
     "DEZKY_INVALID_FLAG", "a", "scope.userIds"),
    ("unknown level", "[{\"key\": \"a\", \"state\": \"on\", \"level\": \"team\"}]", "DEZKY_INVALID_FLAG", "a", "level"),
    ("duplicate keys", "[{\"key\": \"a\", \"state\": \"on\"}, {\"key\": \"a\", \"state\": \"off\"}]",
     "DEZKY_DUPLICATE_FLAG", None, None),
]


def main():
    cases = []
    for name, flags, contexts in CASES:
        keys = [f["key"] for f in flags] + ["no_such_flag"]
        runs = []
        for ctx in contexts:
            ctx = {k: v for k, v in ctx.items() if v is not None} if name.find("absent partner") < 0 else ctx
            runs.append({"context": ctx, "expected": {k: evaluate(flags, k, ctx) for k in keys}})
        cases.append({"name": name, "flags": flags, "contexts": runs})
    vectors = [{"subject": s, "key": k, "prefix": f"{bucket_prefix(s, k):08x}", "bucket": bucket(s, k)}
               for s, k in [(T1, "gdpr_export_v2"), (T1, "new_billing_engine"), (T2, "jmap_native_v2"),
                            ("tenant-1", "x"), ("", "a"), ("ünïcödé-tenant", "k"), ("a" * 70, "long_subject")]]
    invalid = []
    for name, text, code, flag_name, field in INVALID:
        entry = {"name": name, "json": text, "code": code}
        if flag_name is not None:
            entry["flag"] = flag_name
            entry["field"] = field
        invalid.append(entry)
    out = {"version": 1, "bucketVectors": vectors, "cases": cases, "invalid": invalid}
    path = pathlib.Path(__file__).with_name("flags.json")
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}: {len(cases)} cases, {sum(len(c['contexts']) for c in cases)} contexts")


if __name__ == "__main__":
    main()
