//! Operations: each path item's methods lowered for progenitor (names made Rust-ready,
//! parameters inlined, success bodies handed back as bytes) and described in our model
//! (parameters, body, result shape). An operation using a construct we cannot generate is
//! refused, or with `--skip-unsupported` left out and listed.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::enums::string_enum_values;
use super::lift::lift_constraints;
use super::{MAX_REF_DEPTH, METHODS, Normaliser, SCHEMA_REF, escape};
use crate::constraints;
use crate::error::{GenError, Result, Skipped};
use crate::model::{Operation, Param, ParamLocation, ResultShape, Rule, TypeExpr};
use crate::naming::{distinct, param_ident, pascal_ident, short_hash, snake_ident};

/// The header that carries a raw body's media type (progenitor's request builder sets
/// `application/octet-stream`; a header parameter of this name replaces it).
const CONTENT_TYPE: &str = "content-type";

/// One operation's parameters and body as lowered for progenitor and as our model sees them.
struct Lowered {
    /// Parameters for progenitor.
    params: Vec<Value>,
    /// Parameters for our model.
    model: Vec<Param>,
    /// The path template with path parameters renamed where their arguments were.
    path: String,
}

/// An operation's request body.
struct Body {
    /// For progenitor.
    lowered: Value,
    /// The JSON body's rule, or the raw body's media types.
    kind: BodyKind,
}

enum BodyKind {
    Json(Rule),
    Raw(Vec<String>),
}

impl Normaliser<'_> {
    pub(super) fn lower_operations(&mut self) -> Result<(Map<String, Value>, Vec<Operation>)> {
        let paths = self
            .doc
            .get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // Every operation first, so method names are chosen knowing all of them.
        let mut found: Vec<(&String, &'static str, &Value, &str)> = Vec::new();
        let mut routes: BTreeMap<&str, String> = BTreeMap::new();
        for (path, item) in &paths {
            let item_place = format!("#/paths/{}", escape(path));
            if item.get("$ref").is_some() {
                return Err(GenError::at(
                    self.place(&item_place),
                    "path item $ref is not supported; inline the path item",
                ));
            }
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let place = format!("{item_place}/{method}");
                let spec_id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| GenError::at(self.place(&place), "operation has no operationId"))?;
                let here = format!("{} {path}", method.to_uppercase());
                if let Some(previous) = routes.insert(spec_id, here) {
                    return Err(GenError::at(
                        self.place(&place),
                        format!(
                            "operationId `{}` is already used by {previous}; operationIds must be unique",
                            snake_ident(spec_id)
                        ),
                    ));
                }
                found.push((path, method, op, spec_id));
            }
        }
        let ids: Vec<&str> = found.iter().map(|(_, _, _, id)| *id).collect();
        let names = distinct(&ids, snake_ident, &[]);

        let mut lowered_paths = Map::new();
        let mut operations = Vec::new();
        for (path, method, op, spec_id) in found {
            let place = format!("#/paths/{}/{method}", escape(path));
            let shared_params = paths
                .get(path)
                .and_then(|item| item.get("parameters"))
                .and_then(Value::as_array);
            let name = names
                .get(spec_id)
                .cloned()
                .unwrap_or_else(|| snake_ident(spec_id));
            match self.lower_operation(op, shared_params, &name, spec_id, method, path, &place) {
                Ok((template, lowered, operation)) => {
                    let item = lowered_paths
                        .entry(template)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Some(item) = item.as_object_mut() {
                        item.insert(method.to_string(), lowered);
                    }
                    operations.push(operation);
                }
                Err(reason) => match reason.unsupported {
                    Some(class) if self.skip_unsupported => self.skipped.push(Skipped {
                        operation: spec_id.to_string(),
                        route: format!("{} {path}", method.to_uppercase()),
                        class,
                        reason,
                    }),
                    _ => return Err(reason),
                },
            }
        }
        Ok((lowered_paths, operations))
    }

    /// Lowers one operation: the path template progenitor sees, the operation object and
    /// our model of it.
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
    ) -> Result<(String, Value, Operation)> {
        let op_pascal = pascal_ident(name);
        let body = match op.get("requestBody") {
            Some(body) => Some(self.lower_body(body, &op_pascal, place)?),
            None => None,
        };
        let raw_body = matches!(
            &body,
            Some(Body {
                kind: BodyKind::Raw(_),
                ..
            })
        );
        let params = self.lower_params(
            shared_params,
            op.get("parameters"),
            &op_pascal,
            path,
            place,
            body.is_some(),
            raw_body,
        )?;
        let result = self.lower_result(op.get("responses"), &op_pascal, place)?;

        let mut lowered = Map::new();
        lowered.insert("operationId".into(), json!(name));
        for key in ["summary", "description"] {
            if let Some(text) = op.get(key) {
                lowered.insert(key.into(), text.clone());
            }
        }
        lowered.insert("parameters".into(), Value::Array(params.params));
        let (body_rule, raw_media) = match body {
            Some(Body { lowered: body, kind }) => {
                lowered.insert("requestBody".into(), body);
                match kind {
                    BodyKind::Json(rule) => (Some(rule), None),
                    BodyKind::Raw(media) => (None, Some(media)),
                }
            }
            None => (None, None),
        };
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
            params: params.model,
            body: body_rule,
            raw_body: raw_media,
            result,
        };
        Ok((params.path, Value::Object(lowered), operation))
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_params(
        &mut self,
        shared: Option<&Vec<Value>>,
        own: Option<&Value>,
        op_pascal: &str,
        path: &str,
        place: &str,
        has_body: bool,
        raw_body: bool,
    ) -> Result<Lowered> {
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
        if raw_body {
            // The caller's content type replaces any the spec declares as a parameter.
            merged.retain(|(n, l, _)| !(l == "header" && n.eq_ignore_ascii_case(CONTENT_TYPE)));
            merged.push((
                CONTENT_TYPE.to_string(),
                "header".to_string(),
                json!({"name": CONTENT_TYPE, "in": "header", "required": true, "schema": {"type": "string"},
                       "description": "The media type of `body`."}),
            ));
        }
        let idents = argument_names(&merged, has_body);

        let mut out = Lowered {
            params: Vec::new(),
            model: Vec::new(),
            path: path.to_string(),
        };
        for ((name, location, param), ident) in merged.into_iter().zip(idents) {
            let param_place = self.place(&format!("{place} parameter `{name}`"));
            let (kind, default_style) = match location.as_str() {
                "path" => (ParamLocation::Path, "simple"),
                "query" => (ParamLocation::Query, "form"),
                "header" => (ParamLocation::Header, "simple"),
                other => {
                    return Err(GenError::unsupported(
                        "parameter location",
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
            if param.get("content").is_some() {
                return Err(GenError::unsupported(
                    "parameter content",
                    param_place,
                    "parameters described with `content` are not supported; use `schema`",
                ));
            }
            let schema = param
                .get("schema")
                .ok_or_else(|| GenError::at(param_place.clone(), "parameter has no schema"))?;
            let mut schema = self.resolve(schema)?.clone();
            let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
            // `form` without explode sends a list as one comma-separated value: the caller
            // passes that text. For a single value, explode changes nothing.
            let comma_list = style == "form" && !explode && is_array;
            if style != default_style || (explode != (style == "form") && is_array && !comma_list) {
                return Err(GenError::unsupported(
                    "parameter style",
                    param_place,
                    format!(
                        "parameter style `{style}` (explode: {explode}) is not supported; use \
                         the default style for `{location}` parameters"
                    ),
                ));
            }
            if comma_list {
                schema = json!({"type": "string"});
            }
            if kind == ParamLocation::Path
                && let Some(map) = schema.as_object_mut()
            {
                // A path segment is never null.
                map.remove("nullable");
            }
            // The rule of the inline schema: a hoisted component's rule would be a static of
            // its own that the parameter's could not name.
            let mut rule = constraints::rule_of(&schema, &param_place)?;
            // Enums (also inside a list) and other shapes we cannot spell become components,
            // where the enum pass finds them.
            if schema.get("$ref").is_none() && self.simple_type(&schema).is_none() {
                let is_enum = string_enum_values(&schema).is_some();
                let hoisted = self.insert_unique(
                    format!("{op_pascal}{}", pascal_ident(&name)),
                    &param_place,
                    schema,
                );
                schema = json!({"$ref": format!("{SCHEMA_REF}{hoisted}")});
                if is_enum {
                    rule = constraints::rule_of(&schema, &param_place)?;
                }
            }
            lift_constraints(&mut schema);
            let required =
                kind == ParamLocation::Path || param.get("required").and_then(Value::as_bool) == Some(true);
            // progenitor derives the argument from the name; where ours differs, it is handed a
            // name that derives to ours: the new name itself for a path parameter (its name
            // never travels), a placeholder for the others (restored in the emitted code).
            let lowered_name = if param_ident(&name) == ident {
                name.clone()
            } else if kind == ParamLocation::Path {
                out.path = out.path.replace(&format!("{{{name}}}"), &format!("{{{ident}}}"));
                ident.clone()
            } else {
                self.placeholders.add(&ident, &name)
            };
            let mut lowered_param =
                json!({"name": lowered_name, "in": location, "required": required, "schema": schema});
            let mut description = param
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            if comma_list {
                let note = "Several values are sent comma-separated, as one text.";
                description = Some(match description {
                    Some(d) => format!("{d}\n\n{note}"),
                    None => note.to_string(),
                });
            }
            if let Some(description) = description {
                lowered_param["description"] = json!(description);
            }
            out.params.push(lowered_param);
            out.model.push(Param {
                api_name: name,
                ident,
                location: kind,
                rule,
            });
        }
        Ok(out)
    }

    fn lower_body(&mut self, body: &Value, op_pascal: &str, place: &str) -> Result<Body> {
        let body = self.resolve(body)?.clone();
        let content = body
            .get("content")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
        let Some(media) = content.iter().find(|(k, _)| is_json(k)).map(|(_, v)| v) else {
            // Anything else travels as bytes with the caller's content type: progenitor's raw
            // body plus the `content-type` header parameter `lower_params` adds.
            return Ok(Body {
                lowered: json!({"required": true, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}
                }}}),
                kind: BodyKind::Raw(content.keys().cloned().collect()),
            });
        };
        let schema = media.get("schema").cloned().unwrap_or(json!({}));
        let rule = constraints::rule_of(&schema, &self.place(&format!("{place}/requestBody")))?;
        let mut schema = self.named_or_simple(
            schema,
            format!("{op_pascal}Body"),
            &format!("{place}/requestBody"),
        )?;
        // A plain inline body (a number, a list of strings) is lifted here; components are
        // lifted with the rest.
        lift_constraints(&mut schema);
        Ok(Body {
            lowered: json!({"required": required, "content": {"application/json": {"schema": schema}}}),
            kind: BodyKind::Json(rule),
        })
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

    /// What a success returns. Several 2xx responses with different JSON bodies return one of
    /// them (a `oneOf`, tried in status order); a success with only non-JSON content returns
    /// its bytes.
    fn lower_result(
        &mut self,
        responses: Option<&Value>,
        op_pascal: &str,
        place: &str,
    ) -> Result<ResultShape> {
        let responses = responses.and_then(Value::as_object).cloned().unwrap_or_default();
        let mut bodies: Vec<Value> = Vec::new();
        let mut other_content = false;
        for (status, response) in &responses {
            if !(status.starts_with('2') && status.len() == 3) {
                continue;
            }
            let response = self.resolve(response)?;
            let content = response.get("content").and_then(Value::as_object);
            let json_schema = content
                .and_then(|c| c.iter().find(|(k, _)| is_json(k)))
                .map(|(_, media)| media.get("schema").cloned().unwrap_or(json!({})));
            match json_schema {
                Some(schema) if !bodies.contains(&schema) => bodies.push(schema),
                Some(_) => {}
                None => other_content |= content.is_some_and(|c| !c.is_empty()),
            }
        }
        let origin = format!("{place}/responses");
        let body = match bodies.len() {
            0 if other_content => return Ok(ResultShape::Bytes),
            0 => return Ok(ResultShape::Empty),
            1 => bodies.remove(0),
            _ => {
                let mut results = Vec::new();
                for body in &bodies {
                    match self.envelope_parts(body)? {
                        Some((result, _)) => results.push(result),
                        None => break,
                    }
                }
                if results.len() == bodies.len() {
                    results.dedup();
                    let result = json!({"oneOf": results});
                    let result = self.named_or_simple(result, format!("{op_pascal}Result"), &origin)?;
                    return Ok(ResultShape::Enveloped(self.type_expr(&result, place)?));
                }
                json!({"oneOf": bodies})
            }
        };
        match self.envelope_parts(&body)? {
            Some((result, has_result_info)) => {
                let result = self.named_or_simple(result, format!("{op_pascal}Result"), &origin)?;
                let expr = self.type_expr(&result, place)?;
                Ok(match expr {
                    TypeExpr::List(item) if has_result_info => ResultShape::Paged { item: *item },
                    expr => ResultShape::Enveloped(expr),
                })
            }
            None => {
                let body = self.named_or_simple(body, format!("{op_pascal}Response"), &origin)?;
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

/// The Rust argument of each parameter: progenitor's name for it, unless that collides with
/// another parameter's or with the body's (`body`). Colliding ones add their location
/// (`id_path`, `id_query`), then, if that is not enough, a hash of location and name.
fn argument_names(params: &[(String, String, Value)], has_body: bool) -> Vec<String> {
    let count = |ident: &str, idents: &[String]| {
        idents.iter().filter(|i| *i == ident).count() + usize::from(has_body && ident == "body")
    };
    let base: Vec<String> = params.iter().map(|(name, _, _)| param_ident(name)).collect();
    let located: Vec<String> = params
        .iter()
        .zip(&base)
        .map(|((name, location, _), ident)| {
            if count(ident, &base) > 1 {
                param_ident(&format!("{name} {location}"))
            } else {
                ident.clone()
            }
        })
        .collect();
    params
        .iter()
        .zip(&located)
        .map(|((name, location, _), ident)| {
            if count(ident, &located) > 1 {
                param_ident(&format!(
                    "{name} {location} {}",
                    short_hash(&format!("{location} {name}"))
                ))
            } else {
                ident.clone()
            }
        })
        .collect()
}
