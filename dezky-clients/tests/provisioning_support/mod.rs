//! What the provisioning tests of every upstream share: the tenant, the
//! provisioner run, the faults a stand-in can be told to answer with, and a
//! server that resets every connection.

#![allow(dead_code, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use dezky_clients::http::{HttpConfig, RetryPolicy};
use dezky_core::lifecycle::{
    LifecycleAction, Step, StepState, TenantDocument, TenantStatus, transition,
};
use dezky_core::provisioning::{
    Deprovisioning, Drift, Provisioner, ReconcileOptions, Reconciliation, StepReport, UpstreamPort,
};
use dezky_flags::Change;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

pub const TENANT_ID: &str = "6650f1c2a9b4e3d2c1b0a998";
pub const OTHER_TENANT: &str = "6650f1c2a9b4e3d2c1b0a999";

/// The client timeout of the tests; a `Timeout` fault answers later than that.
pub const TIMEOUT: Duration = Duration::from_millis(300);

pub fn change() -> Change {
    Change::new(
        "ops@dezky.eu",
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
    .expect("change")
}

/// A new (pending) tenant `acme` with the mail domain `acme.test`.
pub fn new_tenant() -> TenantDocument {
    let Value::Object(map) = json!({
        "_id": TENANT_ID, "slug": "acme", "name": "Acme Co", "status": "pending",
        "plan": "business", "domains": ["acme.test"], "billingInfo": {"email": "billing@acme.test"},
        "__v": 0,
    }) else {
        unreachable!()
    };
    TenantDocument::from_document("tenant", &map).expect("tenant")
}

/// A client configuration for `url`: short timeout, no retry (so that one
/// fault is one failed step).
pub fn config(url: &str) -> HttpConfig {
    HttpConfig::new(url)
        .expect("config")
        .with_timeout(TIMEOUT)
        .with_retry(RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
        })
}

/// A provisioner with only `port`.
pub fn provisioner(port: impl UpstreamPort + 'static) -> Provisioner {
    Provisioner::new().with_port(Arc::new(port))
}

/// Reconciles `tenant` and applies the patch.
pub async fn reconcile(
    provisioner: &Provisioner,
    tenant: &TenantDocument,
) -> (TenantDocument, Reconciliation) {
    let r = provisioner
        .reconcile(tenant, ReconcileOptions::default(), &change())
        .await
        .expect("reconcile");
    (tenant.apply(&r.patch).expect("patch applies"), r)
}

/// The report of `step`.
pub fn report(r: &Reconciliation, step: Step) -> &StepReport {
    r.steps.iter().find(|s| s.step == step).expect("step")
}

/// Suspends `tenant` (the patch applied).
pub async fn suspend(provisioner: &Provisioner, tenant: &TenantDocument) -> TenantDocument {
    let s = provisioner
        .suspend(tenant, &change())
        .await
        .expect("suspend");
    assert!(
        s.steps.iter().all(|r| r.state == StepState::Ok),
        "{:?}",
        s.steps
    );
    let suspended = tenant.apply(&s.patch).expect("patch");
    assert_eq!(suspended.status, TenantStatus::Suspended);
    suspended
}

/// Resumes `tenant` (the patch applied).
pub async fn resume(provisioner: &Provisioner, tenant: &TenantDocument) -> TenantDocument {
    let r = provisioner.resume(tenant, &change()).await.expect("resume");
    assert!(
        r.steps.iter().all(|s| s.state == StepState::Ok),
        "{:?}",
        r.steps
    );
    let resumed = tenant.apply(&r.patch).expect("patch");
    assert_eq!(resumed.status, TenantStatus::Active);
    assert!(resumed.suspension.is_empty());
    resumed
}

/// Marks `tenant` deleted and deprovisions it.
pub async fn deprovision(
    provisioner: &Provisioner,
    tenant: &TenantDocument,
) -> (TenantDocument, Deprovisioning) {
    let deleted = if tenant.status == TenantStatus::Deleted {
        tenant.clone()
    } else {
        let t = transition(tenant, LifecycleAction::Delete, &change()).expect("delete");
        tenant.apply(&t.patch).expect("patch")
    };
    let d = provisioner
        .deprovision(&deleted, &change())
        .await
        .expect("deprovision");
    (deleted.apply(&d.patch).expect("patch"), d)
}

/// A fault a stand-in answers one request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500; nothing is done.
    ServerError,
    /// The request takes effect, but the answer comes after the client gave up.
    Timeout,
    /// HTTP 429 with `Retry-After: 2`; nothing is done.
    RateLimited,
}

impl Fault {
    /// What the step records for this fault: (code, retry_after_ms).
    pub fn expected(self) -> (&'static str, Option<u64>) {
        match self {
            Fault::ServerError => ("DEZKY_UPSTREAM_UNAVAILABLE", None),
            Fault::Timeout => ("DEZKY_TIMEOUT", None),
            Fault::RateLimited => ("DEZKY_RATE_LIMITED", Some(2000)),
        }
    }

    /// The answer for a fault that refuses the request (`ServerError`,
    /// `RateLimited`), with `body` (the upstream's error shape).
    pub fn refusal(self, body: Value) -> ResponseTemplate {
        match self {
            Fault::RateLimited => ResponseTemplate::new(429)
                .insert_header("Retry-After", "2")
                .set_body_json(body),
            _ => ResponseTemplate::new(500).set_body_json(body),
        }
    }

    /// Delays `reply` past the client's timeout.
    pub fn late(reply: ResponseTemplate) -> ResponseTemplate {
        reply.set_delay(TIMEOUT * 3)
    }
}

pub const FAULTS: [Fault; 3] = [Fault::ServerError, Fault::Timeout, Fault::RateLimited];

/// Faults queued per operation name (as each stand-in names its operations).
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<VecDeque<(&'static str, Fault)>>>);

impl Faults {
    /// The next request of operation `op` answers with `fault`.
    pub fn push(&self, op: &'static str, fault: Fault) {
        self.0.lock().expect("faults").push_back((op, fault));
    }

    /// Takes the first fault queued for `op`.
    pub fn take(&self, op: &str) -> Option<Fault> {
        let mut queue = self.0.lock().expect("faults");
        let at = queue.iter().position(|(o, _)| *o == op)?;
        queue.remove(at).map(|(_, f)| f)
    }
}

/// A server on 127.0.0.1 that reads each request and resets the connection.
pub fn resetting_server() -> String {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // Closing with the request unread makes the kernel send RST.
            let mut first = [0u8; 1];
            let _ = stream.read(&mut first);
            drop(stream);
        }
    });
    url
}

/// Checks what a failed reconcile recorded for `step`.
pub fn assert_failed(
    r: &Reconciliation,
    tenant: &TenantDocument,
    step: Step,
    code: &str,
    retry_after_ms: Option<u64>,
) {
    let s = report(r, step);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (StepState::Error, Drift::Failed, Some(code)),
        "{s:?}"
    );
    assert_eq!(s.retry_after_ms, retry_after_ms, "{s:?}");
    assert_eq!(tenant.provisioning_status[&step], StepState::Error);
    assert_eq!(
        tenant.provisioning_errors.get(&step),
        s.message.as_ref(),
        "the error is recorded"
    );
    assert_eq!(tenant.handles.get(step), None, "no handle is recorded");
    assert_eq!(tenant.status, TenantStatus::Pending);
}
