//! `FlagSet`, the free functions (`bucket`, `previewRollout`, `killSwitch`) and
//! flag changes. Conversion only: every rule and every change operation
//! (`FlagSet::create_flag`, `update_flag`, `kill_flag`, `delete_flag`) lives in
//! `dezky-flags`.

use dezky_flags::{
    Change, EvaluationContext, Evaluations, FlagAuditEvent, FlagUpdate, Reason, RolloutPreview,
};
use napi::Env;
use napi::bindgen_prelude::{ClassInstance, Either, Object, This, Uint32ArraySlice, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, FlagSetArg, Serde};
use crate::error::{IntoJs, invalid_argument};
use crate::types::{Evaluation, FlagChange};

/// A validated, compiled, immutable set of flags. Build it with
/// `FlagSet.fromJson` or `FlagSet.fromFlags`; changes return a new set.
#[napi]
pub struct FlagSet {
    pub(crate) inner: dezky_flags::FlagSet,
}

impl FlagSet {
    pub(crate) fn new(inner: dezky_flags::FlagSet) -> Self {
        FlagSet { inner }
    }
}

#[napi]
impl FlagSet {
    /// Parses a JSON array of flag documents (the body of the control plane's `GET /flags`).
    /// Throws `DEZKY_MALFORMED_JSON`, `DEZKY_INVALID_FLAG` or `DEZKY_DUPLICATE_FLAG`.
    #[napi(factory, configurable)]
    pub fn from_json(env: Env, text: String) -> napi::Result<FlagSet> {
        dezky_flags::FlagSet::from_json(&text)
            .map(FlagSet::new)
            .js(&env)
    }

    /// Builds a set from an array of flag documents, validating each.
    #[napi(factory, configurable, ts_args_type = "flags: FlagDocument[]")]
    pub fn from_flags(env: Env, flags: Vec<Value>) -> napi::Result<FlagSet> {
        dezky_flags::FlagSet::from_value(Value::Array(flags))
            .map(FlagSet::new)
            .js(&env)
    }

    /// The set as JSON text, unknown fields included.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The flag documents, in the order they were given.
    #[napi(ts_return_type = "FlagDocument[]")]
    pub fn flags<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        env.to_js_value(&self.inner.to_value())
    }

    /// The document of the flag `key`, or `null` if the set has none.
    #[napi(ts_return_type = "FlagDocument | null")]
    pub fn get<'e>(&self, env: &'e Env, key: String) -> napi::Result<Option<Unknown<'e>>> {
        self.inner
            .get(&key)
            .map(|f| env.to_js_value(&f.to_value()))
            .transpose()
    }

    /// The keys, in flag order.
    #[napi]
    pub fn keys(&self) -> Vec<String> {
        self.inner.keys().map(str::to_owned).collect()
    }

    /// How many flags the set holds.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Evaluates one flag, with the reason. An unknown key evaluates to `false`
    /// with reason `flag_not_found` (not an error).
    #[napi(ts_args_type = "key: string, context: EvaluationContext | CompiledContext")]
    pub fn evaluate(
        &self,
        env: Env,
        key: String,
        context: ContextArg<'_>,
    ) -> napi::Result<Evaluation> {
        with_context(&env, context, |context| {
            self.inner.evaluate(&key, context).into()
        })
    }

    /// Every flag evaluated for one context, as a bitset over the flags in key
    /// order (bit `i % 32` of word `i / 32` is flag `i`). `evaluateAll`, the hot
    /// path, is this plus the JS layer (`lib/index.cjs`), which turns the bits into
    /// `{key: boolean}` with an object literal compiled once per set: much cheaper
    /// than setting the properties one by one through Node-API.
    #[napi(ts_args_type = "context: EvaluationContext")]
    pub fn evaluate_all_bits<'e>(
        &self,
        env: &'e Env,
        context: Unknown<'_>,
    ) -> napi::Result<Uint32ArraySlice<'e>> {
        let context = convert::context(env, &context).js(env)?;
        bits(env, &self.inner.evaluate_all(&context))
    }

    /// Evaluates every flag with its reason, in flag order.
    #[napi(ts_args_type = "context: EvaluationContext | CompiledContext")]
    pub fn evaluate_all_detailed(
        &self,
        env: Env,
        context: ContextArg<'_>,
    ) -> napi::Result<Vec<Evaluation>> {
        with_context(&env, context, |context| {
            self.inner
                .evaluate_all_detailed(context)
                .into_iter()
                .map(Evaluation::from)
                .collect()
        })
    }

    /// `context` checked and converted once, for evaluations of this set or any
    /// other: `evaluateAll`, `evaluate` and `evaluateAllDetailed` take it in place
    /// of the object and skip reading it again. Throws `DEZKY_INVALID_CONTEXT`
    /// like those do.
    #[napi(ts_args_type = "context: EvaluationContext")]
    pub fn compile_context(&self, env: Env, context: Unknown<'_>) -> napi::Result<CompiledContext> {
        CompiledContext::new(env, context)
    }

    /// `evaluateAllBits` of `set` for a compiled context, written into `out` (at
    /// least `ceil(size / 32)` words, which are all overwritten) instead of a
    /// new array: no context is read and nothing is allocated on the JS heap.
    /// The JS layer's `evaluateAll` goes through here for a `CompiledContext`.
    /// Static, with the set as an argument: a class instance argument is
    /// unwrapped without the borrow bookkeeping napi does for `this`, which is
    /// a good part of the call's fixed cost at small sets.
    #[napi(ts_args_type = "set: FlagSet, context: CompiledContext, out: Uint32Array")]
    pub fn evaluate_all_into(
        env: Env,
        set: ClassInstance<'_, FlagSet>,
        context: ClassInstance<'_, CompiledContext>,
        out: Uint32ArraySlice<'_>,
    ) -> napi::Result<()> {
        let mut out = out;
        // SAFETY: the view is only written here, on the JS thread, during this call.
        write_bits(&env, &set.inner.evaluate_all(&context.inner), unsafe {
            out.as_mut()
        })
    }

    /// The kill switch: sets `state = off`, `pct = 0` on flag `key` and records
    /// it in history (even when the flag was already off: the action itself is audited).
    /// Throws `DEZKY_FLAG_NOT_FOUND` for an unknown key, `DEZKY_INVALID_ARGUMENT` for a blank actor.
    #[napi(ts_return_type = "FlagChange")]
    pub fn kill(&self, env: &Env, key: String, actor: String) -> napi::Result<FlagChange<'static>> {
        let change = Change::now(actor).js(env)?;
        let (flags, audit) = self.inner.kill_flag(&key, &change).js(env)?;
        Ok(flag_change(None, flags, &key, Some(audit)))
    }

    /// Applies a partial update (`description`, `state`, `pct`, `scope`, `level`) to flag `key`.
    /// When the update changes nothing, nothing is recorded: `flags` is this very set and
    /// `audit` is `null`.
    #[napi(
        ts_args_type = "key: string, update: FlagUpdate, actor: string",
        ts_return_type = "FlagChange"
    )]
    pub fn update<'e>(
        &self,
        this: This<'e>,
        env: &Env,
        key: String,
        update: Option<Value>,
        actor: String,
    ) -> napi::Result<FlagChange<'e>> {
        let update = update
            .ok_or_else(|| invalid_argument("update", "is required"))
            .js(env)?;
        let change = Change::now(actor).js(env)?;
        let update = FlagUpdate::from_value(&key, &update).js(env)?;
        let (flags, audit) = self.inner.update_flag(&key, update, &change).js(env)?;
        let same = flags.same_snapshot(&self.inner).then_some(this.object);
        Ok(flag_change(same, flags, &key, audit))
    }

    /// Creates flag `key` in state `off`, with its creation in history.
    /// Throws `DEZKY_DUPLICATE_FLAG` if the set already holds it.
    #[napi(
        ts_args_type = "key: string, description: string, actor: string",
        ts_return_type = "FlagChange"
    )]
    pub fn create(
        &self,
        env: &Env,
        key: String,
        description: Option<String>,
        actor: String,
    ) -> napi::Result<FlagChange<'static>> {
        let change = Change::now(actor).js(env)?;
        let description = description.unwrap_or_default();
        let (flags, audit) = self
            .inner
            .create_flag(&key, &description, &change)
            .js(env)?;
        Ok(flag_change(None, flags, &key, Some(audit)))
    }

    /// Deletes flag `key`; `flag` is `null` and the audit event records the deletion.
    /// Throws `DEZKY_FLAG_NOT_FOUND` for an unknown key.
    #[napi(ts_return_type = "FlagChange")]
    pub fn delete(
        &self,
        env: &Env,
        key: String,
        actor: String,
    ) -> napi::Result<FlagChange<'static>> {
        let change = Change::now(actor).js(env)?;
        let (flags, audit) = self.inner.delete_flag(&key, &change).js(env)?;
        Ok(flag_change(None, flags, &key, Some(audit)))
    }

    /// `delete` under its former name.
    ///
    /// @deprecated Use `delete`, the name every binding and the Rust crate share;
    /// `remove` stays for the 0.1.x releases only.
    #[napi(ts_return_type = "FlagChange")]
    pub fn remove(
        &self,
        env: &Env,
        key: String,
        actor: String,
    ) -> napi::Result<FlagChange<'static>> {
        self.delete(env, key, actor)
    }
}

/// Evaluations as a bitset in flag order: bit `i % 32` of word `i / 32` is flag `i`.
///
/// The words are copied into an array buffer that V8 allocates and owns: an
/// external buffer over the Rust `Vec` (`Uint32Array`) needs a finalizer, a
/// weak handle and a sweep per call, which cost more than the evaluation of a
/// small set.
pub(crate) fn bits<'e>(
    env: &'e Env,
    evaluations: &Evaluations,
) -> napi::Result<Uint32ArraySlice<'e>> {
    let mut words = vec![0u32; evaluations.len().div_ceil(32).max(1)];
    for (i, (_, value)) in evaluations.iter().enumerate() {
        if value {
            words[i / 32] |= 1 << (i % 32);
        }
    }
    Uint32ArraySlice::copy_from(env, words)
}

/// Writes `evaluations` as a bitset into `out` (see [`bits`]), clearing the
/// words past the set's; `DEZKY_INVALID_ARGUMENT` when `out` is too short.
pub(crate) fn write_bits(
    env: &Env,
    evaluations: &Evaluations,
    out: &mut [u32],
) -> napi::Result<()> {
    let words = evaluations.len().div_ceil(32);
    if out.len() < words {
        return Err(invalid_argument(
            "out",
            format!("must hold at least {words} words, got {}", out.len()),
        ))
        .js(env);
    }
    out.fill(0);
    for (i, (_, value)) in evaluations.iter().enumerate() {
        if value {
            out[i / 32] |= 1 << (i % 32);
        }
    }
    Ok(())
}

/// An evaluation context checked and converted once (`flags.compileContext(ctx)`
/// or `new CompiledContext(ctx)`), to evaluate many times without reading the JS
/// object again: the per-call cost of `evaluateAll` at small flag sets is mostly
/// that reading. Immutable; its fields read back as typed properties.
#[napi]
pub struct CompiledContext {
    pub(crate) inner: EvaluationContext,
}

#[napi]
impl CompiledContext {
    /// Checks and converts `context`; throws `DEZKY_INVALID_CONTEXT` for an
    /// unknown field or a value that is not a string.
    #[napi(constructor, ts_args_type = "context: EvaluationContext")]
    pub fn new(env: Env, context: Unknown<'_>) -> napi::Result<Self> {
        let inner = convert::context(&env, &context).js(&env)?;
        Ok(CompiledContext { inner })
    }

    /// The tenant's id, the rollout subject of tenant-level flags.
    #[napi(getter)]
    pub fn tenant_id(&self) -> Option<String> {
        self.inner.tenant_id.clone()
    }

    /// The tenant's slug.
    #[napi(getter)]
    pub fn tenant_slug(&self) -> Option<String> {
        self.inner.tenant_slug.clone()
    }

    /// The tenant's plan.
    #[napi(getter)]
    pub fn plan(&self) -> Option<String> {
        self.inner.plan.clone()
    }

    /// The slug of the tenant's partner.
    #[napi(getter)]
    pub fn partner_slug(&self) -> Option<String> {
        self.inner.partner_slug.clone()
    }

    /// The deployment environment.
    #[napi(getter)]
    pub fn environment(&self) -> Option<String> {
        self.inner.environment.clone()
    }

    /// The user, the rollout subject of user-level flags.
    #[napi(getter)]
    pub fn user_id(&self) -> Option<String> {
        self.inner.user_id.clone()
    }

    /// The context as a plain object (its set fields only).
    #[napi(js_name = "toJSON", ts_return_type = "EvaluationContext")]
    pub fn to_json(&self) -> Serde<EvaluationContext> {
        Serde(self.inner.clone())
    }
}

/// A context argument: a [`CompiledContext`], used as it is, or a plain object,
/// read and checked.
pub(crate) type ContextArg<'a> = Either<ClassInstance<'a, CompiledContext>, Unknown<'a>>;

/// Runs `f` on the context of `arg`.
pub(crate) fn with_context<R>(
    env: &Env,
    arg: ContextArg<'_>,
    f: impl FnOnce(&EvaluationContext) -> R,
) -> napi::Result<R> {
    match arg {
        Either::A(compiled) => Ok(f(&compiled.inner)),
        Either::B(object) => {
            let context = convert::context(env, &object).js(env)?;
            Ok(f(&context))
        }
    }
}

/// The change to flag `key`, with `flag` read from the new set (`null` once deleted).
/// `same` is the JS object of the set the change was made on, returned as `flags`
/// when the core handed that set back.
fn flag_change<'a>(
    same: Option<Object<'a>>,
    flags: dezky_flags::FlagSet,
    key: &str,
    audit: Option<FlagAuditEvent>,
) -> FlagChange<'a> {
    FlagChange {
        flag: flags.get(key).map(dezky_flags::Flag::to_value),
        flags: match same {
            Some(this) => Either::A(this),
            None => Either::B(FlagSet::new(flags)),
        },
        audit,
    }
}

/// The rollout bucket (0..=99) of `subject` for flag `key`:
/// `u32_be(SHA-256(subject + ":" + key)[0..4]) % 100`.
#[napi]
pub fn bucket(subject: String, key: String) -> u32 {
    u32::from(dezky_flags::bucket(&subject, &key))
}

/// Exactly which of `contexts` a proposed (not yet saved) flag configuration enables:
/// the same rules and buckets as evaluation, no sampling.
#[napi(
    ts_args_type = "flag: FlagDocument | string, contexts: EvaluationContext[]",
    ts_return_type = "RolloutPreview"
)]
pub fn preview_rollout(
    env: Env,
    flag: Value,
    contexts: Vec<Value>,
) -> napi::Result<Serde<RolloutPreview>> {
    let flag = convert::flag(flag, "flag").js(&env)?;
    let contexts = dezky_flags::EvaluationContext::list_from_value(&Value::Array(contexts));
    Ok(Serde(dezky_flags::preview(&flag, &contexts.js(&env)?)))
}

/// The kill switch on a flag set given as a `FlagSet`, an array of flag documents
/// or their JSON text: returns the new set, the killed flag and the audit event.
#[napi(
    ts_args_type = "flags: FlagSet | FlagDocument[] | string, key: string, actor: string",
    ts_return_type = "FlagChange"
)]
pub fn kill_switch(
    env: &Env,
    flags: FlagSetArg<'_>,
    key: String,
    actor: String,
) -> napi::Result<FlagChange<'static>> {
    let set = convert::flag_set(flags).js(env)?;
    let change = Change::now(actor).js(env)?;
    let (flags, audit) = set.kill_flag(&key, &change).js(env)?;
    Ok(flag_change(None, flags, &key, Some(audit)))
}

/// The OpenFeature resolution reason for a reason name (`in_rollout` → `SPLIT`, ...).
#[napi]
pub fn open_feature_reason(reason: Reason) -> &'static str {
    reason.openfeature_reason()
}
