//! Single-key unions: `oneOf` components whose branches are each an object with exactly one
//! required key, which become Rust enums where each variant is one form.

use serde_json::{Value, json};

use super::{Normaliser, SCHEMA_REF, description_of, unescape};
use crate::model::{OneKeyUnion, UnionVariant};

impl Normaliser<'_> {
    /// Finds `oneOf` components whose branches are each an object with exactly one required key
    /// (and nothing else allowed): those become Rust enums where each variant is one form.
    pub(super) fn find_unions(&self) -> Vec<OneKeyUnion> {
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
}

/// `PurgeEverything`, `PurgeFiles` -> `Everything`, `Files`: the shared leading words say
/// nothing inside `PurgeRequest::...`.
pub(super) fn strip_common_prefix(variants: &mut [UnionVariant]) {
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

pub(super) fn split_words(pascal: &str) -> Vec<String> {
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
}
