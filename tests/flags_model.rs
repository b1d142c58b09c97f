//! The flag document: round trips, validation, history, kill switch, audit events, preview.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dezky::flags::{
    Change, Error, EvaluationContext, Flag, FlagLevel, FlagSet, FlagState, FlagUpdate, HISTORY_CAP,
    Reason, Scope, preview,
};
use serde_json::{Value, json};

fn change(actor: &str, secs: u64) -> Change {
    Change::new(actor, UNIX_EPOCH + Duration::from_secs(secs)).unwrap_or_else(|e| panic!("{e}"))
}

fn flag(value: Value) -> Flag {
    Flag::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let doc = json!({
        "_id": "6650f1c2a9b4e3d2c1b0a001",
        "key": "gdpr_export_v2",
        "description": "GDPR export, second version",
        "state": "rollout",
        "pct": 25,
        "scope": {"plans": ["business"], "tenantSlugs": [], "partnerSlugs": [], "environments": ["prod"], "note": "x"},
        "history": [{"at": "2026-11-01T10:00:00.000Z", "actor": "ops@dezky.eu", "changes": {"pct": [10, 25]}}],
        "createdAt": "2026-10-01T00:00:00.000Z",
        "__v": 3
    });
    let parsed = flag(doc.clone());
    assert_eq!(parsed.extra["__v"], 3);
    assert_eq!(parsed.scope.extra["note"], "x");
    assert_eq!(parsed.history[0].extra["changes"], json!({"pct": [10, 25]}));
    assert_eq!(parsed.to_value(), doc);
    let again: Flag = serde_json::from_str(&serde_json::to_string(&parsed).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, parsed);
}

#[test]
fn missing_optional_fields_take_the_control_plane_defaults() {
    let parsed = flag(json!({"key": "a", "state": "rollout"}));
    assert_eq!(parsed.pct, 0);
    assert!(parsed.scope.is_empty());
    assert_eq!(parsed.level, FlagLevel::Tenant);
    assert_eq!(
        parsed.to_value(),
        json!({"key": "a", "description": "", "state": "rollout", "pct": 0,
               "scope": {"plans": [], "tenantSlugs": [], "partnerSlugs": [], "environments": []}, "history": []})
    );
}

#[test]
fn errors_name_the_flag_and_the_field() {
    let err = FlagSet::from_json(
        r#"[{"key": "ok", "state": "on"}, {"key": "bad", "state": "rollout", "pct": 150}]"#,
    )
    .err()
    .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(err.code(), "DEZKY_INVALID_FLAG");
    assert_eq!(
        err.to_string(),
        "invalid flag bad: field `pct`: must be an integer in 0..=100, got 150"
    );
    let err = FlagSet::from_json("[1, 2")
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert!(
        matches!(err, Error::MalformedJson { line: 1, .. }),
        "{err:?}"
    );
    let err = FlagSet::from_json(r#"[{"state": "on"}, {"key": 7, "state": "on"}]"#).err();
    assert!(
        matches!(err, Some(Error::InvalidFlag { ref flag, .. }) if flag == "#0"),
        "{err:?}"
    );
}

#[test]
fn huge_keys_are_cut_short_in_errors() {
    let key = "K".repeat(10_000);
    let err = FlagSet::from_json(&format!(r#"[{{"key": "{key}", "state": "on"}}]"#))
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert!(err.to_string().len() < 300, "{err}");
}

#[test]
fn flags_built_in_code_are_validated_too() {
    let mut f = Flag::new("a").unwrap_or_else(|e| panic!("{e}"));
    f.pct = 101;
    assert_eq!(
        FlagSet::from_flags(vec![f.clone()]).err().map(|e| e.code()),
        Some("DEZKY_INVALID_FLAG")
    );
    f.pct = 5;
    f.scope.user_ids = vec!["u1".into()];
    assert!(FlagSet::from_flags(vec![f.clone()]).is_err());
    f.level = FlagLevel::User;
    assert!(FlagSet::from_flags(vec![f]).is_ok());
    assert!(Flag::new("Bad Key").is_err());
}

#[test]
fn kill_switch_turns_off_and_records_history_and_audit() {
    let mut f = flag(json!({"key": "new_billing_engine", "state": "rollout", "pct": 40}));
    let event = f.kill(&change("ops@dezky.eu", 1_795_000_000));
    assert_eq!((f.state, f.pct), (FlagState::Off, 0));
    assert!(f.is_killed());
    assert_eq!(f.history.len(), 1);
    let entry = &f.history[0];
    assert_eq!(entry.actor.as_deref(), Some("ops@dezky.eu"));
    assert_eq!(entry.action.as_deref(), Some("kill_switch"));
    assert_eq!(entry.at.as_deref(), Some("2026-11-18T11:06:40.000Z"));
    assert_eq!(entry.before.as_ref().map(|b| &b["pct"]), Some(&json!(40)));
    assert_eq!(
        entry.after.as_ref().map(|a| &a["state"]),
        Some(&json!("off"))
    );
    assert_eq!(event.action, "flag.kill_switch");
    assert_eq!(event.actor_email, "ops@dezky.eu");
    assert_eq!(event.target_id, "new_billing_engine");
    assert_eq!(event.before["state"], "rollout");

    let set = FlagSet::from_flags(vec![f.clone()]).unwrap_or_else(|e| panic!("{e}"));
    let eval = set.evaluate(
        "new_billing_engine",
        &EvaluationContext::for_tenant("t", "acme"),
    );
    assert_eq!(
        (eval.value, eval.reason, eval.killed),
        (false, Reason::Off, true)
    );

    // Switching it back on clears the killed mark.
    let update = FlagUpdate {
        state: Some(FlagState::On),
        ..Default::default()
    };
    f.apply(update, &change("ops@dezky.eu", 1_795_000_100))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!f.is_killed());
}

#[test]
fn history_is_newest_first_and_capped() {
    let (mut f, created) = Flag::create("jmap_native_v2", "JMAP client", &change("a@dezky.eu", 0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.action, "flag.create");
    assert_eq!(created.before, Value::Null);
    for pct in 1..=30u8 {
        let update = FlagUpdate {
            state: Some(FlagState::Rollout),
            pct: Some(pct),
            ..Default::default()
        };
        let event = f
            .apply(update, &change("b@dezky.eu", u64::from(pct)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(event.is_some());
    }
    assert_eq!(f.history.len(), HISTORY_CAP);
    assert_eq!(
        f.history[0].after.as_ref().map(|a| &a["pct"]),
        Some(&json!(30))
    );
    assert_eq!(
        f.history[HISTORY_CAP - 1].after.as_ref().map(|a| &a["pct"]),
        Some(&json!(11))
    );
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    let mut f = flag(json!({"key": "a", "state": "on"}));
    let same = FlagUpdate {
        state: Some(FlagState::On),
        ..Default::default()
    };
    assert_eq!(f.apply(same, &change("a@x.eu", 0)).ok(), Some(None));
    assert!(f.history.is_empty());
}

#[test]
fn an_invalid_update_leaves_the_flag_untouched() {
    let mut f = flag(json!({"key": "a", "state": "on"}));
    let before = f.clone();
    let update = FlagUpdate {
        pct: Some(200),
        state: Some(FlagState::Rollout),
        ..Default::default()
    };
    assert!(f.apply(update, &change("a@x.eu", 0)).is_err());
    assert_eq!(f, before);
    let scope = Scope {
        user_ids: vec!["u".into()],
        ..Default::default()
    };
    let update = FlagUpdate {
        scope: Some(scope),
        ..Default::default()
    };
    assert!(f.apply(update, &change("a@x.eu", 0)).is_err());
    assert_eq!(f, before);
}

#[test]
fn updates_from_json_follow_the_document_rules() {
    let update = FlagUpdate::from_value(
        "a",
        &json!({"state": "rollout", "pct": 30, "scope": {"plans": ["business"]}}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(update.pct, Some(30));
    assert_eq!(
        update.scope.map(|s| s.plans),
        Some(vec!["business".to_owned()])
    );
    for (bad, field) in [
        (json!({"pct": 101}), "pct"),
        (json!({"state": "maybe"}), "state"),
        (json!({"key": "b"}), "key"),
        (json!({"history": []}), "history"),
        (json!({"scope": {"plans": [1]}}), "scope.plans[0]"),
    ] {
        match FlagUpdate::from_value("a", &bad) {
            Err(Error::InvalidFlag { field: got, .. }) => assert_eq!(got, field, "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn a_blank_actor_is_refused() {
    assert_eq!(
        Change::new("  ", SystemTime::now()).err().map(|e| e.code()),
        Some("DEZKY_INVALID_ARGUMENT")
    );
}

#[test]
fn a_time_rfc_3339_cannot_write_is_refused() {
    let before_1970 = UNIX_EPOCH - Duration::from_secs(1);
    let year_10000 = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    for at in [before_1970, year_10000] {
        match Change::new("ops@dezky.eu", at) {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "at"),
            other => panic!("{at:?}: {other:?}"),
        }
    }
    let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    assert_eq!(
        change("ops@dezky.eu", 253_402_300_799).timestamp(),
        "9999-12-31T23:59:59.000Z"
    );
    assert!(Change::new("ops@dezky.eu", last).is_ok());
    assert_eq!(
        change("ops@dezky.eu", 0).timestamp(),
        "1970-01-01T00:00:00.000Z"
    );
}

#[test]
fn preview_counts_exactly_the_tenants_evaluation_enables() {
    let mut proposal = flag(
        json!({"key": "gdpr_export_v2", "state": "rollout", "pct": 25, "scope": {"plans": ["business"]}}),
    );
    let tenants: Vec<EvaluationContext> = (0..200)
        .map(|i| {
            EvaluationContext::for_tenant(format!("66{i:022x}"), format!("t{i}"))
                .with_plan(if i % 4 == 0 { "starter" } else { "business" })
        })
        .collect();
    let result = preview(&proposal, &tenants);
    assert_eq!(result.total, 200);
    let set = FlagSet::from_flags(vec![proposal.clone()]).unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<usize> = (0..200)
        .filter(|&i| set.is_enabled("gdpr_export_v2", &tenants[i]))
        .collect();
    assert_eq!(result.enabled, expected);
    assert_eq!(result.enabled_count, expected.len());
    // Roughly a quarter of the 150 business tenants.
    assert!(
        (20..60).contains(&result.enabled_count),
        "{}",
        result.enabled_count
    );
    // Raising pct only adds tenants.
    proposal.pct = 60;
    let wider = preview(&proposal, &tenants);
    assert!(result.enabled.iter().all(|i| wider.enabled.contains(i)));
}

#[test]
fn evaluate_all_agrees_with_evaluate_on_random_sets() {
    // A small deterministic generator: no test depends on luck.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let pick = |n: u64, pool: &[&str], next: &mut dyn FnMut(u64) -> u64| -> Vec<String> {
        (0..n)
            .map(|_| pool[next(pool.len() as u64) as usize].to_owned())
            .collect()
    };
    let plans = ["starter", "business", "enterprise"];
    let slugs = ["acme", "solo", "globex", "initech"];
    let partners = ["nordic-it", "alpine"];
    let envs = ["prod", "staging"];
    let users = ["u1", "u2", "u3"];
    for round in 0..40 {
        let flags: Vec<Flag> = (0..(1 + next(150)))
            .map(|i| {
                let mut f = Flag::new(format!("f_{round}_{i}")).unwrap_or_else(|e| panic!("{e}"));
                f.state = [
                    FlagState::Off,
                    FlagState::On,
                    FlagState::Targeted,
                    FlagState::Rollout,
                ][next(4) as usize];
                f.pct = next(101) as u8;
                f.level = if next(4) == 0 {
                    FlagLevel::User
                } else {
                    FlagLevel::Tenant
                };
                f.scope.plans = pick(next(3), &plans, &mut next);
                f.scope.tenant_slugs = pick(next(2), &slugs, &mut next);
                f.scope.partner_slugs = pick(next(2), &partners, &mut next);
                f.scope.environments = pick(next(2), &envs, &mut next);
                if f.level == FlagLevel::User {
                    f.scope.user_ids = pick(next(2), &users, &mut next);
                }
                f
            })
            .collect();
        let set = FlagSet::from_flags(flags).unwrap_or_else(|e| panic!("{e}"));
        for c in 0..20 {
            let mut ctx = EvaluationContext::default();
            let opt =
                |v: &str, next: &mut dyn FnMut(u64) -> u64| (next(5) != 0).then(|| v.to_owned());
            ctx.tenant_id = opt(&format!("66{c:022x}"), &mut next);
            ctx.tenant_slug = opt(slugs[next(4) as usize], &mut next);
            ctx.plan = opt(plans[next(3) as usize], &mut next);
            ctx.partner_slug = opt(partners[next(2) as usize], &mut next);
            ctx.environment = opt(envs[next(2) as usize], &mut next);
            ctx.user_id = opt(users[next(3) as usize], &mut next);
            let all = set.evaluate_all(&ctx);
            for (key, value) in all.iter() {
                assert_eq!(value, set.evaluate(key, &ctx).value, "{key} {ctx:?}");
            }
        }
    }
}

#[test]
fn unknown_fields_keep_their_order() {
    let text = r#"{"_id":"x","key":"a","zeta":1,"state":"on","alpha":2,"pct":0,"mid":3}"#;
    let parsed = Flag::from_json(text).unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<&str> = parsed.extra.keys().map(String::as_str).collect();
    assert_eq!(order, ["_id", "zeta", "alpha", "mid"]);
}

#[test]
fn context_lists_name_the_element_in_errors() {
    let list = EvaluationContext::list_from_value(&json!([{"tenantId": "a"}, {"plan": "x"}]));
    assert_eq!(list.map(|l| l.len()).ok(), Some(2));
    match EvaluationContext::list_from_value(&json!([{"tenantId": "a"}, {"plan": 3}])) {
        Err(Error::InvalidContext { field, .. }) => assert_eq!(field, "[1].plan"),
        other => panic!("{other:?}"),
    }
    assert!(EvaluationContext::list_from_value(&json!({"plan": "x"})).is_err());
    assert!(EvaluationContext::list_from_value(&json!([1])).is_err());
}

#[test]
fn snapshots_are_told_apart_by_identity() {
    let a =
        FlagSet::from_json(r#"[{"key": "a", "state": "on"}]"#).unwrap_or_else(|e| panic!("{e}"));
    let b =
        FlagSet::from_json(r#"[{"key": "a", "state": "on"}]"#).unwrap_or_else(|e| panic!("{e}"));
    assert!(a.same_snapshot(&a.clone()));
    assert!(!a.same_snapshot(&b));
    assert_eq!(a, b);
}

#[test]
fn long_histories_are_read_and_trimmed_at_the_next_change() {
    let history: Vec<Value> = (0..25)
        .map(|i| json!({"actor": format!("a{i}@x.eu")}))
        .collect();
    let mut f = flag(json!({"key": "a", "state": "on", "history": history}));
    assert_eq!(f.history.len(), 25);
    f.kill(&change("ops@x.eu", 0));
    assert_eq!(f.history.len(), HISTORY_CAP);
    assert_eq!(f.history[1].actor.as_deref(), Some("a0@x.eu"));
}

#[test]
fn changes_by_key_return_a_new_set_and_the_event() {
    let set =
        FlagSet::from_json(r#"[{"key": "a", "state": "on"}]"#).unwrap_or_else(|e| panic!("{e}"));
    let who = change("ops@x.eu", 0);
    let (with_b, created) = set
        .create_flag("b", "new", &who)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (with_b.len(), set.len(), created.action.as_str()),
        (2, 1, "flag.create")
    );
    assert_eq!(
        set.create_flag("a", "", &who).err().map(|e| e.code()),
        Some("DEZKY_DUPLICATE_FLAG")
    );

    let update = FlagUpdate {
        state: Some(FlagState::Rollout),
        pct: Some(10),
        ..Default::default()
    };
    let (updated, event) = with_b
        .update_flag("b", update.clone(), &who)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(event.map(|e| e.action), Some("flag.update".to_owned()));
    assert_eq!(updated.get("b").map(|f| f.pct), Some(10));
    let (same, none) = updated
        .update_flag("b", update, &who)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(none.is_none() && same.same_snapshot(&updated));

    let (killed, event) = updated
        .kill_flag("b", &who)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.get("b").is_some_and(Flag::is_killed));
    assert_eq!(event.action, "flag.kill_switch");

    let (gone, event) = killed
        .delete_flag("a", &who)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (gone.len(), event.action.as_str(), event.after.clone()),
        (1, "flag.delete", Value::Null)
    );
    for result in [
        gone.kill_flag("a", &who).err(),
        gone.delete_flag("a", &who).err(),
    ] {
        assert_eq!(result.map(|e| e.code()), Some("DEZKY_FLAG_NOT_FOUND"));
    }
}

#[test]
fn reasons_parse_from_their_wire_names() {
    for reason in Reason::ALL {
        assert_eq!(reason.as_str().parse::<Reason>().ok(), Some(reason));
    }
    assert!("maybe".parse::<Reason>().is_err());
}
