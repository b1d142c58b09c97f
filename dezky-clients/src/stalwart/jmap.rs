//! JMAP requests and responses (RFC 8620) as Stalwart's management API uses
//! them: several method calls per request, creation ids, result references,
//! and the mapping of method errors and SetErrors to typed errors.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, FieldError, Result, UpstreamError, UpstreamKind};
use crate::http::clip;

/// The core capability.
pub const CORE: &str = "urn:ietf:params:jmap:core";
/// Stalwart's management capability (the `x:` registry methods).
pub const STALWART: &str = "urn:stalwart:jmap";
/// JMAP for Contacts (address books).
pub const CONTACTS: &str = "urn:ietf:params:jmap:contacts";

/// A reference to a value in the result of an earlier call of the same
/// request (`{"resultOf", "name", "path"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultReference {
    /// The call id of the earlier call.
    pub result_of: String,
    /// The method name of the earlier call.
    pub name: String,
    /// A JSON pointer into its result (`/ids`, `/list/*/id`).
    pub path: String,
}

/// A call added to a [`JmapRequest`]: its id and method name, to read its
/// result or to refer to it from a later call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    id: String,
    name: String,
}

impl Call {
    /// The call id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The method name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A reference to `path` in this call's result.
    pub fn result_of(&self, path: &str) -> ResultReference {
        ResultReference {
            result_of: self.id.clone(),
            name: self.name.clone(),
            path: path.to_owned(),
        }
    }

    /// A reference to the ids this call (a `/query`) found.
    pub fn ids(&self) -> Ids {
        Ids::ResultOf(self.result_of("/ids"))
    }
}

/// The ids a `/get` reads or a `/set` destroys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ids {
    /// Every object (`ids: null`; a `/get` returns at most 500).
    All,
    /// These ids.
    List(Vec<String>),
    /// The ids found by an earlier call of the same request (`#ids`).
    ResultOf(ResultReference),
}

impl From<Vec<String>> for Ids {
    fn from(ids: Vec<String>) -> Self {
        Ids::List(ids)
    }
}

impl From<&[String]> for Ids {
    fn from(ids: &[String]) -> Self {
        Ids::List(ids.to_vec())
    }
}

impl From<&str> for Ids {
    fn from(id: &str) -> Self {
        Ids::List(vec![id.to_owned()])
    }
}

impl Ids {
    fn put(self, args: &mut Map<String, Value>, name: &str) {
        match self {
            Ids::All => {
                args.insert(name.to_owned(), Value::Null);
            }
            Ids::List(ids) => {
                args.insert(name.to_owned(), ids.into());
            }
            Ids::ResultOf(reference) => {
                args.insert(format!("#{name}"), reference_value(&reference));
            }
        }
    }
}

fn reference_value(reference: &ResultReference) -> Value {
    serde_json::json!({
        "resultOf": reference.result_of,
        "name": reference.name,
        "path": reference.path,
    })
}

/// The arguments of an `x:<Object>/set` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetArgs {
    /// Objects to create, by creation id. A later call (or a later object of
    /// the same call) refers to one as `"#<creation id>"`.
    pub create: BTreeMap<String, Value>,
    /// Patches by object id: whole properties or JSON-pointer paths
    /// (`"credentials/0/secret"`).
    pub update: BTreeMap<String, Value>,
    /// Objects to destroy.
    pub destroy: Option<Ids>,
}

impl SetArgs {
    fn into_args(self) -> Map<String, Value> {
        let mut args = Map::new();
        if !self.create.is_empty() {
            args.insert(
                "create".into(),
                Value::Object(self.create.into_iter().collect()),
            );
        }
        if !self.update.is_empty() {
            args.insert(
                "update".into(),
                Value::Object(self.update.into_iter().collect()),
            );
        }
        if let Some(destroy) = self.destroy {
            destroy.put(&mut args, "destroy");
        }
        args
    }
}

/// One JMAP request: the capabilities used and the method calls, answered in
/// order by the server.
#[derive(Debug, Clone, PartialEq)]
pub struct JmapRequest {
    using: Vec<String>,
    calls: Vec<(String, Map<String, Value>, String)>,
}

impl Default for JmapRequest {
    fn default() -> Self {
        JmapRequest::new()
    }
}

impl JmapRequest {
    /// An empty request using `urn:ietf:params:jmap:core` and `urn:stalwart:jmap`.
    pub fn new() -> Self {
        JmapRequest {
            using: vec![CORE.to_owned(), STALWART.to_owned()],
            calls: Vec::new(),
        }
    }

    /// Adds a capability (`urn:ietf:params:jmap:contacts` for address books).
    pub fn using(&mut self, capability: &str) -> &mut Self {
        if !self.using.iter().any(|c| c == capability) {
            self.using.push(capability.to_owned());
        }
        self
    }

    /// Adds a call with its arguments (a JSON object; any other value is sent
    /// as empty arguments). Call ids are `c0`, `c1`, ... in order.
    pub fn call(&mut self, name: &str, args: Value) -> Call {
        let args = match args {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let id = format!("c{}", self.calls.len());
        self.calls.push((name.to_owned(), args, id.clone()));
        Call {
            id,
            name: name.to_owned(),
        }
    }

    /// `x:<object>/get` of `ids`, reading `properties` (all when `None`).
    pub fn get(&mut self, object: &str, ids: impl Into<Ids>, properties: Option<&[&str]>) -> Call {
        let mut args = Map::new();
        ids.into().put(&mut args, "ids");
        if let Some(properties) = properties {
            args.insert("properties".into(), properties.to_vec().into());
        }
        self.call(&format!("{object}/get"), Value::Object(args))
    }

    /// `x:<object>/query` with a filter (the server supports only AND).
    pub fn query(&mut self, object: &str, filter: Value) -> Call {
        self.call(
            &format!("{object}/query"),
            serde_json::json!({ "filter": filter }),
        )
    }

    /// `x:<object>/set`.
    pub fn set(&mut self, object: &str, args: SetArgs) -> Call {
        self.call(&format!("{object}/set"), Value::Object(args.into_args()))
    }

    /// The number of calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether the request has no call.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Whether every call only reads (`/get`, `/query`): such a request is
    /// safe to send again.
    pub fn is_read_only(&self) -> bool {
        self.calls
            .iter()
            .all(|(name, _, _)| name.ends_with("/get") || name.ends_with("/query"))
    }

    /// Sets `accountId` on every `x:` call that does not name one.
    pub(crate) fn default_account(&mut self, account_id: &str) {
        for (name, args, _) in &mut self.calls {
            if name.starts_with("x:") && !args.contains_key("accountId") {
                args.insert("accountId".into(), account_id.into());
            }
        }
    }

    /// The request body.
    pub fn to_json(&self) -> Value {
        let calls: Vec<Value> = self
            .calls
            .iter()
            .map(|(name, args, id)| serde_json::json!([name, args, id]))
            .collect();
        serde_json::json!({ "using": self.using, "methodCalls": calls })
    }
}

/// Where an answer came from, for the errors made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub service: &'static str,
    pub url: String,
}

impl Origin {
    pub(crate) fn error(&self, kind: UpstreamKind) -> UpstreamError {
        UpstreamError::new(kind, self.service, "POST", self.url.clone(), 200)
    }

    pub(crate) fn decode(&self, message: impl Into<String>) -> Error {
        Error::Decode {
            service: self.service.to_owned(),
            url: format!("POST {}", self.url),
            message: message.into(),
        }
    }
}

/// The answer to a [`JmapRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct JmapResponse {
    responses: Vec<(String, Value, String)>,
    session_state: Option<String>,
    origin: Origin,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse {
    method_responses: Vec<(String, Value, String)>,
    #[serde(default)]
    session_state: Option<String>,
}

impl JmapResponse {
    pub(crate) fn from_body(body: &[u8], origin: Origin) -> Result<Self> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let wire: WireResponse =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                origin.decode(format!("at `{path}`: {}", e.into_inner()))
            })?;
        Ok(JmapResponse {
            responses: wire.method_responses,
            session_state: wire.session_state,
            origin,
        })
    }

    /// The session state the server reported.
    pub fn session_state(&self) -> Option<&str> {
        self.session_state.as_deref()
    }

    /// The raw result of `call`; a method error becomes a typed error.
    pub fn result(&self, call: &Call) -> Result<&Value> {
        let (name, args, _) = self
            .responses
            .iter()
            .find(|(_, _, id)| *id == call.id)
            .ok_or_else(|| self.origin.decode(format!("no answer to call {}", call.id)))?;
        if name == "error" {
            return Err(method_error(args, &self.origin).into());
        }
        if *name != call.name {
            return Err(self.origin.decode(format!(
                "call {} ({}) answered as {name}",
                call.id, call.name
            )));
        }
        Ok(args)
    }

    /// The result of `call` decoded as `T`.
    pub fn parse<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let value = self.result(call)?;
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            self.origin
                .decode(format!("{} at `{path}`: {}", call.name, e.into_inner()))
        })
    }

    /// The result of a `/get` call.
    pub fn get<T: DeserializeOwned>(&self, call: &Call) -> Result<GetResponse<T>> {
        self.parse(call)
    }

    /// The result of a `/query` call.
    pub fn query(&self, call: &Call) -> Result<QueryResponse> {
        self.parse(call)
    }

    /// The result of a `/set` call.
    pub fn set(&self, call: &Call) -> Result<SetResponse> {
        let mut set: SetResponse = self.parse(call)?;
        set.origin = Some(self.origin.clone());
        Ok(set)
    }
}

/// The result of `x:<object>/get`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetResponse<T> {
    /// The objects found.
    pub list: Vec<T>,
    /// The ids asked for that do not exist.
    #[serde(default)]
    pub not_found: Vec<String>,
}

/// The result of `x:<object>/query`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResponse {
    /// The ids found, in order.
    pub ids: Vec<String>,
    /// The position of the first id.
    #[serde(default)]
    pub position: u64,
    /// The total, when asked for.
    #[serde(default)]
    pub total: Option<u64>,
}

/// The result of `x:<object>/set`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetResponse {
    /// Created objects by creation id (the server sends only their `id`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub created: BTreeMap<String, Value>,
    /// Updated ids.
    #[serde(default, deserialize_with = "null_as_default")]
    pub updated: BTreeMap<String, Value>,
    /// Destroyed ids.
    #[serde(default, deserialize_with = "null_as_default")]
    pub destroyed: Vec<String>,
    /// Creation failures by creation id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub not_created: BTreeMap<String, SetError>,
    /// Update failures by id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub not_updated: BTreeMap<String, SetError>,
    /// Destroy failures by id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub not_destroyed: BTreeMap<String, SetError>,
    #[serde(skip)]
    origin: Option<Origin>,
}

fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl SetResponse {
    fn origin(&self) -> Origin {
        self.origin.clone().unwrap_or(Origin {
            service: super::SERVICE,
            url: String::new(),
        })
    }

    /// The id of the object created as `creation_id`, or its typed error.
    pub fn created_id(&self, creation_id: &str) -> Result<String> {
        if let Some(error) = self.not_created.get(creation_id) {
            return Err(error.to_error(&self.origin()).into());
        }
        self.created
            .get(creation_id)
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                self.origin()
                    .decode(format!("no created id for creation {creation_id:?}"))
            })
    }

    /// Ok when `id` was updated, else its typed error.
    pub fn check_updated(&self, id: &str) -> Result<()> {
        if let Some(error) = self.not_updated.get(id) {
            return Err(error.to_error(&self.origin()).into());
        }
        if self.updated.contains_key(id) {
            Ok(())
        } else {
            Err(self
                .origin()
                .decode(format!("{id:?} neither updated nor refused")))
        }
    }

    /// Ok when `id` was destroyed, else its typed error.
    pub fn check_destroyed(&self, id: &str) -> Result<()> {
        if let Some(error) = self.not_destroyed.get(id) {
            return Err(error.to_error(&self.origin()).into());
        }
        if self.destroyed.iter().any(|d| d == id) {
            Ok(())
        } else {
            Err(self
                .origin()
                .decode(format!("{id:?} neither destroyed nor refused")))
        }
    }

    /// The first refusal of any kind, as a typed error.
    pub fn first_error(&self) -> Option<Error> {
        let origin = self.origin();
        self.not_created
            .values()
            .chain(self.not_updated.values())
            .chain(self.not_destroyed.values())
            .next()
            .map(|e| e.to_error(&origin).into())
    }
}

/// An object named in a SetError (`{"object": "DkimSignature", "id": "f"}`;
/// the object name has no `x:` prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The object type.
    pub object: String,
    /// Its id.
    pub id: String,
}

impl ObjectRef {
    /// `Object/id`, as carried in [`UpstreamError::linked`].
    pub fn label(&self) -> String {
        format!("{}/{}", self.object, self.id)
    }
}

/// One failed validation (`{"type": "Required", "property": "description"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ValidationError {
    /// `Invalid`, `Required`, `MaxLength`, `MinLength`, `MaxValue`, `MinValue`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The property.
    #[serde(default)]
    pub property: String,
    /// Details (`value`, `required`).
    #[serde(flatten)]
    pub details: BTreeMap<String, Value>,
}

/// Why one object of a `/set` was not created, updated or destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetError {
    /// `primaryKeyViolation`, `objectIsLinked`, `invalidForeignKey`,
    /// `invalidProperties`, `invalidPatch`, `validationFailed`, `forbidden`,
    /// `overQuota`, `notFound`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The server's explanation.
    #[serde(default)]
    pub description: Option<String>,
    /// The properties at fault.
    #[serde(default)]
    pub properties: Vec<String>,
    /// The existing object (a duplicate).
    #[serde(default)]
    pub existing_id: Option<String>,
    /// The object concerned (the existing one of a `primaryKeyViolation`, the
    /// missing target of an `invalidForeignKey`).
    #[serde(default)]
    pub object_id: Option<ObjectRef>,
    /// The objects that still refer to the target (`objectIsLinked`).
    #[serde(default)]
    pub linked_objects: Vec<ObjectRef>,
    /// Field validation failures (`validationFailed`).
    #[serde(default)]
    pub validation_errors: Vec<ValidationError>,
}

/// The property that holds a reference to an object type (`Domain` → `domainId`).
fn foreign_key_property(object: &str) -> String {
    let object = object.strip_prefix("x:").unwrap_or(object);
    let mut chars = object.chars();
    match chars.next() {
        Some(first) => format!("{}{}Id", first.to_lowercase(), chars.as_str()),
        None => "id".to_owned(),
    }
}

impl SetError {
    /// The kind of refusal this is.
    pub fn upstream_kind(&self) -> UpstreamKind {
        match self.kind.as_str() {
            "primaryKeyViolation" | "alreadyExists" => UpstreamKind::AlreadyExists,
            "objectIsLinked" => UpstreamKind::InUse,
            "notFound" => UpstreamKind::NotFound,
            "forbidden" => UpstreamKind::Forbidden,
            "rateLimit" => UpstreamKind::RateLimited,
            "serverFail" | "serverUnavailable" => UpstreamKind::Unavailable,
            _ => UpstreamKind::Rejected,
        }
    }

    pub(crate) fn to_error(&self, origin: &Origin) -> UpstreamError {
        let mut error = origin.error(self.upstream_kind());
        error.upstream_code = Some(self.kind.clone());
        error.message = self.description.as_deref().map(clip);
        let reason = error.message.clone().unwrap_or_else(|| self.kind.clone());
        let mut fields: Vec<FieldError> = self
            .properties
            .iter()
            .map(|p| FieldError {
                field: p.clone(),
                messages: vec![reason.clone()],
            })
            .collect();
        for v in &self.validation_errors {
            let mut message = v.kind.clone();
            for (key, value) in &v.details {
                message.push_str(&format!(" {key}={value}"));
            }
            match fields.iter_mut().find(|f| f.field == v.property) {
                Some(field) => field.messages.push(clip(&message)),
                None => fields.push(FieldError {
                    field: v.property.clone(),
                    messages: vec![clip(&message)],
                }),
            }
        }
        if self.kind == "invalidForeignKey"
            && fields.is_empty()
            && let Some(target) = &self.object_id
        {
            fields.push(FieldError {
                field: foreign_key_property(&target.object),
                messages: vec![format!("{} {} does not exist", target.object, target.id)],
            });
        }
        error.fields = fields;
        error.linked = match self.kind.as_str() {
            "objectIsLinked" => self.linked_objects.iter().map(ObjectRef::label).collect(),
            "primaryKeyViolation" | "alreadyExists" => self
                .object_id
                .as_ref()
                .map(ObjectRef::label)
                .or_else(|| self.existing_id.clone())
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        error
    }
}

/// A method-level error (`["error", {"type", "description"}, id]`).
pub(crate) fn method_error(args: &Value, origin: &Origin) -> UpstreamError {
    let kind_name = args.get("type").and_then(Value::as_str).unwrap_or("error");
    let kind = match kind_name {
        "forbidden" | "accountReadOnly" => UpstreamKind::Forbidden,
        "accountNotFound" | "notFound" => UpstreamKind::NotFound,
        "serverFail" | "serverUnavailable" | "serverPartialFail" => UpstreamKind::Unavailable,
        "rateLimit" => UpstreamKind::RateLimited,
        _ => UpstreamKind::Rejected,
    };
    let mut error = origin.error(kind);
    error.upstream_code = Some(kind_name.to_owned());
    error.message = args.get("description").and_then(Value::as_str).map(clip);
    if let Some(properties) = args.get("arguments").and_then(Value::as_array) {
        error.fields = properties
            .iter()
            .filter_map(Value::as_str)
            .map(|p| FieldError {
                field: p.to_owned(),
                messages: vec![kind_name.to_owned()],
            })
            .collect();
    }
    error
}

/// Reads an RFC 7807 problem-details body (`{"type", "status", "detail",
/// "title", "limit"}`), which JMAP servers send for request-level errors.
pub(crate) fn decode_problem(body: &[u8], error: &mut UpstreamError) -> bool {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let Some(kind) = map.get("type").and_then(Value::as_str) else {
        return false;
    };
    let code = kind
        .strip_prefix("urn:ietf:params:jmap:error:")
        .unwrap_or(kind);
    error.upstream_code = Some(code.to_owned());
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(clip);
    error.message = text("detail").or_else(|| text("title"));
    if let Some(limit) = text("limit") {
        error.fields = vec![FieldError {
            field: limit,
            messages: vec![code.to_owned()],
        }];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_keys_are_named_after_the_object() {
        assert_eq!(foreign_key_property("Domain"), "domainId");
        assert_eq!(foreign_key_property("x:Tenant"), "tenantId");
        assert_eq!(foreign_key_property(""), "id");
    }

    #[test]
    fn read_only_requests_are_recognized() {
        let mut request = JmapRequest::new();
        let query = request.query("x:Domain", serde_json::json!({"name": "a.test"}));
        request.get("x:Domain", query.ids(), None);
        assert!(request.is_read_only());
        request.set("x:Domain", SetArgs::default());
        assert!(!request.is_read_only());
    }
}
