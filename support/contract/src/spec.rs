//! The loaded document and the checks.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use crate::form::{coerce, declared_properties, decode_pairs};
use crate::paths::{Template, best_match};
use crate::translate::{
    COMPONENT_PREFIX, Direction, Translator, WritableReadOnly, components_document, deref,
    pointer_escape,
};
use crate::{ContractError, OperationRef, Request, Violation, errata};

/// The URI under which the request-direction schemas are registered.
const REQUEST_URI: &str = "urn:dezky-contract:request";
/// The URI under which the response-direction schemas are registered.
const RESPONSE_URI: &str = "urn:dezky-contract:response";
/// The HTTP methods a path item can declare.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const FORM: &str = "application/x-www-form-urlencoded";
/// Longest message kept from the schema validator (the offending value is quoted
/// in it and can be a whole document).
const MESSAGE_LIMIT: usize = 500;

/// A parsed OpenAPI 3.0 document with the compiled validators it has needed so far.
///
/// Cloning is cheap and shares the document and the validator cache.
#[derive(Clone)]
pub struct Spec {
    inner: Arc<Inner>,
}

struct Inner {
    source: PathBuf,
    base_path: String,
    doc: Value,
    errata: &'static [WritableReadOnly],
    /// The translated request and response documents.
    registry: Registry<'static>,
    templates: Vec<Template>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("source", &self.inner.source)
            .field("base_path", &self.inner.base_path)
            .finish_non_exhaustive()
    }
}

/// An operation matched by method and path.
struct Operation<'a> {
    template: &'a str,
    method: String,
    item: &'a Value,
    op: &'a Value,
    captures: Vec<(String, String)>,
}

impl Operation<'_> {
    fn reference(&self) -> OperationRef {
        OperationRef {
            operation_id: self
                .op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            method: self.method.to_ascii_uppercase(),
            path_template: self.template.to_owned(),
        }
    }

    fn key(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The document at `path`, loaded once per test binary (per path and base path)
/// and shared; panics with `missing()` when the file is absent.
fn cached(path: &Path, base_path: &str, missing: impl FnOnce() -> String) -> Spec {
    type Cells = HashMap<(PathBuf, String), Arc<OnceLock<Spec>>>;
    static CACHE: OnceLock<Mutex<Cells>> = OnceLock::new();
    let cell = lock(CACHE.get_or_init(Mutex::default))
        .entry((path.to_owned(), base_path.to_owned()))
        .or_default()
        .clone();
    cell.get_or_init(|| {
        if !path.is_file() {
            panic!("{}", missing());
        }
        match Spec::load(path, base_path) {
            Ok(spec) => spec,
            Err(error) => panic!("{error}"),
        }
    })
    .clone()
}

/// The stripe-mock release whose documents the Stripe tests use: the one
/// `scripts/install-test-deps.sh` installs, from the same file.
pub const STRIPE_MOCK_VERSION: &str =
    include_str!("../../../scripts/stripe-mock-version").trim_ascii();

/// Where stripe-mock keeps the OpenAPI document and fixtures it serves
/// (`spec3.json`, `fixtures3.json`): `$STRIPE_MOCK_OPENAPI_DIR` if set, else
/// `embedded/openapi` of the pinned module in the Go module cache, which
/// `go install` of [`STRIPE_MOCK_VERSION`] leaves there.
pub fn stripe_mock_openapi_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STRIPE_MOCK_OPENAPI_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    go_module_cache()
        .join("github.com/stripe")
        .join(format!("stripe-mock@{STRIPE_MOCK_VERSION}"))
        .join("embedded/openapi")
}

/// The fixtures stripe-mock answers with (`fixtures3.json`, the same release as
/// [`Spec::stripe_mock`]), parsed once per test binary.
///
/// # Panics
///
/// When stripe-mock's module is not installed or the file is not JSON.
pub fn stripe_mock_fixtures() -> &'static Value {
    static FIXTURES: OnceLock<Value> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let path = stripe_mock_openapi_dir().join("fixtures3.json");
        let bytes =
            std::fs::read(&path).unwrap_or_else(|_| panic!("{}", missing_stripe_mock(&path)));
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    })
}

fn missing_stripe_mock(path: &Path) -> String {
    format!(
        "stripe-mock's OpenAPI documents are missing: looked for {} \
         (run scripts/install-test-deps.sh, or set STRIPE_MOCK_OPENAPI_DIR)",
        path.display()
    )
}

/// `GOMODCACHE` as Go reports it: the environment variable, `go env GOMODCACHE`,
/// then the default `$GOPATH/pkg/mod` (`$HOME/go/pkg/mod`).
fn go_module_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOMODCACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let reported = std::process::Command::new("go")
        .args(["env", "GOMODCACHE"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    if let Some(dir) = reported {
        return PathBuf::from(dir);
    }
    let gopath = std::env::var_os("GOPATH")
        .and_then(|p| std::env::split_paths(&p).next())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join("go")))
        .unwrap_or_else(|| PathBuf::from("go"));
    gopath.join("pkg/mod")
}

impl Spec {
    /// Loads an OpenAPI 3.0 document: YAML for a `.yaml`/`.yml` file, JSON
    /// otherwise. `base_path` is the prefix the client puts before the document's
    /// paths: `"/api/v3"` for Authentik, `"/graph"` for libregraph, `""` for Stripe.
    ///
    /// # Errors
    ///
    /// [`ContractError`] naming `path` when the file cannot be read or parsed, is
    /// not OpenAPI 3.0, or its schemas cannot be prepared.
    pub fn load(path: impl AsRef<Path>, base_path: &str) -> Result<Spec, ContractError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ContractError::Read {
            path: path.to_owned(),
            source,
        })?;
        let parse_error = |message: String| ContractError::Parse {
            path: path.to_owned(),
            message,
        };
        let unsupported = |message: String| ContractError::Unsupported {
            path: path.to_owned(),
            message,
        };
        let extension = path
            .extension()
            .and_then(OsStr::to_str)
            .map(str::to_ascii_lowercase);
        let doc: Value = match extension.as_deref() {
            Some("yaml" | "yml") => {
                serde_norway::from_slice(&bytes).map_err(|e| parse_error(e.to_string()))?
            }
            _ => serde_json::from_slice(&bytes).map_err(|e| parse_error(e.to_string()))?,
        };
        let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
        if !version.starts_with("3.0") {
            return Err(unsupported(format!(
                "`openapi` is {version:?}, expected an OpenAPI 3.0 document"
            )));
        }
        let templates = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| unsupported("no `paths` object".to_owned()))?
            .keys()
            .map(|raw| Template::parse(raw))
            .collect();
        let errata = errata::writable_read_only(&doc);
        let request_doc = components_document(&doc, Direction::Request, errata);
        let response_doc = components_document(&doc, Direction::Response, errata);
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(REQUEST_URI, request_doc)
            .and_then(|builder| builder.add(RESPONSE_URI, response_doc))
            .and_then(|builder| builder.prepare())
            .map_err(|e| unsupported(format!("cannot prepare the schemas: {e}")))?;
        Ok(Spec {
            inner: Arc::new(Inner {
                source: path.to_owned(),
                base_path: base_path.trim_end_matches('/').to_owned(),
                doc,
                errata,
                registry,
                templates,
                validators: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The directory of the official documents kept in the repository:
    /// `$DEZKY_SPECS_DIR` if set, else `support/contract/specs` (see its README for
    /// where each document comes from and how to refresh it).
    pub fn specs_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("DEZKY_SPECS_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
    }

    /// The document `file_name` of [`Spec::specs_dir`], loaded once per test binary
    /// (per file name and base path) and shared.
    ///
    /// # Panics
    ///
    /// When the file is absent (the message says which file and where it was
    /// looked for) or cannot be loaded: a test that needs it must fail, not pass.
    pub fn shared(file_name: &str, base_path: &str) -> Spec {
        let path = Spec::specs_dir().join(file_name);
        cached(&path, base_path, || {
            format!(
                "the OpenAPI document {file_name} is missing: looked for {} \
                 (set DEZKY_SPECS_DIR to the directory of the official documents)",
                path.display()
            )
        })
    }

    /// Stripe's OpenAPI document as served by the pinned stripe-mock
    /// (`spec3.json` of [`stripe_mock_openapi_dir`]), loaded once per test binary.
    ///
    /// # Panics
    ///
    /// When stripe-mock's module is not installed or the document cannot be loaded.
    pub fn stripe_mock() -> Spec {
        let path = stripe_mock_openapi_dir().join("spec3.json");
        cached(&path, "", || missing_stripe_mock(&path))
    }

    /// The file the document was loaded from.
    pub fn source(&self) -> &Path {
        &self.inner.source
    }

    /// The base path given to [`Spec::load`], without a trailing `/`.
    pub fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    /// Checks a request: its path and method name an operation; its path and
    /// query parameters are declared and of the declared types; its body is
    /// declared for its content type and valid against the request schema
    /// (unknown properties and read-only properties rejected). Returns the
    /// operation, or every violation found.
    ///
    /// # Errors
    ///
    /// The violations, at least one.
    pub fn check_request(&self, request: &Request) -> Result<OperationRef, Vec<Violation>> {
        let operation = self
            .operation(&request.method, &request.path)
            .map_err(|v| vec![v])?;
        let parameters = self.parameters(&operation);
        let mut violations = Vec::new();
        self.check_path_parameters(&operation, &parameters, &mut violations);
        self.check_query(&operation, &parameters, &request.query, &mut violations);
        self.check_body(&operation, request, &mut violations);
        if violations.is_empty() {
            Ok(operation.reference())
        } else {
            Err(violations)
        }
    }

    /// Checks a response: `status` is declared by the operation (exactly, as
    /// `2XX`, or as `default`), and `body` is valid against its JSON schema.
    /// Unknown properties are allowed. An undeclared status is a violation only
    /// for 2xx; an undeclared error status is checked against `default` if there is
    /// one, else accepted. `path` is the request path with the base path (a query
    /// is ignored); use `Value::Null` for a response without body.
    ///
    /// # Errors
    ///
    /// The violations, at least one.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let operation = self.operation(method, path).map_err(|v| vec![v])?;
        let responses = operation.op.get("responses").and_then(Value::as_object);
        let code = status.to_string();
        let range = format!("{}XX", status / 100);
        let declared = responses.and_then(|r| {
            r.get_key_value(&code)
                .or_else(|| r.iter().find(|(k, _)| k.eq_ignore_ascii_case(&range)))
        });
        let (key, response) = match declared {
            Some(found) => found,
            None if (200..300).contains(&status) => {
                let listed: Vec<&str> = responses
                    .map(|r| r.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                return Err(vec![Violation::new(
                    "status",
                    format!(
                        "{status} is not declared by {}; declared: {}",
                        operation.reference(),
                        listed.join(", ")
                    ),
                )]);
            }
            None => match responses.and_then(|r| r.get_key_value("default")) {
                Some(found) => found,
                None => return Ok(()),
            },
        };
        let response = deref(&self.inner.doc, response);
        let content = response.get("content").and_then(Value::as_object);
        let Some(content) = content.filter(|c| !c.is_empty()) else {
            return if body.is_null() {
                Ok(())
            } else {
                Err(vec![Violation::new(
                    "body",
                    format!(
                        "response {key} of {} declares no body",
                        operation.reference()
                    ),
                )])
            };
        };
        let json_media = content
            .get_key_value("application/json")
            .or_else(|| content.iter().find(|(media, _)| is_json(media)));
        let Some((media, schema)) =
            json_media.and_then(|(media, m)| m.get("schema").map(|s| (media, s)))
        else {
            // Only non-JSON content, or JSON without a schema: nothing to check.
            return Ok(());
        };
        let validator = self
            .validator(
                &format!("the {key} {media} response of {}", operation.key()),
                Direction::Response,
                schema,
            )
            .map_err(|v| vec![v])?;
        into_result(errors(&self.inner.doc, schema, &validator, body, "body"))
    }

    /// Checks `value` against the component schema `#/components/schemas/<name>`
    /// with the response-direction rules (unknown properties allowed).
    ///
    /// # Errors
    ///
    /// The violations, at least one; also when there is no such component.
    pub fn check_component(&self, name: &str, value: &Value) -> Result<(), Vec<Violation>> {
        let exists = self
            .inner
            .doc
            .pointer("/components/schemas")
            .and_then(|s| s.get(name))
            .is_some();
        if !exists {
            return Err(vec![Violation::new(
                "component",
                format!(
                    "{} has no component schema named {name:?}",
                    self.inner.source.display()
                ),
            )]);
        }
        let reference = json!({ "$ref": format!("{COMPONENT_PREFIX}{}", pointer_escape(name)) });
        let validator = self
            .validator(
                &format!("component {name}"),
                Direction::Response,
                &reference,
            )
            .map_err(|v| vec![v])?;
        into_result(errors(
            &self.inner.doc,
            &reference,
            &validator,
            value,
            "body",
        ))
    }

    /// [`Spec::check_request`], panicking with every violation listed.
    ///
    /// # Panics
    ///
    /// When the request departs from the document.
    pub fn assert_request(&self, request: &Request) -> OperationRef {
        match self.check_request(request) {
            Ok(operation) => operation,
            Err(violations) => panic!(
                "{}",
                self.report(&format!("request {request}"), &violations)
            ),
        }
    }

    /// [`Spec::check_response`], panicking with every violation listed.
    ///
    /// # Panics
    ///
    /// When the response departs from the document.
    pub fn assert_response(&self, method: &str, path: &str, status: u16, body: &Value) {
        if let Err(violations) = self.check_response(method, path, status, body) {
            let what = format!(
                "response {status} to {} {path}",
                method.to_ascii_uppercase()
            );
            panic!("{}", self.report(&what, &violations));
        }
    }

    /// [`Spec::check_component`], panicking with every violation listed.
    ///
    /// # Panics
    ///
    /// When the value departs from the component schema.
    pub fn assert_component(&self, name: &str, value: &Value) {
        if let Err(violations) = self.check_component(name, value) {
            panic!("{}", self.report(&format!("value of {name}"), &violations));
        }
    }

    /// Checks every request a `wiremock::MockServer` received (from
    /// `received_requests()`), and returns the operations in the same order.
    ///
    /// # Panics
    ///
    /// When any request departs from the document; the message lists every
    /// violation of every such request.
    #[cfg(feature = "wiremock")]
    pub fn assert_wiremock_requests(&self, requests: &[wiremock::Request]) -> Vec<OperationRef> {
        let mut operations = Vec::with_capacity(requests.len());
        let mut failures = Vec::new();
        for (index, received) in requests.iter().enumerate() {
            let request = Request::from(received);
            match self.check_request(&request) {
                Ok(operation) => operations.push(operation),
                Err(violations) => failures
                    .push(self.report(&format!("request #{} {request}", index + 1), &violations)),
            }
        }
        if !failures.is_empty() {
            panic!(
                "{} of {} requests depart from the document:\n{}",
                failures.len(),
                requests.len(),
                failures.join("\n")
            );
        }
        operations
    }

    fn report(&self, what: &str, violations: &[Violation]) -> String {
        let mut text = format!(
            "{what} does not conform to {}:",
            self.inner.source.display()
        );
        for violation in violations {
            text.push_str("\n  - ");
            text.push_str(&violation.to_string());
        }
        text
    }

    /// The operation for `method` and `path` (with the base path).
    fn operation(&self, method: &str, path: &str) -> Result<Operation<'_>, Violation> {
        let base = &self.inner.base_path;
        let Some(rest) = path
            .strip_prefix(base.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        else {
            return Err(Violation::new(
                "path",
                format!("{path} does not start with the base path {base}"),
            ));
        };
        let rest = if rest.is_empty() { "/" } else { rest };
        let Some((index, captures)) = best_match(&self.inner.templates, rest) else {
            return Err(Violation::new(
                "path",
                format!(
                    "no path of {} matches {rest} (base path {base:?} removed)",
                    self.inner.source.display()
                ),
            ));
        };
        let template = self.inner.templates[index].raw.as_str();
        let item = self
            .inner
            .doc
            .get("paths")
            .and_then(|p| p.get(template))
            .map(|item| deref(&self.inner.doc, item))
            .unwrap_or(&Value::Null);
        let method = method.to_ascii_lowercase();
        let Some(op) = item.get(&method).filter(|op| op.is_object()) else {
            let declared: Vec<String> = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_ascii_uppercase())
                .collect();
            return Err(Violation::new(
                "method",
                format!(
                    "{} is not declared for {template}; declared: {}",
                    method.to_ascii_uppercase(),
                    declared.join(", ")
                ),
            ));
        };
        Ok(Operation {
            template,
            method,
            item,
            op,
            captures,
        })
    }

    /// The operation's parameters, `$ref`s resolved, operation-level ones
    /// overriding path-level ones of the same name and location.
    fn parameters<'a>(&'a self, operation: &Operation<'a>) -> Vec<&'a Value> {
        let mut out: Vec<&Value> = Vec::new();
        let lists = [operation.op, operation.item]
            .into_iter()
            .filter_map(|v| v.get("parameters").and_then(Value::as_array));
        for list in lists {
            for parameter in list {
                let parameter = deref(&self.inner.doc, parameter);
                let id = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
                if !out.iter().any(|known| id(known) == id(parameter)) {
                    out.push(parameter);
                }
            }
        }
        out
    }

    fn check_path_parameters(
        &self,
        operation: &Operation<'_>,
        parameters: &[&Value],
        violations: &mut Vec<Violation>,
    ) {
        for (name, value) in &operation.captures {
            let declared = parameters.iter().find(|p| {
                p.get("in").and_then(Value::as_str) == Some("path")
                    && p.get("name").and_then(Value::as_str) == Some(name.as_str())
            });
            if let Some(parameter) = declared {
                self.check_parameter(
                    operation,
                    parameter,
                    Value::String(value.clone()),
                    &format!("path.{name}"),
                    violations,
                );
            }
        }
    }

    fn check_query(
        &self,
        operation: &Operation<'_>,
        parameters: &[&Value],
        query: &[(String, String)],
        violations: &mut Vec<Violation>,
    ) {
        let mut consumed = vec![false; query.len()];
        let declared: Vec<&Value> = parameters
            .iter()
            .copied()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
            .collect();
        for parameter in &declared {
            let Some(name) = parameter.get("name").and_then(Value::as_str) else {
                continue;
            };
            let location = format!("query.{name}");
            let style = parameter
                .get("style")
                .and_then(Value::as_str)
                .unwrap_or("form");
            let explode = parameter
                .get("explode")
                .and_then(Value::as_bool)
                .unwrap_or(style == "form");
            let schema = parameter
                .get("schema")
                .map(|s| deref(&self.inner.doc, s))
                .unwrap_or(&Value::Null);
            let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
            let bracket_prefix = format!("{name}[");
            let mut exact = Vec::new();
            let mut bracketed = Vec::new();
            for (index, (key, value)) in query.iter().enumerate() {
                if key == name {
                    exact.push(value.as_str());
                    consumed[index] = true;
                } else if style == "deepObject" && key.starts_with(&bracket_prefix) {
                    bracketed.push((key.as_str(), value.as_str()));
                    consumed[index] = true;
                }
            }
            if exact.is_empty() && bracketed.is_empty() {
                if parameter.get("required").and_then(Value::as_bool) == Some(true) {
                    violations.push(Violation::new(location, "required parameter is missing"));
                }
                continue;
            }
            let value = if !bracketed.is_empty() {
                if !exact.is_empty() {
                    violations.push(Violation::new(
                        location,
                        format!("given both as {name} and as {name}[...]"),
                    ));
                    continue;
                }
                match decode_pairs(bracketed) {
                    Ok(decoded) => decoded.get(name).cloned().unwrap_or(Value::Null),
                    Err(problems) => {
                        for problem in problems {
                            violations.push(Violation::new(location.clone(), problem));
                        }
                        continue;
                    }
                }
            } else if is_array {
                let separator = match style {
                    "spaceDelimited" => Some(' '),
                    "pipeDelimited" => Some('|'),
                    _ if !explode => Some(','),
                    _ => None,
                };
                let items = exact.iter().flat_map(|value| match separator {
                    Some(separator) => value.split(separator).collect::<Vec<_>>(),
                    None => vec![*value],
                });
                Value::Array(items.map(|v| Value::String(v.to_owned())).collect())
            } else if exact.len() > 1 {
                violations.push(Violation::new(
                    location,
                    format!("given {} times, but is not an array", exact.len()),
                ));
                continue;
            } else {
                Value::String(exact.concat())
            };
            self.check_parameter(operation, parameter, value, &location, violations);
        }
        let mut names: Vec<&str> = declared
            .iter()
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .collect();
        names.sort_unstable();
        for (index, (key, _)) in query.iter().enumerate() {
            if !consumed[index] {
                let declared = if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                };
                violations.push(Violation::new(
                    format!("query.{key}"),
                    format!(
                        "not a parameter of {}; declared: {declared}",
                        operation.reference()
                    ),
                ));
            }
        }
    }

    /// Coerces a parameter's string(s) to its schema's types and validates them.
    fn check_parameter(
        &self,
        operation: &Operation<'_>,
        parameter: &Value,
        value: Value,
        location: &str,
        violations: &mut Vec<Violation>,
    ) {
        let Some(schema) = parameter.get("schema") else {
            return;
        };
        let value = coerce(&self.inner.doc, value, schema);
        match self.validator(
            &format!("parameter {location} of {}", operation.key()),
            Direction::Request,
            schema,
        ) {
            Ok(validator) => {
                violations.extend(errors(
                    &self.inner.doc,
                    schema,
                    &validator,
                    &value,
                    location,
                ));
            }
            Err(violation) => violations.push(violation),
        }
    }

    fn check_body(
        &self,
        operation: &Operation<'_>,
        request: &Request,
        violations: &mut Vec<Violation>,
    ) {
        let request_body = operation
            .op
            .get("requestBody")
            .map(|b| deref(&self.inner.doc, b));
        let Some(request_body) = request_body else {
            if !request.body.is_empty() {
                violations.push(Violation::new(
                    "body",
                    format!("{} declares no request body", operation.reference()),
                ));
            }
            return;
        };
        if request.body.is_empty() {
            if request_body.get("required").and_then(Value::as_bool) == Some(true) {
                violations.push(Violation::new(
                    "body",
                    format!("{} requires a request body", operation.reference()),
                ));
            }
            return;
        }
        let content = request_body.get("content").and_then(Value::as_object);
        let declared: Vec<&str> = content
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let Some(content_type) = &request.content_type else {
            violations.push(Violation::new(
                "content-type",
                format!(
                    "a body is sent without Content-Type; declared: {}",
                    declared.join(", ")
                ),
            ));
            return;
        };
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let entry = content.and_then(|c| {
            c.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(&media))
                .or_else(|| c.iter().find(|(key, _)| media_matches(key, &media)))
        });
        let Some((media_key, media_object)) = entry else {
            violations.push(Violation::new(
                "content-type",
                format!(
                    "{media} is not declared for the request body of {}; declared: {}",
                    operation.reference(),
                    declared.join(", ")
                ),
            ));
            return;
        };
        let Some(schema) = media_object.get("schema") else {
            return;
        };
        let instance = if is_json(&media) {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(value) => value,
                Err(error) => {
                    violations.push(Violation::new("body", format!("not valid JSON: {error}")));
                    return;
                }
            }
        } else if media == FORM {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
            match decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                Ok(decoded) => coerce(&self.inner.doc, decoded, schema),
                Err(problems) => {
                    violations.extend(problems.into_iter().map(|p| Violation::new("body", p)));
                    return;
                }
            }
        } else {
            // multipart and other media types: declared, not inspected.
            return;
        };
        match self.validator(
            &format!("the {media_key} request body of {}", operation.key()),
            Direction::Request,
            schema,
        ) {
            Ok(validator) => {
                violations.extend(errors(
                    &self.inner.doc,
                    schema,
                    &validator,
                    &instance,
                    "body",
                ));
            }
            Err(violation) => violations.push(violation),
        }
    }

    /// The compiled validator for `schema` (an OpenAPI schema of the document,
    /// translated for `direction`), compiled on first use. The cache is keyed by
    /// direction and schema text, so operations that share a schema (a `$ref` to
    /// the same component, the same parameter type) share one validator. `what`
    /// names the schema in an error.
    fn validator(
        &self,
        what: &str,
        direction: Direction,
        schema: &Value,
    ) -> Result<Arc<Validator>, Violation> {
        let key = format!("{direction:?} {schema}");
        if let Some(found) = lock(&self.inner.validators).get(&key) {
            return Ok(Arc::clone(found));
        }
        let base = match direction {
            Direction::Request => REQUEST_URI,
            Direction::Response => RESPONSE_URI,
        };
        let translated = Translator::new(&self.inner.doc, direction, base, self.inner.errata)
            .schema(schema, false, None);
        let validator = jsonschema::draft202012::options()
            .with_registry(&self.inner.registry)
            .should_validate_formats(true)
            .build(&translated)
            .map_err(|error| {
                Violation::new(
                    "schema",
                    format!("cannot compile the document's schema for {what}: {error}"),
                )
            })?;
        let validator = Arc::new(validator);
        Ok(Arc::clone(
            lock(&self.inner.validators).entry(key).or_insert(validator),
        ))
    }
}

/// Whether a media type carries JSON (`application/json`, `application/problem+json`).
fn is_json(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case("application/json") || media.to_ascii_lowercase().ends_with("+json")
}

/// Whether the declared media range `declared` (`application/*`, `*/*`) covers `media`.
fn media_matches(declared: &str, media: &str) -> bool {
    match declared.split_once('/') {
        Some(("*", "*")) => true,
        Some((kind, "*")) => media
            .split_once('/')
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case(kind)),
        _ => false,
    }
}

/// One validation error, flattened.
struct Found {
    /// JSON pointer of the instance location.
    pointer: String,
    message: String,
    /// For unknown-property errors: the property names.
    unexpected: Option<Vec<String>>,
    /// Said after the message: which alternative of an `anyOf`/`oneOf` it is from.
    note: &'static str,
}

const CLOSEST: &str = " (in the closest alternative)";

/// Depth of a JSON pointer.
fn depth(pointer: &str) -> usize {
    pointer.matches('/').count()
}

/// Flattens an error. An `anyOf`/`oneOf` failure is explained by its branches:
/// where exactly one branch has the right type, its errors replace the summary;
/// where several do, the summary is kept and the errors of the closest branch
/// (whose errors lie deepest, then fewest) follow it.
fn flatten(error: &ValidationError<'_>, out: &mut Vec<Found>, note: &'static str) {
    let pointer = error.instance_path().to_string();
    let found = |message: String, unexpected: Option<Vec<String>>| Found {
        pointer: pointer.clone(),
        message,
        unexpected,
        note,
    };
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let here = |e: &ValidationError<'_>| e.instance_path().as_str() == pointer.as_str();
            let plausible: Vec<&Vec<ValidationError<'static>>> = context
                .iter()
                .filter(|branch| {
                    !branch
                        .iter()
                        .any(|e| here(e) && matches!(e.kind(), ValidationErrorKind::Type { .. }))
                })
                .collect();
            // A branch failing only an enum here (Stripe's `""` to unset) explains
            // nothing: keep the summary then.
            let only_enum = |branch: &Vec<ValidationError<'static>>| {
                branch.iter().all(|e| {
                    here(e)
                        && matches!(
                            e.kind(),
                            ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. }
                        )
                })
            };
            if let [branch] = plausible.as_slice()
                && !only_enum(branch)
            {
                for inner in branch.iter() {
                    flatten(inner, out, note);
                }
                return;
            }
            out.push(found(shorten(error.masked().to_string()), None));
            let closest = plausible
                .iter()
                .filter(|branch| !branch.is_empty() && !only_enum(branch))
                .min_by_key(|branch| {
                    let shallowest = branch
                        .iter()
                        .map(|e| depth(e.instance_path().as_str()))
                        .min()
                        .unwrap_or(0);
                    (std::cmp::Reverse(shallowest), branch.len())
                });
            if let Some(branch) = closest {
                for inner in branch.iter() {
                    flatten(inner, out, CLOSEST);
                }
            }
        }
        ValidationErrorKind::UnevaluatedProperties { unexpected }
        | ValidationErrorKind::AdditionalProperties { unexpected } => {
            out.push(found(String::new(), Some(unexpected.clone())));
        }
        // The translation produces `false` only for read-only properties.
        ValidationErrorKind::FalseSchema => {
            out.push(found(
                "read-only property must not be sent".to_owned(),
                None,
            ));
        }
        _ => out.push(found(shorten(error.to_string()), None)),
    }
}

/// The validator's errors for `instance` (a value of the OpenAPI schema `schema`)
/// as violations at `location` + the instance pointer. An unknown property is
/// reported at its own location. When something else failed too, properties
/// that the schema does declare are not reported as unknown: JSON Schema counts
/// them as unevaluated only because a subschema that declares them failed.
fn errors(
    doc: &Value,
    schema: &Value,
    validator: &Validator,
    instance: &Value,
    location: &str,
) -> Vec<Violation> {
    let mut found = Vec::new();
    for error in validator.iter_errors(instance) {
        flatten(&error, &mut found, "");
    }
    let other_failures = found.iter().any(|f| f.unexpected.is_none());
    let mut violations = Vec::new();
    for Found {
        pointer,
        message,
        unexpected,
        note,
    } in found
    {
        let Some(names) = unexpected else {
            violations.push(Violation::new(
                format!("{location}{pointer}"),
                format!("{message}{note}"),
            ));
            continue;
        };
        let declared = if other_failures {
            let segments: Vec<String> = pointer
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            declared_properties(doc, schema, &segments)
        } else {
            Vec::new()
        };
        for name in names {
            if !declared.contains(&name.as_str()) {
                violations.push(Violation::new(
                    format!("{location}{pointer}/{}", pointer_escape(&name)),
                    format!("unknown property: the schema does not declare it{note}"),
                ));
            }
        }
    }
    violations
}

fn shorten(mut message: String) -> String {
    if message.len() > MESSAGE_LIMIT {
        let mut cut = MESSAGE_LIMIT;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    message
}

fn into_result(violations: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}
