//! Operations: each path item's methods lowered for progenitor (names made Rust-ready,
//! parameters inlined, success bodies handed back as bytes) and described in our model
//! (parameters, body rule, result shape).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{METHODS, MAX_REF_DEPTH, Normaliser, SCHEMA_REF, escape};
use crate::constraints;
use crate::error::{GenError, Result};
use crate::model::{Operation, Param, ParamLocation, ResultShape, TypeExpr};
use crate::naming::{param_ident, pascal_ident, snake_ident};
use super::enums::string_enum_values;
use super::lift::lift_constraints;

impl Normaliser<'_> {
    pub(super) fn lower_operations(&mut self) -> Result<(Map<String, Value>, Vec<Operation>)> {
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
                let hoisted = self.insert_unique(format!("{op_pascal}{}", pascal_ident(&name)), &param_place, schema);
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
        let schema = self.named_or_simple(schema, format!("{op_pascal}Body"), &format!("{place}/requestBody"))?;
        let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
        let lowered = json!({"required": required, "content": {"application/json": {"schema": schema}}});
        Ok((lowered, rule))
    }

    /// Keeps `schema` if it is a reference or a shape we can spell; otherwise hoists it into a
    /// component called `name` and returns a reference to that.
    fn named_or_simple(&mut self, schema: Value, name: String, origin: &str) -> Result<Value> {
        if schema.get("$ref").is_some() || self.simple_type(&schema).is_some() {
            return Ok(schema);
        }
        let name = self.insert_unique(name, origin, schema);
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
                let result = self.named_or_simple(result, format!("{op_pascal}Result"), &format!("{place}/responses"))?;
                let expr = self.type_expr(&result, place)?;
                Ok(match expr {
                    TypeExpr::List(item) if has_result_info => ResultShape::Paged { item: *item },
                    expr => ResultShape::Enveloped(expr),
                })
            }
            None => {
                let body = self.named_or_simple(body, format!("{op_pascal}Response"), &format!("{place}/responses"))?;
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
}

pub(super) fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence == "application/json" || essence.ends_with("+json")
}
