//! The SSO-app record and operations.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::ports::{SsoApplication, SsoPort};
use crate::audit::{AuditEvent, Outcome};
use crate::authz;
use crate::error::{Error, Result};
use crate::lifecycle::TenantDocument;
use crate::members::Caller;
use crate::provisioning::PortError;
use crate::tenant::Tenant;

/// A tenant's SSO app as the control plane keeps it (`tenantSsoApps`):
/// `tenantId`, `name`, `slug`, `applicationPk`, `providerPk`, `clientId`,
/// `issuer`, `redirectUris`, `launchUrl`. The client secret is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SsoAppRecord {
    /// The document's ObjectId (`None` before it is inserted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tenant's ObjectId.
    pub tenant_id: String,
    /// The name.
    pub name: String,
    /// The application's slug.
    pub slug: String,
    /// The application's uuid.
    pub application_pk: String,
    /// The OAuth2 provider's pk.
    pub provider_pk: i64,
    /// The client id.
    pub client_id: String,
    /// The issuer.
    pub issuer: String,
    /// The allowed redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The launch URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_url: Option<String>,
}

fn invalid(field: String, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("$oid").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

impl SsoAppRecord {
    /// Reads an SSO-app document; errors name the field (`ssoApp.slug`). A
    /// document holding a `clientSecret` is refused: secrets are not stored.
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Self> {
        let field = |f: &str| format!("{name}.{f}");
        let text = |f: &str| -> Result<String> {
            match document.get(f) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                None | Some(Value::Null) => Err(invalid(field(f), "is required")),
                Some(_) => Err(invalid(field(f), "must be a non-empty string")),
            }
        };
        if document.contains_key("clientSecret") {
            return Err(invalid(
                field("clientSecret"),
                "must not be stored: the client secret is handed over once",
            ));
        }
        let id = match document.get("_id").or_else(|| document.get("id")) {
            None | Some(Value::Null) => None,
            Some(v) => Some(id_of(v).ok_or_else(|| invalid(field("_id"), "must be an ObjectId"))?),
        };
        let tenant_id = document
            .get("tenantId")
            .and_then(id_of)
            .ok_or_else(|| invalid(field("tenantId"), "is required (an ObjectId)"))?;
        let provider_pk = document
            .get("providerPk")
            .and_then(Value::as_i64)
            .filter(|pk| *pk > 0)
            .ok_or_else(|| invalid(field("providerPk"), "must be a positive whole number"))?;
        let redirect_uris = match document.get("redirectUris") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        invalid(field(&format!("redirectUris[{i}]")), "must be a string")
                    })
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(invalid(field("redirectUris"), "must be a list")),
        };
        Ok(SsoAppRecord {
            id,
            tenant_id,
            name: text("name")?,
            slug: text("slug")?,
            application_pk: text("applicationPk")?,
            provider_pk,
            client_id: text("clientId")?,
            issuer: text("issuer")?,
            redirect_uris,
            launch_url: document
                .get("launchUrl")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The document to insert.
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = Map::new();
        if let Some(id) = &self.id {
            doc.insert("_id".into(), json!({ "$oid": id }));
        }
        doc.insert("tenantId".into(), json!({ "$oid": self.tenant_id }));
        doc.insert("name".into(), json!(self.name));
        doc.insert("slug".into(), json!(self.slug));
        doc.insert("applicationPk".into(), json!(self.application_pk));
        doc.insert("providerPk".into(), json!(self.provider_pk));
        doc.insert("clientId".into(), json!(self.client_id));
        doc.insert("issuer".into(), json!(self.issuer));
        doc.insert("redirectUris".into(), json!(self.redirect_uris));
        if let Some(url) = &self.launch_url {
            doc.insert("launchUrl".into(), json!(url));
        }
        doc
    }
}

/// An application bound to the tenant's group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BoundApp {
    /// The application.
    pub application: SsoApplication,
    /// The binding of the tenant's group.
    pub binding_pk: String,
}

/// What a composite delete did at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum SsoStepOutcome {
    /// Deleted now.
    Removed,
    /// Gone already.
    Absent,
    /// The call failed; the delete stopped here and can be run again.
    Failed,
    /// Not reached, because an earlier step failed.
    NotReached,
}

/// One step of a composite delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SsoAppStep {
    /// `binding`, `application` or `provider`.
    pub what: String,
    /// The binding's uuid, the application's slug, the provider's pk.
    pub handle: String,
    /// What happened.
    pub outcome: SsoStepOutcome,
}

/// A deleted SSO app.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoDeletion {
    /// The steps, in order: bindings, application, provider.
    pub steps: Vec<SsoAppStep>,
    /// The SSO-app document to delete (`deleteOne(filter)`), when it has an id.
    pub delete_filter: Option<Value>,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// Why an SSO-app operation did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum SsoError {
    /// Refused before any call (a rule, bad input naming the field).
    Refused(Error),
    /// The identity provider failed at a step; running the delete again
    /// resumes there.
    Failed {
        /// The original error.
        error: PortError,
        /// The steps, the failed one marked.
        steps: Vec<SsoAppStep>,
        /// The audit events (outcome `failure`).
        events: Vec<AuditEvent>,
    },
}

impl SsoError {
    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            SsoError::Refused(e) => e.code(),
            SsoError::Failed { error, .. } => &error.code,
        }
    }
}

impl From<Error> for SsoError {
    fn from(e: Error) -> Self {
        SsoError::Refused(e)
    }
}

impl fmt::Display for SsoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SsoError::Refused(e) => write!(f, "{e}"),
            SsoError::Failed { error, steps, .. } => {
                let at = steps
                    .iter()
                    .find(|s| s.outcome == SsoStepOutcome::Failed)
                    .map(|s| format!("{} {}", s.what, s.handle))
                    .unwrap_or_default();
                write!(f, "sso_app.delete: {at}: {error}")
            }
        }
    }
}

impl std::error::Error for SsoError {}

/// Drives the SSO port.
#[derive(Clone)]
pub struct SsoApps {
    port: Arc<dyn SsoPort>,
}

impl fmt::Debug for SsoApps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoApps").finish_non_exhaustive()
    }
}

fn authz_tenant(tenant: &TenantDocument) -> Tenant {
    Tenant {
        id: tenant.id.clone(),
        slug: tenant.slug.clone(),
        plan: tenant.plan.clone(),
        partner_id: tenant.partner_id.clone(),
        status: Some(tenant.status),
    }
}

fn group_of(tenant: &TenantDocument) -> Result<&str> {
    tenant.handles.authentik_group_id.as_deref().ok_or_else(|| {
        invalid(
            "tenant.authentikGroupId".into(),
            "the tenant has no Authentik group yet: reconcile it first",
        )
    })
}

impl SsoApps {
    /// Operations on `port`.
    pub fn new(port: Arc<dyn SsoPort>) -> Self {
        SsoApps { port }
    }

    /// The applications bound to the tenant's group, by slug. Needs a tenant admin.
    pub async fn list_apps(
        &self,
        tenant: &TenantDocument,
        caller: Caller<'_>,
    ) -> std::result::Result<Vec<BoundApp>, SsoError> {
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let group = group_of(tenant)?;
        let failed = |error: PortError| SsoError::Failed {
            error,
            steps: Vec::new(),
            events: Vec::new(),
        };
        let mut out = Vec::new();
        for app in self.port.applications().await.map_err(failed)? {
            let bindings = self.port.bindings(&app.pk).await.map_err(failed)?;
            if let Some(b) = bindings.iter().find(|b| b.group.as_deref() == Some(group)) {
                out.push(BoundApp {
                    binding_pk: b.pk.clone(),
                    application: app,
                });
            }
        }
        out.sort_by(|a, b| a.application.slug.cmp(&b.application.slug));
        Ok(out)
    }

    /// Deletes the SSO app `record` of `tenant`: the application's policy
    /// bindings, the application, the OAuth2 provider, in that order. What is
    /// gone already counts as done, so running it again after a failure
    /// resumes and ends with nothing left. An application of that slug whose
    /// provider is not the record's is refused (`ssoApp.providerPk`). Needs a
    /// tenant admin.
    pub async fn delete_app(
        &self,
        tenant: &TenantDocument,
        record: &SsoAppRecord,
        caller: Caller<'_>,
    ) -> std::result::Result<SsoDeletion, SsoError> {
        const ACTION: &str = "sso_app.delete";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        if record.tenant_id != tenant.id {
            return Err(invalid("ssoApp.tenantId".into(), "is not this tenant's SSO app").into());
        }
        let event = AuditEvent::new(
            ACTION,
            Outcome::Success,
            caller.change,
            "sso_app",
            &record.slug,
        )
        .for_tenant(&tenant.id)
        .with("providerPk", record.provider_pk);
        let mut steps = Vec::new();
        let fail = |steps: Vec<SsoAppStep>, error: PortError, event: AuditEvent| {
            let mut event = event
                .with("code", error.code.as_str())
                .with("steps", json!(steps));
            event.outcome = Outcome::Failure;
            SsoError::Failed {
                error,
                steps,
                events: vec![event],
            }
        };
        let step = |what: &str, handle: &str, outcome| SsoAppStep {
            what: what.into(),
            handle: handle.into(),
            outcome,
        };
        let app = match self.port.application(&record.slug).await {
            Ok(app) => app,
            Err(e) => {
                steps.push(step("application", &record.slug, SsoStepOutcome::Failed));
                steps.push(step(
                    "provider",
                    &record.provider_pk.to_string(),
                    SsoStepOutcome::NotReached,
                ));
                return Err(fail(steps, e, event));
            }
        };
        if let Some(app) = &app {
            if app.provider.is_some_and(|p| p != record.provider_pk)
                || app.pk != record.application_pk
            {
                return Err(invalid(
                    "ssoApp.providerPk".into(),
                    format!(
                        "the application {} is not the one this record made",
                        record.slug
                    ),
                )
                .into());
            }
            let bindings = match self.port.bindings(&app.pk).await {
                Ok(b) => b,
                Err(e) => {
                    steps.push(step("binding", &app.pk, SsoStepOutcome::Failed));
                    steps.push(step(
                        "application",
                        &record.slug,
                        SsoStepOutcome::NotReached,
                    ));
                    steps.push(step(
                        "provider",
                        &record.provider_pk.to_string(),
                        SsoStepOutcome::NotReached,
                    ));
                    return Err(fail(steps, e, event));
                }
            };
            for binding in &bindings {
                match self.port.delete_binding(&binding.pk).await {
                    Ok(true) => steps.push(step("binding", &binding.pk, SsoStepOutcome::Removed)),
                    Ok(false) => steps.push(step("binding", &binding.pk, SsoStepOutcome::Absent)),
                    Err(e) => {
                        steps.push(step("binding", &binding.pk, SsoStepOutcome::Failed));
                        steps.push(step(
                            "application",
                            &record.slug,
                            SsoStepOutcome::NotReached,
                        ));
                        steps.push(step(
                            "provider",
                            &record.provider_pk.to_string(),
                            SsoStepOutcome::NotReached,
                        ));
                        return Err(fail(steps, e, event));
                    }
                }
            }
            match self.port.delete_application(&record.slug).await {
                Ok(true) => steps.push(step("application", &record.slug, SsoStepOutcome::Removed)),
                Ok(false) => steps.push(step("application", &record.slug, SsoStepOutcome::Absent)),
                Err(e) => {
                    steps.push(step("application", &record.slug, SsoStepOutcome::Failed));
                    steps.push(step(
                        "provider",
                        &record.provider_pk.to_string(),
                        SsoStepOutcome::NotReached,
                    ));
                    return Err(fail(steps, e, event));
                }
            }
        } else {
            steps.push(step("application", &record.slug, SsoStepOutcome::Absent));
        }
        let provider = record.provider_pk.to_string();
        match self.port.delete_provider(record.provider_pk).await {
            Ok(true) => steps.push(step("provider", &provider, SsoStepOutcome::Removed)),
            Ok(false) => steps.push(step("provider", &provider, SsoStepOutcome::Absent)),
            Err(e) => {
                steps.push(step("provider", &provider, SsoStepOutcome::Failed));
                return Err(fail(steps, e, event));
            }
        }
        let event = event.with("steps", json!(steps));
        Ok(SsoDeletion {
            steps,
            delete_filter: record.id.as_ref().map(|id| json!({"_id": {"$oid": id}})),
            events: vec![event],
        })
    }
}
