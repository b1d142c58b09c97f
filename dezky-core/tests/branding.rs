//! Tenant branding: colours (YIQ readable-on, WCAG 2 contrast), template
//! overrides checked for their placeholders, safe rendering.

#![allow(clippy::expect_used)]

use std::collections::BTreeMap;

use dezky_core::Error;
use dezky_core::branding::{Branding, Colour, MailTemplate, meets_wcag_aa};
use proptest::prelude::*;
use serde_json::{Value, json};

fn field_of(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn colour(text: &str) -> Colour {
    Colour::parse("c", text).expect("a colour")
}

#[test]
fn colours_parse_and_print() {
    assert_eq!(colour("#1A2b3C").to_string(), "#1a2b3c");
    assert_eq!(colour(" #abc ").to_string(), "#aabbcc");
    for bad in [
        "1a2b3c",
        "#12345",
        "#1234567",
        "#ggg",
        "#",
        "",
        "#+1a2b3",
        "#１２３",
    ] {
        assert_eq!(
            field_of(Colour::parse("accentColor", bad)),
            "accentColor",
            "{bad:?}"
        );
    }
}

#[test]
fn readable_on_follows_yiq() {
    assert_eq!(colour("#ffffff").readable_on(), Colour::BLACK);
    assert_eq!(colour("#000000").readable_on(), Colour::WHITE);
    assert_eq!(colour("#2563eb").readable_on(), Colour::WHITE);
    assert_eq!(colour("#facc15").readable_on(), Colour::BLACK);
    // The threshold: YIQ 128 is light, 127 dark (grey 128 has YIQ 128).
    assert_eq!(colour("#808080").yiq(), 128);
    assert_eq!(colour("#808080").readable_on(), Colour::BLACK);
    assert_eq!(colour("#7f7f7f").readable_on(), Colour::WHITE);
}

#[test]
fn wcag_contrast_ratios() {
    let ratio = |a: &str, b: &str| colour(a).contrast_ratio(colour(b));
    assert!((ratio("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((ratio("#ffffff", "#ffffff") - 1.0).abs() < 1e-9);
    // Published pairs: #777 on white is 4.48:1, #767676 on white 4.54:1 (the AA boundary).
    assert!((ratio("#777777", "#ffffff") - 4.48).abs() < 0.01);
    assert!((ratio("#ffffff", "#767676") - 4.54).abs() < 0.01);
    assert!(!meets_wcag_aa(ratio("#777777", "#ffffff"), false));
    assert!(meets_wcag_aa(ratio("#767676", "#ffffff"), false));
    assert!(meets_wcag_aa(ratio("#777777", "#ffffff"), true));
}

#[test]
fn branding_reads_with_defaults_and_named_errors() {
    let b = Branding::from_value("branding", &json!({})).expect("defaults");
    assert_eq!(b, Branding::default());
    let b = Branding::from_value(
        "branding",
        &json!({"productName": "  Acme Cloud ", "accentColor": "#0F0",
                "emailTemplates": {"member_welcome": {"subject": "Hi {{ memberName }} from {{productName}}"}}}),
    )
    .expect("a branding");
    assert_eq!(b.product_name, "Acme Cloud");
    assert_eq!(b.accent_color.to_string(), "#00ff00");
    let bad = |v: Value| field_of(Branding::from_value("branding", &v));
    assert_eq!(bad(json!([])), "branding");
    assert_eq!(bad(json!({"productName": ""})), "branding.productName");
    assert_eq!(
        bad(json!({"productName": "x".repeat(61)})),
        "branding.productName"
    );
    assert_eq!(bad(json!({"productName": "a\nb"})), "branding.productName");
    assert_eq!(bad(json!({"accentColor": "blue"})), "branding.accentColor");
    assert_eq!(bad(json!({"logo": "x"})), "branding.logo");
    assert_eq!(
        bad(json!({"emailTemplates": {"invoice": {}}})),
        "branding.emailTemplates.invoice"
    );
    assert_eq!(
        bad(json!({"emailTemplates": {"member_welcome": {"footer": "x"}}})),
        "branding.emailTemplates.member_welcome.footer"
    );
    // A placeholder another template has, and an unclosed one.
    assert_eq!(
        bad(json!({"emailTemplates": {"tenant_welcome": {"text": "{{oneTimePassword}}"}}})),
        "branding.emailTemplates.tenant_welcome.text"
    );
    assert_eq!(
        bad(json!({"emailTemplates": {"member_welcome": {"html": "<p>{{memberName</p>"}}})),
        "branding.emailTemplates.member_welcome.html"
    );
    assert_eq!(
        bad(json!({"emailTemplates": {"member_welcome": {"html": "x".repeat(70_000)}}})),
        "branding.emailTemplates.member_welcome.html"
    );
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn member_values() -> BTreeMap<String, String> {
    values(&[
        ("tenantName", "Acme & Sons"),
        ("memberName", "<script>alert(1)</script>"),
        ("memberEmail", "ann@acme.test"),
        ("loginUrl", "https://portal.acme.test/login?a=1&b=\"2\""),
        ("oneTimePassword", "x'Y<z"),
    ])
}

#[test]
fn rendering_escapes_html_and_guards_the_subject() {
    let branding = Branding::from_value(
        "branding",
        &json!({"productName": "Acme <Cloud>", "accentColor": "#facc15"}),
    )
    .expect("a branding");
    let mail = branding
        .render(MailTemplate::MemberWelcome, &member_values())
        .expect("rendered");
    assert_eq!(mail.subject, "Your Acme <Cloud> account at Acme & Sons");
    assert!(mail.text.contains("Hello <script>alert(1)</script>,"));
    assert!(mail.text.contains("one-time password: x'Y<z"));
    assert!(
        mail.html
            .contains("Hello &lt;script&gt;alert(1)&lt;/script&gt;,")
    );
    assert!(mail.html.contains("<code>x&#39;Y&lt;z</code>"));
    assert!(mail.html.contains(
        "href=\"https://portal.acme.test/login?a=1&amp;b=&quot;2&quot;\" style=\"background:#facc15;color:#000000\""
    ));
    assert!(!mail.html.contains("<script>"));

    // A subject override with a value carrying a line break: no header injection.
    let branding = Branding::from_value(
        "branding",
        &json!({"emailTemplates": {"member_welcome": {"subject": "Welcome {{memberName}}"}}}),
    )
    .expect("a branding");
    let mut v = member_values();
    v.insert("memberName".into(), "Ann\r\nBcc: all@acme.test".into());
    let mail = branding
        .render(MailTemplate::MemberWelcome, &v)
        .expect("rendered");
    assert_eq!(mail.subject, "Welcome Ann  Bcc: all@acme.test");
    // The parts not overridden are the defaults.
    assert_eq!(
        mail.text,
        Branding::default()
            .render(MailTemplate::MemberWelcome, &v)
            .expect("rendered")
            .text
    );
}

#[test]
fn rendering_refuses_missing_unknown_and_unsafe_values() {
    let b = Branding::default();
    let mut v = member_values();
    v.remove("oneTimePassword");
    assert_eq!(
        field_of(b.render(MailTemplate::MemberWelcome, &v)),
        "values.oneTimePassword"
    );
    let mut v = member_values();
    v.insert("invoiceTotal".into(), "1".into());
    assert_eq!(
        field_of(b.render(MailTemplate::MemberWelcome, &v)),
        "values.invoiceTotal"
    );
    let mut v = member_values();
    v.insert("loginUrl".into(), "javascript:alert(1)".into());
    assert_eq!(
        field_of(b.render(MailTemplate::MemberWelcome, &v)),
        "values.loginUrl"
    );
    // Every built-in template renders with exactly its placeholders.
    for template in MailTemplate::ALL {
        let v: BTreeMap<String, String> = template
            .placeholders()
            .iter()
            .map(|p| {
                let value = if p.ends_with("Url") {
                    "https://x.test/"
                } else {
                    "v"
                };
                ((*p).to_owned(), value.to_owned())
            })
            .collect();
        let mail = b.render(template, &v).expect("rendered");
        for part in [&mail.subject, &mail.text, &mail.html] {
            assert!(!part.contains("{{"), "{}: {part}", template.as_str());
        }
    }
}

proptest! {
    /// Escaped values never open a tag or an attribute, whatever they hold.
    #[test]
    fn escaped_values_stay_text(name in ".{0,40}") {
        let mut v = member_values();
        v.insert("memberName".into(), name);
        let mail = Branding::default().render(MailTemplate::MemberWelcome, &v).expect("rendered");
        let defaults = Branding::default().render(MailTemplate::MemberWelcome, &member_values()).expect("rendered");
        let tags = |html: &str| html.matches('<').count();
        prop_assert_eq!(tags(&mail.html), tags(&defaults.html));
    }

    /// Any colour written as #rrggbb reads back to itself; contrast does not depend on the order.
    #[test]
    fn colour_round_trip(r in any::<u8>(), g in any::<u8>(), b in any::<u8>(), o in any::<u8>()) {
        let c = Colour { r, g, b };
        prop_assert_eq!(Colour::parse("c", &c.to_string()).expect("parses"), c);
        let other = Colour { r: o, g: b, b: r };
        prop_assert_eq!(c.contrast_ratio(other), other.contrast_ratio(c));
    }
}
