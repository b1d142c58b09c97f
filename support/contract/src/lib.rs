//! Contract checks for tests: HTTP requests and responses against the official
//! OpenAPI 3.0 documents of the upstreams (Authentik, ownCloud libregraph, Stripe).
//!
//! A [`Spec`] is one parsed document. [`Spec::check_request`] matches a request to
//! an operation and checks its path and query parameters and its body (JSON or
//! form-encoded); [`Spec::check_response`] checks a response body against the
//! schema declared for its status; [`Spec::check_component`] checks a value
//! against one component schema. The `assert_*` helpers panic with every
//! violation listed, for use in tests.
//!
//! Schemas are translated from OpenAPI 3.0 to JSON Schema draft 2020-12 once per
//! document and validated with the `jsonschema` crate; each validator is compiled
//! once and cached in the [`Spec`]. See the crate's README for the rules.
//!
//! ```no_run
//! use dezky_contract::{Request, Spec};
//!
//! let spec = Spec::shared("authentik-2025.10.4.openapi.yml", "/api/v3");
//! let request = Request::new("POST", "/api/v3/core/groups/")
//!     .json(&serde_json::json!({"name": "t-acme"}));
//! let operation = spec.assert_request(&request);
//! assert_eq!(operation.operation_id.as_deref(), Some("core_groups_create"));
//! ```

mod errata;
mod form;
mod paths;
mod spec;
mod translate;

use std::fmt;
use std::path::PathBuf;

pub use spec::{STRIPE_MOCK_VERSION, Spec, stripe_mock_fixtures, stripe_mock_openapi_dir};

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContractError {
    /// The file could not be read.
    #[error("cannot read OpenAPI document {}: {source}", path.display())]
    Read {
        /// The path that was read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML or JSON.
    #[error("cannot parse OpenAPI document {}: {message}", path.display())]
    Parse {
        /// The path that was read.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The document is not an OpenAPI 3.0 document, or its schemas cannot be
    /// prepared for validation.
    #[error("unsupported OpenAPI document {}: {message}", path.display())]
    Unsupported {
        /// The path that was read.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One way in which a request or response departs from the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where: `path`, `method`, `path.<param>`, `query.<param>`, `content-type`,
    /// `status`, `body` or `body/<json pointer>` (e.g. `body/redirect_uris/0/url`).
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl Violation {
    pub(crate) fn new(location: impl Into<String>, message: impl Into<String>) -> Violation {
        Violation {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// The operation a request was matched to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationRef {
    /// The operation's `operationId`, if the document gives one.
    pub operation_id: Option<String>,
    /// The HTTP method, upper case (`POST`).
    pub method: String,
    /// The path template as written in the document, without the base path
    /// (`/core/users/{id}/`).
    pub path_template: String,
}

impl fmt::Display for OperationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path_template)?;
        if let Some(id) = &self.operation_id {
            write!(f, " ({id})")?;
        }
        Ok(())
    }
}

/// An HTTP request as the upstream would receive it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method (any case).
    pub method: String,
    /// The path as sent, percent-encoded, with the base path and without the query.
    pub path: String,
    /// The query parameters, decoded, in order; a repeated key appears repeatedly.
    pub query: Vec<(String, String)>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body bytes (empty for none).
    pub body: Vec<u8>,
}

impl Request {
    /// A request without body to `url`: an absolute URL (`http://host/api/v3/x/?a=1`)
    /// or a path with an optional query (`/api/v3/x/?a=1`). The query is decoded as
    /// `application/x-www-form-urlencoded`.
    pub fn new(method: &str, url: &str) -> Request {
        let without_fragment = url.split('#').next().unwrap_or_default();
        let after_authority = match without_fragment.find("://") {
            Some(scheme_end) => {
                let rest = &without_fragment[scheme_end + 3..];
                match rest.find(['/', '?']) {
                    Some(start) => &rest[start..],
                    None => "",
                }
            }
            None => without_fragment,
        };
        let (path, query) = match after_authority.split_once('?') {
            Some((path, query)) => (path, query),
            None => (after_authority, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
            content_type: None,
            body: Vec::new(),
        }
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    #[must_use]
    pub fn json(self, body: &serde_json::Value) -> Request {
        self.body("application/json", body.to_string().into_bytes())
    }

    /// Sets a form body (already encoded, e.g. `email=a%40b.c&expand[]=x`) and
    /// `Content-Type: application/x-www-form-urlencoded`.
    #[must_use]
    pub fn form(self, body: &str) -> Request {
        self.body(
            "application/x-www-form-urlencoded",
            body.as_bytes().to_vec(),
        )
    }

    /// Sets a body of any content type.
    #[must_use]
    pub fn body(mut self, content_type: &str, body: Vec<u8>) -> Request {
        self.content_type = Some(content_type.to_owned());
        self.body = body;
        self
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&self.query)
                .finish();
            write!(f, "?{query}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "wiremock")]
impl From<&wiremock::Request> for Request {
    fn from(request: &wiremock::Request) -> Request {
        Request {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            query: request.url.query_pairs().into_owned().collect(),
            content_type: request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: request.body.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_from_url() {
        let request = Request::new("get", "http://127.0.0.1:9/api/v3/x/?a=1&b=%24x&a=2#f");
        assert_eq!(request.path, "/api/v3/x/");
        assert_eq!(
            request.query,
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "$x".to_owned()),
                ("a".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(Request::new("GET", "http://h").path, "/");
        assert_eq!(Request::new("GET", "/v1/x").query, Vec::new());
    }
}
