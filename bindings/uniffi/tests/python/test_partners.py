"""The pure parts of mail domains and partners through the UniFFI Python
output: the DMARC policy checked and written by the core, and partners
created, terminated, attached and detached (docs/domains.md, docs/partners.md).
Mirrors partners() in tests/kotlin/Main.kt."""

import datetime
import json

import pytest

from dezky_ffi.dezky_uniffi import (
    Actor,
    DezkyError,
    DmarcPolicy,
    Surface,
    attach_tenant,
    create_partner,
    detach_tenant,
    dmarc_policy_from_json,
    dmarc_record,
    terminate_partner,
)

TENANT = "6650f1c2a9b4e3d2c1b0a998"
PARTNER = "6650f1c2a9b4e3d2c1b0a777"
AT = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)
OPERATOR = Actor(subject="sub-op", surface=Surface.OPERATOR)
PORTAL = Actor(subject="sub-op", surface=Surface.PORTAL)
OP_USER = json.dumps({"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-op", "platformAdmin": True})
PLAIN_USER = json.dumps({"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-op"})


def policy(**tags):
    fields = {"p": "none", "sp": None, "pct": None, "rua": [], "ruf": [], "adkim": None, "aspf": None}
    fields.update(tags)
    return DmarcPolicy(**fields)


def tenant(partner=None):
    document = {"_id": TENANT, "slug": "acme", "status": "active", "__v": 3}
    if partner:
        document["partnerId"] = {"$oid": partner}
    return json.dumps(document)


def partner(status="active"):
    return json.dumps({"_id": {"$oid": PARTNER}, "slug": "resell", "name": "Resell", "status": status, "__v": 2})


def test_dmarc_record_writes_the_tags_in_order():
    text = dmarc_record(policy(p="quarantine", sp="reject", pct=25, rua=["mailto:Agg@Example.org"], adkim="s", aspf="r"))
    assert text == "v=DMARC1; p=quarantine; sp=reject; pct=25; rua=mailto:Agg@example.org; adkim=s; aspf=r"
    read = dmarc_policy_from_json('{"p": "reject", "pct": 50}')
    assert (read.p, read.pct, read.rua) == ("reject", 50, [])
    assert dmarc_record(read) == "v=DMARC1; p=reject; pct=50"


@pytest.mark.parametrize(
    ("tags", "field"),
    [
        ({"p": "maybe"}, "dmarc.p"),
        ({"sp": "allow"}, "dmarc.sp"),
        ({"pct": 101}, "dmarc.pct"),
        ({"rua": ["mailto:a@b.test", "https://b.test"]}, "dmarc.rua[1]"),
        ({"ruf": ["mailto:a@b.test,mailto:c@d.test"]}, "dmarc.ruf[0]"),
        ({"rua": [f"mailto:r{i}@b.test" for i in range(11)]}, "dmarc.rua"),
        ({"adkim": "x"}, "dmarc.adkim"),
        ({"aspf": "relaxed"}, "dmarc.aspf"),
    ],
)
def test_a_bad_dmarc_tag_names_the_field(tags, field):
    with pytest.raises(DezkyError.Invalid) as caught:
        dmarc_record(policy(**tags))
    assert caught.value.field == field
    assert caught.value.code() == "DEZKY_INVALID_ARGUMENT"


def test_dmarc_json_refusals():
    with pytest.raises(DezkyError.Invalid) as caught:
        dmarc_policy_from_json('{"p": "none", "fo": "1"}')
    assert caught.value.field == "dmarc"
    with pytest.raises(DezkyError.Invalid) as caught:
        dmarc_policy_from_json('{"p": "none", "pct": 300}')
    assert caught.value.field == "dmarc"
    with pytest.raises(DezkyError.Invalid) as caught:
        dmarc_policy_from_json('{"p": "none", "pct": 100, "adkim": "z"}')
    assert caught.value.field == "dmarc.adkim"
    with pytest.raises(DezkyError.MalformedJson):
        dmarc_policy_from_json("{")


def test_create_partner():
    created = create_partner('{"slug": "resell", "name": "Resell", "marginPct": 10}', OPERATOR, OP_USER, "op@dezky.eu", AT)
    document = json.loads(created.document_json)
    assert (document["slug"], document["status"], document["marginPct"]) == ("resell", "active", 10.0)
    (event,) = json.loads(created.events_json)
    assert event["action"] == "partner.create"
    for bad, field in [
        ('{"slug": "Bad Slug", "name": "R"}', "partner.slug"),
        ('{"slug": "resell", "name": ""}', "partner.name"),
        ('{"slug": "resell", "name": "R", "marginPct": 101}', "partner.marginPct"),
        ('{"slug": "resell", "name": "R", "domain": "not a domain"}', "partner.domain"),
        ('{"slug": "resell", "name": "R", "margin": 1}', "partner"),
        ("[]", "partner"),
    ]:
        with pytest.raises(DezkyError.Invalid) as caught:
            create_partner(bad, OPERATOR, OP_USER, "op@dezky.eu", AT)
        assert caught.value.field == field, bad


def test_every_partner_function_needs_an_operator():
    calls = [
        lambda actor, user: create_partner('{"slug": "resell", "name": "R"}', actor, user, "op", AT),
        lambda actor, user: terminate_partner(partner(), actor, user, "op", AT),
        lambda actor, user: attach_tenant(tenant(), partner(), actor, user, "op", AT),
        lambda actor, user: detach_tenant(tenant(PARTNER), actor, user, "op", AT),
    ]
    for call in calls:
        with pytest.raises(DezkyError.Forbidden):
            call(PORTAL, OP_USER)
        with pytest.raises(DezkyError.Forbidden):
            call(OPERATOR, PLAIN_USER)
        call(OPERATOR, OP_USER)


def test_terminate_attach_detach():
    change = terminate_partner(partner(), OPERATOR, OP_USER, "op", AT)
    patch = json.loads(change.patch_json)
    assert change.action == "partner.terminate"
    assert patch["update"]["$set"]["status"] == "terminated"
    assert patch["update"]["$set"]["terminatedAt"] == "2023-11-14T22:13:20.000Z"
    assert json.loads(terminate_partner(partner("terminated"), OPERATOR, OP_USER, "op", AT).patch_json)["update"] is None
    attached = attach_tenant(tenant(), partner(), OPERATOR, OP_USER, "op", AT)
    assert json.loads(attached.patch_json)["update"]["$set"]["partnerId"] == {"$oid": PARTNER}
    with pytest.raises(DezkyError.Invalid) as caught:
        attach_tenant(tenant(), partner("terminated"), OPERATOR, OP_USER, "op", AT)
    assert caught.value.field == "partner.status"
    detached = json.loads(detach_tenant(tenant(PARTNER), OPERATOR, OP_USER, "op", AT).patch_json)
    assert "partnerId" in detached["update"]["$unset"]
    assert json.loads(detach_tenant(tenant(), OPERATOR, OP_USER, "op", AT).patch_json)["update"] is None
    with pytest.raises(DezkyError.MalformedJson):
        attach_tenant(tenant(), "{", OPERATOR, OP_USER, "op", AT)
