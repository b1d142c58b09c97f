//! A tenant's or partner's branding over `dezky_core::branding`
//! (docs/branding.md). Conversion only: the branding is read and validated by
//! the core (errors name the field, `branding.accentColor`), mails are
//! rendered by it (values HTML-escaped in the HTML part), and records cross as
//! their serde form, whose TypedDicts `dezky._branding_records` are generated
//! from (support/bindgen).

use std::collections::BTreeMap;

use dezky_core::branding::{self, Branding, Colour, MailTemplate};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::convert::{self, serde_py};
use crate::error::{self, IntoPyResult};

fn template(name: &str) -> PyResult<MailTemplate> {
    MailTemplate::parse("template", name).py()
}

/// A colour argument: a `Colour`, or its text (`#rgb` or `#rrggbb`).
fn colour(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Colour> {
    if let Ok(colour) = value.cast::<PyColour>() {
        return Ok(colour.get().inner);
    }
    match value.cast::<PyString>() {
        Ok(text) => Colour::parse(name, text.to_str()?).py(),
        Err(_) => Err(error::wrong_type(
            name,
            "a Colour or a str (#rgb or #rrggbb)",
            value,
        )),
    }
}

/// An sRGB colour (`#rrggbb`), as the core reads and judges it.
#[pyclass(name = "Colour", frozen, eq, hash, module = "dezky.branding")]
#[derive(PartialEq, Eq, Hash, Clone, Copy)]
pub(crate) struct PyColour {
    inner: Colour,
}

#[pymethods]
impl PyColour {
    /// The colour of `#rgb` or `#rrggbb` text (any case);
    /// `InvalidArgumentError` naming `field` for other text.
    #[staticmethod]
    #[pyo3(signature = (text: "str", field = "colour") -> "Colour")]
    fn parse(text: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        let Ok(text) = text.cast::<PyString>() else {
            return Err(error::wrong_type("text", "a str", text));
        };
        Ok(PyColour {
            inner: Colour::parse(field, text.to_str()?).py()?,
        })
    }

    /// Red, 0 to 255.
    #[getter]
    fn r(&self) -> u8 {
        self.inner.r
    }

    /// Green, 0 to 255.
    #[getter]
    fn g(&self) -> u8 {
        self.inner.g
    }

    /// Blue, 0 to 255.
    #[getter]
    fn b(&self) -> u8 {
        self.inner.b
    }

    /// `#rrggbb`, lower case.
    #[getter]
    fn hex(&self) -> String {
        self.inner.to_string()
    }

    /// The YIQ brightness, 0 to 255.
    #[pyo3(signature = () -> "int")]
    fn yiq(&self) -> u32 {
        self.inner.yiq()
    }

    /// Black or white, whichever reads on this colour (YIQ brightness 128
    /// and above: black).
    #[pyo3(signature = () -> "Colour")]
    fn readable_on(&self) -> Self {
        PyColour {
            inner: self.inner.readable_on(),
        }
    }

    /// The WCAG relative luminance, 0 to 1.
    #[pyo3(signature = () -> "float")]
    fn relative_luminance(&self) -> f64 {
        self.inner.relative_luminance()
    }

    /// The WCAG contrast ratio with `other` (a `Colour` or its text), 1 to 21.
    #[pyo3(signature = (other: "Colour | str") -> "float")]
    fn contrast_ratio(&self, other: &Bound<'_, PyAny>) -> PyResult<f64> {
        Ok(self.inner.contrast_ratio(colour("other", other)?))
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("Colour('{}')", self.inner)
    }
}

/// The branding of a tenant or partner (`branding`): the product name, the
/// accent colour and the mail templates' overrides, validated by the core.
#[pyclass(name = "Branding", frozen, eq, module = "dezky.branding")]
#[derive(PartialEq)]
pub(crate) struct PyBranding {
    inner: Branding,
}

#[pymethods]
impl PyBranding {
    /// The branding of its object form (`{"productName", "accentColor",
    /// "emailTemplates"}`, every key optional); the defaults without one.
    /// Errors name `branding.<field>`.
    #[new]
    #[pyo3(signature = (branding: "Mapping[str, Any] | None" = None))]
    fn new(branding: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        match branding.filter(|b| !b.is_none()) {
            None => Ok(PyBranding {
                inner: Branding::default(),
            }),
            Some(value) => Self::from_value(value, "branding"),
        }
    }

    /// The branding of its object form; errors name `<name>.<field>`.
    #[staticmethod]
    #[pyo3(signature = (value: "Mapping[str, Any]", name = "branding") -> "Branding")]
    fn from_value(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let value =
            serde_json::Value::Object(convert::object(name, "a dict (the branding)", value)?);
        Ok(PyBranding {
            inner: Branding::from_value(name, &value).py()?,
        })
    }

    /// The object form, as stored.
    #[pyo3(signature = () -> "_branding.BrandingValue")]
    fn to_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_py(py, &self.inner)
    }

    /// The product name shown in the portal and the mails.
    #[getter]
    fn product_name(&self) -> String {
        self.inner.product_name.clone()
    }

    /// The accent colour.
    #[getter]
    fn accent_color(&self) -> PyColour {
        PyColour {
            inner: self.inner.accent_color,
        }
    }

    /// The text of `template` before rendering: the default, with this
    /// branding's overrides.
    #[pyo3(signature = (template: "_branding.MailTemplate") -> "_branding.TemplateText")]
    fn template<'py>(&self, py: Python<'py>, template: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_py(py, self.inner.template(self::template(template)?))
    }

    /// `template` rendered with `values` (its placeholders, by their
    /// camelCase names): `{subject, text, html}`, the values HTML-escaped in
    /// `html`. A missing, unknown or (for a `...Url`) non-http(s) value is
    /// `InvalidArgumentError` naming `values.<name>`.
    #[pyo3(signature = (template: "_branding.MailTemplate", values: "Mapping[str, str]") -> "_branding.TemplateText")]
    fn render<'py>(
        &self,
        py: Python<'py>,
        template: &str,
        values: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let template = self::template(template)?;
        let Ok(dict) = values.cast::<PyDict>() else {
            return Err(error::wrong_type("values", "a dict of str", values));
        };
        let mut map = BTreeMap::new();
        for (key, value) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(error::wrong_type("values", "a dict with str keys", &key));
            };
            let key = key.to_str()?.to_owned();
            let Ok(text) = value.cast::<PyString>() else {
                return Err(error::wrong_type(&format!("values.{key}"), "a str", &value));
            };
            map.insert(key, text.to_str()?.to_owned());
        }
        serde_py(py, self.inner.render(template, &map).py()?)
    }

    fn __repr__(&self) -> String {
        let value = serde_json::to_value(&self.inner).unwrap_or_default();
        format!("Branding({value})")
    }
}

/// Whether a contrast `ratio` meets WCAG 2.1 AA: 4.5 for body text, 3 for
/// large text.
#[pyfunction]
#[pyo3(signature = (ratio: "float", large_text = false) -> "bool")]
pub(crate) fn meets_wcag_aa(ratio: f64, large_text: bool) -> bool {
    branding::meets_wcag_aa(ratio, large_text)
}

/// Checks a template override's `text` for `template`: every `{{name}}` a
/// placeholder of it (or a branding one), every `{{` closed, at most 64 KiB;
/// `InvalidArgumentError` naming `field` otherwise.
#[pyfunction]
#[pyo3(signature = (template: "_branding.MailTemplate", text: "str", field = "template") -> "None")]
pub(crate) fn check_template(template: &str, text: &str, field: &str) -> PyResult<()> {
    branding::check_template(field, self::template(template)?, text).py()
}

/// The placeholders `template` fills from its values (the branding's
/// `productName`, `accentColor` and `accentTextColor` not counted).
#[pyfunction]
#[pyo3(signature = (template: "_branding.MailTemplate") -> "list[str]")]
pub(crate) fn template_placeholders(template: &str) -> PyResult<Vec<&'static str>> {
    Ok(self::template(template)?.placeholders().to_vec())
}
