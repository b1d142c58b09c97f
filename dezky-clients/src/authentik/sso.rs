//! SSO apps: discovery of flows, signing keys and scope mappings, OAuth2
//! providers, applications, group bindings, and `create_sso_app`, which does
//! all of it and undoes its own writes when a later step fails.

use futures_util::Stream;
use serde_json::json;

use super::types::{
    Application, CertificateKeyPair, Flow, FlowDesignation, NewApplication, NewOAuth2Provider,
    OAuth2Provider, PolicyBinding, RedirectUri, ScopeMapping, SsoApp, SsoAppSpec, SubMode,
};
use super::{AuthentikClient, filter, non_empty, pairs, positive, slug_like};
use crate::http::segment;
use crate::{Error, Result, Secret};

/// The managed id of Authentik's internal JWT key pair.
pub const MANAGED_JWT_KEY: &str = "goauthentik.io/crypto/jwt-managed";
/// The name of the key pair the Authentik UI pre-selects.
pub const SELF_SIGNED_KEY_NAME: &str = "authentik Self-signed Certificate";
/// The managed ids of the openid, email and profile scope mappings.
pub const DEFAULT_SCOPE_MAPPINGS: [&str; 3] = [
    "goauthentik.io/providers/oauth2/scope-openid",
    "goauthentik.io/providers/oauth2/scope-email",
    "goauthentik.io/providers/oauth2/scope-profile",
];
/// The default authorization flow slug of `create_sso_app`.
pub const DEFAULT_AUTHORIZATION_FLOW: &str = "default-provider-authorization-implicit-consent";
/// The default invalidation flow slug of `create_sso_app`.
pub const DEFAULT_INVALIDATION_FLOW: &str = "default-provider-invalidation-flow";

fn missing(field: &str, reason: String) -> Error {
    Error::Config {
        field: field.into(),
        reason,
    }
}

impl AuthentikClient {
    /// The flow with designation `designation` and slug `slug`, if any.
    pub async fn find_flow(
        &self,
        designation: &FlowDesignation,
        slug: &str,
    ) -> Result<Option<Flow>> {
        let slug = filter("slug", slug)?;
        let flows: Vec<Flow> = self
            .list_all(
                "/flows/instances/",
                pairs([("designation", designation.as_str()), ("slug", slug)]),
            )
            .await?;
        Ok(flows.into_iter().find(|f| f.slug == slug))
    }

    async fn require_flow(&self, designation: FlowDesignation, slug: &str) -> Result<Flow> {
        self.find_flow(&designation, slug).await?.ok_or_else(|| {
            missing(
                "flow",
                format!("no {designation} flow with slug {slug:?} on the server"),
            )
        })
    }

    /// Key pairs that hold a private key.
    pub async fn list_signing_keys(&self) -> Result<Vec<CertificateKeyPair>> {
        self.list_all("/crypto/certificatekeypairs/", pairs([("has_key", "true")]))
            .await
    }

    /// The key pair to sign tokens with: the one named `preferred` when
    /// given (an error if there is none of that name), else the managed JWT
    /// key, else the "authentik Self-signed Certificate". Never none: a
    /// provider without a key would sign with HS256 and the client secret.
    pub async fn discover_signing_key(
        &self,
        preferred: Option<&str>,
    ) -> Result<CertificateKeyPair> {
        let keys: Vec<CertificateKeyPair> = self
            .list_signing_keys()
            .await?
            .into_iter()
            .filter(|k| k.private_key_available != Some(false))
            .collect();
        if let Some(name) = preferred {
            non_empty("signing_key_name", name)?;
            return keys.into_iter().find(|k| k.name == name).ok_or_else(|| {
                missing(
                    "signing_key",
                    format!("no key pair with a private key is named {name:?}"),
                )
            });
        }
        let managed = keys
            .iter()
            .position(|k| k.managed.as_deref() == Some(MANAGED_JWT_KEY));
        let self_signed = keys.iter().position(|k| k.name == SELF_SIGNED_KEY_NAME);
        match managed.or(self_signed) {
            Some(index) => Ok(keys
                .into_iter()
                .nth(index)
                .ok_or_else(|| missing("signing_key", "key list changed while reading".into()))?),
            None => Err(missing(
                "signing_key",
                "no signing key found (neither the managed JWT key nor the self-signed \
                 certificate has a private key); refusing to create an HS256 provider"
                    .into(),
            )),
        }
    }

    /// The scope mappings with the managed ids `managed`, in that order;
    /// an error names any that is missing.
    pub async fn scope_mappings(&self, managed: &[&str]) -> Result<Vec<ScopeMapping>> {
        if managed.is_empty() {
            return Err(Error::invalid("managed", "name at least one scope mapping"));
        }
        let mut query = Vec::with_capacity(managed.len());
        for id in managed {
            query.push(("managed".to_owned(), filter("managed", id)?.to_owned()));
        }
        let found: Vec<ScopeMapping> = self
            .list_all("/propertymappings/provider/scope/", query)
            .await?;
        managed
            .iter()
            .map(|id| {
                found
                    .iter()
                    .find(|m| m.managed.as_deref() == Some(id))
                    .cloned()
                    .ok_or_else(|| missing("property_mappings", format!("no scope mapping {id}")))
            })
            .collect()
    }

    /// Creates an OAuth2/OIDC provider with an explicit signing key, no
    /// encryption key and explicit token lifetimes.
    pub async fn create_oauth2_provider(
        &self,
        provider: &NewOAuth2Provider,
    ) -> Result<OAuth2Provider> {
        non_empty("name", &provider.name)?;
        non_empty("authorization_flow", &provider.authorization_flow)?;
        non_empty("invalidation_flow", &provider.invalidation_flow)?;
        non_empty("signing_key", &provider.signing_key)?;
        if provider.redirect_uris.is_empty() {
            return Err(Error::invalid(
                "redirect_uris",
                "name at least one redirect URI",
            ));
        }
        for uri in &provider.redirect_uris {
            non_empty("redirect_uris", &uri.url)?;
        }
        for validity in [
            &provider.access_code_validity,
            &provider.access_token_validity,
            &provider.refresh_token_validity,
        ] {
            non_empty("validity", validity)?;
        }
        let body = json!({
            "name": provider.name,
            "authorization_flow": provider.authorization_flow,
            "invalidation_flow": provider.invalidation_flow,
            "redirect_uris": provider.redirect_uris,
            "client_type": provider.client_type,
            "signing_key": provider.signing_key,
            "encryption_key": null,
            "property_mappings": provider.property_mappings,
            "sub_mode": provider.sub_mode,
            "include_claims_in_id_token": true,
            "access_code_validity": provider.access_code_validity,
            "access_token_validity": provider.access_token_validity,
            "refresh_token_validity": provider.refresh_token_validity,
        });
        self.post_json("/providers/oauth2/", &body).await
    }

    /// The OAuth2 provider `pk`.
    pub async fn get_oauth2_provider(&self, pk: i64) -> Result<OAuth2Provider> {
        positive("provider_pk", pk)?;
        self.http
            .get(&format!("/providers/oauth2/{pk}/"))
            .send_json()
            .await
    }

    /// Every OAuth2 provider.
    pub fn list_oauth2_providers(
        &self,
    ) -> impl Stream<Item = Result<OAuth2Provider>> + Send + 'static {
        self.list("/providers/oauth2/", Vec::new())
    }

    /// Deletes the OAuth2 provider `pk`.
    pub async fn delete_oauth2_provider(&self, pk: i64) -> Result<()> {
        positive("provider_pk", pk)?;
        self.delete(&format!("/providers/oauth2/{pk}/")).await
    }

    /// Creates an application.
    pub async fn create_application(&self, app: &NewApplication) -> Result<Application> {
        non_empty("name", &app.name)?;
        slug_like("slug", &app.slug, 50)?;
        let mut body = json!({"name": app.name, "slug": app.slug});
        if let Some(provider) = app.provider {
            positive("provider", provider)?;
            body["provider"] = json!(provider);
        }
        if let Some(url) = &app.meta_launch_url {
            non_empty("meta_launch_url", url)?;
            body["meta_launch_url"] = json!(url);
        }
        if let Some(description) = &app.meta_description {
            body["meta_description"] = json!(description);
        }
        self.post_json("/core/applications/", &body).await
    }

    /// The application with slug `slug` (read directly: the listing hides
    /// applications the caller does not pass the policies of).
    pub async fn get_application(&self, slug: &str) -> Result<Application> {
        slug_like("slug", slug, 50)?;
        self.http
            .get(&format!("/core/applications/{}/", segment(slug)))
            .send_json()
            .await
    }

    /// Every application, with `superuser_full_list=true` (complete only
    /// for a superuser's token).
    pub fn list_applications(&self) -> impl Stream<Item = Result<Application>> + Send + 'static {
        self.list(
            "/core/applications/",
            pairs([("superuser_full_list", "true")]),
        )
    }

    /// Deletes the application with slug `slug`.
    pub async fn delete_application(&self, slug: &str) -> Result<()> {
        slug_like("slug", slug, 50)?;
        self.delete(&format!("/core/applications/{}/", segment(slug)))
            .await
    }

    /// The policy bindings of target `target` (an application's uuid).
    pub async fn list_bindings(&self, target: &str) -> Result<Vec<PolicyBinding>> {
        let target = filter("target", target)?;
        self.list_all("/policies/bindings/", pairs([("target", target)]))
            .await
    }

    /// Binds group `group_pk` to application `app_pk` (its uuid), so only its
    /// members may use it. Returns the existing binding when there is one;
    /// a new one gets the order after the highest.
    pub async fn bind_group_to_application(
        &self,
        app_pk: &str,
        group_pk: &str,
    ) -> Result<PolicyBinding> {
        non_empty("app_pk", app_pk)?;
        non_empty("group_pk", group_pk)?;
        let bindings = self.list_bindings(app_pk).await?;
        if let Some(existing) = bindings
            .iter()
            .find(|b| b.target == app_pk && b.group.as_deref() == Some(group_pk))
        {
            return Ok(existing.clone());
        }
        let order = bindings
            .iter()
            .map(|b| b.order)
            .max()
            .map_or(0, |o| o.saturating_add(1));
        let body = json!({
            "target": app_pk,
            "group": group_pk,
            "order": order,
            "enabled": true,
        });
        self.post_json("/policies/bindings/", &body).await
    }

    /// Deletes the policy binding `pk`.
    pub async fn delete_binding(&self, pk: &str) -> Result<()> {
        non_empty("binding_pk", pk)?;
        self.delete(&format!("/policies/bindings/{}/", segment(pk)))
            .await
    }

    /// The issuer of the application `slug` (`per_provider` issuer mode).
    pub fn issuer_for(&self, slug: &str) -> String {
        let mut url = self.http.config().base_url.clone();
        let path = url.path().trim_end_matches('/');
        let prefix = path.strip_suffix("/api/v3").unwrap_or(path).to_owned();
        url.set_path(&format!("{prefix}/application/o/{}/", segment(slug)));
        url.to_string()
    }

    /// Creates an SSO app: finds the flows, the signing key and the
    /// openid/email/profile mappings, then creates the provider, the
    /// application and (with `group_pk`) the group binding. When a step after
    /// the first write fails, what was created is deleted again.
    pub async fn create_sso_app(&self, spec: &SsoAppSpec) -> Result<SsoApp> {
        non_empty("name", &spec.name)?;
        slug_like("slug", &spec.slug, 50)?;
        if spec.redirect_uris.is_empty() {
            return Err(Error::invalid(
                "redirect_uris",
                "name at least one redirect URI",
            ));
        }
        for uri in &spec.redirect_uris {
            non_empty("redirect_uris", uri)?;
        }
        if let Some(group) = &spec.group_pk {
            non_empty("group_pk", group)?;
        }
        // Discovery: no writes yet.
        let authorization = self
            .require_flow(
                FlowDesignation::Authorization,
                spec.authorization_flow_slug
                    .as_deref()
                    .unwrap_or(DEFAULT_AUTHORIZATION_FLOW),
            )
            .await?;
        let invalidation = self
            .require_flow(
                FlowDesignation::Invalidation,
                spec.invalidation_flow_slug
                    .as_deref()
                    .unwrap_or(DEFAULT_INVALIDATION_FLOW),
            )
            .await?;
        let key = self
            .discover_signing_key(spec.signing_key_name.as_deref())
            .await?;
        let mappings = self.scope_mappings(&DEFAULT_SCOPE_MAPPINGS).await?;

        let provider = self
            .create_oauth2_provider(&NewOAuth2Provider {
                name: spec.name.clone(),
                authorization_flow: authorization.pk,
                invalidation_flow: invalidation.pk,
                redirect_uris: spec.redirect_uris.iter().map(RedirectUri::strict).collect(),
                signing_key: key.pk.clone(),
                property_mappings: mappings.into_iter().map(|m| m.pk).collect(),
                client_type: spec.client_type.clone(),
                sub_mode: SubMode::HashedUserId,
                access_code_validity: "minutes=1".into(),
                access_token_validity: spec
                    .access_token_validity
                    .clone()
                    .unwrap_or_else(|| "minutes=10".into()),
                refresh_token_validity: spec
                    .refresh_token_validity
                    .clone()
                    .unwrap_or_else(|| "days=30".into()),
            })
            .await?;
        let credentials = match (&provider.client_id, &provider.client_secret) {
            (Some(id), Some(secret)) if !id.is_empty() => Ok((id.clone(), secret.clone())),
            _ => Err(Error::Decode {
                service: "authentik".into(),
                url: format!("POST {}", self.http.url("/providers/oauth2/")),
                message: "the created provider carries no client_id or client_secret".into(),
            }),
        };
        let (client_id, client_secret) = match credentials {
            Ok(pair) => pair,
            Err(error) => {
                self.undo(None, provider.pk).await;
                return Err(error);
            }
        };
        let application = match self
            .create_application(&NewApplication {
                name: spec.name.clone(),
                slug: spec.slug.clone(),
                provider: Some(provider.pk),
                meta_launch_url: spec.launch_url.clone(),
                meta_description: None,
            })
            .await
        {
            Ok(app) => app,
            Err(error) => {
                self.undo(None, provider.pk).await;
                return Err(error);
            }
        };
        let binding = match &spec.group_pk {
            None => None,
            Some(group) => match self.bind_group_to_application(&application.pk, group).await {
                Ok(binding) => Some(binding),
                Err(error) => {
                    self.undo(Some(&application.slug), provider.pk).await;
                    return Err(error);
                }
            },
        };
        Ok(SsoApp {
            issuer: self.issuer_for(&application.slug),
            application,
            provider_pk: provider.pk,
            client_id,
            client_secret: Secret::new(client_secret.expose()),
            signing_key: key.pk,
            binding,
        })
    }

    /// Deletes what `create_sso_app` wrote, newest first; failures are logged.
    async fn undo(&self, app_slug: Option<&str>, provider_pk: i64) {
        if let Some(slug) = app_slug
            && let Err(error) = self.delete_application(slug).await
        {
            tracing::warn!(%error, "rollback: the application could not be deleted");
        }
        if let Err(error) = self.delete_oauth2_provider(provider_pk).await {
            tracing::warn!(%error, "rollback: the OAuth2 provider could not be deleted");
        }
    }
}
