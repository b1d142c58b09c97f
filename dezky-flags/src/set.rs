//! A validated flag set compiled for evaluation.
//!
//! [`FlagSet`] is immutable and cheap to clone (one `Arc`). Compilation turns
//! each scope axis into bitsets over the flags, so evaluate-all resolves the
//! context once (one lookup per axis), ANDs a few words per 64 flags, and hashes
//! only the rollout flags whose scope matched.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::bucket::{SubjectHasher, bucket};
use crate::context::EvaluationContext;
use crate::error::{Error, Result};
use crate::eval::{Evaluation, Reason};
use crate::model::{Flag, FlagLevel, FlagState};

/// Set bits over flag positions, 64 per word.
type Bits = Vec<u64>;

fn set_bit(bits: &mut [u64], index: usize) {
    bits[index / 64] |= 1 << (index % 64);
}

fn has_bit(bits: &[u64], index: usize) -> bool {
    bits[index / 64] & (1 << (index % 64)) != 0
}

/// One scope axis compiled: for each distinct value, the flags it lets through.
#[derive(Debug)]
struct Axis {
    /// Value → row number in `rows`.
    ids: HashMap<Box<str>, usize>,
    /// Row-major, `words` per row. Row 0 is the flags whose axis is empty (they
    /// admit any value, absent included); row `1 + id` adds the flags listing value `id`.
    rows: Vec<u64>,
}

impl Axis {
    fn row<'a>(&'a self, value: Option<&str>, words: usize) -> &'a [u64] {
        let row = value.and_then(|v| self.ids.get(v)).copied().unwrap_or(0);
        &self.rows[row * words..(row + 1) * words]
    }
}

#[derive(Debug, Clone, Copy)]
struct Rollout {
    index: u32,
    pct: u8,
    level: FlagLevel,
}

#[derive(Debug)]
struct Inner {
    flags: Vec<Flag>,
    index: HashMap<Box<str>, usize>,
    words: usize,
    axes: [Axis; 5],
    /// Flags in state `on`.
    on: Bits,
    /// `targeted` flags with a non-empty scope: enabled when the scope matches.
    targeted: Bits,
    /// `rollout` flags with `pct > 0`, in flag order.
    rollouts: Vec<Rollout>,
    /// Flags last switched off by the kill switch.
    killed: Bits,
}

/// A validated, compiled, immutable set of flags.
#[derive(Debug, Clone)]
pub struct FlagSet {
    inner: Arc<Inner>,
}

impl Default for FlagSet {
    fn default() -> Self {
        FlagSet::compile(Vec::new())
    }
}

impl PartialEq for FlagSet {
    fn eq(&self, other: &Self) -> bool {
        self.inner.flags == other.inner.flags
    }
}

impl FlagSet {
    /// Parses a JSON array of flag documents (the body of the control plane's `GET /flags`).
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::from_json(&e))?;
        FlagSet::from_value(value)
    }

    /// Reads a JSON array of flag documents.
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Array(items) = value else {
            return Err(Error::MalformedJson {
                line: 0,
                column: 0,
                message: "a flag set must be a JSON array of flags".into(),
            });
        };
        let flags = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Flag::from_value_at(v, Some(i)))
            .collect::<Result<Vec<_>>>()?;
        FlagSet::from_flags(flags)
    }

    /// Builds a set from flags, validating each and rejecting duplicate keys.
    pub fn from_flags(flags: Vec<Flag>) -> Result<Self> {
        let mut seen = HashSet::with_capacity(flags.len());
        for flag in &flags {
            flag.validate()?;
            if !seen.insert(flag.key.as_str()) {
                return Err(Error::DuplicateKey {
                    key: flag.key.clone(),
                });
            }
        }
        Ok(FlagSet::compile(flags))
    }

    fn compile(flags: Vec<Flag>) -> Self {
        let words = flags.len().div_ceil(64).max(1);
        let axes = std::array::from_fn(|axis| compile_axis(&flags, axis, words));
        let mut on = vec![0; words];
        let mut targeted = vec![0; words];
        let mut killed = vec![0; words];
        let mut rollouts = Vec::new();
        let mut index = HashMap::with_capacity(flags.len());
        for (i, flag) in flags.iter().enumerate() {
            index.insert(flag.key.as_str().into(), i);
            match flag.state {
                FlagState::Off => {}
                FlagState::On => set_bit(&mut on, i),
                FlagState::Targeted if !flag.scope.is_empty() => set_bit(&mut targeted, i),
                FlagState::Targeted => {}
                FlagState::Rollout if flag.pct > 0 => rollouts.push(Rollout {
                    index: i as u32,
                    pct: flag.pct,
                    level: flag.level,
                }),
                FlagState::Rollout => {}
            }
            if flag.is_killed() {
                set_bit(&mut killed, i);
            }
        }
        FlagSet {
            inner: Arc::new(Inner {
                flags,
                index,
                words,
                axes,
                on,
                targeted,
                rollouts,
                killed,
            }),
        }
    }

    /// Whether both handles point at the same compiled snapshot (not merely equal flags).
    pub fn same_snapshot(&self, other: &FlagSet) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The flags, in the order they were given.
    pub fn flags(&self) -> &[Flag] {
        &self.inner.flags
    }

    /// The flag with this key.
    pub fn get(&self, key: &str) -> Option<&Flag> {
        self.inner.index.get(key).map(|&i| &self.inner.flags[i])
    }

    /// How many flags the set holds.
    pub fn len(&self) -> usize {
        self.inner.flags.len()
    }

    /// Whether the set holds no flag.
    pub fn is_empty(&self) -> bool {
        self.inner.flags.is_empty()
    }

    /// The keys, in flag order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.inner.flags.iter().map(|f| f.key.as_str())
    }

    /// The set as a JSON array, unknown fields included.
    pub fn to_value(&self) -> Value {
        Value::Array(self.inner.flags.iter().map(Flag::to_value).collect())
    }

    /// The set as JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// A new set with `flag` added, or replacing the flag with the same key.
    pub fn with_flag(&self, flag: Flag) -> Result<Self> {
        flag.validate()?;
        let mut flags = self.inner.flags.clone();
        match self.inner.index.get(flag.key.as_str()) {
            Some(&i) => flags[i] = flag,
            None => flags.push(flag),
        }
        Ok(FlagSet::compile(flags))
    }

    /// A new set without the flag `key`.
    pub fn without_flag(&self, key: &str) -> Result<Self> {
        let Some(&i) = self.inner.index.get(key) else {
            return Err(Error::FlagNotFound { key: key.into() });
        };
        let mut flags = self.inner.flags.clone();
        flags.remove(i);
        Ok(FlagSet::compile(flags))
    }

    /// Evaluates one flag, with the reason. An unknown key is `false` with
    /// [`Reason::FlagNotFound`].
    pub fn evaluate(&self, key: &str, context: &EvaluationContext) -> Evaluation {
        match self.inner.index.get(key) {
            Some(&i) => self.evaluate_at(i, context),
            None => Evaluation {
                key: key.to_owned(),
                value: false,
                reason: Reason::FlagNotFound,
                bucket: None,
                killed: false,
            },
        }
    }

    /// Whether `key` is enabled for the context; `false` for an unknown key.
    pub fn is_enabled(&self, key: &str, context: &EvaluationContext) -> bool {
        self.inner
            .index
            .get(key)
            .is_some_and(|&i| evaluate_flag(&self.inner.flags[i], context).0)
    }

    /// Evaluates every flag for one context: the hot path.
    ///
    /// Allocates only the result's bitset; hashes only rollout flags whose scope matched.
    pub fn evaluate_all(&self, context: &EvaluationContext) -> Evaluations {
        let inner = &*self.inner;
        let words = inner.words;
        let values = context.axis_values();
        let rows: [&[u64]; 5] = std::array::from_fn(|a| inner.axes[a].row(values[a], words));
        let mut bits = vec![0u64; words];
        for (w, out) in bits.iter_mut().enumerate() {
            let scope = rows[0][w] & rows[1][w] & rows[2][w] & rows[3][w] & rows[4][w];
            *out = inner.on[w] | (scope & inner.targeted[w]);
        }
        let mut tenant: Option<SubjectHasher> = None;
        let mut user: Option<SubjectHasher> = None;
        for rollout in &inner.rollouts {
            let i = rollout.index as usize;
            if !rows.iter().all(|row| has_bit(row, i)) {
                continue;
            }
            let (slot, subject) = match rollout.level {
                FlagLevel::Tenant => (&mut tenant, context.tenant_id.as_deref()),
                FlagLevel::User => (&mut user, context.user_id.as_deref()),
            };
            let Some(subject) = subject else { continue };
            if rollout.pct >= 100
                || slot
                    .get_or_insert_with(|| SubjectHasher::new(subject))
                    .bucket(&inner.flags[i].key)
                    < rollout.pct
            {
                set_bit(&mut bits, i);
            }
        }
        Evaluations {
            set: self.clone(),
            bits,
        }
    }

    /// Evaluates every flag with its reason, in flag order.
    pub fn evaluate_all_detailed(&self, context: &EvaluationContext) -> Vec<Evaluation> {
        (0..self.len())
            .map(|i| self.evaluate_at(i, context))
            .collect()
    }

    fn evaluate_at(&self, i: usize, context: &EvaluationContext) -> Evaluation {
        let flag = &self.inner.flags[i];
        let (value, reason, bucket) = evaluate_flag(flag, context);
        Evaluation {
            key: flag.key.clone(),
            value,
            reason,
            bucket,
            killed: has_bit(&self.inner.killed, i),
        }
    }

    /// How many 64-bit words each bitset row takes.
    #[cfg(test)]
    fn words(&self) -> usize {
        self.inner.words
    }
}

fn compile_axis(flags: &[Flag], axis: usize, words: usize) -> Axis {
    let mut ids: HashMap<Box<str>, usize> = HashMap::new();
    let mut open = vec![0u64; words];
    let mut listed: Vec<Bits> = Vec::new();
    for (i, flag) in flags.iter().enumerate() {
        let values = flag.scope.axes()[axis];
        if values.is_empty() {
            set_bit(&mut open, i);
            continue;
        }
        for value in values {
            let next = listed.len();
            let id = *ids.entry(value.as_str().into()).or_insert(next);
            if id == next {
                listed.push(vec![0; words]);
            }
            set_bit(&mut listed[id], i);
        }
    }
    let mut rows = Vec::with_capacity((listed.len() + 1) * words);
    rows.extend_from_slice(&open);
    for row in &listed {
        rows.extend(row.iter().zip(&open).map(|(l, o)| l | o));
    }
    let ids = ids.into_iter().map(|(k, id)| (k, id + 1)).collect();
    Axis { ids, rows }
}

/// The reference evaluation of one flag, written straight from the contract.
/// [`FlagSet::evaluate_all`] must agree with it for every flag and context.
pub(crate) fn evaluate_flag(
    flag: &Flag,
    context: &EvaluationContext,
) -> (bool, Reason, Option<u8>) {
    match flag.state {
        FlagState::Off => (false, Reason::Off, None),
        FlagState::On => (true, Reason::On, None),
        FlagState::Targeted => {
            if !flag.scope.is_empty() && scope_matches(flag, context) {
                (true, Reason::TargetingMatch, None)
            } else {
                (false, Reason::NotTargeted, None)
            }
        }
        FlagState::Rollout => {
            if !scope_matches(flag, context) {
                return (false, Reason::NotTargeted, None);
            }
            let subject = match flag.level {
                FlagLevel::Tenant => context.tenant_id.as_deref(),
                FlagLevel::User => context.user_id.as_deref(),
            };
            let Some(subject) = subject else {
                return (false, Reason::SubjectMissing, None);
            };
            let b = bucket(subject, &flag.key);
            if b < flag.pct {
                (true, Reason::InRollout, Some(b))
            } else {
                (false, Reason::OutOfRollout, Some(b))
            }
        }
    }
}

/// Every non-empty axis contains the context's value; an absent value never matches.
fn scope_matches(flag: &Flag, context: &EvaluationContext) -> bool {
    flag.scope
        .axes()
        .iter()
        .zip(context.axis_values())
        .all(|(axis, value)| axis.is_empty() || value.is_some_and(|v| axis.iter().any(|a| a == v)))
}

/// The result of [`FlagSet::evaluate_all`]: one boolean per flag of the set.
///
/// Serializes as a JSON object `{key: bool}` in flag order.
#[derive(Debug, Clone)]
pub struct Evaluations {
    set: FlagSet,
    bits: Bits,
}

impl Evaluations {
    /// The value of `key`, or `None` if the set has no such flag.
    pub fn get(&self, key: &str) -> Option<bool> {
        self.set
            .inner
            .index
            .get(key)
            .map(|&i| has_bit(&self.bits, i))
    }

    /// The value of `key`; `false` for an unknown key.
    pub fn is_enabled(&self, key: &str) -> bool {
        self.get(key).unwrap_or(false)
    }

    /// `(key, value)` pairs in flag order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, bool)> + '_ {
        self.set
            .inner
            .flags
            .iter()
            .enumerate()
            .map(|(i, f)| (f.key.as_str(), has_bit(&self.bits, i)))
    }

    /// The keys of the enabled flags, in flag order.
    pub fn enabled(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().filter(|(_, v)| *v).map(|(k, _)| k)
    }

    /// How many flags were evaluated.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether no flag was evaluated.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The results as an owned map.
    pub fn to_map(&self) -> BTreeMap<String, bool> {
        self.iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// The flag set these results came from.
    pub fn flag_set(&self) -> &FlagSet {
        &self.set
    }
}

impl Serialize for Evaluations {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_rows_cover_more_than_one_word() {
        let flags: Vec<Flag> = (0..130)
            .map(|i| {
                let mut f = Flag::new(format!("flag_{i}")).unwrap_or_else(|e| panic!("{e}"));
                f.state = FlagState::Targeted;
                f.scope.plans = vec![if i % 2 == 0 { "business" } else { "starter" }.into()];
                f
            })
            .collect();
        let set = FlagSet::from_flags(flags).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.words(), 3);
        let ctx = EvaluationContext::for_tenant("t", "acme").with_plan("business");
        let all = set.evaluate_all(&ctx);
        for (i, (key, value)) in all.iter().enumerate() {
            assert_eq!(value, i % 2 == 0, "{key}");
            assert_eq!(value, set.evaluate(key, &ctx).value, "{key}");
        }
    }
}
