//! Stage 2: lower the spec into
//! - a document progenitor can turn into a request-building client and typify into models
//!   (names made Rust-ready, parameters inlined, constraints lifted out of the types, success
//!   bodies handed back as raw bytes for the runtime to decode), and
//! - our [`ApiModel`] of what progenitor cannot express: Cloudflare's result envelope,
//!   open string enums and single-key unions.
//!
//! The work happens on the JSON form of the document: one structural walker covers every
//! way a schema can nest, where the typed model splits it across several kinds.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::OpenAPI;
use serde_json::{Map, Value, json};

use crate::constraints;
use crate::error::{GenError, Result};
use crate::load::LoadedSpec;
use crate::model::{
    ApiModel, NamedRule, OneKeyUnion, Operation, Param, ParamLocation, ResultShape, StringEnum, TypeExpr,
    UnionVariant,
};
use crate::naming::{field_ident, param_ident, pascal_ident, snake_ident};

const SCHEMA_REF: &str = "#/components/schemas/";
/// Methods in the order progenitor visits them, so our order matches its output.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// `$ref` chains longer than this are treated as cycles.
const MAX_REF_DEPTH: usize = 32;
/// Schema keywords that become runtime validation rather than Rust types: typify would turn
/// them into newtypes that also reject out-of-range values coming *from* the server.
const LIFTED_KEYWORDS: [&str; 13] = [
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
];
/// Formats typify maps to types we want; any other format is read as a plain string.
const KEPT_FORMATS: [&str; 7] = ["date-time", "date", "ip", "ipv4", "ipv6", "int32", "int64"];

/// The two outputs of this stage.
pub struct Normalised {
    /// What progenitor and typify see.
    pub lowered: OpenAPI,
    /// What our own emitters see.
    pub model: ApiModel,
}

/// Lowers `spec`; fails with the place of the first construct we cannot handle.
pub fn normalise(spec: &LoadedSpec) -> Result<Normalised> {
    let doc = serde_json::to_value(&spec.openapi)
        .map_err(|e| GenError::at(&spec.name, format!("cannot re-read the document: {e}")))?;
    check_refs(&doc, &spec.name)?;
    check_property_names(&doc, "#", &spec.name)?;
    let doc = rename_schemas(doc, &spec.name)?;
    Normaliser::new(doc, &spec.name).run()
}

/// Every `$ref` must point inside the document, and no chain of pure references may loop.
fn check_refs(doc: &Value, spec_name: &str) -> Result<()> {
    let mut refs = Vec::new();
    collect_refs_with_place(doc, &mut "#".to_string(), &mut refs);
    for (place, target) in &refs {
        let mut seen = vec![target.clone()];
        let mut current = target.clone();
        loop {
            let Some(pointer) = current.strip_prefix('#') else {
                return Err(GenError::at(
                    format!("{spec_name}: {place}"),
                    format!("external $ref `{current}` is not supported; inline it into the spec"),
                ));
            };
            let Some(found) = doc.pointer(pointer) else {
                return Err(GenError::at(
                    format!("{spec_name}: {place}"),
                    format!("$ref `{current}` points at nothing (dangling reference)"),
                ));
            };
            match found.get("$ref").and_then(Value::as_str) {
                Some(next) if seen.iter().any(|s| s == next) => {
                    seen.push(next.to_string());
                    return Err(GenError::at(
                        format!("{spec_name}: {place}"),
                        format!("circular $ref chain: {}", seen.join(" -> ")),
                    ));
                }
                Some(next) => {
                    seen.push(next.to_string());
                    current = next.to_string();
                }
                None => break,
            }
        }
    }
    Ok(())
}

/// Every `$ref` under `value` with the JSON pointer of the object holding it; `place` is the
/// pointer of `value` (extended and restored while walking, so only found refs allocate).
fn collect_refs_with_place(value: &Value, place: &mut String, out: &mut Vec<(String, String)>) {
    let root = place.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => out.push((place.clone(), target.clone())),
                    // Examples are data, not schema: a `$ref` key inside one is just a field.
                    ("example" | "examples", _) => {}
                    _ => {
                        place.push('/');
                        place.push_str(&escape(key));
                        collect_refs_with_place(child, place, out);
                        place.truncate(root);
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                place.push('/');
                place.push_str(&i.to_string());
                collect_refs_with_place(child, place, out);
                place.truncate(root);
            }
        }
        _ => {}
    }
}

/// Two properties of one object must not become the same Rust field (`fooBar` and `foo_bar`
/// are both `foo_bar`): the struct would not compile. Names are never changed silently to
/// make room, as the field a caller reads would then depend on spec order.
fn check_property_names(value: &Value, place: &str, spec_name: &str) -> Result<()> {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                let mut fields: BTreeMap<String, &str> = BTreeMap::new();
                for name in properties.keys() {
                    if let Some(first) = fields.insert(field_ident(name), name) {
                        return Err(GenError::at(
                            format!("{spec_name}: {place}/properties"),
                            format!(
                                "properties `{first}` and `{name}` both become the Rust field `{}`; \
                                 rename one",
                                field_ident(name)
                            ),
                        ));
                    }
                }
            }
            for (key, child) in map {
                // Examples and defaults are data: their keys are not property names.
                if matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                    continue;
                }
                check_property_names(child, &format!("{place}/{}", escape(key)), spec_name)?;
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_property_names(child, &format!("{place}/{i}"), spec_name)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

/// Gives every component schema its Rust name and rewrites the references to match.
fn rename_schemas(mut doc: Value, spec_name: &str) -> Result<Value> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(doc);
    };
    let mut renames = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut renamed = Map::new();
    for (old, schema) in std::mem::take(schemas) {
        let new = pascal_ident(&old);
        if let Some(first) = taken.get(&new) {
            return Err(GenError::at(
                format!("{spec_name}: #/components/schemas/{}", escape(&old)),
                format!("schemas `{first}` and `{old}` both become the Rust name `{new}`; rename one"),
            ));
        }
        taken.insert(new.clone(), old.clone());
        renames.insert(
            format!("{SCHEMA_REF}{}", escape(&old)),
            format!("{SCHEMA_REF}{new}"),
        );
        renamed.insert(new, schema);
    }
    *schemas = renamed;
    rewrite_refs(&mut doc, &renames);
    Ok(doc)
}

fn rewrite_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        if let Some(new) = renames.get(target.as_str()) {
                            *target = new.clone();
                        }
                    }
                    ("example" | "examples", _) => {}
                    (_, child) => rewrite_refs(child, renames),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}

struct Normaliser<'a> {
    doc: Value,
    spec_name: &'a str,
    /// Component schemas, growing as inline schemas are hoisted into named ones.
    schemas: Map<String, Value>,
}

impl<'a> Normaliser<'a> {
    fn new(mut doc: Value, spec_name: &'a str) -> Self {
        let schemas = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .map(std::mem::take)
            .unwrap_or_default();
        Self {
            doc,
            spec_name,
            schemas,
        }
    }

    fn run(mut self) -> Result<Normalised> {
        let (paths, operations) = self.lower_operations()?;
        let string_enums = self.hoist_string_enums();
        let unions = self.find_unions();
        // Rules are read before pruning and lifting: both remove what they need.
        let mut rules = self.request_rules(&operations)?;
        self.prune_unreachable(&paths, &operations, &unions);
        let union_names: BTreeSet<&str> = unions.iter().map(|u| u.name.as_str()).collect();
        for rule in &mut rules {
            rule.has_type = self.schemas.contains_key(&rule.name) || union_names.contains(rule.name.as_str());
        }
        for union in &unions {
            // typify never emits a replaced type, but it still reads the schema: a placeholder
            // keeps it from following references to the branches we pruned.
            self.schemas.insert(union.name.clone(), json!({"type": "object"}));
        }
        for schema in self.schemas.values_mut() {
            lift_constraints(schema);
        }

        let lowered = json!({
            "openapi": "3.0.3",
            "info": {
                "title": self.doc.pointer("/info/title").cloned().unwrap_or(json!("API")),
                "version": self.doc.pointer("/info/version").cloned().unwrap_or(json!("0")),
            },
            "paths": paths,
            "components": {"schemas": self.schemas},
        });
        let lowered: OpenAPI = serde_json::from_value(lowered).map_err(|e| {
            GenError::at(
                self.spec_name,
                format!("internal: lowered spec is not OpenAPI: {e}"),
            )
        })?;
        Ok(Normalised {
            lowered,
            model: ApiModel {
                operations,
                string_enums,
                unions,
                rules,
            },
        })
    }

    fn place(&self, pointer: &str) -> String {
        format!("{}: {pointer}", self.spec_name)
    }

    /// Follows `$ref`s from `value` to the object they name.
    fn resolve<'v>(&'v self, mut value: &'v Value) -> Result<&'v Value> {
        for _ in 0..MAX_REF_DEPTH {
            let Some(target) = value.get("$ref").and_then(Value::as_str) else {
                return Ok(value);
            };
            value = match target.strip_prefix(SCHEMA_REF) {
                Some(name) => self.schemas.get(&unescape(name)),
                None => target.strip_prefix('#').and_then(|p| self.doc.pointer(p)),
            }
            .ok_or_else(|| GenError::at(self.spec_name, format!("dangling $ref `{target}`")))?;
        }
        Err(GenError::at(self.spec_name, "$ref chain too deep (a cycle?)"))
    }

    fn lower_operations(&mut self) -> Result<(Map<String, Value>, Vec<Operation>)> {
        let paths = self
            .doc
            .get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut lowered_paths = Map::new();
        let mut operations = Vec::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for (path, item) in &paths {
            let item_place = format!("#/paths/{}", escape(path));
            if item.get("$ref").is_some() {
                return Err(GenError::at(
                    self.place(&item_place),
                    "path item $ref is not supported; inline the path item",
                ));
            }
            let shared_params = item.get("parameters").and_then(Value::as_array);
            let mut lowered_item = Map::new();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let place = format!("{item_place}/{method}");
                let spec_id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| GenError::at(self.place(&place), "operation has no operationId"))?;
                let name = snake_ident(spec_id);
                let here = format!("{} {path}", method.to_uppercase());
                if let Some(previous) = names.insert(name.clone(), here.clone()) {
                    return Err(GenError::at(
                        self.place(&place),
                        format!(
                            "operationId `{spec_id}` gives the method name `{name}`, already \
                             used by {previous}; operationIds must be unique"
                        ),
                    ));
                }
                let (lowered, operation) =
                    self.lower_operation(op, shared_params, &name, spec_id, method, path, &place)?;
                lowered_item.insert(method.to_string(), lowered);
                operations.push(operation);
            }
            lowered_paths.insert(path.clone(), Value::Object(lowered_item));
        }
        Ok((lowered_paths, operations))
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_operation(
        &mut self,
        op: &Value,
        shared_params: Option<&Vec<Value>>,
        name: &str,
        spec_id: &str,
        method: &str,
        path: &str,
        place: &str,
    ) -> Result<(Value, Operation)> {
        let op_pascal = pascal_ident(name);
        let (lowered_params, params) =
            self.lower_params(shared_params, op.get("parameters"), &op_pascal, place)?;
        let (lowered_body, body_rule) = match op.get("requestBody") {
            Some(body) => {
                let (lowered, rule) = self.lower_body(body, &op_pascal, place)?;
                (Some(lowered), Some(rule))
            }
            None => (None, None),
        };
        let result = self.lower_result(op.get("responses"), &op_pascal, place)?;
        // progenitor names each argument after its parameter, and the body `body`.
        let mut arguments: BTreeMap<String, &str> = BTreeMap::new();
        if op.get("requestBody").is_some() {
            arguments.insert("body".into(), "the request body");
        }
        for p in &params {
            let ident = param_ident(&p.api_name);
            if let Some(first) = arguments.insert(ident.clone(), &p.api_name) {
                return Err(GenError::at(
                    self.place(place),
                    format!(
                        "parameter `{}` and {} both become the Rust argument `{ident}`; rename one",
                        p.api_name,
                        if first == "the request body" {
                            first.to_string()
                        } else {
                            format!("parameter `{first}`")
                        }
                    ),
                ));
            }
        }

        let mut lowered = Map::new();
        lowered.insert("operationId".into(), json!(name));
        for key in ["summary", "description"] {
            if let Some(text) = op.get(key) {
                lowered.insert(key.into(), text.clone());
            }
        }
        lowered.insert("parameters".into(), Value::Array(lowered_params));
        if let Some(body) = lowered_body {
            lowered.insert("requestBody".into(), body);
        }
        // Success bodies come back as bytes: the runtime decodes Cloudflare's envelope itself,
        // with the status and headers at hand. Non-2xx statuses reach it unread for the same reason.
        lowered.insert(
            "responses".into(),
            json!({"2XX": {
                "description": "success",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            }}),
        );
        let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_string);
        let operation = Operation {
            name: name.to_string(),
            spec_id: spec_id.to_string(),
            method: method.to_uppercase(),
            path: path.to_string(),
            summary: text("summary"),
            description: text("description"),
            params,
            body: body_rule,
            result,
        };
        Ok((Value::Object(lowered), operation))
    }

    fn lower_params(
        &mut self,
        shared: Option<&Vec<Value>>,
        own: Option<&Value>,
        op_pascal: &str,
        place: &str,
    ) -> Result<(Vec<Value>, Vec<Param>)> {
        // Operation-level parameters override path-level ones with the same name and location.
        let mut merged: Vec<(String, String, Value)> = Vec::new();
        let own = own.and_then(Value::as_array);
        for (i, raw) in shared
            .into_iter()
            .flatten()
            .chain(own.into_iter().flatten())
            .enumerate()
        {
            let param = self.resolve(raw)?.clone();
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let location = param
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if name.is_empty() {
                return Err(GenError::at(
                    self.place(&format!("{place}/parameters/{i}")),
                    "parameter has no name",
                ));
            }
            merged.retain(|(n, l, _)| !(n == &name && l == &location));
            merged.push((name, location, param));
        }

        let mut lowered = Vec::new();
        let mut params = Vec::new();
        for (name, location, param) in merged {
            let param_place = self.place(&format!("{place} parameter `{name}`"));
            let (kind, default_style) = match location.as_str() {
                "path" => (ParamLocation::Path, "simple"),
                "query" => (ParamLocation::Query, "form"),
                "header" => (ParamLocation::Header, "simple"),
                other => {
                    return Err(GenError::at(
                        param_place,
                        format!("parameters in `{other}` are not supported"),
                    ));
                }
            };
            let style = param
                .get("style")
                .and_then(Value::as_str)
                .unwrap_or(default_style);
            let explode = param
                .get("explode")
                .and_then(Value::as_bool)
                .unwrap_or(style == "form");
            if style != default_style || explode != (style == "form") {
                return Err(GenError::at(
                    param_place,
                    format!(
                        "parameter style `{style}` (explode: {explode}) is not supported; use \
                         the default style for `{location}` parameters"
                    ),
                ));
            }
            if param.get("content").is_some() {
                return Err(GenError::at(
                    param_place,
                    "parameters described with `content` are not supported; use `schema`",
                ));
            }
            let schema = param
                .get("schema")
                .ok_or_else(|| GenError::at(param_place.clone(), "parameter has no schema"))?;
            let mut schema = self.resolve(schema)?.clone();
            if string_enum_values(&schema).is_some() {
                let hoisted = self.insert_unique(format!("{op_pascal}{}", pascal_ident(&name)), schema);
                schema = json!({"$ref": format!("{SCHEMA_REF}{hoisted}")});
            }
            let rule = constraints::rule_of(&schema, &param_place)?;
            lift_constraints(&mut schema);
            let required =
                kind == ParamLocation::Path || param.get("required").and_then(Value::as_bool) == Some(true);
            let mut lowered_param =
                json!({"name": name, "in": location, "required": required, "schema": schema});
            if let Some(description) = param.get("description") {
                lowered_param["description"] = description.clone();
            }
            lowered.push(lowered_param);
            params.push(Param {
                api_name: name,
                location: kind,
                rule,
            });
        }
        Ok((lowered, params))
    }

    fn lower_body(
        &mut self,
        body: &Value,
        op_pascal: &str,
        place: &str,
    ) -> Result<(Value, crate::model::Rule)> {
        let body = self.resolve(body)?.clone();
        let content = body
            .get("content")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let Some(media) = content.iter().find(|(k, _)| is_json(k)).map(|(_, v)| v) else {
            let kinds: Vec<_> = content.keys().cloned().collect();
            return Err(GenError::at(
                self.place(&format!("{place}/requestBody")),
                format!("request body content {kinds:?} is not supported; only application/json"),
            ));
        };
        let schema = media.get("schema").cloned().unwrap_or(json!({}));
        let rule = constraints::rule_of(&schema, &self.place(&format!("{place}/requestBody")))?;
        let schema = self.named_or_simple(schema, format!("{op_pascal}Body"))?;
        let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
        let lowered = json!({"required": required, "content": {"application/json": {"schema": schema}}});
        Ok((lowered, rule))
    }

    /// Keeps `schema` if it is a reference or a shape we can spell; otherwise hoists it into a
    /// component called `name` and returns a reference to that.
    fn named_or_simple(&mut self, schema: Value, name: String) -> Result<Value> {
        if schema.get("$ref").is_some() || self.simple_type(&schema).is_some() {
            return Ok(schema);
        }
        let name = self.insert_unique(name, schema);
        Ok(json!({"$ref": format!("{SCHEMA_REF}{name}")}))
    }

    fn lower_result(
        &mut self,
        responses: Option<&Value>,
        op_pascal: &str,
        place: &str,
    ) -> Result<ResultShape> {
        let responses = responses.and_then(Value::as_object).cloned().unwrap_or_default();
        let mut bodies: Vec<Value> = Vec::new();
        for (status, response) in &responses {
            if !(status.starts_with('2') && status.len() == 3) {
                continue;
            }
            let response = self.resolve(response)?;
            let content = response.get("content").and_then(Value::as_object);
            let json_schema = content
                .and_then(|c| c.iter().find(|(k, _)| is_json(k)))
                .map(|(_, media)| media.get("schema").cloned().unwrap_or(json!({})));
            if let Some(schema) = json_schema
                && !bodies.contains(&schema)
            {
                bodies.push(schema);
            }
        }
        let body = match bodies.len() {
            0 => return Ok(ResultShape::Empty),
            1 => bodies.remove(0),
            _ => {
                return Err(GenError::at(
                    self.place(&format!("{place}/responses")),
                    "success responses declare different bodies; one operation must return one type",
                ));
            }
        };
        match self.envelope_parts(&body)? {
            Some((result, has_result_info)) => {
                let result = self.named_or_simple(result, format!("{op_pascal}Result"))?;
                let expr = self.type_expr(&result, place)?;
                Ok(match expr {
                    TypeExpr::List(item) if has_result_info => ResultShape::Paged { item: *item },
                    expr => ResultShape::Enveloped(expr),
                })
            }
            None => {
                let body = self.named_or_simple(body, format!("{op_pascal}Response"))?;
                Ok(ResultShape::Bare(self.type_expr(&body, place)?))
            }
        }
    }

    /// If `schema` is Cloudflare's envelope (directly, by reference or through `allOf`),
    /// returns the `result` schema and whether `result_info` is declared.
    fn envelope_parts(&self, schema: &Value) -> Result<Option<(Value, bool)>> {
        let mut properties = Map::new();
        self.collect_properties(schema, &mut properties, 0)?;
        let is_envelope = properties.contains_key("result")
            && (properties.contains_key("success") || properties.contains_key("errors"));
        Ok(is_envelope.then(|| {
            let result = properties.get("result").cloned().unwrap_or(json!({}));
            (result, properties.contains_key("result_info"))
        }))
    }

    fn collect_properties(&self, schema: &Value, out: &mut Map<String, Value>, depth: usize) -> Result<()> {
        if depth > MAX_REF_DEPTH {
            return Err(GenError::at(self.spec_name, "allOf nesting too deep (a cycle?)"));
        }
        let schema = self.resolve(schema)?;
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.collect_properties(part, out, depth + 1)?;
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            // Later members of an allOf refine earlier ones, so the last definition wins.
            for (k, v) in props {
                out.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    }

    /// Spells a schema that is a reference or a simple shape.
    fn type_expr(&self, schema: &Value, place: &str) -> Result<TypeExpr> {
        self.simple_type(schema).ok_or_else(|| {
            GenError::at(
                self.place(place),
                format!("internal: no Rust type for schema {schema}"),
            )
        })
    }

    fn simple_type(&self, schema: &Value) -> Option<TypeExpr> {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            return target
                .strip_prefix(SCHEMA_REF)
                .map(|n| TypeExpr::Named(unescape(n)));
        }
        let structural = [
            "properties",
            "allOf",
            "oneOf",
            "anyOf",
            "enum",
            "additionalProperties",
            "not",
        ];
        if structural.iter().any(|k| schema.get(k).is_some()) {
            return None;
        }
        let base = match schema.get("type").and_then(Value::as_str) {
            Some("string") if schema.get("format").and_then(Value::as_str) == Some("date-time") => {
                TypeExpr::DateTime
            }
            Some("string") => TypeExpr::String,
            Some("integer") => TypeExpr::Integer,
            Some("number") => TypeExpr::Number,
            Some("boolean") => TypeExpr::Boolean,
            Some("array") => TypeExpr::List(Box::new(self.simple_type(schema.get("items")?)?)),
            Some(_) => return None,
            None => TypeExpr::Json,
        };
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
        Some(if nullable && base != TypeExpr::Json {
            TypeExpr::Nullable(Box::new(base))
        } else {
            base
        })
    }

    /// Inserts a component under `wanted`, or `wanted2`, `wanted3`... if the name is taken.
    fn insert_unique(&mut self, wanted: String, schema: Value) -> String {
        let mut name = wanted.clone();
        let mut n = 2;
        while self.schemas.contains_key(&name) {
            name = format!("{wanted}{n}");
            n += 1;
        }
        self.schemas.insert(name.clone(), schema);
        name
    }

    /// Registers every string enum: component-level ones as they are, inline ones hoisted into
    /// components named after where they sit (`ReserveClearStatus.state` -> `ReserveClearStatusState`).
    fn hoist_string_enums(&mut self) -> Vec<StringEnum> {
        let mut enums = Vec::new();
        // Components are visited in name order, so when two hoisted enums want one name the
        // suffixes (`wanted2`, ...) go the same way on every run.
        let names: Vec<String> = self.schemas.keys().cloned().collect();
        for name in names {
            let Some(slot) = self.schemas.get_mut(&name) else {
                continue;
            };
            if let Some(values) = string_enum_values(slot) {
                enums.push(StringEnum {
                    description: description_of(slot),
                    name,
                    values,
                });
                continue;
            }
            // Taken out (its name stays taken) so hoisting can insert beside it.
            let mut schema = std::mem::take(slot);
            let mut found = Vec::new();
            hoist_inline_enums(&mut schema, &name, true, &mut found);
            for (wanted, enum_schema, slot) in found {
                let description = description_of(&enum_schema);
                let values = string_enum_values(&enum_schema).unwrap_or_default();
                let hoisted = self.insert_unique(wanted, enum_schema);
                set_slot(&mut schema, &slot, &hoisted);
                enums.push(StringEnum {
                    description,
                    name: hoisted,
                    values,
                });
            }
            self.schemas.insert(name, schema);
        }
        // The order the types file lists them in.
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        enums
    }

    /// Finds `oneOf` components whose branches are each an object with exactly one required key
    /// (and nothing else allowed): those become Rust enums where each variant is one form.
    fn find_unions(&self) -> Vec<OneKeyUnion> {
        let mut unions = Vec::new();
        for (name, schema) in &self.schemas {
            let Some(branches) = schema.get("oneOf").and_then(Value::as_array) else {
                continue;
            };
            let mut variants = Vec::new();
            for branch in branches {
                let Some(variant) = self.single_key_branch(branch) else {
                    break;
                };
                variants.push(variant);
            }
            if variants.len() != branches.len() || variants.is_empty() {
                continue;
            }
            strip_common_prefix(&mut variants);
            unions.push(OneKeyUnion {
                name: name.clone(),
                description: description_of(schema),
                variants,
            });
        }
        unions
    }

    fn single_key_branch(&self, branch: &Value) -> Option<UnionVariant> {
        let branch_name = branch
            .get("$ref")?
            .as_str()?
            .strip_prefix(SCHEMA_REF)
            .map(unescape)?;
        let schema = self.schemas.get(&branch_name)?;
        let properties = schema.get("properties")?.as_object()?;
        let (key, value) = properties.iter().next().filter(|_| properties.len() == 1)?;
        let required = schema.get("required")?.as_array()?;
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        if required.len() != 1 || required[0].as_str() != Some(key.as_str()) || !closed {
            return None;
        }
        let payload = if value.get("type").and_then(Value::as_str) == Some("boolean")
            && value.get("enum") == Some(&json!([true]))
        {
            None
        } else {
            Some(self.simple_type(value)?)
        };
        Some(UnionVariant {
            name: branch_name,
            key: key.clone(),
            payload,
            description: description_of(value).or_else(|| description_of(schema)),
        })
    }

    /// The rules of every component reachable from a parameter or request body.
    fn request_rules(&self, operations: &[Operation]) -> Result<Vec<NamedRule>> {
        let mut pending = Vec::new();
        for op in operations {
            for param in &op.params {
                constraints::named_in(&param.rule, &mut pending);
            }
            if let Some(body) = &op.body {
                constraints::named_in(body, &mut pending);
            }
        }
        let mut rules: BTreeMap<String, NamedRule> = BTreeMap::new();
        while let Some(name) = pending.pop() {
            if rules.contains_key(&name) {
                continue;
            }
            let place = self.place(&format!("{SCHEMA_REF}{name}"));
            let schema = self
                .schemas
                .get(&name)
                .ok_or_else(|| GenError::at(place.clone(), "dangling $ref"))?;
            let rule = constraints::rule_of(schema, &place)?;
            constraints::named_in(&rule, &mut pending);
            rules.insert(
                name.clone(),
                NamedRule {
                    name,
                    rule,
                    has_type: false,
                },
            );
        }
        Ok(rules.into_values().collect())
    }

    /// Drops components no operation can reach: envelope pieces, union branches and anything
    /// the spec declares but never uses. The types crate holds exactly the API's models.
    fn prune_unreachable(
        &mut self,
        paths: &Map<String, Value>,
        operations: &[Operation],
        unions: &[OneKeyUnion],
    ) {
        let mut pending: Vec<String> = Vec::new();
        collect_schema_refs(&Value::Object(paths.clone()), &mut pending);
        for op in operations {
            match &op.result {
                ResultShape::Empty => {}
                ResultShape::Bare(t) | ResultShape::Enveloped(t) | ResultShape::Paged { item: t } => {
                    named_in(t, &mut pending)
                }
            }
        }
        let union_payloads: BTreeMap<&str, Vec<String>> = unions
            .iter()
            .map(|u| {
                let mut refs = Vec::new();
                for v in &u.variants {
                    if let Some(t) = &v.payload {
                        named_in(t, &mut refs);
                    }
                }
                (u.name.as_str(), refs)
            })
            .collect();
        let mut reachable = BTreeSet::new();
        while let Some(name) = pending.pop() {
            if !reachable.insert(name.clone()) {
                continue;
            }
            match union_payloads.get(name.as_str()) {
                Some(refs) => pending.extend(refs.iter().cloned()),
                None => {
                    if let Some(schema) = self.schemas.get(&name) {
                        collect_schema_refs(schema, &mut pending);
                    }
                }
            }
        }
        self.schemas.retain(|name, _| reachable.contains(name));
    }
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence == "application/json" || essence.ends_with("+json")
}

fn description_of(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The listed values if `schema` is a string enum (nulls are dropped: they mean "nullable").
fn string_enum_values(schema: &Value) -> Option<Vec<String>> {
    let listed = schema.get("enum")?.as_array()?;
    let declared = schema.get("type").and_then(Value::as_str);
    if !matches!(declared, None | Some("string")) {
        return None;
    }
    let mut values = Vec::new();
    for value in listed {
        match value {
            Value::String(s) => {
                if !values.contains(s) {
                    values.push(s.clone());
                }
            }
            Value::Null => {}
            _ => return None,
        }
    }
    (!values.is_empty()).then_some(values)
}

/// A path to a nested schema slot, so a hoisted schema can be swapped for its reference.
type Slot = Vec<String>;

fn hoist_inline_enums(schema: &mut Value, context: &str, top: bool, found: &mut Vec<(String, Value, Slot)>) {
    walk_children(schema, context, Vec::new(), top, found);
}

fn walk_children(
    schema: &Value,
    context: &str,
    slot: Slot,
    top: bool,
    found: &mut Vec<(String, Value, Slot)>,
) {
    if !top && string_enum_values(schema).is_some() {
        found.push((context.to_string(), schema.clone(), slot));
        return;
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, child) in props {
            let mut s = slot.clone();
            s.extend(["properties".to_string(), key.clone()]);
            walk_children(child, &format!("{context}{}", pascal_ident(key)), s, false, found);
        }
    }
    if let Some(items) = schema.get("items") {
        let mut s = slot.clone();
        s.push("items".into());
        walk_children(items, &format!("{context}Item"), s, false, found);
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        let mut s = slot.clone();
        s.push("additionalProperties".into());
        walk_children(extra, &format!("{context}Value"), s, false, found);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            for (i, member) in members.iter().enumerate() {
                let mut s = slot.clone();
                s.extend([key.to_string(), i.to_string()]);
                let name = if members.len() == 1 {
                    context.to_string()
                } else {
                    format!("{context}Variant{i}")
                };
                walk_children(member, &name, s, false, found);
            }
        }
    }
}

fn set_slot(schema: &mut Value, slot: &Slot, component: &str) {
    let mut target = schema;
    for step in slot {
        target = match target {
            Value::Array(items) => match step.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(next) => next,
                None => return,
            },
            Value::Object(map) => match map.get_mut(step) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
    let nullable = target.get("nullable").and_then(Value::as_bool) == Some(true)
        || target
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|v| v.contains(&Value::Null));
    let description = target.get("description").cloned();
    let reference = json!({"$ref": format!("{SCHEMA_REF}{component}")});
    *target = if nullable {
        json!({"nullable": true, "allOf": [reference]})
    } else {
        reference
    };
    if let (Some(d), Some(obj)) = (description, target.as_object_mut())
        && nullable
    {
        obj.insert("description".into(), d);
    }
}

/// Removes the validation keywords (they become runtime checks) and closedness (a tolerant
/// reader keeps working when the server adds fields), recursively through the schema.
fn lift_constraints(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    for key in LIFTED_KEYWORDS {
        map.remove(key);
    }
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    if let Some(format) = map.get("format").and_then(Value::as_str)
        && !KEPT_FORMATS.contains(&format)
    {
        map.remove("format");
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(lift_constraints);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = map.get_mut(key) {
            lift_constraints(child);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = map.get_mut(key) {
            members.iter_mut().for_each(lift_constraints);
        }
    }
}

fn collect_schema_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix(SCHEMA_REF) {
                            out.push(unescape(name));
                        }
                    }
                    ("example" | "examples" | "default", _) => {}
                    _ => collect_schema_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_schema_refs(v, out)),
        _ => {}
    }
}

fn named_in(t: &TypeExpr, out: &mut Vec<String>) {
    match t {
        TypeExpr::Named(n) => out.push(n.clone()),
        TypeExpr::List(inner) | TypeExpr::Nullable(inner) => named_in(inner, out),
        _ => {}
    }
}

/// `PurgeEverything`, `PurgeFiles` -> `Everything`, `Files`: the shared leading words say
/// nothing inside `PurgeRequest::...`.
fn strip_common_prefix(variants: &mut [UnionVariant]) {
    let words: Vec<Vec<String>> = variants.iter().map(|v| split_words(&v.name)).collect();
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    let mut common = 0;
    while common < shortest && words.iter().all(|w| w[common] == words[0][common]) {
        common += 1;
    }
    // Every variant must keep at least one word of its own.
    if variants.len() < 2 || words.iter().any(|w| w.len() <= common) {
        return;
    }
    let stripped: Vec<String> = words.iter().map(|w| w[common..].concat()).collect();
    // `PurgeSelf` must not become the variant `Self`.
    if stripped.iter().any(|name| !typify::accept_as_ident(name)) {
        return;
    }
    for (variant, name) in variants.iter_mut().zip(stripped) {
        variant.name = name;
    }
}

fn split_words(pascal: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in pascal.chars() {
        match words.last_mut() {
            Some(word) if !c.is_uppercase() => word.push(c),
            _ => words.push(c.to_string()),
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifting_removes_validation_keywords_but_keeps_property_names() {
        let mut schema = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "pattern": {"type": "string", "maxLength": 32, "pattern": "^a$"},
                "ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "format": "uri", "minLength": 1}},
                "at": {"type": "string", "format": "date-time"}
            }
        });
        lift_constraints(&mut schema);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string"},
                    "ids": {"type": "array", "items": {"type": "string"}},
                    "at": {"type": "string", "format": "date-time"}
                }
            })
        );
    }

    #[test]
    fn common_prefix_is_stripped_at_word_boundaries() {
        let variant = |name: &str| UnionVariant {
            name: name.into(),
            key: String::new(),
            payload: None,
            description: None,
        };
        let mut variants = vec![
            variant("PurgeEverything"),
            variant("PurgeFiles"),
            variant("PurgeFilesWithHeaders"),
        ];
        strip_common_prefix(&mut variants);
        let names: Vec<_> = variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Everything", "Files", "FilesWithHeaders"]);

        let mut variants = vec![variant("PurgeSelf"), variant("PurgeType")];
        strip_common_prefix(&mut variants);
        assert_eq!(
            variants[0].name, "PurgeSelf",
            "a variant may not become a keyword"
        );

        let mut variants = vec![variant("Files"), variant("FilesWithHeaders")];
        strip_common_prefix(&mut variants);
        assert_eq!(variants[0].name, "Files", "a variant may not lose its only word");
    }

    #[test]
    fn string_enums_drop_null_and_reject_mixed_types() {
        assert_eq!(
            string_enum_values(&json!({"type": "string", "enum": ["on", "off", null]})),
            Some(vec!["on".into(), "off".into()])
        );
        assert_eq!(string_enum_values(&json!({"enum": [1, "a"]})), None);
        assert_eq!(
            string_enum_values(&json!({"type": "boolean", "enum": [true]})),
            None
        );
    }
}
