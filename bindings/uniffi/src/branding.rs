//! A tenant's branding (`dezky_core::branding`, `docs/branding.md`): the
//! validated record, its colours compared as the portal does, and its mails
//! rendered safely.
//!
//! `Branding` is an object holding the core's validated record (its JSON form
//! is the control plane's `TenantBranding`); `Colour` and `TemplateText` are
//! the core's records and `MailTemplate` the core's enum, exported as remote
//! types.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use dezky_core::branding;
use serde_json::Value;

use crate::domain::document;
use crate::error::DezkyError;

pub use dezky_core::branding::{Colour, MailTemplate, TemplateText};

/// An sRGB colour: `dezky_core::branding::Colour` itself.
#[uniffi::remote(Record)]
pub struct Colour {
    /// Red, 0 to 255.
    pub r: u8,
    /// Green, 0 to 255.
    pub g: u8,
    /// Blue, 0 to 255.
    pub b: u8,
}

/// A mail a tenant may rewrite: `dezky_core::branding::MailTemplate` itself.
#[uniffi::remote(Enum)]
pub enum MailTemplate {
    /// To a new tenant's contact, once it is provisioned.
    TenantWelcome,
    /// To a new member, with a one-time password.
    MemberWelcome,
    /// To a member whose password an administrator reset.
    PasswordReset,
}

/// A mail's three parts: `dezky_core::branding::TemplateText` itself.
#[uniffi::remote(Record)]
pub struct TemplateText {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// The record's name in errors (`branding.accentColor`).
const NAME: &str = "branding";

/// A tenant's branding, validated (`dezky_core::branding::Branding`).
#[derive(Debug, PartialEq, Eq, uniffi::Object)]
pub struct Branding {
    inner: branding::Branding,
}

#[uniffi::export]
impl Branding {
    /// Reads a stored or submitted branding object (`{"productName", "accentColor",
    /// "emailTemplates"}`), missing fields at their defaults; errors name
    /// `branding.<field>` (`branding.emailTemplates.member_welcome.html`).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, DezkyError> {
        let value = Value::Object(document(&json, NAME)?);
        Ok(Arc::new(Branding {
            inner: branding::Branding::from_value(NAME, &value)?,
        }))
    }

    /// The record as stored: the colour as `#rrggbb`, the overrides by template.
    pub fn to_json(&self) -> String {
        // Strings and maps of strings only: serializing cannot fail.
        serde_json::to_string(&self.inner).unwrap_or_default()
    }

    /// The product name shown in the portal and the mails.
    pub fn product_name(&self) -> String {
        self.inner.product_name.clone()
    }

    /// The accent colour.
    pub fn accent_color(&self) -> Colour {
        self.inner.accent_color
    }

    /// The text of `template` with this tenant's overrides in place, placeholders unfilled.
    pub fn template(&self, template: MailTemplate) -> TemplateText {
        self.inner.template(template)
    }

    /// Renders `template` with `values` (one per placeholder its parts use,
    /// besides the branding's own): HTML-escaped in the HTML body, control
    /// characters made spaces in the subject. A missing or unknown value is
    /// `Invalid` on `values.<name>`, a `...Url` value that is not http(s) too.
    pub fn render(
        &self,
        template: MailTemplate,
        values: HashMap<String, String>,
    ) -> Result<TemplateText, DezkyError> {
        let values: BTreeMap<String, String> = values.into_iter().collect();
        Ok(self.inner.render(template, &values)?)
    }
}

/// Parses `#rgb` or `#rrggbb` (any case); anything else is `Invalid` on `field`.
#[uniffi::export]
pub fn parse_colour(field: String, text: String) -> Result<Colour, DezkyError> {
    Ok(Colour::parse(&field, &text)?)
}

/// The colour as `#rrggbb`, lower case.
#[uniffi::export]
pub fn colour_hex(colour: Colour) -> String {
    colour.to_string()
}

/// The text colour the portal puts on `background`: black when its YIQ
/// brightness is at least 128, white below.
#[uniffi::export]
pub fn readable_on(background: Colour) -> Colour {
    background.readable_on()
}

/// The WCAG 2 contrast ratio of two colours, 1 to 21, in either order.
#[uniffi::export]
pub fn contrast_ratio(a: Colour, b: Colour) -> f64 {
    a.contrast_ratio(b)
}

/// WCAG 2 level AA: 4.5:1 for body text, 3:1 for large text.
#[uniffi::export]
pub fn meets_wcag_aa(ratio: f64, large_text: bool) -> bool {
    branding::meets_wcag_aa(ratio, large_text)
}

/// The template named `name` (`member_welcome`, ...); another name is
/// `Invalid` on `field`.
#[uniffi::export]
pub fn parse_mail_template(field: String, name: String) -> Result<MailTemplate, DezkyError> {
    Ok(MailTemplate::parse(&field, &name)?)
}

/// The control plane's name of a template (`"member_welcome"`, ...).
#[uniffi::export]
pub fn mail_template_name(template: MailTemplate) -> String {
    template.as_str().to_owned()
}

/// The placeholders the caller gives when rendering `template` (besides the
/// branding's own `productName`, `accentColor` and `accentTextColor`).
#[uniffi::export]
pub fn mail_template_placeholders(template: MailTemplate) -> Vec<String> {
    template
        .placeholders()
        .iter()
        .map(|p| (*p).to_owned())
        .collect()
}

/// Checks a template part as a save does: at most 64 KiB, every `{{` closed,
/// every placeholder known to `template`; otherwise `Invalid` on `field`.
#[uniffi::export]
pub fn check_template(
    field: String,
    template: MailTemplate,
    text: String,
) -> Result<(), DezkyError> {
    Ok(branding::check_template(&field, template, &text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(result: Result<impl std::fmt::Debug, DezkyError>) -> String {
        match result {
            Err(DezkyError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_branding_renders_escaped() {
        let b = Branding::from_json(r##"{"productName": "Acme", "accentColor": "#FFF"}"##.into())
            .unwrap();
        assert_eq!(colour_hex(b.accent_color()), "#ffffff");
        assert_eq!(colour_hex(readable_on(b.accent_color())), "#000000");
        let values = [
            ("tenantName", "A<b>"),
            ("contactName", "Jo\nBcc: x"),
            ("portalUrl", "https://acme.test"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mail = b.render(MailTemplate::TenantWelcome, values).unwrap();
        assert_eq!(mail.subject, "Welcome to Acme, A<b>");
        assert!(mail.html.contains("A&lt;b&gt;"));
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(
            field(Branding::from_json(r#"{"accentColor": "red"}"#.into())),
            "branding.accentColor"
        );
        assert!(matches!(
            Branding::from_json("{".into()),
            Err(DezkyError::MalformedJson { .. })
        ));
        let b = Branding::from_json("{}".into()).unwrap();
        assert_eq!(
            field(b.render(MailTemplate::TenantWelcome, HashMap::new())),
            "values.tenantName"
        );
        assert_eq!(field(parse_colour("c".into(), "#12".into())), "c");
        assert_eq!(
            field(check_template(
                "t".into(),
                MailTemplate::PasswordReset,
                "{{x}}".into()
            )),
            "t"
        );
    }
}
