//! `dezky/errors.py`: the exception classes of the Python binding.
//!
//! From the crates' error contracts: which codes exist (`CODES` of each crate),
//! which details each code carries and of what type (the details of the crates'
//! `examples()`, each code's union). From the table below, which is about
//! Python only: each code's class name, its Python base classes, its docstring,
//! the details that may be `None`, and the attribute names of 0.1.0 kept as
//! deprecated aliases. The generator fails when a code of the crates has no
//! class here, or a class names a code the crates do not have.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use dezky_flags::contract::{Detail, ErrorContract};

use crate::docstring;

/// An attribute name of 0.1.0, kept as an alias of its new name.
struct Alias {
    /// The old name.
    name: &'static str,
    /// The detail it stands for.
    target: &'static str,
    /// The factor from the new unit to the old (`0.001`: milliseconds to seconds).
    scale: Option<&'static str>,
}

/// One exception class.
struct Class {
    name: &'static str,
    /// Its `default_code`; `None` inherits the base's.
    code: Option<&'static str>,
    /// Whether `error_class(code)` answers this class: every code of the
    /// crates has exactly one such class.
    in_table: bool,
    bases: &'static [&'static str],
    doc: &'static str,
    /// Details that are `None` when the fact is unknown.
    optional: &'static [&'static str],
    aliases: &'static [Alias],
}

const fn class(
    name: &'static str,
    code: &'static str,
    bases: &'static [&'static str],
    doc: &'static str,
) -> Class {
    Class {
        name,
        code: Some(code),
        in_table: true,
        bases,
        doc,
        optional: &[],
        aliases: &[],
    }
}

impl Class {
    const fn optional(mut self, optional: &'static [&'static str]) -> Self {
        self.optional = optional;
        self
    }

    const fn aliases(mut self, aliases: &'static [Alias]) -> Self {
        self.aliases = aliases;
        self
    }

    /// A class of the Python hierarchy only, absent from the code table.
    const fn python_only(mut self) -> Self {
        self.in_table = false;
        self
    }
}

const fn alias(name: &'static str, target: &'static str) -> Alias {
    Alias {
        name,
        target,
        scale: None,
    }
}

const fn scaled(name: &'static str, target: &'static str, scale: &'static str) -> Alias {
    Alias {
        name,
        target,
        scale: Some(scale),
    }
}

const TO_SOURCE: &[Alias] = &[alias("url", "source")];
const TO_FLAG: &[Alias] = &[alias("key", "flag")];

/// The classes, in the order they are written (a base before its subclasses).
const CLASSES: &[Class] = &[
    class(
        "MalformedJsonError",
        "DEZKY_MALFORMED_JSON",
        &["DezkyError", "ValueError"],
        "The input is not valid JSON, or not the expected top-level shape. Has ``line``, \
         ``column`` (1-based, 0 when unknown).",
    ),
    class(
        "InvalidFlagError",
        "DEZKY_INVALID_FLAG",
        &["DezkyError", "ValueError"],
        "A flag document breaks a rule of the flag contract. Has ``flag``, ``field`` and \
         ``reason``.",
    ),
    class(
        "DuplicateFlagError",
        "DEZKY_DUPLICATE_FLAG",
        &["DezkyError", "ValueError"],
        "Two flags share a key. Has ``flag`` (the key; ``key`` is its deprecated alias).",
    )
    .aliases(TO_FLAG),
    class(
        "InvalidContextError",
        "DEZKY_INVALID_CONTEXT",
        &["DezkyError", "ValueError"],
        "An evaluation context is unusable. Has ``field`` and ``reason``.",
    ),
    class(
        "FlagNotFoundError",
        "DEZKY_FLAG_NOT_FOUND",
        &["DezkyError", "LookupError"],
        "An operation named a flag the set does not hold. Has ``flag`` (``key`` is its \
         deprecated alias).",
    )
    .aliases(TO_FLAG),
    class(
        "InvalidArgumentError",
        "DEZKY_INVALID_ARGUMENT",
        &["DezkyError", "ValueError"],
        "An argument is out of its domain. Has ``argument`` (the top-level argument; ``name`` \
         is its deprecated alias) and ``reason``, and ``field`` (a path such as \
         ``tenant.slug``) for a bad record or field.",
    )
    .aliases(&[alias("name", "argument")]),
    Class {
        code: None,
        ..class(
            "ArgumentTypeError",
            "",
            &["InvalidArgumentError", "TypeError"],
            "An argument has the wrong Python type, or is missing (code \
             ``DEZKY_INVALID_ARGUMENT``).",
        )
        .python_only()
    },
    class(
        "FlagSourceError",
        "DEZKY_FLAG_SOURCE",
        &["DezkyError"],
        "A flag source (file, HTTP endpoint) could not deliver a flag set. Has ``source``, and \
         ``cause_code`` (the underlying failure's code) and ``status`` (HTTP), or ``None``.",
    )
    .optional(&["cause_code", "status"]),
    class(
        "ConfigError",
        "DEZKY_CONFIG",
        &["DezkyError", "ValueError"],
        "A client was configured with an unusable value (a URL that is not http(s), or carries \
         credentials). Has ``field`` (the option or environment variable) and ``reason``.",
    ),
    class(
        "ZoneParseError",
        "DEZKY_ZONE_PARSE",
        &["DezkyError", "ValueError"],
        "A zone file (Stalwart's ``dnsZoneFile``) could not be parsed. Has ``line`` (0 when \
         unknown).",
    ),
    class(
        "DnsResolverError",
        "DEZKY_DNS_RESOLVER",
        &["DezkyError"],
        "A DNS resolver could not be set up, or a zone's nameservers could not be found.",
    ),
    class(
        "TransportError",
        "DEZKY_TRANSPORT",
        &["DezkyError", "ConnectionError"],
        "A request to an upstream got no HTTP answer (refused, reset, TLS). Has ``service``, \
         ``method`` and ``source`` (the URL; ``url`` is its deprecated alias).",
    )
    .aliases(TO_SOURCE),
    class(
        "UpstreamTimeoutError",
        "DEZKY_TIMEOUT",
        &["TransportError", "TimeoutError"],
        "A request (or a wait for an upstream state) ran out of time. Has ``service``, \
         ``method``, ``source`` and ``timeout_ms`` (``timeout``, in seconds, is its deprecated \
         alias).",
    )
    .aliases(&[scaled("timeout", "timeout_ms", "0.001")]),
    class(
        "UpstreamError",
        "DEZKY_UPSTREAM",
        &["DezkyError"],
        "An upstream answered with an error. Base class of the error kinds below, which are \
         chosen from the status and the upstream's own error code.\n\n\
         Attributes: ``service``, ``method``, ``source`` (the URL), ``status``, \
         ``upstream_code`` and ``upstream_message`` (what the upstream said, or ``None``), \
         ``request_id``, ``retry_after_ms`` (milliseconds, or ``None``), ``fields`` (field name \
         → messages), ``linked`` (ids of objects that still use the target) and \
         ``upstream_details`` (further facts by the upstream's names, such as Stripe's \
         ``decline_code``). Deprecated aliases: ``url`` (``source``) and ``retry_after`` \
         (seconds).",
    )
    .optional(&[
        "upstream_code",
        "upstream_message",
        "request_id",
        "retry_after_ms",
    ])
    .aliases(&[
        alias("url", "source"),
        scaled("retry_after", "retry_after_ms", "0.001"),
    ]),
    class(
        "NotFoundError",
        "DEZKY_NOT_FOUND",
        &["UpstreamError", "LookupError"],
        "The upstream object does not exist.",
    ),
    class(
        "AlreadyExistsError",
        "DEZKY_ALREADY_EXISTS",
        &["UpstreamError"],
        "An object with that identity exists already.",
    ),
    class(
        "InUseError",
        "DEZKY_IN_USE",
        &["UpstreamError"],
        "The object is still used by others (see ``linked``).",
    ),
    class(
        "UpstreamRejectedError",
        "DEZKY_UPSTREAM_REJECTED",
        &["UpstreamError", "ValueError"],
        "The upstream refused the request's content (see ``fields``).",
    ),
    class(
        "UpstreamUnauthorizedError",
        "DEZKY_UPSTREAM_UNAUTHORIZED",
        &["UpstreamError", "PermissionError"],
        "The upstream refused the credential.",
    ),
    class(
        "UpstreamForbiddenError",
        "DEZKY_UPSTREAM_FORBIDDEN",
        &["UpstreamError", "PermissionError"],
        "The credential lacks the permission.",
    ),
    class(
        "RateLimitedError",
        "DEZKY_RATE_LIMITED",
        &["UpstreamError"],
        "Too many requests, after the allowed retries (see ``retry_after_ms``).",
    ),
    class(
        "PaymentFailedError",
        "DEZKY_PAYMENT_FAILED",
        &["UpstreamError"],
        "A payment could not be made.",
    ),
    class(
        "WebhookSignatureError",
        "DEZKY_WEBHOOK_SIGNATURE",
        &["DezkyError", "ValueError"],
        "A webhook's signature was refused (no ``t`` or ``v1``, malformed, no matching \
         signature, a timestamp outside the tolerance): do not act on the request. Has ``reason``.",
    ),
    class(
        "UpstreamUnavailableError",
        "DEZKY_UPSTREAM_UNAVAILABLE",
        &["UpstreamError", "ConnectionError"],
        "The upstream failed or is unavailable (5xx), after the allowed retries.",
    ),
    class(
        "UpstreamDecodeError",
        "DEZKY_UPSTREAM_DECODE",
        &["DezkyError", "ValueError"],
        "The upstream answered, but not in the documented shape. Has ``service`` and ``source`` \
         (the URL; ``url`` is its deprecated alias).",
    )
    .aliases(TO_SOURCE),
    class(
        "ServiceLoginRequiredError",
        "DEZKY_SERVICE_LOGIN_REQUIRED",
        &["DezkyError"],
        "The stored service credential is no longer accepted: a new service login is needed. \
         Has ``service``.",
    ),
    class(
        "CredentialStoreError",
        "DEZKY_CREDENTIAL_STORE",
        &["DezkyError", "OSError"],
        "A credential store could not be read or written. Has ``source`` (its path; \
         ``location`` is its deprecated alias).",
    )
    .aliases(&[alias("location", "source")]),
    class(
        "TokenError",
        "DEZKY_TOKEN",
        &["DezkyError", "ValueError"],
        "An access token was refused (answer 401). Base class of the ``Token*Error`` \
         exceptions; never raised itself. ``reason`` says what is wrong where the error has \
         one.",
    )
    .python_only(),
    class(
        "TokenMalformedError",
        "DEZKY_TOKEN_MALFORMED",
        &["TokenError"],
        "The token is not a well-formed JWT (structure, encoding, JSON, required claims, size).",
    ),
    class(
        "TokenBadSignatureError",
        "DEZKY_TOKEN_BAD_SIGNATURE",
        &["TokenError"],
        "The signature does not verify, or the algorithm is refused (``none``, ``HS*``).",
    ),
    class(
        "TokenExpiredError",
        "DEZKY_TOKEN_EXPIRED",
        &["TokenError"],
        "The token has expired. Has ``expired_at`` (its ``exp``, seconds since the epoch).",
    ),
    class(
        "TokenNotYetValidError",
        "DEZKY_TOKEN_NOT_YET_VALID",
        &["TokenError"],
        "The token's ``nbf`` or ``iat`` is in the future.",
    ),
    class(
        "TokenUnknownIssuerError",
        "DEZKY_TOKEN_UNKNOWN_ISSUER",
        &["TokenError"],
        "The token names an issuer that is not configured. Has ``issuer`` (quoted and \
         shortened).",
    ),
    class(
        "TokenWrongAudienceError",
        "DEZKY_TOKEN_WRONG_AUDIENCE",
        &["TokenError"],
        "The token is for no audience configured for its issuer. Has ``audience`` (quoted and \
         shortened).",
    ),
    class(
        "TokenUnknownKeyError",
        "DEZKY_TOKEN_UNKNOWN_KEY",
        &["TokenError"],
        "The token names no key, or a key its issuer does not publish. Has ``issuer`` and \
         ``kid`` (``None`` when the token names none).",
    )
    .optional(&["kid"]),
    class(
        "AuthConfigError",
        "DEZKY_AUTH_CONFIG",
        &["DezkyError", "ValueError"],
        "Token verification is configured in a way that cannot work (issuer and audience lists \
         that do not pair up, an issuer without signing keys, ...).",
    ),
    class(
        "KeysUnavailableError",
        "DEZKY_AUTH_KEYS_UNAVAILABLE",
        &["DezkyError", "ConnectionError"],
        "An issuer's signing keys could not be fetched (answer 503, not 401). Has ``issuer`` \
         and ``reason``.",
    ),
    class(
        "IllegalTransitionError",
        "DEZKY_ILLEGAL_TRANSITION",
        &["DezkyError", "ValueError"],
        "A tenant lifecycle action its status does not allow (resuming an active tenant). Has \
         ``from_status`` and ``action``.",
    ),
    class(
        "VersionConflictError",
        "DEZKY_VERSION_CONFLICT",
        &["DezkyError"],
        "The tenant document changed since it was read; the write was not made. Read it again \
         and retry. Has ``tenant`` and ``expected_version`` (``None`` for a document without a \
         version).",
    )
    .optional(&["expected_version"]),
    class(
        "TenantInactiveError",
        "DEZKY_TENANT_INACTIVE",
        &["DezkyError", "PermissionError"],
        "The tenant is suspended or deleted: its members are refused (answer 403). Has \
         ``tenant``, ``slug`` and ``from_status``.",
    ),
    class(
        "ForbiddenError",
        "DEZKY_FORBIDDEN",
        &["DezkyError", "PermissionError"],
        "An authorization rule refused (answer 403). Has ``reason``.",
    ),
];

/// Every code of the three crates, each once, in the crates' order.
pub(crate) fn codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for code in dezky_flags::Error::CODES
        .iter()
        .chain(dezky_core::Error::CODES)
        .chain(dezky_clients::Error::CODES)
    {
        if !codes.contains(code) {
            codes.push(code);
        }
    }
    codes
}

/// The details of every example of the three crates: code → (name → Python
/// type), in the order the examples state them.
fn example_details() -> BTreeMap<&'static str, Vec<(&'static str, &'static str)>> {
    fn add<E: ErrorContract>(into: &mut BTreeMap<&'static str, Vec<(&'static str, &'static str)>>) {
        for example in E::examples() {
            let details = into.entry(example.code()).or_default();
            for (name, value) in example.details() {
                let ty = match value {
                    Detail::Text { .. } => "str",
                    Detail::Integer { .. } => "int",
                    Detail::TextList { .. } => "list[str]",
                    Detail::TextMap { .. } => "dict[str, str]",
                    Detail::TextListMap { .. } => "dict[str, list[str]]",
                    Detail::Absent => "object",
                };
                match details.iter_mut().find(|(n, _)| *n == name) {
                    Some(known) if known.1 == "object" => known.1 = ty,
                    Some(_) => {}
                    None => details.push((name, ty)),
                }
            }
        }
    }
    let mut details = BTreeMap::new();
    add::<dezky_flags::Error>(&mut details);
    add::<dezky_core::Error>(&mut details);
    add::<dezky_clients::Error>(&mut details);
    details
}

/// The text of `errors.py`.
///
/// # Panics
///
/// When the table and the crates' codes disagree, or an alias names an
/// attribute its class does not have.
pub(crate) fn render() -> String {
    let codes = codes();
    let details = example_details();
    for code in &codes {
        let classes = CLASSES
            .iter()
            .filter(|c| c.in_table && c.code == Some(code))
            .count();
        assert!(
            classes == 1,
            "{code} has {classes} Python classes in support/bindgen/src/python_errors.rs, needs 1"
        );
    }
    for class in CLASSES.iter().filter(|c| c.in_table) {
        let code = class.code.unwrap_or_default();
        assert!(
            codes.contains(&code),
            "{} names {code}, which no crate has",
            class.name
        );
    }

    let mut out = super::python_header();
    let mut old_names: Vec<String> = Vec::new();
    for class in CLASSES {
        for alias in class.aliases {
            let unit = if alias.scale.is_some() {
                "seconds; "
            } else {
                ""
            };
            let text = format!("``{}`` ({unit}now ``{}``)", alias.name, alias.target);
            if !old_names.contains(&text) {
                old_names.push(text);
            }
        }
    }
    let module_doc = format!(
        "The exceptions of the Dezky SDK.\n\n\
         Every exception is a :class:`DezkyError` with a stable ``code`` (the same string the \
         Node binding puts on ``Error.code``) and the details of the failure as attributes, \
         under the names the SDK's crates give them (``flag``, ``argument``, ``source``, ...; \
         ``docs/errors.md`` lists them by code). An absent detail is ``None``. ``except \
         dezky.DezkyError`` catches them all.\n\n\
         The class of each code is chosen from one table, :func:`error_class`. The classes, \
         their attributes and the table are generated from the crates' error contracts by \
         ``support/bindgen``.\n\n\
         Deprecated attribute names, kept for 0.1.x: {}. Reading one emits a \
         :class:`DeprecationWarning`.",
        old_names.join(", ")
    );
    docstring(&mut out, "", &module_doc);
    out.push_str("\nfrom __future__ import annotations\n\n");
    out.push_str("from ._error_base import DezkyError, _Deprecated\n\n");
    out.push_str("__all__ = [\n    \"DezkyError\",\n");
    for class in CLASSES {
        let _ = writeln!(out, "    \"{}\",", class.name);
    }
    out.push_str("    \"error_class\",\n]\n");

    // name → (attribute → Python type), to leave out what a base declares.
    let mut declared: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    declared.insert("DezkyError", BTreeMap::new());
    for class in CLASSES {
        let mut inherited: BTreeMap<&str, String> = BTreeMap::new();
        let mut pending: Vec<&str> = class.bases.to_vec();
        let mut seen = BTreeSet::new();
        while let Some(base) = pending.pop() {
            if !seen.insert(base) {
                continue;
            }
            if let Some(attrs) = declared.get(base) {
                inherited.extend(attrs.iter().map(|(k, v)| (*k, v.clone())));
            }
            if let Some(parent) = CLASSES.iter().find(|c| c.name == base) {
                pending.extend(parent.bases);
            }
        }
        let mut own: BTreeMap<&str, String> = BTreeMap::new();
        let mut attrs: Vec<(&str, String)> = Vec::new();
        let found = class
            .code
            .filter(|_| class.in_table)
            .and_then(|code| details.get(code));
        for (name, ty) in found.into_iter().flatten() {
            let ty = if class.optional.contains(name) {
                format!("{ty} | None")
            } else {
                (*ty).to_owned()
            };
            own.insert(name, ty.clone());
            if !inherited.contains_key(name) {
                attrs.push((name, ty));
            }
        }
        for name in class.optional {
            assert!(
                own.contains_key(name),
                "{}: optional `{name}` is no detail of its examples",
                class.name
            );
        }

        let _ = write!(
            out,
            "\n\nclass {}({}):\n",
            class.name,
            class.bases.join(", ")
        );
        docstring(&mut out, "    ", class.doc);
        if class.code.is_some() || !attrs.is_empty() || !class.aliases.is_empty() {
            out.push('\n');
        }
        if let Some(code) = class.code {
            let _ = writeln!(out, "    default_code = \"{code}\"");
        }
        for (name, ty) in &attrs {
            let _ = writeln!(out, "    {name}: {ty}");
        }
        let all: BTreeMap<&str, String> = inherited.into_iter().chain(own.clone()).collect();
        for alias in class.aliases {
            let target = all.get(alias.target).unwrap_or_else(|| {
                panic!(
                    "{}: alias `{}` of `{}`, which it does not have",
                    class.name, alias.name, alias.target
                )
            });
            let ty = match alias.scale {
                Some(_) if target.ends_with("| None") => "\"float | None\"".to_owned(),
                Some(_) => "float".to_owned(),
                None => target.clone(),
            };
            let scale = alias.scale.map(|s| format!(", {s}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    {} = _Deprecated[{ty}](\"{}\"{scale})",
                alias.name, alias.target
            );
        }
        declared.insert(class.name, own);
    }

    out.push_str(
        "\n\n# The one table from code to class: every code of the SDK's crates.\n\
         _BY_CODE: dict[str, type[DezkyError]] = {\n",
    );
    for code in &codes {
        if let Some(class) = CLASSES.iter().find(|c| c.in_table && c.code == Some(code)) {
            let _ = writeln!(out, "    \"{code}\": {},", class.name);
        }
    }
    out.push_str(
        "}\n\n\ndef error_class(code: str) -> type[DezkyError]:\n    \
         \"\"\"The exception class for a code (``DezkyError`` for an unknown one).\"\"\"\n    \
         return _BY_CODE.get(code, DezkyError)\n",
    );
    out
}
