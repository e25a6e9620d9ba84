//! Stage 2: lower the spec into
//! - a document progenitor can turn into a request-building client and typify into models
//!   (names made Rust-ready, parameters inlined, constraints lifted out of the types, success
//!   bodies handed back as raw bytes for the runtime to decode), and
//! - our [`ApiModel`] of what progenitor cannot express: Cloudflare's result envelope,
//!   open string enums and single-key unions.
//!
//! The work happens on the JSON form of the document: one structural walker covers every
//! way a schema can nest, where the typed model splits it across several kinds.

mod enums;
mod lift;
mod operations;
mod placeholders;
mod reach;
mod refs;
mod unions;
mod walk;

use std::collections::BTreeSet;

use openapiv3::OpenAPI;
use serde_json::{Map, Value, json};

use crate::error::{GenError, Result, Skipped};
use crate::load::LoadedSpec;
use crate::model::{ApiModel, TypeExpr};
use lift::lift_constraints;

const SCHEMA_REF: &str = "#/components/schemas/";
/// Methods in the order progenitor visits them, so our order matches its output.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// `$ref` chains longer than this are treated as cycles.
const MAX_REF_DEPTH: usize = 32;

/// The two outputs of this stage.
pub struct Normalised {
    /// What progenitor and typify see.
    pub lowered: OpenAPI,
    /// What our own emitters see.
    pub model: ApiModel,
    /// Operations left out (only with `skip_unsupported`).
    pub skipped: Vec<Skipped>,
}

/// Lowers `spec`; fails with the place of the first construct we cannot handle, or with
/// `skip_unsupported` leaves out each operation using a construct we do not support.
pub fn normalise(spec: &LoadedSpec, skip_unsupported: bool) -> Result<Normalised> {
    let doc = serde_json::to_value(&spec.openapi)
        .map_err(|e| GenError::at(&spec.name, format!("cannot re-read the document: {e}")))?;
    refs::check_refs(&doc, &spec.name)?;
    let doc = refs::rename_schemas(doc);
    Normaliser::new(doc, &spec.name, skip_unsupported).run()
}

impl Normalised {
    /// The spec's `operationId` of the operation our model calls `name`.
    pub fn skipped_id(&self, name: &str) -> String {
        self.model
            .operations
            .iter()
            .find(|op| op.name == name)
            .map_or_else(|| name.to_string(), |op| op.spec_id.clone())
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

struct Normaliser<'a> {
    doc: Value,
    spec_name: &'a str,
    /// Component schemas, growing as inline schemas are hoisted into named ones.
    schemas: Map<String, Value>,
    /// Whether an unsupported operation is left out rather than refused.
    skip_unsupported: bool,
    /// What was left out.
    skipped: Vec<Skipped>,
    /// Names handed to progenitor and typify in place of colliding wire names.
    placeholders: placeholders::Placeholders,
}

impl<'a> Normaliser<'a> {
    fn new(mut doc: Value, spec_name: &'a str, skip_unsupported: bool) -> Self {
        let schemas = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .map(std::mem::take)
            .unwrap_or_default();
        Self {
            doc,
            spec_name,
            schemas,
            skip_unsupported,
            skipped: Vec::new(),
            placeholders: placeholders::Placeholders::default(),
        }
    }

    fn run(mut self) -> Result<Normalised> {
        let (mut paths, operations) = self.lower_operations()?;
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
        lift::split_nullable_unions(&mut self.schemas);
        for schema in self.schemas.values_mut() {
            lift_constraints(schema);
            placeholders::separate_fields(schema, &mut self.placeholders);
        }
        for item in paths.values_mut() {
            placeholders::separate_fields(item, &mut self.placeholders);
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
                wire_names: self.placeholders.into_map(),
            },
            skipped: self.skipped,
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

    /// Inserts a component under `wanted`; when that is taken, under `wanted` plus a short hash
    /// of `origin` (where the schema sits in the spec), so the name does not depend on order.
    fn insert_unique(&mut self, wanted: String, origin: &str, schema: Value) -> String {
        let wanted = crate::naming::pascal_ident(&wanted);
        let mut name = wanted.clone();
        let mut salt = origin.to_string();
        while self.schemas.contains_key(&name) {
            name = crate::naming::pascal_ident(&format!("{wanted} {}", crate::naming::short_hash(&salt)));
            salt.push('~');
        }
        self.schemas.insert(name.clone(), schema);
        name
    }
}

fn description_of(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string)
}
