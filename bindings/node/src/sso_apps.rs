//! A tenant's SSO apps: `SsoApps` over `dezky_core::sso_apps` (on the
//! in-memory identity provider, or Authentik from the environment through
//! `dezky_clients::sso_apps`). Conversion only: every rule is in the core
//! (docs/sso-apps.md). The caller and the errors are those of `Domains`
//! (`domains.rs`); a delete that failed part-way rejects with the original
//! code and `failure.steps`, and running it again resumes.

use std::sync::Arc;

use dezky_core::Error;
use dezky_core::sso_apps::memory::{MemorySso, SsoOp};
use dezky_core::sso_apps::{BoundApp, SsoAppRecord, SsoApplication, SsoDeletion};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;

use crate::convert::Serde;
use crate::domains::{OpError, caller, fault, invalid, tenant};
use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

fn op(name: &str) -> Result<SsoOp> {
    Ok(match name {
        "applications" => SsoOp::Applications,
        "application" => SsoOp::Application,
        "bindings" => SsoOp::Bindings,
        "deleteBinding" => SsoOp::DeleteBinding,
        "deleteApplication" => SsoOp::DeleteApplication,
        "deleteProvider" => SsoOp::DeleteProvider,
        _ => {
            return Err(invalid(
                "op",
                "must be applications, application, bindings, deleteBinding, deleteApplication or deleteProvider",
            ));
        }
    })
}

fn record(value: &Unknown<'_>) -> Result<SsoAppRecord> {
    SsoAppRecord::from_document("ssoApp", &crate::auth::record_json(value, "ssoApp")?)
}

/// How many objects the in-memory identity provider holds (`SsoApps.memoryCounts`).
#[napi(object, object_from_js = false)]
pub struct SsoMemoryCounts {
    /// Applications.
    pub applications: u32,
    /// OAuth2 providers.
    pub providers: u32,
    /// Policy bindings.
    pub bindings: u32,
}

/// A tenant's SSO apps: the applications bound to its group, and the
/// composite delete. Build it with `SsoApps.inMemory()` or `SsoApps.fromEnv()`.
#[napi]
pub struct SsoApps {
    inner: dezky_core::sso_apps::SsoApps,
    memory: Option<MemorySso>,
}

#[napi]
impl SsoApps {
    /// SSO apps on an in-memory identity provider (docs/sso-apps.md), for
    /// tests and local runs.
    #[napi(factory)]
    pub fn in_memory() -> SsoApps {
        let memory = MemorySso::new();
        SsoApps {
            inner: dezky_core::sso_apps::SsoApps::new(Arc::new(memory.clone())),
            memory: Some(memory),
        }
    }

    /// SSO apps on the Authentik server configured in the environment
    /// (`AUTHENTIK_API_URL`, ...). Throws `DEZKY_CONFIG` for a broken setting.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<SsoApps> {
        let inner = dezky_clients::sso_apps::sso_apps_from_env().js(&env)?;
        Ok(SsoApps {
            inner,
            memory: None,
        })
    }

    fn memory(&self) -> Result<&MemorySso> {
        self.memory
            .as_ref()
            .ok_or_else(|| invalid("ssoApps", "is not an in-memory identity provider"))
    }

    /// In memory only (otherwise `DEZKY_INVALID_ARGUMENT` naming `ssoApps`):
    /// adds an application `slug` with its provider and, with `group`, a
    /// binding of that group; returns the application.
    #[napi(ts_return_type = "SsoApplication")]
    pub fn insert_memory_app(
        &self,
        env: Env,
        slug: String,
        group: Option<String>,
    ) -> napi::Result<Serde<SsoApplication>> {
        (|| Ok::<_, Error>(Serde(self.memory()?.insert_app(&slug, group.as_deref()))))().js(&env)
    }

    /// In memory only: the next call of `op` fails with `code` before it takes effect.
    #[napi(ts_args_type = "op: SsoOp, code: string, retryAfterMs?: number")]
    pub fn fail_next(
        &self,
        env: Env,
        op: String,
        code: String,
        retry_after_ms: Option<f64>,
    ) -> napi::Result<()> {
        (|| {
            self.memory()?
                .fail_next(self::op(&op)?, fault(&code, retry_after_ms)?);
            Ok::<_, Error>(())
        })()
        .js(&env)
    }

    /// In memory only: the next call of `op` takes effect, then fails with `code`.
    #[napi(ts_args_type = "op: SsoOp, code: string, retryAfterMs?: number")]
    pub fn lose_next_reply(
        &self,
        env: Env,
        op: String,
        code: String,
        retry_after_ms: Option<f64>,
    ) -> napi::Result<()> {
        (|| {
            self.memory()?
                .lose_next_reply(self::op(&op)?, fault(&code, retry_after_ms)?);
            Ok::<_, Error>(())
        })()
        .js(&env)
    }

    /// In memory only: how many times `op` was called.
    #[napi(ts_args_type = "op: SsoOp")]
    pub fn calls(&self, env: Env, op: String) -> napi::Result<u32> {
        (|| Ok::<_, Error>(self.memory()?.calls(self::op(&op)?) as u32))().js(&env)
    }

    /// In memory only: how many applications, providers and bindings there are.
    #[napi]
    pub fn memory_counts(&self, env: Env) -> napi::Result<SsoMemoryCounts> {
        (|| {
            let (applications, providers, bindings) = self.memory()?.counts();
            Ok::<_, Error>(SsoMemoryCounts {
                applications: applications as u32,
                providers: providers as u32,
                bindings: bindings as u32,
            })
        })()
        .js(&env)
    }

    /// The applications bound to the tenant's group (`authentikGroupId`), by
    /// slug, each with that binding's uuid. Needs a tenant admin.
    #[napi(
        ts_args_type = "tenant: TenantDocument, caller: Caller",
        ts_return_type = "Promise<BoundApp[]>"
    )]
    pub fn list_apps<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<Vec<BoundApp>>>> {
        let args = (|| Ok::<_, Error>((self::tenant(&tenant)?, self::caller(&caller)?)))();
        let apps = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, caller) = args?;
                Ok::<_, OpError>(apps.list_apps(&tenant, caller.caller()).await?)
            },
            Serde,
        )
    }

    /// Deletes an SSO app: its policy bindings, the application, then the
    /// OAuth2 provider. What is gone counts as done (`absent`), so running it
    /// again after a failure resumes and leaves nothing. Needs a tenant admin;
    /// another tenant's record is refused (`ssoApp.tenantId`), and so is an
    /// application of the slug the record did not make (`ssoApp.providerPk`).
    #[napi(
        ts_args_type = "tenant: TenantDocument, ssoApp: SsoAppRecord, caller: Caller",
        ts_return_type = "Promise<SsoDeletion>"
    )]
    pub fn delete_app<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        sso_app: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<SsoDeletion>>> {
        let args = (|| {
            Ok::<_, Error>((
                self::tenant(&tenant)?,
                self::record(&sso_app)?,
                self::caller(&caller)?,
            ))
        })();
        let apps = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, record, caller) = args?;
                Ok::<_, OpError>(apps.delete_app(&tenant, &record, caller.caller()).await?)
            },
            Serde,
        )
    }
}
