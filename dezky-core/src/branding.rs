//! A tenant's branding (`TenantBranding`: product name, accent colour, email
//! template overrides): colours validated and compared as the portal does
//! (the YIQ readable-on colour, the WCAG 2 contrast ratio), templates checked
//! for their placeholders and rendered safely (`docs/branding.md`).

// `#[napi]` enums and records expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// An sRGB colour, written `#rrggbb` (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colour {
    /// Red, 0 to 255.
    pub r: u8,
    /// Green, 0 to 255.
    pub g: u8,
    /// Blue, 0 to 255.
    pub b: u8,
}

impl Colour {
    /// Black, the readable colour on light backgrounds.
    pub const BLACK: Colour = Colour { r: 0, g: 0, b: 0 };
    /// White, the readable colour on dark backgrounds.
    pub const WHITE: Colour = Colour {
        r: 255,
        g: 255,
        b: 255,
    };

    /// Parses `#rgb` or `#rrggbb` (any case, surrounding spaces ignored);
    /// anything else is `DEZKY_INVALID_ARGUMENT` naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<Colour> {
        let bad = || invalid(field, format!("{text:?} is not a colour (#rgb or #rrggbb)"));
        let hex = text.trim().strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| bad());
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        match hex.len() {
            3 => Ok(Colour {
                r: digit(0)? * 17,
                g: digit(1)? * 17,
                b: digit(2)? * 17,
            }),
            6 => Ok(Colour {
                r: pair(0)?,
                g: pair(2)?,
                b: pair(4)?,
            }),
            _ => Err(bad()),
        }
    }

    /// The YIQ brightness, 0 to 255: `(299 r + 587 g + 114 b) / 1000`.
    pub fn yiq(self) -> u32 {
        (299 * u32::from(self.r) + 587 * u32::from(self.g) + 114 * u32::from(self.b)) / 1000
    }

    /// The text colour the portal puts on this background: black when the
    /// YIQ brightness is at least 128, white below.
    pub fn readable_on(self) -> Colour {
        if self.yiq() >= 128 {
            Colour::BLACK
        } else {
            Colour::WHITE
        }
    }

    /// The WCAG 2 relative luminance, 0 (black) to 1 (white).
    pub fn relative_luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// The WCAG 2 contrast ratio with `other`, 1 to 21, in either order.
    pub fn contrast_ratio(self, other: Colour) -> f64 {
        let (a, b) = (self.relative_luminance(), other.relative_luminance());
        let (light, dark) = if a >= b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// A colour crosses as its `#rrggbb` text.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Colour {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Colour".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "pattern": "^#[0-9a-f]{6}$"})
    }
}

impl Serialize for Colour {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// WCAG 2 level AA: 4.5:1 for body text, 3:1 for large text (18 pt, or 14 pt bold).
pub fn meets_wcag_aa(ratio: f64, large_text: bool) -> bool {
    ratio >= if large_text { 3.0 } else { 4.5 }
}

/// The mails a tenant may rewrite, and the placeholders each may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum MailTemplate {
    /// To a new tenant's contact, once it is provisioned.
    TenantWelcome,
    /// To a new member, with a one-time password.
    MemberWelcome,
    /// To a member whose password an administrator reset.
    PasswordReset,
}

impl MailTemplate {
    /// Every template.
    pub const ALL: [MailTemplate; 3] = [
        MailTemplate::TenantWelcome,
        MailTemplate::MemberWelcome,
        MailTemplate::PasswordReset,
    ];

    /// The control plane's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailTemplate::TenantWelcome => "tenant_welcome",
            MailTemplate::MemberWelcome => "member_welcome",
            MailTemplate::PasswordReset => "password_reset",
        }
    }

    /// The template named `name`; another name is refused naming `field`.
    pub fn parse(field: &str, name: &str) -> Result<MailTemplate> {
        MailTemplate::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| {
                invalid(
                    field,
                    "is not a mail template (tenant_welcome, member_welcome, password_reset)",
                )
            })
    }

    /// The placeholders the caller gives when rendering it (besides the
    /// branding's own `productName`, `accentColor` and `accentTextColor`).
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            MailTemplate::TenantWelcome => &["tenantName", "contactName", "portalUrl"],
            MailTemplate::MemberWelcome => &[
                "tenantName",
                "memberName",
                "memberEmail",
                "loginUrl",
                "oneTimePassword",
            ],
            MailTemplate::PasswordReset => &[
                "tenantName",
                "memberName",
                "memberEmail",
                "loginUrl",
                "oneTimePassword",
            ],
        }
    }

    /// The built-in text, used for every part a tenant does not override.
    pub fn default_text(self) -> TemplateText {
        let t = |subject: &str, text: &str, html: &str| TemplateText {
            subject: subject.to_owned(),
            text: text.to_owned(),
            html: html.to_owned(),
        };
        match self {
            MailTemplate::TenantWelcome => t(
                "Welcome to {{productName}}, {{tenantName}}",
                "Hello {{contactName}},\n\n{{tenantName}} is ready. Sign in at {{portalUrl}} to add your members and domains.\n",
                "<p>Hello {{contactName}},</p><p>{{tenantName}} is ready. <a href=\"{{portalUrl}}\" style=\"background:{{accentColor}};color:{{accentTextColor}}\">Open {{productName}}</a> to add your members and domains.</p>",
            ),
            MailTemplate::MemberWelcome => t(
                "Your {{productName}} account at {{tenantName}}",
                "Hello {{memberName}},\n\nAn account was made for you at {{tenantName}}: {{memberEmail}}.\nYour one-time password: {{oneTimePassword}}\nSign in at {{loginUrl}}; you will choose your own password.\n",
                "<p>Hello {{memberName}},</p><p>An account was made for you at {{tenantName}}: <b>{{memberEmail}}</b>.</p><p>Your one-time password: <code>{{oneTimePassword}}</code></p><p><a href=\"{{loginUrl}}\" style=\"background:{{accentColor}};color:{{accentTextColor}}\">Sign in</a>; you will choose your own password.</p>",
            ),
            MailTemplate::PasswordReset => t(
                "Your {{productName}} password was reset",
                "Hello {{memberName}},\n\nAn administrator of {{tenantName}} reset the password of {{memberEmail}}.\nYour one-time password: {{oneTimePassword}}\nSign in at {{loginUrl}}.\n",
                "<p>Hello {{memberName}},</p><p>An administrator of {{tenantName}} reset the password of <b>{{memberEmail}}</b>.</p><p>Your one-time password: <code>{{oneTimePassword}}</code></p><p><a href=\"{{loginUrl}}\" style=\"background:{{accentColor}};color:{{accentTextColor}}\">Sign in</a></p>",
            ),
        }
    }
}

/// The placeholders every template may use, filled from the branding.
const BRANDING_PLACEHOLDERS: [&str; 3] = ["productName", "accentColor", "accentTextColor"];

/// A mail's three parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(object, object_from_js = false))]
pub struct TemplateText {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// A tenant's override of some parts of one template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TemplateOverride {
    /// Replaces the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Replaces the plain-text body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Replaces the HTML body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// A tenant's branding, as stored (`TenantBranding`), validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Branding {
    /// The product name shown in the portal and the mails (1 to 60 characters).
    pub product_name: String,
    /// The accent colour.
    pub accent_color: Colour,
    /// Overrides, by template.
    pub email_templates: BTreeMap<MailTemplate, TemplateOverride>,
}

/// The longest product name.
pub const MAX_PRODUCT_NAME: usize = 60;
/// The longest template part, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

impl Default for Branding {
    /// Dezky's own: the product name `Dezky`, the accent `#2563eb`, no overrides.
    fn default() -> Self {
        Branding {
            product_name: "Dezky".to_owned(),
            accent_color: Colour {
                r: 0x25,
                g: 0x63,
                b: 0xeb,
            },
            email_templates: BTreeMap::new(),
        }
    }
}

impl Branding {
    /// Reads a stored or submitted branding object; missing fields take the
    /// defaults. Errors name the field under `name`
    /// (`branding.emailTemplates.member_welcome.html`). Unknown keys are refused.
    pub fn from_value(name: &str, value: &Value) -> Result<Branding> {
        let Value::Object(map) = value else {
            return Err(invalid(name, "must be an object"));
        };
        let mut branding = Branding::default();
        for (key, value) in map {
            let field = format!("{name}.{key}");
            match key.as_str() {
                "productName" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| invalid(&field, "must be a string"))?
                        .trim();
                    let chars = text.chars().count();
                    if chars == 0 || chars > MAX_PRODUCT_NAME {
                        return Err(invalid(
                            &field,
                            format!("must be 1 to {MAX_PRODUCT_NAME} characters"),
                        ));
                    }
                    if text.chars().any(char::is_control) {
                        return Err(invalid(&field, "must not contain control characters"));
                    }
                    branding.product_name = text.to_owned();
                }
                "accentColor" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| invalid(&field, "must be a string"))?;
                    branding.accent_color = Colour::parse(&field, text)?;
                }
                "emailTemplates" => branding.email_templates = overrides(&field, value)?,
                _ => {
                    return Err(invalid(
                        field,
                        "is not a branding field (productName, accentColor, emailTemplates)",
                    ));
                }
            }
        }
        Ok(branding)
    }

    /// The text of `template` with this tenant's overrides in place.
    pub fn template(&self, template: MailTemplate) -> TemplateText {
        let mut text = template.default_text();
        if let Some(o) = self.email_templates.get(&template) {
            for (part, replacement) in [
                (&mut text.subject, &o.subject),
                (&mut text.text, &o.text),
                (&mut text.html, &o.html),
            ] {
                if let Some(r) = replacement {
                    part.clone_from(r);
                }
            }
        }
        text
    }

    /// Renders `template` with `values` (one per placeholder the template's
    /// parts use, besides the branding's own). Values are HTML-escaped in the
    /// HTML body; line breaks and other control characters in the subject
    /// become spaces (no header injection). A missing value is
    /// `DEZKY_INVALID_ARGUMENT` naming `values.<placeholder>`; a value for a
    /// placeholder the template does not know, `values.<name>`.
    pub fn render(
        &self,
        template: MailTemplate,
        values: &BTreeMap<String, String>,
    ) -> Result<TemplateText> {
        let allowed = template.placeholders();
        if let Some(unknown) = values.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(
                format!("values.{unknown}"),
                format!("is not a placeholder of {}", template.as_str()),
            ));
        }
        // Links go into `href`: only web addresses, never `javascript:` and the like.
        for (name, value) in values.iter().filter(|(k, _)| k.ends_with("Url")) {
            let lower = value.trim_start().to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                return Err(invalid(format!("values.{name}"), "must be an http(s) URL"));
            }
        }
        let accent = self.accent_color.to_string();
        let accent_text = self.accent_color.readable_on().to_string();
        let lookup = |name: &str| -> Result<&str> {
            match name {
                "productName" => Ok(&self.product_name),
                "accentColor" => Ok(&accent),
                "accentTextColor" => Ok(&accent_text),
                _ => values
                    .get(name)
                    .map(String::as_str)
                    .ok_or_else(|| invalid(format!("values.{name}"), "is missing")),
            }
        };
        let text = self.template(template);
        let subject = fill(&text.subject, &lookup, |v, out| {
            out.extend(v.chars().map(|c| if c.is_control() { ' ' } else { c }));
        })?;
        let body = fill(&text.text, &lookup, |v, out| out.push_str(v))?;
        let html = fill(&text.html, &lookup, escape_html)?;
        Ok(TemplateText {
            subject,
            text: body,
            html,
        })
    }
}

fn overrides(field: &str, value: &Value) -> Result<BTreeMap<MailTemplate, TemplateOverride>> {
    let Value::Object(map) = value else {
        return Err(invalid(field, "must be an object of templates"));
    };
    let mut out = BTreeMap::new();
    for (name, parts) in map {
        let field = format!("{field}.{name}");
        let template = MailTemplate::parse(&field, name)?;
        let Value::Object(parts) = parts else {
            return Err(invalid(&field, "must be an object (subject, text, html)"));
        };
        let mut o = TemplateOverride::default();
        for (part, text) in parts {
            let field = format!("{field}.{part}");
            let slot = match part.as_str() {
                "subject" => &mut o.subject,
                "text" => &mut o.text,
                "html" => &mut o.html,
                _ => {
                    return Err(invalid(
                        field,
                        "is not a template part (subject, text, html)",
                    ));
                }
            };
            if text.is_null() {
                continue;
            }
            let text = text
                .as_str()
                .ok_or_else(|| invalid(&field, "must be a string"))?;
            check_template(&field, template, text)?;
            *slot = Some(text.to_owned());
        }
        out.insert(template, o);
    }
    Ok(out)
}

/// Checks a template part: within the size limit, every `{{` closed, every
/// placeholder known to `template` (or the branding's own).
pub fn check_template(field: &str, template: MailTemplate, text: &str) -> Result<()> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(invalid(
            field,
            format!("is longer than {MAX_TEMPLATE_BYTES} bytes"),
        ));
    }
    for piece in pieces(text) {
        match piece {
            Piece::Literal(_) => {}
            Piece::Placeholder(name) => {
                if !template.placeholders().contains(&name)
                    && !BRANDING_PLACEHOLDERS.contains(&name)
                {
                    let mut known: Vec<&str> = template.placeholders().to_vec();
                    known.extend(BRANDING_PLACEHOLDERS);
                    return Err(invalid(
                        field,
                        format!(
                            "unknown placeholder {{{{{name}}}}} (known: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
            Piece::Unclosed(at) => {
                return Err(invalid(
                    field,
                    format!("`{{{{` at byte {at} is not closed by `}}}}`"),
                ));
            }
        }
    }
    Ok(())
}

enum Piece<'a> {
    Literal(&'a str),
    /// The name inside `{{ }}`, trimmed.
    Placeholder(&'a str),
    /// A `{{` without its `}}`, at this byte offset.
    Unclosed(usize),
}

/// Splits a template into literals and `{{name}}` placeholders.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Literal(&rest[..open]));
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push(Piece::Placeholder(after[..close].trim()));
                let consumed = open + 2 + close + 2;
                offset += consumed;
                rest = &rest[consumed..];
            }
            None => {
                out.push(Piece::Unclosed(offset + open));
                return out;
            }
        }
    }
    out.push(Piece::Literal(rest));
    out
}

/// `text` with its placeholders replaced by `lookup`'s values, each written by `write`.
fn fill<'v>(
    text: &str,
    lookup: &dyn Fn(&str) -> Result<&'v str>,
    write: impl Fn(&str, &mut String),
) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Literal(l) => out.push_str(l),
            Piece::Placeholder(name) => write(lookup(name)?, &mut out),
            // Templates are checked when stored; an unchecked one renders its text as is.
            Piece::Unclosed(at) => out.push_str(&text[at..]),
        }
    }
    Ok(out)
}

/// Escapes text for an HTML element or a quoted attribute.
fn escape_html(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
