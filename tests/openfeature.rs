//! The Rust OpenFeature provider, exercised through the OpenFeature SDK's own client.

use dezky::flags::openfeature::DezkyProvider;
use dezky::flags::{Change, FlagSet, FlagStore};
use open_feature::{
    EvaluationContext, EvaluationErrorCode, EvaluationReason, FlagMetadataValue, OpenFeature,
};

const FLAGS: &str = r#"[
  {"key": "jmap_native_v2", "state": "rollout", "pct": 7},
  {"key": "gdpr_export_v2", "state": "rollout", "pct": 13},
  {"key": "sso_apps", "state": "targeted", "scope": {"plans": ["enterprise"]}},
  {"key": "dns_recheck_badge", "state": "on"},
  {"key": "mfa_enforcement", "state": "on"}
]"#;

fn acme() -> EvaluationContext {
    EvaluationContext::default()
        .with_targeting_key("6650f1c2a9b4e3d2c1b0a998")
        .with_custom_field("tenantSlug", "acme")
        .with_custom_field("plan", "business")
}

#[tokio::test]
async fn resolves_through_the_openfeature_client() {
    let set = FlagSet::from_json(FLAGS).unwrap_or_else(|e| panic!("{e}"));
    let mut killed = set
        .get("mfa_enforcement")
        .cloned()
        .unwrap_or_else(|| panic!("missing"));
    killed.kill(&Change::now("ops@dezky.example").unwrap_or_else(|e| panic!("{e}")));
    let store = FlagStore::new(set.with_flag(killed).unwrap_or_else(|e| panic!("{e}")));
    let mut api = OpenFeature::singleton_mut().await;
    api.set_named_provider("dezky", DezkyProvider::new(store))
        .await;
    let client = api.create_named_client("dezky");
    drop(api);

    // bucket(acme, gdpr_export_v2) = 12 < 13: in the split.
    let details = client
        .get_bool_details("gdpr_export_v2", Some(&acme()), None)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(details.value);
    assert_eq!(details.reason, Some(EvaluationReason::Split));
    assert_eq!(details.variant.as_deref(), Some("on"));
    assert_eq!(
        details.flag_metadata.values.get("bucket"),
        Some(&FlagMetadataValue::Int(12))
    );

    let details = client
        .get_bool_details("sso_apps", Some(&acme()), None)
        .await;
    let details = details.unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!details.value);
    assert_eq!(details.reason, Some(EvaluationReason::Default));

    let enterprise = acme().with_custom_field("plan", "enterprise");
    let details = client
        .get_bool_details("sso_apps", Some(&enterprise), None)
        .await;
    assert_eq!(
        details.map(|d| d.reason).ok().flatten(),
        Some(EvaluationReason::TargetingMatch)
    );

    let details = client
        .get_bool_details("dns_recheck_badge", Some(&acme()), None)
        .await;
    assert_eq!(
        details.map(|d| d.reason).ok().flatten(),
        Some(EvaluationReason::Static)
    );

    let details = client
        .get_bool_details("mfa_enforcement", Some(&acme()), None)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!details.value);
    assert_eq!(details.reason, Some(EvaluationReason::Disabled));
    assert_eq!(
        details.flag_metadata.values.get("killSwitch"),
        Some(&FlagMetadataValue::Bool(true))
    );

    let missing = client
        .get_bool_details("no_such_flag", Some(&acme()), None)
        .await;
    assert_eq!(
        missing.err().map(|e| e.code),
        Some(EvaluationErrorCode::FlagNotFound)
    );
    // The SDK's own default on error.
    assert!(
        client
            .get_bool_value("no_such_flag", Some(&acme()), None)
            .await
            .is_err()
    );

    let wrong_type = client
        .get_string_value("gdpr_export_v2", Some(&acme()), None)
        .await;
    assert_eq!(
        wrong_type.err().map(|e| e.code),
        Some(EvaluationErrorCode::TypeMismatch)
    );
    let wrong_type = client
        .get_int_value("gdpr_export_v2", Some(&acme()), None)
        .await;
    assert_eq!(
        wrong_type.err().map(|e| e.code),
        Some(EvaluationErrorCode::TypeMismatch)
    );

    let bad = acme().with_custom_field("plan", 3);
    let bad = client.get_bool_details("sso_apps", Some(&bad), None).await;
    assert_eq!(
        bad.err().map(|e| e.code),
        Some(EvaluationErrorCode::InvalidContext)
    );
}
