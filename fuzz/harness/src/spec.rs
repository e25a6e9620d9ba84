//! Targets `spec_text` and `spec_edit`: the generator on hostile specs.
//!
//! `spec_text` hands the bytes to the generator's reading stages as they are. Random text is
//! mostly refused early (bad YAML, no `openapi` key), so `spec_edit` starts from a small spec
//! that generates ([`BASE`]) and applies edits the bytes describe: removing, replacing,
//! copying and renaming nodes, adding schema keywords, wrapping schemas in combinators. Each
//! edited document goes through `xtask::lower` and, when that accepts it, through the whole
//! of `xtask::generate`, whose output must then parse as Rust.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::take_line;

/// The document `spec_edit` edits.
pub const BASE: &str = include_str!("../seeds/mini.yaml");

/// At most this many edits per input, so one input stays one small document.
const MAX_EDITS: usize = 16;

/// Runs `spec_text` on one input.
pub fn spec_text(data: &[u8]) {
    if let Err(e) = xtask::lower(data, "fuzz.yaml") {
        assert_explains(&e);
    }
}

/// Runs `spec_edit` on one input.
pub fn spec_edit(data: &[u8]) {
    let mut doc = base();
    let mut rest = data;
    for _ in 0..MAX_EDITS {
        let Some((edit, after)) = Edit::read(rest) else {
            break;
        };
        edit.apply(&mut doc);
        rest = after;
    }
    let bytes = match serde_json::to_vec(&doc) {
        Ok(bytes) => bytes,
        Err(e) => panic!("an edited document is still JSON: {e}"),
    };
    if let Err(e) = xtask::lower(&bytes, "fuzz.json") {
        assert_explains(&e);
        return;
    }
    match xtask::generate(&bytes, "fuzz.json") {
        Ok(files) => {
            for file in files {
                if let Err(e) = syn::parse_file(&file.contents) {
                    panic!("{} is not valid Rust: {e}\n{}", file.path, file.contents);
                }
            }
        }
        Err(e) => assert_explains(&e),
    }
}

fn assert_explains(e: &xtask::GenError) {
    assert!(!e.place.is_empty(), "an error names its place: {e:?}");
    assert!(!e.message.is_empty(), "an error says what is wrong: {e:?}");
}

/// The base document, read once.
fn base() -> Value {
    static BASE_DOC: OnceLock<Value> = OnceLock::new();
    BASE_DOC
        .get_or_init(|| match serde_yaml::from_str(BASE) {
            Ok(doc) => doc,
            Err(e) => panic!("the base spec is YAML: {e}"),
        })
        .clone()
}

/// One edit, read from the front of the input.
enum Edit {
    Remove(u16),
    Replace(u16, Value),
    Reference(u16, String),
    Copy { from: u16, to: u16 },
    Rename(u16, String),
    Keyword(u16, &'static str, Value),
    Wrap(u16, u8),
}

/// Names that are legal in a spec but not as Rust identifiers, or that collide after case
/// conversion, or that the generator itself uses.
const NAMES: [&str; 32] = [
    "type",
    "match",
    "Self",
    "self",
    "fooBar",
    "foo_bar",
    "FooBar",
    "",
    "1abc",
    "\u{663}abc",
    "\u{e9}t\u{e9}",
    "a-b",
    "a b",
    "crate",
    "r#type",
    "_",
    "__",
    "x\u{b2}",
    "$ref",
    "~1",
    "/",
    "Unknown",
    "None",
    "Result",
    "std",
    "super",
    "async",
    "gen",
    "try",
    "dyn",
    "Job",
    "purge_request",
];

/// Schema and OpenAPI keywords worth setting anywhere.
const KEYWORDS: [&str; 28] = [
    "type",
    "format",
    "enum",
    "nullable",
    "allOf",
    "oneOf",
    "anyOf",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "$ref",
    "pattern",
    "maxLength",
    "minimum",
    "default",
    "example",
    "description",
    "style",
    "explode",
    "in",
    "name",
    "schema",
    "content",
    "requestBody",
    "responses",
    "operationId",
    "parameters",
];

fn scalar(pick: u8) -> Value {
    let table = [
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1e308),
        json!(""),
        json!("x"),
        json!(u64::MAX),
        json!(i64::MIN),
        json!("string"),
        json!("object"),
        json!("array"),
        json!("integer"),
        json!("boolean"),
        json!("number"),
        json!("date-time"),
        json!("ip"),
        json!("http-url"),
        json!("(?<=a)b"),
        json!("[unclosed"),
        json!("3.1.0"),
        json!("form"),
        json!("deepObject"),
        json!("cookie"),
        json!({}),
        json!([]),
        json!([null]),
        json!(["a", "a", null]),
        json!([true]),
        json!({"type": "string", "enum": ["on", "off", null]}),
        json!({"type": "object", "properties": {"type": {"type": "string"}}}),
    ];
    table[usize::from(pick) % table.len()].clone()
}

fn reference(pick: u8) -> String {
    let table = [
        "#/components/schemas/Job",
        "#/components/schemas/purge_request",
        "#/components/schemas/JobState",
        "#/components/schemas/Envelope",
        "#/components/schemas/Nope",
        "#/components/parameters/ZoneId",
        "#/components/responses/Failure",
        "#/paths",
        "#",
        "",
        "other.yaml#/x",
        "#/components/schemas/Job/properties/id",
        "#/components/schemas/~1",
        "#/components/schemas/PurgeTags/properties/tags/items",
    ];
    table[usize::from(pick) % table.len()].to_string()
}

impl Edit {
    fn read(data: &[u8]) -> Option<(Edit, &[u8])> {
        let (&op, rest) = data.split_first()?;
        let (node, rest) = match rest {
            [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]), rest),
            _ => return None,
        };
        let (&arg, rest) = rest.split_first().unwrap_or((&0, &[]));
        let edit = match op % 8 {
            0 => Edit::Remove(node),
            1 => Edit::Replace(node, scalar(arg)),
            2 => Edit::Reference(node, reference(arg)),
            3 => Edit::Copy {
                from: node,
                to: u16::from(arg) * 7,
            },
            4 => Edit::Rename(node, NAMES[usize::from(arg) % NAMES.len()].to_string()),
            5 => {
                let (&value, rest) = rest.split_first().unwrap_or((&0, &[]));
                let keyword = KEYWORDS[usize::from(arg) % KEYWORDS.len()];
                return Some((Edit::Keyword(node, keyword, scalar(value)), rest));
            }
            6 => Edit::Wrap(node, arg),
            _ => {
                // Free text: renames a key, so names the tables lack get tried too.
                let (line, rest) = take_line(rest);
                let name = String::from_utf8_lossy(line).into_owned();
                return Some((Edit::Rename(node, name), rest));
            }
        };
        Some((edit, rest))
    }

    fn apply(self, doc: &mut Value) {
        let nodes = node_paths(doc);
        let pick = |n: u16| nodes.get(usize::from(n) % nodes.len()).cloned();
        match self {
            Edit::Remove(n) => {
                if let Some(path) = pick(n) {
                    remove(doc, &path);
                }
            }
            Edit::Replace(n, value) => set(doc, pick(n), value),
            Edit::Reference(n, target) => set(doc, pick(n), json!({ "$ref": target })),
            Edit::Copy { from, to } => {
                let value = pick(from).and_then(|p| get(doc, &p).cloned());
                if let Some(value) = value {
                    set(doc, pick(to), value);
                }
            }
            Edit::Rename(n, name) => {
                if let Some(path) = pick(n) {
                    rename(doc, &path, name);
                }
            }
            Edit::Keyword(n, keyword, value) => {
                if let Some(Value::Object(map)) = pick(n).and_then(|p| get_mut(doc, &p)) {
                    map.insert(keyword.to_string(), value);
                }
            }
            Edit::Wrap(n, how) => {
                if let Some(target) = pick(n).and_then(|p| get_mut(doc, &p)) {
                    let inner = target.take();
                    *target = match how % 5 {
                        0 => json!({ "allOf": [inner] }),
                        1 => json!({ "oneOf": [inner] }),
                        2 => json!({ "anyOf": [inner, {}] }),
                        3 => json!({ "type": "array", "items": inner }),
                        _ => json!({ "nullable": true, "allOf": [inner] }),
                    };
                }
            }
        }
    }
}

/// One step into a document: an object key or an array index.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node of `doc` in depth-first order, the root first.
fn node_paths(doc: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(path.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(Step::Key(key.clone()));
                    walk(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut Vec::new(), &mut out);
    out
}

fn get<'v>(doc: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(doc, |value, step| match step {
        Step::Key(k) => value.get(k),
        Step::Index(i) => value.get(i),
    })
}

fn get_mut<'v>(doc: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(doc, |value, step| match step {
        Step::Key(k) => value.get_mut(k),
        Step::Index(i) => value.get_mut(i),
    })
}

fn set(doc: &mut Value, path: Option<Vec<Step>>, value: Value) {
    if let Some(path) = path
        && let Some(target) = get_mut(doc, &path)
    {
        *target = value;
    }
}

fn remove(doc: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (get_mut(doc, parent), last) {
        (Some(Value::Object(map)), Step::Key(k)) => {
            map.remove(k);
        }
        (Some(Value::Array(items)), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        _ => {}
    }
}

/// Gives the object key at `path` a new name (a node that is not an object member keeps its).
fn rename(doc: &mut Value, path: &[Step], name: String) {
    let Some((Step::Key(old), parent)) = path.split_last() else {
        return;
    };
    if let Some(Value::Object(map)) = get_mut(doc, parent) {
        let renamed: Map<String, Value> = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| if &k == old { (name.clone(), v) } else { (k, v) })
            .collect();
        *map = renamed;
    }
}
