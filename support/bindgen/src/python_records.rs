//! The TypedDicts of the records the Python binding returns as dicts.
//!
//! A record crosses into Python as its serde form (`ToJson`), so its JSON
//! Schema for serialization (`schemars::JsonSchema`, derived behind
//! `dezky-clients`'s `schema` feature) is the dict's shape: each property a
//! key, its doc comment the key's docstring. Only the Python class names are
//! chosen here.

use std::fmt::Write as _;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

use crate::docstring;

/// The records of one module: Rust schema name → Python class name, in the
/// order they are written.
struct Records {
    generator: SchemaGenerator,
    names: Vec<(String, &'static str)>,
    /// Records another module defines: Rust schema name → (module, Python name).
    imported: Vec<(String, &'static str, &'static str)>,
    /// Records whose keys outside the schema's `required` may be absent
    /// (`NotRequired`): serialized without them, or read from input without them.
    partial: Vec<&'static str>,
}

impl Records {
    fn new() -> Self {
        Records {
            generator: SchemaSettings::draft2020_12()
                .for_serialize()
                .into_generator(),
            names: Vec::new(),
            imported: Vec::new(),
            partial: Vec::new(),
        }
    }

    /// A record defined by another generated module (`._provisioning_records`),
    /// imported from it where this module's records refer to it.
    fn import<T: JsonSchema>(mut self, module: &'static str, python: &'static str) -> Self {
        self.generator.subschema_for::<T>();
        self.imported
            .push((T::schema_name().into_owned(), module, python));
        self
    }

    fn add<T: JsonSchema>(mut self, python: &'static str) -> Self {
        self.generator.subschema_for::<T>();
        self.names.push((T::schema_name().into_owned(), python));
        self
    }

    /// A record whose keys outside `required` are `NotRequired` (absent when `None`
    /// or empty, and optional as input).
    fn add_partial<T: JsonSchema>(mut self, python: &'static str) -> Self {
        self.partial.push(python);
        self.add::<T>(python)
    }

    fn python_name(&self, reference: &str) -> String {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        self.names
            .iter()
            .find(|(rust, _)| rust == name)
            .map(|(_, python)| (*python).to_owned())
            .or_else(|| {
                self.imported
                    .iter()
                    .find(|(rust, _, _)| rust == name)
                    .map(|(_, _, python)| (*python).to_owned())
            })
            .unwrap_or_else(|| panic!("{name} is returned but has no Python name"))
    }

    /// The Python type of a schema.
    fn py_type(&self, schema: &Value) -> String {
        let Some(obj) = schema.as_object() else {
            return "Any".to_owned();
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            return self.python_name(reference);
        }
        if let Some(values) = string_values(schema) {
            return format!("Literal[{}]", values.join(", "));
        }
        if let Some(value) = obj.get("const").and_then(Value::as_str) {
            return format!("Literal[\"{value}\"]");
        }
        if let Some(any) = obj
            .get("anyOf")
            .or_else(|| obj.get("oneOf"))
            .and_then(Value::as_array)
        {
            let mut types: Vec<String> = any.iter().map(|s| self.py_type(s)).collect();
            types.sort_by_key(|t| t == "None");
            types.dedup();
            return types.join(" | ");
        }
        let kinds: Vec<&str> = match obj.get("type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => return "Any".to_owned(),
        };
        let mut types: Vec<String> = kinds
            .iter()
            .filter(|k| **k != "null")
            .map(|kind| match *kind {
                "string" => "str".to_owned(),
                "integer" => "int".to_owned(),
                "number" => "float".to_owned(),
                "boolean" => "bool".to_owned(),
                "array" => format!(
                    "list[{}]",
                    obj.get("items")
                        .map_or_else(|| "Any".to_owned(), |s| self.py_type(s))
                ),
                "object" => match obj.get("additionalProperties") {
                    Some(Value::Object(values)) => {
                        format!(
                            "dict[str, {}]",
                            self.py_type(&Value::Object(values.clone()))
                        )
                    }
                    _ => "dict[str, Any]".to_owned(),
                },
                other => panic!("no Python type for JSON Schema type {other}"),
            })
            .collect();
        if kinds.contains(&"null") {
            types.push("None".to_owned());
        }
        types.join(" | ")
    }

    /// One TypedDict: `schema`'s properties, documented.
    fn record(&self, body: &mut String, python: &str, schema: &Value) {
        let _ = write!(body, "\n\nclass {python}(TypedDict):\n");
        if let Some(doc) = schema.get("description").and_then(Value::as_str) {
            docstring(body, "    ", &rst(doc));
            body.push('\n');
        }
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{python} is not a record"));
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in properties {
            let ty = self.py_type(property);
            if self.partial.contains(&python) && !required.contains(&name.as_str()) {
                let _ = writeln!(body, "    {name}: NotRequired[{ty}]");
            } else {
                let _ = writeln!(body, "    {name}: {ty}");
            }
            if let Some(doc) = property.get("description").and_then(Value::as_str) {
                docstring(body, "    ", &rst(doc));
            }
        }
    }

    /// The module's text: a TypedDict per record.
    fn render(&self, module_doc: &str) -> String {
        let mut out = super::python_header();
        docstring(&mut out, "", module_doc);
        out.push_str("\nfrom __future__ import annotations\n\n");
        let mut body = String::new();
        let definitions = self.generator.definitions();
        for (rust, python) in &self.names {
            let def = definitions
                .get(rust)
                .unwrap_or_else(|| panic!("no schema for {rust}"));
            if let Some(values) = string_values(def) {
                let _ = write!(body, "\n{python} = Literal[{}]\n", values.join(", "));
                if let Some(doc) = def.get("description").and_then(Value::as_str) {
                    docstring(&mut body, "", &rst(doc));
                }
                continue;
            }
            if let Some(variants) = def.get("oneOf").and_then(Value::as_array) {
                // A tagged enum: a TypedDict per variant, named by its tag, and their union.
                let mut names = Vec::new();
                for variant in variants {
                    let tag = variant
                        .pointer("/properties/kind/const")
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| panic!("{rust}: a variant without a `kind` tag"));
                    let name = format!("{python}{}", camel(tag));
                    self.record(&mut body, &name, variant);
                    names.push(name);
                }
                let _ = write!(body, "\n\n{python} = {}\n", names.join(" | "));
                if let Some(doc) = def.get("description").and_then(Value::as_str) {
                    docstring(&mut body, "", &rst(doc));
                }
                continue;
            }
            self.record(&mut body, python, def);
        }
        let mut imports = vec!["TypedDict"];
        if body.contains("Any") {
            imports.insert(0, "Any");
        }
        if body.contains("Literal[") {
            imports.insert(imports.len() - 1, "Literal");
        }
        if body.contains("NotRequired[") {
            imports.insert(imports.len() - 1, "NotRequired");
        }
        let _ = writeln!(out, "from typing import {}", imports.join(", "));
        let mut modules: Vec<&str> = self.imported.iter().map(|(_, m, _)| *m).collect();
        modules.sort_unstable();
        modules.dedup();
        for module in modules {
            let mut names: Vec<&str> = self
                .imported
                .iter()
                .filter(|(_, m, _)| *m == module)
                .map(|(_, _, p)| *p)
                .collect();
            names.sort_unstable();
            let _ = write!(out, "\nfrom {module} import {}\n", names.join(", "));
        }
        let names: Vec<&str> = self.names.iter().map(|(_, p)| *p).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        out.push_str("\n__all__ = [\n");
        for name in sorted {
            let _ = writeln!(out, "    \"{name}\",");
        }
        out.push_str("]\n");
        out.push_str(&body);
        out
    }
}

/// A `snake_case` tag in CamelCase.
fn camel(tag: &str) -> String {
    tag.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// The values of a string enum (`enum`, or `oneOf` of `const`s when its variants are
/// documented), quoted.
fn string_values(schema: &Value) -> Option<Vec<String>> {
    let quote = |v: &Value| v.as_str().map(|v| format!("\"{v}\""));
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.iter().map(quote).collect();
    }
    let variants = schema.get("oneOf").and_then(Value::as_array)?;
    variants
        .iter()
        .map(|v| v.get("const").and_then(quote))
        .collect()
}

/// A doc comment (Markdown) as reStructuredText: code spans doubled, intra-doc
/// links as their target's path.
fn rst(doc: &str) -> String {
    let mut text = doc.replace("[`", "`").replace("`]", "`");
    for prefix in ["super::", "crate::"] {
        text = text.replace(prefix, "");
    }
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "``{}``", part.replace("::", "."));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// `dezky/_authentik_records.py`.
pub(crate) fn render_authentik() -> String {
    use dezky_clients::authentik::{
        Application, AuthenticatedSession, AuthenticatorSummary, CertificateKeyPair, Device, Flow,
        Group, OAuth2Provider, PolicyBinding, RedirectUri, ScopeMapping, SessionTermination, Token,
        User,
    };
    Records::new()
        .add::<Group>("Group")
        .add::<User>("User")
        .add::<AuthenticatedSession>("Session")
        .add::<SessionTermination>("SessionTermination")
        .add::<Device>("Device")
        .add::<AuthenticatorSummary>("AuthenticatorSummary")
        .add::<Flow>("Flow")
        .add::<CertificateKeyPair>("KeyPair")
        .add::<ScopeMapping>("ScopeMapping")
        .add::<RedirectUri>("RedirectUri")
        .add::<OAuth2Provider>("OAuth2Provider")
        .add::<Application>("Application")
        .add::<PolicyBinding>("Binding")
        .add::<Token>("Token")
        .render(
            "The records the Authentik client returns, as TypedDicts: each the serde form of the \
             ``dezky_clients::authentik`` type of the same meaning, documented by its doc \
             comments. :mod:`dezky.authentik` re-exports them.",
        )
}

/// `dezky/_health_records.py`.
pub(crate) fn render_health() -> String {
    use dezky_clients::health::{ProbeResult, ProbeStatus};
    Records::new()
        .add::<ProbeStatus>("ProbeStatus")
        .add::<ProbeResult>("ProbeResult")
        .render(
            "The results of the health probes, as TypedDicts: the serde form of \
             ``dezky_clients::health::ProbeResult``, documented by its doc comments. \
             :mod:`dezky.health` re-exports them.",
        )
}

/// `dezky/_provisioning_records.py`.
pub(crate) fn render_provisioning() -> String {
    use dezky_core::audit::{AuditEvent, Outcome};
    use dezky_core::lifecycle::{
        LifecycleAction, Step, StepState, TenantPatch, TenantStatus, Transition,
    };
    use dezky_core::provisioning::memory::Stored;
    use dezky_core::provisioning::{
        BulkEvent, BulkSummary, Deprovisioning, Drift, LifecycleReport, Reconciliation, Removal,
        RemovalReport, StepReport,
    };
    Records::new()
        .add::<TenantStatus>("TenantStatus")
        .add::<Step>("Step")
        .add::<StepState>("StepState")
        .add::<Drift>("Drift")
        .add::<Outcome>("Outcome")
        .add::<AuditEvent>("AuditEvent")
        .add::<TenantPatch>("TenantPatch")
        .add::<LifecycleAction>("LifecycleAction")
        .add::<Transition>("TenantTransition")
        .add::<StepReport>("StepReport")
        .add::<Reconciliation>("Reconciliation")
        .add::<LifecycleReport>("LifecycleReport")
        .add::<Removal>("Removal")
        .add::<RemovalReport>("RemovalReport")
        .add::<Deprovisioning>("Deprovisioning")
        .add::<BulkSummary>("BulkSummary")
        .add::<BulkEvent>("BulkEvent")
        .add::<Stored>("MemoryResource")
        .render(
            "The reports of tenant provisioning and lifecycle operations, as TypedDicts: the \
             serde form of the ``dezky_core::provisioning`` and ``dezky_core::lifecycle`` types, \
             documented by their doc comments. :mod:`dezky.provisioning` re-exports them.",
        )
}

/// `dezky/_policy_records.py`.
pub(crate) fn render_policy() -> String {
    use dezky_core::audit::AuditEvent;
    use dezky_core::lifecycle::TenantPatch;
    use dezky_core::policy::{
        MemberMfa, MfaCompliance, MfaMode, PolicyUpdate, SecurityPolicy, SessionLimit,
    };
    Records::new()
        .import::<AuditEvent>("._provisioning_records", "AuditEvent")
        .import::<TenantPatch>("._provisioning_records", "TenantPatch")
        .add::<MfaMode>("MfaMode")
        .add::<SessionLimit>("SessionLimit")
        .add::<SecurityPolicy>("SecurityPolicyValue")
        .add::<PolicyUpdate>("PolicyUpdate")
        .add::<MemberMfa>("MemberMfa")
        .add::<MfaCompliance>("MfaCompliance")
        .render(
            "The records of tenant security policies, as TypedDicts: the serde form of the \
             ``dezky_core::policy`` types, documented by their doc comments. \
             :mod:`dezky.policy` re-exports them.",
        )
}

/// `dezky/_branding_records.py`.
pub(crate) fn render_branding() -> String {
    use dezky_core::branding::{Branding, MailTemplate, TemplateOverride, TemplateText};
    Records::new()
        .add::<MailTemplate>("MailTemplate")
        .add::<TemplateText>("TemplateText")
        .add::<TemplateOverride>("TemplateOverride")
        .add::<Branding>("BrandingValue")
        .render(
            "The records of branding and mail templates, as TypedDicts: the serde form of the \
             ``dezky_core::branding`` types, documented by their doc comments. \
             :mod:`dezky.branding` re-exports them.",
        )
}

/// `dezky/_billing_records.py`.
pub(crate) fn render_billing() -> String {
    use dezky_core::billing::{
        BillingAction, BillingCycle, MrrReport, PartnerMrr, Price, Subscription, SubscriptionMrr,
        SubscriptionStatus, Unpriced,
    };
    Records::new()
        .add::<BillingAction>("BillingAction")
        .add::<BillingCycle>("BillingCycle")
        .add::<SubscriptionStatus>("SubscriptionStatus")
        .add::<Price>("Price")
        .add::<Subscription>("Subscription")
        .add::<SubscriptionMrr>("SubscriptionMrr")
        .add::<Unpriced>("Unpriced")
        .add::<PartnerMrr>("PartnerMrr")
        .add::<MrrReport>("MrrReport")
        .render(
            "The records of the billing maths, as TypedDicts: the serde form of the \
             ``dezky_core::billing`` types, documented by their doc comments. Amounts are \
             integer minor units. :mod:`dezky.billing` re-exports them.",
        )
}

/// `dezky/_audit_records.py`.
pub(crate) fn render_audit() -> String {
    use dezky_core::audit::{AuditEvent, AuditFilter, AuditQuery};
    Records::new()
        .import::<AuditEvent>("._provisioning_records", "AuditEvent")
        .add::<AuditFilter>("AuditFilter")
        .add::<AuditQuery>("AuditQueryValue")
        .render(
            "The records of audit log queries, as TypedDicts: the serde form of the \
             ``dezky_core::audit`` types, documented by their doc comments. \
             :mod:`dezky.audit` re-exports them.",
        )
}

/// `dezky/_members_records.py`.
pub(crate) fn render_members() -> String {
    use dezky_core::audit::AuditEvent;
    use dezky_core::lifecycle::{PartnerStatus, TenantStatus};
    use dezky_core::members::{
        Effect, MePartner, MeProfile, MeTenant, MemberKind, MemberRecord, MemberResource, Removed,
        RemovedResource, Undo,
    };
    Records::new()
        .import::<AuditEvent>("._provisioning_records", "AuditEvent")
        .import::<TenantStatus>("._provisioning_records", "TenantStatus")
        .add::<MemberKind>("MemberKind")
        .add::<MemberResource>("MemberResource")
        .add::<MemberRecord>("MemberRecord")
        .add::<Undo>("Undo")
        .add::<Effect>("Effect")
        .add::<Removed>("Removed")
        .add::<RemovedResource>("RemovedResource")
        .add::<PartnerStatus>("PartnerStatus")
        .add::<MeTenant>("MeTenant")
        .add::<MePartner>("MePartner")
        .add::<MeProfile>("MeProfile")
        .render(
            "The records of a tenant's member operations, as TypedDicts: the serde form of the \
             ``dezky_core::members`` types, documented by their doc comments. \
             :mod:`dezky.members` re-exports them.",
        )
}

/// `dezky/_domains_records.py`.
pub(crate) fn render_domains() -> String {
    use dezky_core::domains::{DmarcPolicy, DomainStatus, DomainSummary, MailingList};
    Records::new()
        .add::<DomainStatus>("DomainStatus")
        .add_partial::<DomainSummary>("DomainSummary")
        .add_partial::<DmarcPolicy>("DmarcPolicy")
        .add::<MailingList>("MailingList")
        .render(
            "The records of a tenant's mail domains, as TypedDicts: the serde form of the \
             ``dezky_core::domains`` types, documented by their doc comments. \
             :mod:`dezky.domains` re-exports them.",
        )
}

/// `dezky/_sso_apps_records.py`.
pub(crate) fn render_sso_apps() -> String {
    use dezky_core::sso_apps::{
        BoundApp, SsoAppRecord, SsoAppStep, SsoApplication, SsoStepOutcome,
    };
    Records::new()
        .add_partial::<SsoApplication>("SsoApplication")
        .add::<BoundApp>("BoundApp")
        .add_partial::<SsoAppRecord>("SsoAppRecord")
        .add::<SsoStepOutcome>("SsoStepOutcome")
        .add::<SsoAppStep>("SsoAppStep")
        .render(
            "The records of a tenant's SSO apps, as TypedDicts: the serde form of the \
             ``dezky_core::sso_apps`` types, documented by their doc comments. \
             :mod:`dezky.sso_apps` re-exports them.",
        )
}
