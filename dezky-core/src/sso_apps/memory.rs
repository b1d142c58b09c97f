//! An in-memory identity provider for SSO apps: the embedded default and the
//! tests' stand-in. Deleting an application leaves its provider (as
//! Authentik does) and removes its bindings; faults can be queued per
//! operation before it takes effect ([`MemorySso::fail_next`]) or after
//! ([`MemorySso::lose_next_reply`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::ports::{SsoApplication, SsoBinding, SsoPort};
use crate::provisioning::{FailureKind, PortError, PortFuture};

/// An SSO port operation, for faults and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SsoOp {
    /// `applications`
    Applications,
    /// `application`
    Application,
    /// `bindings`
    Bindings,
    /// `delete_binding`
    DeleteBinding,
    /// `delete_application`
    DeleteApplication,
    /// `delete_provider`
    DeleteProvider,
}

#[derive(Debug, Default)]
struct State {
    apps: BTreeMap<String, SsoApplication>,
    providers: BTreeMap<i64, String>,
    bindings: BTreeMap<String, (String, Option<String>)>,
    next: u64,
    faults: VecDeque<(SsoOp, PortError)>,
    lost: VecDeque<(SsoOp, PortError)>,
    calls: BTreeMap<SsoOp, u64>,
}

/// An in-memory identity provider.
#[derive(Debug, Clone, Default)]
pub struct MemorySso {
    state: Arc<Mutex<State>>,
}

impl MemorySso {
    /// An empty identity provider.
    pub fn new() -> Self {
        MemorySso::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an application `slug` with its provider and, with `group`, a
    /// group binding; returns the application.
    pub fn insert_app(&self, slug: &str, group: Option<&str>) -> SsoApplication {
        let mut s = self.lock();
        s.next += 1;
        let provider = i64::try_from(s.next).unwrap_or(i64::MAX);
        let app = SsoApplication {
            pk: format!("app-{}", s.next),
            slug: slug.to_owned(),
            name: slug.to_owned(),
            provider: Some(provider),
            launch_url: None,
        };
        s.providers.insert(provider, slug.to_owned());
        if let Some(group) = group {
            s.next += 1;
            let pk = format!("binding-{}", s.next);
            s.bindings
                .insert(pk, (app.pk.clone(), Some(group.to_owned())));
        }
        s.apps.insert(slug.to_owned(), app.clone());
        app
    }

    /// Makes the next call of `op` fail with `error` before it takes effect.
    pub fn fail_next(&self, op: SsoOp, error: PortError) {
        self.lock().faults.push_back((op, error));
    }

    /// Makes the next call of `op` take effect and then fail with `error`.
    pub fn lose_next_reply(&self, op: SsoOp, error: PortError) {
        self.lock().lost.push_back((op, error));
    }

    /// How many times `op` was called.
    pub fn calls(&self, op: SsoOp) -> u64 {
        self.lock().calls.get(&op).copied().unwrap_or(0)
    }

    /// How many applications, providers and bindings there are.
    pub fn counts(&self) -> (usize, usize, usize) {
        let s = self.lock();
        (s.apps.len(), s.providers.len(), s.bindings.len())
    }

    fn run<T>(&self, op: SsoOp, effect: impl FnOnce(&mut State) -> T) -> Result<T, PortError> {
        let mut s = self.lock();
        *s.calls.entry(op).or_default() += 1;
        if let Some(i) = s.faults.iter().position(|(o, _)| *o == op) {
            return Err(s.faults.remove(i).map(|(_, e)| e).unwrap_or_else(|| {
                PortError::new(FailureKind::Unavailable, "DEZKY_UPSTREAM", "fault")
            }));
        }
        let value = effect(&mut s);
        if let Some(i) = s.lost.iter().position(|(o, _)| *o == op) {
            return Err(s.lost.remove(i).map(|(_, e)| e).unwrap_or_else(|| {
                PortError::new(FailureKind::Unavailable, "DEZKY_UPSTREAM", "lost")
            }));
        }
        Ok(value)
    }
}

fn ready<'a, T: Send + 'a>(result: Result<T, PortError>) -> PortFuture<'a, T> {
    Box::pin(async move { result })
}

impl SsoPort for MemorySso {
    fn applications(&self) -> PortFuture<'_, Vec<SsoApplication>> {
        ready(self.run(SsoOp::Applications, |s| s.apps.values().cloned().collect()))
    }

    fn application<'a>(&'a self, slug: &'a str) -> PortFuture<'a, Option<SsoApplication>> {
        ready(self.run(SsoOp::Application, |s| s.apps.get(slug).cloned()))
    }

    fn bindings<'a>(&'a self, app_pk: &'a str) -> PortFuture<'a, Vec<SsoBinding>> {
        ready(self.run(SsoOp::Bindings, |s| {
            s.bindings
                .iter()
                .filter(|(_, (target, _))| target == app_pk)
                .map(|(pk, (_, group))| SsoBinding {
                    pk: pk.clone(),
                    group: group.clone(),
                })
                .collect()
        }))
    }

    fn delete_binding<'a>(&'a self, pk: &'a str) -> PortFuture<'a, bool> {
        ready(self.run(SsoOp::DeleteBinding, |s| s.bindings.remove(pk).is_some()))
    }

    fn delete_application<'a>(&'a self, slug: &'a str) -> PortFuture<'a, bool> {
        ready(
            self.run(SsoOp::DeleteApplication, |s| match s.apps.remove(slug) {
                Some(app) => {
                    s.bindings.retain(|_, (target, _)| *target != app.pk);
                    true
                }
                None => false,
            }),
        )
    }

    fn delete_provider(&self, pk: i64) -> PortFuture<'_, bool> {
        ready(self.run(SsoOp::DeleteProvider, |s| s.providers.remove(&pk).is_some()))
    }
}
