//! The SSO port of `dezky_core::sso_apps` over the real Authentik client:
//! [`AuthentikSso`]. A delete answered with 404 reports the object as gone
//! (`false`), so the core's composite delete is safe to repeat. Errors
//! become [`PortError`]s through [`crate::provisioning::port_error`].

use dezky_core::provisioning::{PortError, PortFuture};
use dezky_core::sso_apps::{SsoApplication, SsoBinding, SsoPort};
use futures_util::TryStreamExt;

use crate::Result;
use crate::authentik::{Application, AuthentikClient};
use crate::provisioning::port_error;

/// The SSO port over an [`AuthentikClient`].
#[derive(Debug, Clone)]
pub struct AuthentikSso {
    client: AuthentikClient,
}

impl AuthentikSso {
    /// The port over `client`.
    pub fn new(client: AuthentikClient) -> Self {
        AuthentikSso { client }
    }
}

fn port<T>(result: Result<T>) -> std::result::Result<T, PortError> {
    result.map_err(|e| port_error(&e))
}

/// `true` when deleted, `false` when it was gone (404).
fn deleted(result: Result<()>) -> std::result::Result<bool, PortError> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(port_error(&e)),
    }
}

fn application(app: Application) -> SsoApplication {
    SsoApplication {
        pk: app.pk,
        slug: app.slug,
        name: app.name,
        provider: app.provider,
        launch_url: app.meta_launch_url.or(app.launch_url),
    }
}

impl SsoPort for AuthentikSso {
    fn applications(&self) -> PortFuture<'_, Vec<SsoApplication>> {
        Box::pin(async move {
            let apps: Vec<Application> = port(self.client.list_applications().try_collect().await)?;
            Ok(apps.into_iter().map(application).collect())
        })
    }

    fn application<'a>(&'a self, slug: &'a str) -> PortFuture<'a, Option<SsoApplication>> {
        Box::pin(async move {
            match self.client.get_application(slug).await {
                Ok(app) => Ok(Some(application(app))),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(port_error(&e)),
            }
        })
    }

    fn bindings<'a>(&'a self, app_pk: &'a str) -> PortFuture<'a, Vec<SsoBinding>> {
        Box::pin(async move {
            Ok(port(self.client.list_bindings(app_pk).await)?
                .into_iter()
                .filter(|b| b.target == app_pk)
                .map(|b| SsoBinding {
                    pk: b.pk,
                    group: b.group,
                })
                .collect())
        })
    }

    fn delete_binding<'a>(&'a self, pk: &'a str) -> PortFuture<'a, bool> {
        Box::pin(async move { deleted(self.client.delete_binding(pk).await) })
    }

    fn delete_application<'a>(&'a self, slug: &'a str) -> PortFuture<'a, bool> {
        Box::pin(async move { deleted(self.client.delete_application(slug).await) })
    }

    fn delete_provider(&self, pk: i64) -> PortFuture<'_, bool> {
        Box::pin(async move { deleted(self.client.delete_oauth2_provider(pk).await) })
    }
}

/// The record the control plane keeps of an app `create_sso_app` made for
/// `tenant_id` (everything but the client secret, which is handed over once).
pub fn sso_app_record(
    tenant_id: &str,
    app: &crate::authentik::SsoApp,
    redirect_uris: &[String],
) -> dezky_core::sso_apps::SsoAppRecord {
    dezky_core::sso_apps::SsoAppRecord {
        id: None,
        tenant_id: tenant_id.to_owned(),
        name: app.application.name.clone(),
        slug: app.application.slug.clone(),
        application_pk: app.application.pk.clone(),
        provider_pk: app.provider_pk,
        client_id: app.client_id.clone(),
        issuer: app.issuer.clone(),
        redirect_uris: redirect_uris.to_vec(),
        launch_url: app.application.meta_launch_url.clone(),
    }
}

// ---------------------------------------------------------------------------
// From the environment
// ---------------------------------------------------------------------------

/// SSO-app operations over the Authentik server the environment configures; see [`sso_apps_from_lookup`].
pub fn sso_apps_from_env() -> Result<dezky_core::sso_apps::SsoApps> {
    sso_apps_from_lookup(|name| std::env::var(name).ok())
}

/// SSO-app operations over the Authentik server `lookup` configures (`AUTHENTIK_API_URL` and the
/// client's other settings); a missing or broken setting is `DEZKY_CONFIG`.
pub fn sso_apps_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<dezky_core::sso_apps::SsoApps> {
    let client = AuthentikClient::from_lookup(&lookup)?;
    Ok(dezky_core::sso_apps::SsoApps::new(std::sync::Arc::new(
        AuthentikSso::new(client),
    )))
}

#[cfg(test)]
mod from_env_tests {
    use super::*;

    #[test]
    fn the_server_must_be_configured() {
        let missing = sso_apps_from_lookup(|_| None).expect_err("no server");
        assert_eq!(missing.code(), "DEZKY_CONFIG", "{missing:?}");
        let broken =
            sso_apps_from_lookup(|n| (n == "AUTHENTIK_API_URL").then(|| "not a url".to_owned()))
                .expect_err("a broken URL");
        assert_eq!(broken.code(), "DEZKY_CONFIG", "{broken:?}");
    }
}
