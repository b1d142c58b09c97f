"""Branding and mail templates (the core's rules are tested in
``dezky-core/src/branding.rs``; these check what crosses into Python: branding
dicts in, rendered mails, colours and field-named errors out)."""

from __future__ import annotations

from typing import Any

import pytest

from dezky.branding import (
    Branding,
    Colour,
    check_template,
    meets_wcag_aa,
    template_placeholders,
)
from dezky.errors import ArgumentTypeError, InvalidArgumentError

MEMBER = {
    "tenantName": "Acme & Sons",
    "memberName": 'Eve "<script>alert(1)</script>"',
    "memberEmail": "eve@acme.test",
    "loginUrl": "https://login.acme.test/?a=1&b=2",
    "oneTimePassword": "x<y>'z",
}


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def test_defaults_and_the_stored_form() -> None:
    default = Branding()
    assert default.product_name == "Dezky"
    assert default.accent_color == Colour.parse("#2563EB")
    branding = Branding(
        {
            "productName": "  Nordic Mail ",
            "accentColor": "#0A7",
            "emailTemplates": {"member_welcome": {"subject": "Hi {{ memberName }} at {{productName}}"}},
        }
    )
    value = branding.to_value()
    assert value["productName"] == "Nordic Mail"
    assert value["accentColor"] == "#00aa77"
    assert value["emailTemplates"] == {"member_welcome": {"subject": "Hi {{ memberName }} at {{productName}}"}}
    assert Branding.from_value(dict(value)) == branding
    assert branding.template("member_welcome")["subject"] == "Hi {{ memberName }} at {{productName}}"
    assert branding.template("tenant_welcome") == default.template("tenant_welcome")


def test_render_escapes_html_and_keeps_the_subject_on_one_line() -> None:
    branding = Branding({"productName": "A<B>", "accentColor": "#ffffff"})
    mail = branding.render("member_welcome", {**MEMBER, "memberName": "Eve\r\nBcc: x@evil.test <b>"})
    assert "\n" not in mail["subject"] and "\r" not in mail["subject"]
    assert mail["subject"] == "Your A<B> account at Acme & Sons"
    html = mail["html"]
    assert "Eve\r\nBcc: x@evil.test &lt;b&gt;" in html
    assert "Acme &amp; Sons" in html
    assert "<code>x&lt;y&gt;&#39;z</code>" in html or "<code>x&lt;y&gt;&#x27;z</code>" in html
    assert 'href="https://login.acme.test/?a=1&amp;b=2"' in html
    assert "color:#000000" in html  # black text on a white accent
    assert "<b>" not in html.replace("<b>eve@acme.test</b>", "")
    # The plain text takes values as they are.
    assert "Acme & Sons" in mail["text"] and "x<y>'z" in mail["text"]


@pytest.mark.parametrize(
    ("template", "names"),
    [
        ("tenant_welcome", ["tenantName", "contactName", "portalUrl"]),
        ("password_reset", ["tenantName", "memberName", "memberEmail", "loginUrl", "oneTimePassword"]),
    ],
)
def test_placeholders(template: Any, names: list[str]) -> None:
    assert template_placeholders(template) == names


@pytest.mark.parametrize(
    ("text", "hex_", "yiq", "readable"),
    [
        ("#fff", "#ffffff", 255, "#000000"),
        ("#000000", "#000000", 0, "#ffffff"),
        ("#2563EB", "#2563eb", 95, "#ffffff"),
        ("  #ffcc00 ", "#ffcc00", 195, "#000000"),
    ],
)
def test_colours(text: str, hex_: str, yiq: int, readable: str) -> None:
    colour = Colour.parse(text)
    assert (colour.hex, str(colour), colour.yiq()) == (hex_, hex_, yiq)
    assert colour.readable_on() == Colour.parse(readable)
    assert repr(colour) == f"Colour('{hex_}')"
    assert (colour.r, colour.g, colour.b) == tuple(int(hex_[i : i + 2], 16) for i in (1, 3, 5))
    assert hash(colour) == hash(Colour.parse(hex_))


def test_contrast_ratio_and_wcag() -> None:
    black, white = Colour.parse("#000"), Colour.parse("#fff")
    assert black.contrast_ratio(white) == pytest.approx(21.0)
    assert white.contrast_ratio("#000000") == pytest.approx(21.0)
    assert black.contrast_ratio(black) == pytest.approx(1.0)
    ratio = Colour.parse("#767676").contrast_ratio(white)
    assert ratio == pytest.approx(4.54, abs=0.01)
    assert meets_wcag_aa(ratio) and meets_wcag_aa(3.0, large_text=True)
    assert not meets_wcag_aa(4.49) and not meets_wcag_aa(2.99, large_text=True)
    assert 0.0 <= white.relative_luminance() <= 1.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Branding({"accentColor": "blue"}), "branding.accentColor"),
        (lambda: Branding({"productName": " "}), "branding.productName"),
        (lambda: Branding({"logo": "x"}), "branding.logo"),
        (lambda: Branding({"emailTemplates": {"goodbye": {}}}), "branding.emailTemplates.goodbye"),
        (
            lambda: Branding({"emailTemplates": {"member_welcome": {"html": "{{password}}"}}}),
            "branding.emailTemplates.member_welcome.html",
        ),
        (lambda: Branding.from_value({"accentColor": "#12"}, "body"), "body.accentColor"),
        (lambda: Branding().render("member_welcome", {**MEMBER, "loginUrl": "javascript:alert(1)"}), "values.loginUrl"),
        (lambda: Branding().render("member_welcome", {k: v for k, v in MEMBER.items() if k != "memberEmail"}), "values.memberEmail"),
        (lambda: Branding().render("member_welcome", {**MEMBER, "portalUrl": "https://x.test"}), "values.portalUrl"),
        (lambda: Branding().render("goodbye", MEMBER), "template"),  # type: ignore[arg-type]
        (lambda: Colour.parse("#ggg"), "colour"),
        (lambda: Colour.parse("red", "accent"), "accent"),
        (lambda: Colour.parse("#fff").contrast_ratio("white"), "other"),
        (lambda: check_template("tenant_welcome", "{{contactName", "html"), "html"),
        (lambda: check_template("tenant_welcome", "{{memberEmail}}"), "template"),
    ],
)
def test_bad_values_name_the_field(call: Any, field: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        call()
    assert raised.value.code == "DEZKY_INVALID_ARGUMENT"
    assert raised.value.field == field
    assert not isinstance(raised.value, ArgumentTypeError)


def test_a_good_template_passes() -> None:
    assert check_template("tenant_welcome", "Hi {{contactName}}, {{ productName }} at {{accentColor}}") is None


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: Branding(wrong("#fff")), "branding"),
        (lambda: Branding().render("member_welcome", wrong([("tenantName", "x")])), "values"),
        (lambda: Branding().render("member_welcome", {**MEMBER, "tenantName": wrong(7)}), "values.tenantName"),
        (lambda: Colour.parse(wrong(0xFFFFFF)), "text"),
        (lambda: Colour.parse("#fff").contrast_ratio(wrong(None)), "other"),
        (lambda: meets_wcag_aa(wrong("4.5")), "ratio"),
    ],
)
def test_wrong_types_are_argument_type_errors(call: Any, name: str) -> None:
    with pytest.raises(ArgumentTypeError) as raised:
        call()
    assert raised.value.argument == name
