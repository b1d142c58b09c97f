//! The `onboarding` provisioning port against an SMTP server on 127.0.0.1
//! (`smtp_support`): the welcome mail is sent once, as one multipart message
//! with a Message-ID naming the tenant; the recorded handle keeps later
//! reconciles from sending again; 4xx replies, dropped connections and
//! timeouts are retryable, 5xx replies are not; AUTH is sent only when
//! configured, and the password never shows in errors, `Debug` or traces.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod provisioning_support;
mod smtp_support;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use dezky_clients::mail::{Mail, SmtpMailer};
use dezky_clients::provisioning::{OnboardingMail, provisioner_from_lookup};
use dezky_core::branding::{Branding, TemplateText};
use dezky_core::lifecycle::{Step, StepState, TenantDocument, TenantStatus};
use dezky_core::provisioning::{
    Drift, FailureKind, ReconcileOptions, Removal, TenantRef, UpstreamPort,
};
use mail_parser::{MessageParser, MimeHeaders};
use provisioning_support::*;
use serde_json::{Value, json};
use smtp_support::{Answer, At, Options, SmtpServer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

const USER: &str = "mailer@dezky.eu";
const PASSWORD: &str = "smtp-P4ss-never-shown-91c3";
const PORTAL: &str = "https://portal.dezky.eu/login";

/// The settings of a port for `server`, plain SMTP, with `extra` on top.
fn settings(server: &SmtpServer, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("SMTP_URL", server.url().as_str()),
        ("SMTP_TLS", "none"),
        ("SMTP_FROM", "Dezky <noreply@dezky.eu>"),
        ("SMTP_TIMEOUT_MS", "2000"),
        ("SMTP_CONNECT_TIMEOUT_MS", "1000"),
        ("PORTAL_URL", PORTAL),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    for (name, value) in extra {
        vars.retain(|(n, _)| n != name);
        vars.push(((*name).to_owned(), (*value).to_owned()));
    }
    vars
}

fn lookup(vars: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
    move |name: &str| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

fn port(server: &SmtpServer, extra: &[(&str, &str)]) -> OnboardingMail {
    OnboardingMail::from_lookup(lookup(settings(server, extra))).expect("port")
}

fn handle() -> String {
    format!("<onboarding.{TENANT_ID}@dezky.eu>")
}

/// A pending tenant named `name` with the contact `email`.
fn tenant_named(name: &str, email: Option<&str>) -> TenantDocument {
    let mut doc = json!({
        "_id": TENANT_ID, "slug": "acme", "name": name, "status": "pending",
        "plan": "business", "domains": ["acme.test"], "__v": 0,
    });
    if let Some(email) = email {
        doc["billingInfo"] = json!({ "email": email });
    }
    let Value::Object(map) = doc else {
        unreachable!()
    };
    TenantDocument::from_document("tenant", &map).expect("tenant")
}

fn target(tenant: &TenantDocument) -> TenantRef {
    TenantRef::from(tenant)
}

#[tokio::test]
async fn a_new_tenant_gets_one_multipart_welcome_mail_named_by_its_message_id() {
    let server = SmtpServer::start(Options::default()).await;
    let p = provisioner(port(&server, &[]));
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Onboarding);
    assert_eq!((s.state, s.drift), (StepState::Ok, Drift::Created), "{s:?}");
    assert_eq!(s.handle.as_deref(), Some(handle().as_str()));
    assert_eq!(
        tenant.handles.onboarding_mail_id.as_deref(),
        Some(handle().as_str())
    );
    assert_eq!(tenant.status, TenantStatus::Active);

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let received = &messages[0];
    assert_eq!(received.mail_from, "noreply@dezky.eu");
    assert_eq!(received.rcpt_to, ["billing@acme.test"]);
    assert_eq!(received.user, None);

    let raw = String::from_utf8(received.data.clone()).expect("ascii");
    let message = MessageParser::default()
        .parse(&received.data)
        .expect("a mail");
    let from = message.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.name(), Some("Dezky"));
    assert_eq!(from.address(), Some("noreply@dezky.eu"));
    let to = message.to().and_then(|a| a.first()).expect("To");
    assert_eq!(to.address(), Some("billing@acme.test"));
    assert_eq!(message.subject(), Some("Welcome to Dezky, Acme Co"));
    // mail-parser gives the id without its angle brackets.
    assert_eq!(
        message.message_id(),
        Some(format!("onboarding.{TENANT_ID}@dezky.eu").as_str())
    );
    assert!(
        raw.contains(&format!("Message-ID: {}\r\n", handle())),
        "{raw}"
    );
    assert!(message.date().is_some(), "a Date header");
    let content_type = message.content_type().expect("Content-Type");
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("multipart", Some("alternative"))
    );
    assert_eq!(message.text_body.len(), 1);
    assert_eq!(message.html_body.len(), 1);
    let text = message.body_text(0).expect("text part");
    assert!(text.starts_with("Hello Acme Co,"), "{text}");
    assert!(text.contains(&format!("Sign in at {PORTAL}")), "{text}");
    let html = message.body_html(0).expect("html part");
    assert!(html.contains(&format!("href=\"{PORTAL}\"")), "{html}");
    assert!(html.contains("<p>Hello Acme Co,</p>"), "{html}");
    // The parts come in order: plain text, then HTML.
    assert!(
        raw.find("text/plain").expect("plain") < raw.find("text/html").expect("html"),
        "{raw}"
    );

    // The recorded handle is trusted: no connection, nothing sent.
    let sessions = server.sessions().len();
    let (tenant, again) = reconcile(&p, &tenant).await;
    assert_eq!(report(&again, Step::Onboarding).drift, Drift::InSync);
    assert!(again.patch.is_empty());
    assert_eq!(server.sessions().len(), sessions);
    assert_eq!(server.messages().len(), 1);

    // Deprovisioning cannot recall a mail: reported removed, the handle dropped.
    let (gone, d) = deprovision(&p, &tenant).await;
    assert!(d.complete);
    let removal = d
        .steps
        .iter()
        .find(|s| s.step == Step::Onboarding)
        .expect("step");
    assert_eq!(removal.removal, Removal::Removed);
    assert_eq!(removal.handle.as_deref(), Some(handle().as_str()));
    assert_eq!(gone.handles.onboarding_mail_id, None);
    let (_, d) = deprovision(&p, &gone).await;
    assert_eq!(d.steps[0].removal, Removal::Absent);
    assert_eq!(server.sessions().len(), sessions, "never a connection");
}

#[tokio::test]
async fn the_tenant_name_is_escaped_in_the_html_part_only() {
    let server = SmtpServer::start(Options::default()).await;
    let p = provisioner(port(&server, &[]));
    let name = "Smith & Jones <Ltd> \"Ü\"";
    let (tenant, r) = reconcile(&p, &tenant_named(name, Some("ceo@smith.test"))).await;
    assert_eq!(report(&r, Step::Onboarding).state, StepState::Ok);
    assert_eq!(tenant.status, TenantStatus::Active);
    let messages = server.messages();
    let message = MessageParser::default()
        .parse(&messages[0].data)
        .expect("a mail");
    assert_eq!(
        message.subject(),
        Some(format!("Welcome to Dezky, {name}").as_str())
    );
    let html = message.body_html(0).expect("html");
    assert!(
        html.contains("Smith &amp; Jones &lt;Ltd&gt; &quot;Ü&quot;"),
        "{html}"
    );
    assert!(!html.contains("<Ltd>"), "{html}");
    let text = message.body_text(0).expect("text");
    assert!(text.contains(name), "{text}");
}

#[tokio::test]
async fn a_dry_run_sends_nothing() {
    let server = SmtpServer::start(Options::default()).await;
    let p = provisioner(port(&server, &[]));
    let r = p
        .reconcile(&new_tenant(), ReconcileOptions { dry_run: true }, &change())
        .await
        .expect("dry run");
    let s = report(&r, Step::Onboarding);
    assert_eq!(
        (s.state, s.drift),
        (StepState::Pending, Drift::Missing),
        "{s:?}"
    );
    assert!(r.patch.is_empty());
    assert!(server.sessions().is_empty());
}

#[tokio::test]
async fn values_cannot_add_headers_or_recipients() {
    let server = SmtpServer::start(Options::default()).await;
    let mailer = SmtpMailer::from_lookup(lookup(settings(&server, &[]))).expect("mailer");
    let content = TemplateText {
        subject: "Hi\r\nBcc: evil@example.com".into(),
        text: "body".into(),
        html: "<p>body</p>".into(),
    };
    mailer
        .send(&Mail {
            to: "someone@example.com",
            content: &content,
            message_id: "<test.2@dezky.eu>",
        })
        .await
        .expect("sent");
    let received = &server.messages()[0];
    assert_eq!(received.rcpt_to, ["someone@example.com"]);
    let message = MessageParser::default()
        .parse(&received.data)
        .expect("mail");
    assert_eq!(message.subject(), Some("Hi  Bcc: evil@example.com"));
    assert!(message.bcc().is_none());
    let raw = String::from_utf8_lossy(&received.data);
    assert!(!raw.contains("\r\nBcc:"), "{raw}");

    for (to, id) in [
        (
            "someone@example.com\r\nBcc: evil@example.com",
            "<test.3@dezky.eu>",
        ),
        ("someone@example.com, evil@example.com", "<test.3@dezky.eu>"),
        (
            "someone@example.com",
            "<test.3@dezky.eu>\r\nBcc: evil@example.com",
        ),
    ] {
        let error = mailer
            .send(&Mail {
                to,
                content: &content,
                message_id: id,
            })
            .await
            .expect_err(to);
        assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT", "{error}");
    }
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_tenant_without_a_contact_email_is_skipped() {
    let server = SmtpServer::start(Options::default()).await;
    let p = provisioner(port(&server, &[]));
    let (tenant, r) = reconcile(&p, &tenant_named("Acme Co", None)).await;
    let s = report(&r, Step::Onboarding);
    assert_eq!(s.state, StepState::Skipped, "{s:?}");
    assert_eq!(tenant.status, TenantStatus::Active);
    assert!(server.sessions().is_empty());
}

#[tokio::test]
async fn a_branding_given_at_construction_renders_the_mail() {
    let server = SmtpServer::start(Options::default()).await;
    let branding = Branding::from_value(
        "branding",
        &json!({"productName": "Acme Cloud", "emailTemplates": {"tenant_welcome": {
            "subject": "{{productName}} for {{tenantName}}"}}}),
    )
    .expect("branding");
    let p = provisioner(port(&server, &[]).with_branding(branding));
    let (_, r) = reconcile(&p, &new_tenant()).await;
    assert_eq!(report(&r, Step::Onboarding).state, StepState::Ok);
    let messages = server.messages();
    let message = MessageParser::default()
        .parse(&messages[0].data)
        .expect("a mail");
    assert_eq!(message.subject(), Some("Acme Cloud for Acme Co"));
}

#[tokio::test]
async fn transient_replies_are_retryable_and_a_later_reconcile_converges() {
    for at in [At::Greeting, At::MailFrom, At::RcptTo, At::DataEnd] {
        let server = SmtpServer::start(Options::default()).await;
        server.fail_next(
            at,
            Answer::Reply("451 4.3.0 Temporary local problem, try later".into()),
        );
        let p = provisioner(port(&server, &[]));
        let (failed, r) = reconcile(&p, &new_tenant()).await;
        assert_failed(
            &r,
            &failed,
            Step::Onboarding,
            "DEZKY_UPSTREAM_UNAVAILABLE",
            None,
        );
        let message = report(&r, Step::Onboarding).message.clone().unwrap();
        assert!(message.contains("451"), "{at:?}: {message}");
        assert!(
            message.contains("4.3.0 Temporary local problem"),
            "{message}"
        );
        assert!(message.contains(&server.url()), "{message}");
        assert!(server.messages().is_empty(), "{at:?}");

        let (tenant, r) = reconcile(&p, &failed).await;
        let s = report(&r, Step::Onboarding);
        assert_eq!(
            (s.state, s.drift),
            (StepState::Ok, Drift::Created),
            "{at:?}"
        );
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(tenant.provisioning_errors.get(&Step::Onboarding), None);
        assert_eq!(server.messages().len(), 1, "{at:?}");
    }

    // The port reports the failure as retryable, with the reply's details.
    let server = SmtpServer::start(Options::default()).await;
    server.fail_next(At::RcptTo, Answer::Reply("452 4.2.2 Mailbox full".into()));
    let error = port(&server, &[])
        .create(&target(&new_tenant()))
        .await
        .expect_err("4xx");
    assert_eq!(error.kind, FailureKind::Unavailable);
    assert_eq!(error.code, "DEZKY_UPSTREAM_UNAVAILABLE");
}

#[tokio::test]
async fn permanent_replies_are_rejected_with_the_servers_text() {
    for at in [At::MailFrom, At::RcptTo, At::DataEnd] {
        let server = SmtpServer::start(Options::default()).await;
        server.fail_next(
            at,
            Answer::Reply("550 5.7.1 Relaying denied for billing@acme.test".into()),
        );
        let p = provisioner(port(&server, &[]));
        let (failed, r) = reconcile(&p, &new_tenant()).await;
        assert_failed(
            &r,
            &failed,
            Step::Onboarding,
            "DEZKY_UPSTREAM_REJECTED",
            None,
        );
        let message = report(&r, Step::Onboarding).message.clone().unwrap();
        assert!(
            message.contains("550") && message.contains("[5.7.1]"),
            "{message}"
        );
        assert!(message.contains("Relaying denied"), "{message}");
        assert!(server.messages().is_empty());
    }

    let server = SmtpServer::start(Options::default()).await;
    // Ten reply lines of 200 characters: the text is cut to 500.
    let line = "x".repeat(200);
    let long = format!(
        "{}554 5.6.0 {line}",
        format!("554-5.6.0 {line}\r\n").repeat(9)
    );
    server.fail_next(At::DataEnd, Answer::Reply(long));
    let error = SmtpMailer::from_lookup(lookup(settings(&server, &[])))
        .expect("mailer")
        .send(&mail("billing@acme.test"))
        .await
        .expect_err("5xx");
    let upstream = error.upstream().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(upstream.status, 554);
    assert_eq!(upstream.upstream_code.as_deref(), Some("5.6.0"));
    let text = upstream.message.as_deref().unwrap();
    assert!(text.chars().count() <= 501, "clipped: {}", text.len());

    let port_error = port(&server, &[]).create(&target(&new_tenant())).await;
    // The fault was used up: this one is sent.
    assert!(port_error.is_ok(), "{port_error:?}");
    server.fail_next(At::RcptTo, Answer::Reply("550 5.1.1 No such user".into()));
    let error = port(&server, &[])
        .create(&target(&new_tenant()))
        .await
        .expect_err("5xx");
    assert_eq!(error.kind, FailureKind::Rejected);
}

fn content() -> TemplateText {
    TemplateText {
        subject: "Hello".into(),
        text: "Hello\r\n.\r\n..dots stay\r\n".into(),
        html: "<p>Hello</p>".into(),
    }
}

fn mail(to: &str) -> Mail<'_> {
    static CONTENT: OnceLock<TemplateText> = OnceLock::new();
    Mail {
        to,
        content: CONTENT.get_or_init(content),
        message_id: "<test.1@dezky.eu>",
    }
}

#[tokio::test]
async fn a_line_with_a_dot_does_not_end_the_message_early() {
    let server = SmtpServer::start(Options::default()).await;
    SmtpMailer::from_lookup(lookup(settings(&server, &[])))
        .expect("mailer")
        .send(&mail("someone@example.com"))
        .await
        .expect("sent");
    let messages = server.messages();
    let message = MessageParser::default()
        .parse(&messages[0].data)
        .expect("mail");
    let text = message.body_text(0).expect("text");
    assert!(
        text.contains("\n.\r\n..dots stay") || text.contains("\n.\n..dots stay"),
        "{text:?}"
    );
}

#[tokio::test]
async fn a_stalled_server_times_out_and_a_dead_one_is_a_transport_error() {
    for at in [At::Greeting, At::DataEnd] {
        let server = SmtpServer::start(Options::default()).await;
        server.fail_next(at, Answer::Stall);
        let p = provisioner(port(&server, &[("SMTP_TIMEOUT_MS", "400")]));
        let started = Instant::now();
        let (failed, r) = reconcile(&p, &new_tenant()).await;
        assert!(started.elapsed() < Duration::from_secs(3), "{at:?}");
        assert_failed(&r, &failed, Step::Onboarding, "DEZKY_TIMEOUT", None);
        let message = report(&r, Step::Onboarding).message.clone().unwrap();
        assert!(message.contains("timed out after 400 ms"), "{message}");
        // The server answers again: the next reconcile sends the mail.
        let (tenant, _) = reconcile(&p, &failed).await;
        assert_eq!(tenant.status, TenantStatus::Active, "{at:?}");
        assert_eq!(server.messages().len(), 1);
    }

    // Nothing listens: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("smtp://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let server = SmtpServer::start(Options::default()).await;
    let p = provisioner(port(&server, &[("SMTP_URL", url.as_str())]));
    let (failed, r) = reconcile(&p, &new_tenant()).await;
    assert_failed(&r, &failed, Step::Onboarding, "DEZKY_TRANSPORT", None);
    let error = port(&server, &[("SMTP_URL", url.as_str())])
        .create(&target(&new_tenant()))
        .await
        .expect_err("refused");
    assert_eq!(error.kind, FailureKind::Unavailable);
}

#[tokio::test]
async fn starttls_required_never_sends_in_the_clear() {
    // The server does not offer STARTTLS: nothing is sent, no MAIL FROM.
    let server = SmtpServer::start(Options::default()).await;
    let mut vars = settings(&server, &[]);
    vars.retain(|(n, _)| n != "SMTP_TLS");
    let p = provisioner(OnboardingMail::from_lookup(lookup(vars)).expect("port"));
    let (failed, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Onboarding);
    assert_eq!(s.state, StepState::Error, "{s:?}");
    assert_eq!(failed.handles.onboarding_mail_id, None);
    let message = s.message.clone().unwrap();
    assert!(
        message.to_ascii_lowercase().contains("starttls"),
        "{message}"
    );
    assert!(
        !server.commands().iter().any(|c| c.starts_with("MAIL")),
        "{:?}",
        server.commands()
    );
    assert!(server.messages().is_empty());
}

/// Writes every field of every span and event into one buffer.
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut buffer = self.0.lock().expect("buffer");
        let _ = write!(buffer, "\nspan {}", attrs.metadata().name());
        attrs.record(&mut Fields(&mut buffer));
    }
    fn on_record(&self, _id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut buffer = self.0.lock().expect("buffer");
        values.record(&mut Fields(&mut buffer));
    }
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut buffer = self.0.lock().expect("buffer");
        let _ = write!(buffer, "\nevent {}", event.metadata().target());
        event.record(&mut Fields(&mut buffer));
    }
}

fn captured() -> Arc<Mutex<String>> {
    static BUFFER: OnceLock<Arc<Mutex<String>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(String::new()));
            let subscriber = Registry::default().with(Capture(buffer.clone()));
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
            buffer
        })
        .clone()
}

/// The password and the forms it takes on the wire.
fn password_forms() -> Vec<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    vec![
        PASSWORD.to_owned(),
        engine.encode(PASSWORD),
        engine.encode(format!("\0{USER}\0{PASSWORD}")),
    ]
}

#[tokio::test]
async fn auth_is_sent_only_when_configured_and_the_password_never_shows() {
    let buffer = captured();
    let account = Some((USER.to_owned(), PASSWORD.to_owned()));
    let mut shown = String::new();

    // The server offers AUTH; without credentials none is sent.
    let server = SmtpServer::start(Options {
        account: account.clone(),
        ..Options::default()
    })
    .await;
    let (tenant, _) = reconcile(&provisioner(port(&server, &[])), &new_tenant()).await;
    assert_eq!(tenant.status, TenantStatus::Active);
    assert!(
        !server.commands().iter().any(|c| c.starts_with("AUTH")),
        "{:?}",
        server.commands()
    );
    assert_eq!(server.messages()[0].user, None);

    // With credentials: AUTH PLAIN (the first offered), then the mail.
    let creds = [("SMTP_USERNAME", USER), ("SMTP_PASSWORD", PASSWORD)];
    for (mechanisms, expected) in [("PLAIN LOGIN", "AUTH PLAIN"), ("LOGIN", "AUTH LOGIN")] {
        let server = SmtpServer::start(Options {
            account: account.clone(),
            mechanisms: Some(mechanisms),
            auth_required: true,
            ..Options::default()
        })
        .await;
        let onboarding = port(&server, &creds);
        let _ = write!(shown, "{onboarding:?}");
        let (tenant, r) = reconcile(&provisioner(onboarding), &new_tenant()).await;
        assert_eq!(
            tenant.status,
            TenantStatus::Active,
            "{:?}",
            report(&r, Step::Onboarding)
        );
        let commands = server.commands();
        assert!(commands.iter().any(|c| c == expected), "{commands:?}");
        assert_eq!(server.messages()[0].user.as_deref(), Some(USER));
    }

    // A wrong password: 535, unauthorized, and the server's echo of what it
    // got does not carry the password into the error.
    let server = SmtpServer::start(Options {
        account: Some((USER.to_owned(), "another".to_owned())),
        auth_required: true,
        echo_credentials: true,
        ..Options::default()
    })
    .await;
    let mailer = SmtpMailer::from_lookup(lookup(settings(&server, &creds))).expect("mailer");
    let _ = write!(shown, "{mailer:?}");
    let error = mailer
        .send(&mail("someone@example.com"))
        .await
        .expect_err("refused");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAUTHORIZED", "{error}");
    assert_eq!(error.status(), Some(535));
    let _ = write!(shown, "{error} {error:?}");
    let p = provisioner(port(&server, &creds));
    let (failed, r) = reconcile(&p, &new_tenant()).await;
    assert_failed(
        &r,
        &failed,
        Step::Onboarding,
        "DEZKY_UPSTREAM_UNAUTHORIZED",
        None,
    );
    let _ = write!(shown, "{r:?} {failed:?}");
    assert!(shown.contains("535"), "{shown}");
    assert!(shown.contains("Secret(***)"), "{shown}");

    // A bad setting names the variable, never the password.
    let error = OnboardingMail::from_lookup(lookup(settings(
        &server,
        &[
            ("SMTP_URL", "smtp://relay.example.com"),
            ("SMTP_USERNAME", USER),
            ("SMTP_PASSWORD", PASSWORD),
        ],
    )))
    .expect_err("password over plain SMTP to another host");
    assert_eq!(error.code(), "DEZKY_CONFIG");
    let _ = write!(shown, "{error} {error:?}");
    let providers = provisioner_from_lookup(lookup(settings(&server, &creds))).expect("env");
    let _ = write!(shown, "{providers:?}");

    let logged = buffer.lock().expect("buffer").clone();
    assert!(logged.contains("upstream.request"), "spans are captured");
    for form in password_forms() {
        assert!(!shown.contains(&form), "{form} in {shown}");
        assert!(!logged.contains(&form), "{form} in {logged}");
    }
}

#[tokio::test]
async fn bad_settings_are_config_errors_naming_the_variable() {
    let server = SmtpServer::start(Options::default()).await;
    for (name, value) in [
        ("SMTP_FROM", "Dezky noreply@dezky.eu"),
        ("SMTP_FROM", "noreply@"),
        ("SMTP_URL", "mail.example.com:25"),
        ("SMTP_URL", "https://mail.example.com"),
        ("PORTAL_URL", "ftp://portal.dezky.eu"),
    ] {
        let error = match provisioner_from_lookup(lookup(settings(&server, &[(name, value)]))) {
            Ok(p) => panic!("{name}={value} accepted: {p:?}"),
            Err(error) => error,
        };
        assert_eq!(error.code(), "DEZKY_CONFIG", "{error}");
        assert!(
            matches!(&error, dezky_clients::Error::Config { field, .. } if field == name),
            "{name}: {error}"
        );
    }
    // A recipient that is no address is refused before any connection.
    let mailer = SmtpMailer::from_lookup(lookup(settings(&server, &[]))).expect("mailer");
    let error = mailer
        .send(&mail("not an address"))
        .await
        .expect_err("bad to");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    assert!(server.sessions().is_empty());
}
