//! What requests and responses reach: the validation rules of every component a request can
//! carry, and the components an operation can return (the rest is pruned).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::refs::collect_schema_refs;
use super::{Normaliser, SCHEMA_REF};
use crate::constraints;
use crate::error::{GenError, Result};
use crate::model::{NamedRule, OneKeyUnion, Operation, ResultShape, TypeExpr};

impl Normaliser<'_> {
    /// The rules of every component reachable from a parameter or request body.
    pub(super) fn request_rules(&self, operations: &[Operation]) -> Result<Vec<NamedRule>> {
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
    pub(super) fn prune_unreachable(
        &mut self,
        paths: &Map<String, Value>,
        operations: &[Operation],
        unions: &[OneKeyUnion],
    ) {
        let mut pending: Vec<String> = Vec::new();
        collect_schema_refs(&Value::Object(paths.clone()), &mut pending);
        for op in operations {
            match &op.result {
                ResultShape::Empty | ResultShape::Bytes => {}
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

pub(super) fn named_in(t: &TypeExpr, out: &mut Vec<String>) {
    match t {
        TypeExpr::Named(n) => out.push(n.clone()),
        TypeExpr::List(inner) | TypeExpr::Nullable(inner) => named_in(inner, out),
        _ => {}
    }
}
