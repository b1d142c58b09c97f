"""A tenant's branding through the UniFFI Python output: the record read and
validated, colours compared as the portal does, mails rendered safely
(docs/branding.md). Mirrors branding() in tests/kotlin/Main.kt."""

import json

import pytest

from dezky_ffi.dezky_uniffi import (
    Branding,
    Colour,
    DezkyError,
    MailTemplate,
    check_template,
    colour_hex,
    contrast_ratio,
    mail_template_name,
    mail_template_placeholders,
    meets_wcag_aa,
    parse_colour,
    parse_mail_template,
    readable_on,
)

ACME = {"productName": " Acme Cloud ", "accentColor": "#1E40AF",
        "emailTemplates": {"member_welcome": {"subject": "Hi {{ memberName }}, welcome to {{productName}}", "html": None}}}
MEMBER = {"tenantName": "Acme & Co", "memberName": "Jo <b>\r\nBcc: x@evil.test", "memberEmail": "jo@acme.test",
          "loginUrl": "https://acme.test/login?a=1&b=2", "oneTimePassword": "p'w\"d"}
BLACK, WHITE = Colour(r=0, g=0, b=0), Colour(r=255, g=255, b=255)


def test_a_branding_is_read_and_written_normalised():
    branding = Branding.from_json(json.dumps(ACME))
    assert branding.product_name() == "Acme Cloud"
    assert branding.accent_color() == Colour(r=0x1e, g=0x40, b=0xaf)
    assert json.loads(branding.to_json()) == {
        "productName": "Acme Cloud", "accentColor": "#1e40af",
        "emailTemplates": {"member_welcome": {"subject": "Hi {{ memberName }}, welcome to {{productName}}"}}}
    default = Branding.from_json("{}")
    assert (default.product_name(), colour_hex(default.accent_color())) == ("Dezky", "#2563eb")


def test_render_escapes_html_and_flattens_the_subject():
    mail = Branding.from_json(json.dumps(ACME)).render(MailTemplate.MEMBER_WELCOME, MEMBER)
    assert mail.subject == "Hi Jo <b>  Bcc: x@evil.test, welcome to Acme Cloud"
    assert "Jo <b>\r\nBcc: x@evil.test" in mail.text
    assert "Hello Jo &lt;b&gt;\r\nBcc: x@evil.test," in mail.html
    assert 'href="https://acme.test/login?a=1&amp;b=2"' in mail.html
    assert "<code>p&#39;w&quot;d</code>" in mail.html
    assert "background:#1e40af;color:#ffffff" in mail.html
    assert "Acme &amp; Co" in mail.html and "Acme & Co" in mail.text


def test_the_template_keeps_unoverridden_parts():
    branding = Branding.from_json(json.dumps(ACME))
    template = branding.template(MailTemplate.MEMBER_WELCOME)
    assert template.subject == "Hi {{ memberName }}, welcome to {{productName}}"
    assert template.text == Branding.from_json("{}").template(MailTemplate.MEMBER_WELCOME).text


def test_colours():
    assert parse_colour("c", " #ABC ") == Colour(r=0xaa, g=0xbb, b=0xcc)
    assert colour_hex(Colour(r=1, g=2, b=255)) == "#0102ff"
    assert readable_on(Colour(r=0xff, g=0xd7, b=0x00)) == BLACK
    assert readable_on(Colour(r=0x1e, g=0x40, b=0xaf)) == WHITE
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    grey = Colour(r=0x76, g=0x76, b=0x76)
    assert contrast_ratio(grey, WHITE) == pytest.approx(contrast_ratio(WHITE, grey))
    assert meets_wcag_aa(contrast_ratio(grey, WHITE), False) is True
    assert meets_wcag_aa(4.4, False) is False and meets_wcag_aa(4.4, True) is True


def test_templates_and_their_placeholders():
    assert parse_mail_template("t", "password_reset") == MailTemplate.PASSWORD_RESET
    assert mail_template_name(MailTemplate.TENANT_WELCOME) == "tenant_welcome"
    assert mail_template_placeholders(MailTemplate.TENANT_WELCOME) == ["tenantName", "contactName", "portalUrl"]
    assert check_template("subject", MailTemplate.TENANT_WELCOME, "{{productName}} for {{ tenantName }}") is None


INVALID = [
    ("branding.accentColor", lambda: Branding.from_json('{"accentColor": "blue"}')),
    ("branding.productName", lambda: Branding.from_json('{"productName": "  "}')),
    ("branding.logo", lambda: Branding.from_json('{"logo": "x.png"}')),
    ("branding.emailTemplates.member_welcome.html",
     lambda: Branding.from_json('{"emailTemplates": {"member_welcome": {"html": "{{password}}"}}}')),
    ("branding.emailTemplates.goodbye", lambda: Branding.from_json('{"emailTemplates": {"goodbye": {}}}')),
    ("branding", lambda: Branding.from_json('"Acme"')),
    ("values.loginUrl", lambda: Branding.from_json("{}").render(MailTemplate.MEMBER_WELCOME, {**MEMBER, "loginUrl": "javascript:alert(1)"})),
    ("values.oneTimePassword", lambda: Branding.from_json("{}").render(
        MailTemplate.MEMBER_WELCOME, {k: v for k, v in MEMBER.items() if k != "oneTimePassword"})),
    ("values.portalUrl", lambda: Branding.from_json("{}").render(MailTemplate.MEMBER_WELCOME, {**MEMBER, "portalUrl": "https://x"})),
    ("accent", lambda: parse_colour("accent", "#12345")),
    ("name", lambda: parse_mail_template("name", "welcome")),
    ("html", lambda: check_template("html", MailTemplate.PASSWORD_RESET, "{{loginUrl")),
    ("subject", lambda: check_template("subject", MailTemplate.TENANT_WELCOME, "{{memberName}}")),
]


@pytest.mark.parametrize(("field", "call"), INVALID, ids=[f for f, _ in INVALID])
def test_bad_input_is_invalid_naming_the_field(field, call):
    with pytest.raises(DezkyError.Invalid) as info:
        call()
    error = info.value
    assert error.code() == "DEZKY_INVALID_ARGUMENT"
    assert error.field == field
    assert error.reason and error.reason in str(error)


def test_text_that_is_not_json_is_malformed():
    with pytest.raises(DezkyError.MalformedJson) as info:
        Branding.from_json("{")
    assert info.value.code() == "DEZKY_MALFORMED_JSON"
