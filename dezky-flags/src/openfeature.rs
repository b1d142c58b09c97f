//! An OpenFeature provider over a [`FlagStore`], for the `open-feature` crate
//! (feature `openfeature`).
//!
//! Mapping: the targeting key is the tenant id; the attributes `tenantSlug`,
//! `plan`, `partnerSlug`, `environment` and `userId` (and `tenantId`, when no
//! targeting key is set) fill the evaluation context; other attributes are
//! ignored. Flags are boolean: the other resolvers answer `TYPE_MISMATCH`.
//! The Rust OpenFeature SDK has no events yet, so store refreshes are not
//! announced here (the Node and Python providers announce them).

use async_trait::async_trait;
use open_feature::provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus, ResolutionDetails,
};
use open_feature::{
    EvaluationContext as OfContext, EvaluationContextFieldValue, EvaluationError,
    EvaluationErrorCode, EvaluationReason, EvaluationResult, FlagMetadata, StructValue,
};

use crate::context::EvaluationContext;
use crate::eval::Reason;
use crate::store::FlagStore;

/// The provider's name in OpenFeature metadata.
pub const PROVIDER_NAME: &str = "dezky-flags";

/// Serves OpenFeature boolean evaluations from a [`FlagStore`].
#[derive(Debug, Clone)]
pub struct DezkyProvider {
    store: FlagStore,
    metadata: ProviderMetadata,
}

impl DezkyProvider {
    /// A provider reading `store`; refreshing is the store's business.
    pub fn new(store: FlagStore) -> Self {
        DezkyProvider {
            store,
            metadata: ProviderMetadata::new(PROVIDER_NAME),
        }
    }

    fn context(of: &OfContext) -> EvaluationResult<EvaluationContext> {
        let field = |name: &str| -> EvaluationResult<Option<String>> {
            match of.custom_fields.get(name) {
                None => Ok(None),
                Some(EvaluationContextFieldValue::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(EvaluationError {
                    code: EvaluationErrorCode::InvalidContext,
                    message: Some(format!("attribute `{name}` must be a string")),
                }),
            }
        };
        Ok(EvaluationContext {
            tenant_id: match &of.targeting_key {
                Some(key) => Some(key.clone()),
                None => field("tenantId")?,
            },
            tenant_slug: field("tenantSlug")?,
            plan: field("plan")?,
            partner_slug: field("partnerSlug")?,
            environment: field("environment")?,
            user_id: field("userId")?,
        })
    }

    fn not_boolean<T>(&self, key: &str) -> EvaluationResult<ResolutionDetails<T>> {
        let exists = self.store.flags().get(key).is_some();
        Err(EvaluationError {
            code: if exists {
                EvaluationErrorCode::TypeMismatch
            } else {
                EvaluationErrorCode::FlagNotFound
            },
            message: Some(if exists {
                format!("flag {key:?} is boolean")
            } else {
                format!("flag {key:?} not found")
            }),
        })
    }
}

fn reason(reason: Reason) -> EvaluationReason {
    match reason.openfeature_reason() {
        "DISABLED" => EvaluationReason::Disabled,
        "STATIC" => EvaluationReason::Static,
        "TARGETING_MATCH" => EvaluationReason::TargetingMatch,
        "SPLIT" => EvaluationReason::Split,
        "DEFAULT" => EvaluationReason::Default,
        "ERROR" => EvaluationReason::Error,
        other => EvaluationReason::Other(other.to_owned()),
    }
}

#[async_trait]
impl FeatureProvider for DezkyProvider {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    fn status(&self) -> ProviderStatus {
        if self.store.status().stale {
            ProviderStatus::STALE
        } else {
            ProviderStatus::Ready
        }
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        context: &OfContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        let ctx = DezkyProvider::context(context)?;
        let eval = self.store.evaluate(flag_key, &ctx);
        if eval.reason == Reason::FlagNotFound {
            return Err(EvaluationError {
                code: EvaluationErrorCode::FlagNotFound,
                message: Some(format!("flag {flag_key:?} not found")),
            });
        }
        let mut metadata = FlagMetadata::default().with_value("reason", eval.reason.as_str());
        if eval.killed {
            metadata = metadata.with_value("killSwitch", true);
        }
        if let Some(bucket) = eval.bucket {
            metadata = metadata.with_value("bucket", i64::from(bucket));
        }
        Ok(ResolutionDetails {
            value: eval.value,
            variant: Some(eval.variant().to_owned()),
            reason: Some(reason(eval.reason)),
            flag_metadata: Some(metadata),
        })
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        _: &OfContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.not_boolean(flag_key)
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        _: &OfContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.not_boolean(flag_key)
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        _: &OfContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        self.not_boolean(flag_key)
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        _: &OfContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        self.not_boolean(flag_key)
    }
}
