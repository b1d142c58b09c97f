//! A tenant's branding (`dezky_core::branding`, docs/branding.md): the
//! `Branding` class holding the core's validated record (product name,
//! accent colour, mail template overrides) and rendering its mails, the
//! colour helpers and the template check. Conversion only: every rule is in
//! the core (HTML escaping, subject line breaks, `...Url` values).
//!
//! The branding object is read by the core (errors name
//! `branding.emailTemplates.member_welcome.html`); its stored form leaves
//! through serde, typed in `lib/index.d.ts`. `MailTemplate` and
//! `TemplateText` are the core's own napi types. Colours cross as text
//! (`#rrggbb`).

use std::collections::BTreeMap;

use dezky_core::Error;
use dezky_core::branding::{self, Colour, MailTemplate, TemplateText};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::Serde;
use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The placeholder values of `render`: an object of strings (errors name
/// `values.<name>`).
fn values(value: &Unknown<'_>) -> Result<BTreeMap<String, String>> {
    let Value::Object(map) = crate::auth::json(value, "values")? else {
        return Err(invalid("values", "must be an object of strings"));
    };
    map.into_iter()
        .map(|(name, v)| match v {
            Value::String(text) => Ok((name, text)),
            _ => Err(invalid(format!("values.{name}"), "must be a string")),
        })
        .collect()
}

/// A tenant's branding, validated: build it with `Branding.fromValue(object)`.
#[napi]
pub struct Branding {
    inner: branding::Branding,
}

#[napi]
impl Branding {
    /// Reads a stored or submitted branding object (`productName`,
    /// `accentColor`, `emailTemplates`); missing fields take the defaults
    /// (`Dezky`, `#2563eb`, no overrides). Errors name the field under
    /// `branding`; unknown keys are refused.
    #[napi(factory, ts_args_type = "value: BrandingValue")]
    pub fn from_value(env: Env, value: Unknown<'_>) -> napi::Result<Branding> {
        crate::auth::json(&value, "branding")
            .and_then(|v| branding::Branding::from_value("branding", &v))
            .map(|inner| Branding { inner })
            .js(&env)
    }

    /// The branding as stored (`accentColor` as `#rrggbb`).
    #[napi(getter, ts_return_type = "BrandingValue")]
    pub fn value(&self) -> Serde<branding::Branding> {
        Serde(self.inner.clone())
    }

    /// The stored form (`JSON.stringify(branding)` writes it).
    #[napi(js_name = "toJSON", ts_return_type = "BrandingValue")]
    pub fn to_json(&self) -> Serde<branding::Branding> {
        Serde(self.inner.clone())
    }

    /// The product name.
    #[napi(getter)]
    pub fn product_name(&self) -> String {
        self.inner.product_name.clone()
    }

    /// The accent colour, `#rrggbb`.
    #[napi(getter)]
    pub fn accent_color(&self) -> String {
        self.inner.accent_color.to_string()
    }

    /// The text of `template` with this tenant's overrides in place,
    /// placeholders unfilled.
    #[napi]
    pub fn template(&self, template: MailTemplate) -> TemplateText {
        self.inner.template(template)
    }

    /// Renders `template` with `values` (one per placeholder its parts use,
    /// besides the branding's own `productName`, `accentColor`,
    /// `accentTextColor`): values HTML-escaped in the HTML body, control
    /// characters in the subject turned into spaces. A missing value, a value
    /// for a placeholder the template does not have, or a `...Url` value that
    /// is not http(s) is `DEZKY_INVALID_ARGUMENT` naming `values.<name>`.
    #[napi(ts_args_type = "template: MailTemplate, values: Record<string, string>")]
    pub fn render(
        &self,
        env: Env,
        template: MailTemplate,
        values: Unknown<'_>,
    ) -> napi::Result<TemplateText> {
        self::values(&values)
            .and_then(|v| self.inner.render(template, &v))
            .js(&env)
    }
}

/// A colour argument (`#rgb` or `#rrggbb`, any case), refused naming `field`.
fn colour(text: &str, field: &str) -> Result<Colour> {
    Colour::parse(field, text)
}

/// A colour (`#rgb` or `#rrggbb`, any case, spaces around ignored) as
/// `#rrggbb` in lower case. Anything else is `DEZKY_INVALID_ARGUMENT` naming
/// `field` (default `colour`).
#[napi]
pub fn parse_colour(env: Env, text: String, field: Option<String>) -> napi::Result<String> {
    colour(&text, field.as_deref().unwrap_or("colour"))
        .map(|c| c.to_string())
        .js(&env)
}

/// The text colour the portal puts on `background`: `#000000` when its YIQ
/// brightness is at least 128, `#ffffff` below.
#[napi]
pub fn readable_on(env: Env, background: String) -> napi::Result<String> {
    colour(&background, "background")
        .map(|c| c.readable_on().to_string())
        .js(&env)
}

/// The WCAG 2 contrast ratio of two colours, 1 to 21, in either order.
#[napi]
pub fn contrast_ratio(env: Env, colour: String, other: String) -> napi::Result<f64> {
    let a = self::colour(&colour, "colour").js(&env)?;
    let b = self::colour(&other, "other").js(&env)?;
    Ok(a.contrast_ratio(b))
}

/// Whether a contrast ratio meets WCAG 2 level AA: 4.5 for body text, 3 for
/// large text (`largeText`, default false).
#[napi]
pub fn meets_wcag_aa(ratio: f64, large_text: Option<bool>) -> bool {
    branding::meets_wcag_aa(ratio, large_text.unwrap_or(false))
}

/// Checks a template part before it is stored: at most 64 KiB, every `{{`
/// closed, every placeholder one of `template`'s or the branding's own.
/// A refusal is `DEZKY_INVALID_ARGUMENT` naming `field` (default `text`).
#[napi]
pub fn check_template(
    env: Env,
    template: MailTemplate,
    text: String,
    field: Option<String>,
) -> napi::Result<()> {
    branding::check_template(field.as_deref().unwrap_or("text"), template, &text).js(&env)
}

/// The placeholders the caller gives when rendering `template` (besides the
/// branding's own `productName`, `accentColor` and `accentTextColor`).
#[napi]
pub fn mail_template_placeholders(template: MailTemplate) -> Vec<String> {
    template
        .placeholders()
        .iter()
        .map(|p| (*p).to_owned())
        .collect()
}
