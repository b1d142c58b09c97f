//! Mail over SMTP (`docs/mail.md`): [`SmtpMailer`] sends one rendered mail
//! ([`TemplateText`]: subject, plain text and HTML) as a
//! `multipart/alternative` message with a Message-ID chosen by the caller, so
//! that a mail sent again is recognisable as the same one.
//!
//! Settings ([`SmtpConfig::from_lookup`]): `SMTP_URL` (`smtp://host:port` or
//! `smtps://host:port`), `SMTP_TLS` (`none`, `starttls` or `tls`; by default
//! `starttls` for `smtp://` and `tls` for `smtps://`), `SMTP_USERNAME` and
//! `SMTP_PASSWORD` (both or neither), `SMTP_FROM` (a mailbox,
//! `Dezky <noreply@dezky.eu>`), `SMTP_TIMEOUT_MS` and
//! `SMTP_CONNECT_TIMEOUT_MS`.
//!
//! Errors: a transient reply (4xx) is `DEZKY_UPSTREAM_UNAVAILABLE`, a
//! permanent one (5xx) `DEZKY_UPSTREAM_REJECTED` (535 and 530, refused
//! credentials, `DEZKY_UPSTREAM_UNAUTHORIZED`), each with the reply code as
//! `status` and the server's text (cut to 500 characters) as its message; a
//! connection that fails is `DEZKY_TRANSPORT`, one that runs out of time
//! `DEZKY_TIMEOUT`. The password never appears in them, nor in `Debug`.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use dezky_core::branding::TemplateText;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tracing::Instrument as _;
use url::Url;

use crate::http::clip;
use crate::{Error, Result, Secret, UpstreamError, UpstreamKind};

/// The service name in errors and spans.
const SERVICE: &str = "smtp";
/// The "method" of errors: the whole SMTP exchange.
const METHOD: &str = "SMTP";

/// The time a whole send may take (connect, TLS, AUTH, the mail, QUIT).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The time to establish the connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest timeout a setting may give: a day.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// How the connection to the SMTP server is encrypted (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmtpTls {
    /// `none`: plain SMTP, for a relay inside the network. Credentials are
    /// refused with it unless the server is on the loopback interface.
    None,
    /// `starttls`: plain connect, then `STARTTLS`, which the server must
    /// offer (the mail is never sent in the clear). The default for `smtp://`.
    StartTls,
    /// `tls`: TLS from the first byte (port 465). The default for `smtps://`.
    Tls,
}

impl SmtpTls {
    /// Reads `none`, `starttls` or `tls` (any case).
    pub fn parse(field: &str, text: &str) -> Result<SmtpTls> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err(config(
                field,
                format!("{text:?} is not none, starttls or tls"),
            )),
        }
    }

    /// The setting's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::None => "none",
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
        }
    }
}

/// The settings of an [`SmtpMailer`], by their environment names. A
/// configuration error names the variable (`DEZKY_CONFIG`, field `SMTP_FROM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `SMTP_URL`: `smtp://host[:port]` or `smtps://host[:port]`, without
    /// credentials, path or query. The port defaults to 25 (`none`), 587
    /// (`starttls`) or 465 (`tls`).
    pub url: String,
    /// `SMTP_TLS`; `None` takes the scheme's default (`starttls` for
    /// `smtp://`, `tls` for `smtps://`).
    pub tls: Option<SmtpTls>,
    /// `SMTP_USERNAME`: sent with `AUTH` (PLAIN or LOGIN) together with the password.
    pub username: Option<String>,
    /// `SMTP_PASSWORD`.
    pub password: Option<Secret>,
    /// `SMTP_FROM`: the sender, `Dezky <noreply@dezky.eu>` or a bare address.
    /// Its domain is the right-hand side of the Message-IDs.
    pub from: String,
    /// `SMTP_TIMEOUT_MS`: the time a whole send may take.
    pub timeout: Duration,
    /// `SMTP_CONNECT_TIMEOUT_MS`: the time to establish the connection.
    pub connect_timeout: Duration,
}

impl SmtpConfig {
    /// Settings for `url` and the sender `from`, with the default TLS for
    /// the scheme, no credentials and the default timeouts.
    pub fn new(url: impl Into<String>, from: impl Into<String>) -> Self {
        SmtpConfig {
            url: url.into(),
            tls: None,
            username: None,
            password: None,
            from: from.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Reads the settings from the environment; see [`SmtpConfig::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `SMTP_URL` and `SMTP_FROM` (required), `SMTP_TLS`,
    /// `SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_TIMEOUT_MS` and
    /// `SMTP_CONNECT_TIMEOUT_MS` from `lookup` (an empty value is unset).
    /// Only the forms are checked here; [`SmtpMailer::new`] checks the rest.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &str| get(name).ok_or_else(|| config(name, "is not set"));
        let millis = |name: &str, default: Duration| -> Result<Duration> {
            let Some(value) = get(name) else {
                return Ok(default);
            };
            value
                .parse::<u64>()
                .ok()
                .map(Duration::from_millis)
                .filter(|d| !d.is_zero() && *d <= MAX_TIMEOUT)
                .ok_or_else(|| {
                    config(
                        name,
                        format!("{value:?} is not a number of milliseconds from 1 to a day"),
                    )
                })
        };
        Ok(SmtpConfig {
            url: required("SMTP_URL")?,
            tls: get("SMTP_TLS")
                .map(|t| SmtpTls::parse("SMTP_TLS", &t))
                .transpose()?,
            username: get("SMTP_USERNAME"),
            // A password is taken as it is: spaces may belong to it.
            password: lookup("SMTP_PASSWORD")
                .filter(|v| !v.is_empty())
                .map(Secret::new),
            from: required("SMTP_FROM")?,
            timeout: millis("SMTP_TIMEOUT_MS", DEFAULT_TIMEOUT)?,
            connect_timeout: millis("SMTP_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT)?,
        })
    }
}

fn config(field: &str, reason: impl Into<String>) -> Error {
    Error::Config {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Where the mailer connects, as checked from `SMTP_URL` and `SMTP_TLS`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    /// The host name or IP address (an IPv6 address without brackets).
    host: String,
    port: u16,
    tls: SmtpTls,
    loopback: bool,
}

impl Endpoint {
    fn parse(url: &str, tls: Option<SmtpTls>) -> Result<Endpoint> {
        let field = "SMTP_URL";
        let bad = |reason: &str| config(field, reason);
        let parsed = Url::parse(url.trim())
            .map_err(|e| bad(&format!("is not an smtp:// or smtps:// URL ({e})")))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // The URL is shown in errors: credentials have their own settings.
            return Err(bad(
                "must not carry credentials (use SMTP_USERNAME and SMTP_PASSWORD)",
            ));
        }
        if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
            return Err(bad(
                "must be smtp://host[:port] or smtps://host[:port], without path or query \
                 (the encryption is SMTP_TLS)",
            ));
        }
        if parsed.fragment().is_some() {
            return Err(bad("must not have a fragment"));
        }
        let tls = match (parsed.scheme(), tls) {
            ("smtp", tls) => tls.unwrap_or(SmtpTls::StartTls),
            ("smtps", None | Some(SmtpTls::Tls)) => SmtpTls::Tls,
            ("smtps", Some(other)) => {
                return Err(config(
                    "SMTP_TLS",
                    format!(
                        "{} contradicts the smtps:// of SMTP_URL (TLS from the first byte)",
                        other.as_str()
                    ),
                ));
            }
            (scheme, _) => {
                return Err(bad(&format!(
                    "has the scheme {scheme:?}; it must be smtp:// or smtps://"
                )));
            }
        };
        let (host, loopback) = match parsed.host() {
            // Hosts of non-special schemes are opaque: IPv4 addresses come as names.
            Some(url::Host::Domain(name)) if !name.is_empty() => (
                name.to_ascii_lowercase(),
                name.eq_ignore_ascii_case("localhost")
                    || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
            ),
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), ip.is_loopback()),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), IpAddr::V6(ip).is_loopback()),
            _ => return Err(bad("has no host")),
        };
        let port = parsed.port().unwrap_or(match tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        });
        Ok(Endpoint {
            host,
            port,
            tls,
            loopback,
        })
    }

    /// The address shown in errors: `smtp://host:port` or `smtps://host:port`.
    fn display(&self) -> String {
        let scheme = if self.tls == SmtpTls::Tls {
            "smtps"
        } else {
            "smtp"
        };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail<'a> {
    /// The recipient's address (`someone@example.com`).
    pub to: &'a str,
    /// The subject and both bodies.
    pub content: &'a TemplateText,
    /// The Message-ID, angle brackets included (`<local@domain>`); see
    /// [`SmtpMailer::message_id`].
    pub message_id: &'a str,
}

/// Sends mail over SMTP. Cheap to clone; every send opens its own
/// connection (onboarding mail is rare).
#[derive(Clone)]
pub struct SmtpMailer {
    endpoint: Endpoint,
    from: Mailbox,
    username: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    /// The password and the forms it takes on the wire, removed from any
    /// text a server sends back before it goes into an error.
    scrub: Vec<String>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for SmtpMailer {
    // The transport is left out: lettre's Debug shows the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.endpoint.display())
            .field("tls", &self.endpoint.tls)
            .field("from", &self.from.to_string())
            .field("username", &self.username)
            .field("password", &self.scrub.first().map(|_| Secret::new("")))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SmtpMailer {
    /// A mailer for `config`. Refused (`DEZKY_CONFIG`, naming the variable):
    /// a URL that is not `smtp://` or `smtps://host[:port]`, a `SMTP_TLS`
    /// that contradicts `smtps://`, an unreadable `SMTP_FROM`, a username
    /// without a password or the reverse, and credentials over
    /// `SMTP_TLS=none` to a server that is not on the loopback interface.
    pub fn new(config: &SmtpConfig) -> Result<Self> {
        let endpoint = Endpoint::parse(&config.url, config.tls)?;
        let from: Mailbox = config.from.trim().parse().map_err(|e| {
            self::config(
                "SMTP_FROM",
                format!("is not a mailbox such as `Dezky <noreply@dezky.eu>` ({e})"),
            )
        })?;
        for (name, value) in [
            ("SMTP_TIMEOUT_MS", config.timeout),
            ("SMTP_CONNECT_TIMEOUT_MS", config.connect_timeout),
        ] {
            if value.is_zero() || value > MAX_TIMEOUT {
                return Err(self::config(name, "must be above zero and at most a day"));
            }
        }
        let credentials = match (&config.username, &config.password) {
            (None, None) => None,
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            (Some(_), None) => {
                return Err(self::config(
                    "SMTP_PASSWORD",
                    "is not set, but SMTP_USERNAME is",
                ));
            }
            (None, Some(_)) => {
                return Err(self::config(
                    "SMTP_USERNAME",
                    "is not set, but SMTP_PASSWORD is",
                ));
            }
        };
        if credentials.is_some() && endpoint.tls == SmtpTls::None && !endpoint.loopback {
            return Err(self::config(
                "SMTP_TLS",
                "is none: the password would cross the network unencrypted \
                 (use starttls or tls; none with credentials is for a loopback server only)",
            ));
        }
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(endpoint.host.clone())
                .port(endpoint.port)
                .timeout(Some(config.connect_timeout.min(config.timeout)));
        let tls_parameters = || {
            TlsParameters::new(endpoint.host.clone()).map_err(|e| {
                self::config(
                    "SMTP_URL",
                    format!("TLS cannot be set up for this host ({e})"),
                )
            })
        };
        match endpoint.tls {
            SmtpTls::None => {}
            SmtpTls::StartTls => builder = builder.tls(Tls::Required(tls_parameters()?)),
            SmtpTls::Tls => builder = builder.tls(Tls::Wrapper(tls_parameters()?)),
        }
        let mut scrub = Vec::new();
        if let Some((user, password)) = &credentials {
            let engine = base64::engine::general_purpose::STANDARD;
            let secret = password.expose();
            if !secret.is_empty() {
                scrub.push(secret.to_owned());
                scrub.push(engine.encode(secret));
                scrub.push(engine.encode(format!("\0{user}\0{secret}")));
            }
            builder = builder.credentials(Credentials::new(user.clone(), secret.to_owned()));
        }
        Ok(SmtpMailer {
            endpoint,
            from,
            username: config.username.clone(),
            timeout: config.timeout,
            connect_timeout: config.connect_timeout.min(config.timeout),
            scrub,
            transport: builder.build(),
        })
    }

    /// A mailer from the environment; see [`SmtpConfig::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::new(&SmtpConfig::from_env()?)
    }

    /// A mailer from the settings `lookup` gives; see [`SmtpConfig::from_lookup`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        Self::new(&SmtpConfig::from_lookup(lookup)?)
    }

    /// The sender, as it appears in `From:`.
    pub fn from(&self) -> String {
        self.from.to_string()
    }

    /// The domain of the sender's address, the right-hand side of Message-IDs.
    pub fn from_domain(&self) -> &str {
        self.from.email.domain()
    }

    /// The server, as errors name it (`smtp://host:port`, `smtps://host:port`).
    pub fn server(&self) -> String {
        self.endpoint.display()
    }

    /// The Message-ID `<{local}@{sender's domain}>`. `local` must be made of
    /// letters, digits and `. - _ +` (`DEZKY_INVALID_ARGUMENT` otherwise).
    pub fn message_id(&self, local: &str) -> Result<String> {
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+');
        if local.is_empty()
            || !local.chars().all(valid)
            || local.starts_with('.')
            || local.ends_with('.')
        {
            return Err(Error::invalid(
                "message_id",
                "the local part must be letters, digits and . - _ +",
            ));
        }
        Ok(format!("<{local}@{}>", self.from_domain()))
    }

    /// Sends `mail`: `From` the configured sender, `To` the recipient, the
    /// subject, the Message-ID, and a `multipart/alternative` body of the
    /// plain text then the HTML. Every header is written by lettre's builder
    /// (encoded words for non-ASCII, no line breaks from values). A
    /// recipient or Message-ID that is not an address or `<local@domain>` is
    /// `DEZKY_INVALID_ARGUMENT` (`to`, `message_id`), before any connection.
    pub async fn send(&self, mail: &Mail<'_>) -> Result<()> {
        let to: Address = mail.to.trim().parse().map_err(|e| {
            Error::invalid("to", format!("{:?} is not a mail address ({e})", mail.to))
        })?;
        check_message_id(mail.message_id)?;
        let subject: String = mail
            .content
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(subject)
            .message_id(Some(mail.message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                mail.content.text.clone(),
                mail.content.html.clone(),
            ))
            .map_err(|e| Error::invalid("mail", e.to_string()))?;
        let span = tracing::debug_span!(
            "upstream.request",
            service = SERVICE,
            method = METHOD,
            path = %self.endpoint.display(),
            message_id = %mail.message_id,
        );
        let sent = tokio::time::timeout(self.timeout, self.transport.send(message))
            .instrument(span.clone())
            .await;
        match sent {
            Err(_) => Err(Error::Timeout {
                service: SERVICE.into(),
                method: METHOD.into(),
                url: self.endpoint.display(),
                after: self.timeout,
            }),
            Ok(Err(error)) => {
                let error = self.error(&error);
                tracing::debug!(parent: &span, code = error.code(), "smtp send failed");
                Err(error)
            }
            Ok(Ok(_)) => {
                tracing::debug!(parent: &span, "smtp send accepted");
                Ok(())
            }
        }
    }

    /// Text a server or lettre produced, without the password.
    fn scrubbed(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.scrub {
            text = text.replace(secret.as_str(), "***");
        }
        clip(&text)
    }

    /// The error of a failed send.
    fn error(&self, error: &lettre::transport::smtp::Error) -> Error {
        let url = self.endpoint.display();
        if let Some(code) = error.status() {
            let status: u16 = code.to_string().parse().unwrap_or(0);
            let kind = if error.is_transient() {
                UpstreamKind::Unavailable
            } else if matches!(status, 530 | 535) {
                UpstreamKind::Unauthorized
            } else {
                UpstreamKind::Rejected
            };
            let mut upstream = UpstreamError::new(kind, SERVICE, METHOD, url, status);
            let reply = std::error::Error::source(error)
                .map(|s| self.scrubbed(&s.to_string()))
                .filter(|s| !s.is_empty());
            upstream.upstream_code = reply.as_deref().and_then(enhanced_status);
            upstream.message = reply;
            return upstream.into();
        }
        if error.is_timeout() {
            // Lettre's own timeout covers the connection only.
            return Error::Timeout {
                service: SERVICE.into(),
                method: METHOD.into(),
                url,
                after: self.connect_timeout,
            };
        }
        Error::Transport {
            service: SERVICE.into(),
            method: METHOD.into(),
            url,
            message: self.scrubbed(&error.to_string()),
        }
    }
}

/// The enhanced status code (RFC 3463) a reply starts with (`5.7.1`), if any.
fn enhanced_status(reply: &str) -> Option<String> {
    let word = reply.split_whitespace().next()?;
    let parts: Vec<&str> = word.split('.').collect();
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    (parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && digits(parts[1], 3)
        && digits(parts[2], 3))
    .then(|| word.to_owned())
}

/// A Message-ID is `<local@domain>` of printable ASCII without spaces.
fn check_message_id(id: &str) -> Result<()> {
    let inner = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .filter(|s| {
            s.bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'))
        });
    match inner.and_then(|s| s.split_once('@')) {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(())
        }
        _ => Err(Error::invalid(
            "message_id",
            format!("{id:?} is not a Message-ID <local@domain>"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(
        vars: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + 'static {
        move |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn field(error: &Error) -> &str {
        match error {
            Error::Config { field, .. } | Error::InvalidInput { field, .. } => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn settings_are_read_from_the_lookup() {
        let config = SmtpConfig::from_lookup(env(&[
            ("SMTP_URL", " smtp://relay.internal:2525 "),
            ("SMTP_TLS", "NONE"),
            ("SMTP_FROM", "Dezky <noreply@dezky.eu>"),
            ("SMTP_TIMEOUT_MS", "1500"),
            ("SMTP_CONNECT_TIMEOUT_MS", "250"),
            ("SMTP_USERNAME", ""),
        ]))
        .expect("config");
        assert_eq!(config.url, "smtp://relay.internal:2525");
        assert_eq!(config.tls, Some(SmtpTls::None));
        assert_eq!(config.username, None);
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.connect_timeout, Duration::from_millis(250));
        let mailer = SmtpMailer::new(&config).expect("mailer");
        assert_eq!(mailer.server(), "smtp://relay.internal:2525");
        assert_eq!(mailer.from_domain(), "dezky.eu");
        assert_eq!(mailer.from(), "Dezky <noreply@dezky.eu>");
        assert_eq!(
            mailer.message_id("onboarding.abc123").expect("id"),
            "<onboarding.abc123@dezky.eu>"
        );
        assert_eq!(
            field(&mailer.message_id("a b").expect_err("space")),
            "message_id"
        );

        let defaults = SmtpConfig::from_lookup(env(&[
            ("SMTP_URL", "smtp://mail.example.com"),
            ("SMTP_FROM", "noreply@example.com"),
        ]))
        .expect("config");
        assert_eq!(defaults.timeout, DEFAULT_TIMEOUT);
        assert_eq!(defaults.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(defaults.tls, None);
    }

    #[test]
    fn the_scheme_decides_the_default_encryption_and_port() {
        for (url, tls, expected, port) in [
            ("smtp://mail.example.com", None, SmtpTls::StartTls, 587),
            (
                "smtp://mail.example.com",
                Some(SmtpTls::None),
                SmtpTls::None,
                25,
            ),
            (
                "smtp://mail.example.com:2525",
                Some(SmtpTls::None),
                SmtpTls::None,
                2525,
            ),
            (
                "smtp://mail.example.com",
                Some(SmtpTls::Tls),
                SmtpTls::Tls,
                465,
            ),
            ("smtps://mail.example.com", None, SmtpTls::Tls, 465),
            (
                "smtps://mail.example.com:4650/",
                Some(SmtpTls::Tls),
                SmtpTls::Tls,
                4650,
            ),
            ("smtp://[::1]:25", Some(SmtpTls::None), SmtpTls::None, 25),
        ] {
            let endpoint = Endpoint::parse(url, tls).expect(url);
            assert_eq!((endpoint.tls, endpoint.port), (expected, port), "{url}");
        }
        assert_eq!(
            Endpoint::parse("smtp://[::1]:25", Some(SmtpTls::None))
                .expect("v6")
                .display(),
            "smtp://[::1]:25"
        );
    }

    #[test]
    fn broken_settings_name_their_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("SMTP_FROM", "a@b.c")], "SMTP_URL"),
            (&[("SMTP_URL", "smtp://h")], "SMTP_FROM"),
            (
                &[("SMTP_URL", "http://h"), ("SMTP_FROM", "a@b.c")],
                "SMTP_URL",
            ),
            (
                &[("SMTP_URL", "relay:25"), ("SMTP_FROM", "a@b.c")],
                "SMTP_URL",
            ),
            (
                &[("SMTP_URL", "smtp://"), ("SMTP_FROM", "a@b.c")],
                "SMTP_URL",
            ),
            (
                &[("SMTP_URL", "smtp://u:pw@h"), ("SMTP_FROM", "a@b.c")],
                "SMTP_URL",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h?tls=required"),
                    ("SMTP_FROM", "a@b.c"),
                ],
                "SMTP_URL",
            ),
            (
                &[
                    ("SMTP_URL", "smtps://h"),
                    ("SMTP_TLS", "starttls"),
                    ("SMTP_FROM", "a@b.c"),
                ],
                "SMTP_TLS",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h"),
                    ("SMTP_TLS", "maybe"),
                    ("SMTP_FROM", "a@b.c"),
                ],
                "SMTP_TLS",
            ),
            (
                &[("SMTP_URL", "smtp://h"), ("SMTP_FROM", "not an address")],
                "SMTP_FROM",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h"),
                    ("SMTP_FROM", "Dezky <noreply@dezky.eu"),
                ],
                "SMTP_FROM",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_TIMEOUT_MS", "0"),
                ],
                "SMTP_TIMEOUT_MS",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_CONNECT_TIMEOUT_MS", "soon"),
                ],
                "SMTP_CONNECT_TIMEOUT_MS",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_USERNAME", "u"),
                ],
                "SMTP_PASSWORD",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://h"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_PASSWORD", "pw"),
                ],
                "SMTP_USERNAME",
            ),
            (
                &[
                    ("SMTP_URL", "smtp://relay.internal"),
                    ("SMTP_TLS", "none"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_USERNAME", "u"),
                    ("SMTP_PASSWORD", "pw-secret"),
                ],
                "SMTP_TLS",
            ),
        ];
        for (vars, expected) in cases {
            let lookup = |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            };
            let error = SmtpMailer::from_lookup(lookup).expect_err(expected);
            assert_eq!(error.code(), "DEZKY_CONFIG", "{error}");
            assert_eq!(field(&error), *expected, "{vars:?}: {error}");
            assert!(!error.to_string().contains("pw"), "{error}");
        }
        // Credentials over plain SMTP are allowed to a loopback relay.
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            let url = format!("smtp://{host}:2525");
            let mailer = SmtpMailer::from_lookup(|name| match name {
                "SMTP_URL" => Some(url.clone()),
                "SMTP_TLS" => Some("none".into()),
                "SMTP_FROM" => Some("a@b.c".into()),
                "SMTP_USERNAME" => Some("u".into()),
                "SMTP_PASSWORD" => Some("pw-secret".into()),
                _ => None,
            })
            .expect(host);
            let debug = format!("{mailer:?}");
            assert!(!debug.contains("pw-secret"), "{debug}");
            assert!(debug.contains("Secret(***)"), "{debug}");
        }
    }

    #[test]
    fn message_ids_and_reply_codes_are_read_strictly() {
        for good in ["<onboarding.6650f1c2@dezky.eu>", "<a@b>"] {
            check_message_id(good).expect(good);
        }
        for bad in [
            "onboarding@dezky.eu",
            "<a b@c>",
            "<a@b>\r\nBcc: x@y",
            "<@b>",
            "<a@>",
            "<a@b@c>",
            "<>",
        ] {
            let error = check_message_id(bad).expect_err(bad);
            assert_eq!(field(&error), "message_id");
        }
        assert_eq!(
            enhanced_status("5.7.1 Relaying denied").as_deref(),
            Some("5.7.1")
        );
        assert_eq!(enhanced_status("4.3.0 try later").as_deref(), Some("4.3.0"));
        assert_eq!(enhanced_status("Relaying denied"), None);
        assert_eq!(enhanced_status("1.2.3 odd"), None);
    }
}
