//! Our own view of the API, lowered from the spec. The emitters read only this (and the
//! lowered spec handed to progenitor), so a reader can follow one operation from YAML to
//! Rust through `normalise` -> `model` -> `emit`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Everything the emitters need that progenitor does not produce itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiModel {
    /// Operations sorted by path, then method (deterministic whatever the spec order).
    pub operations: Vec<Operation>,
    /// String enums (named components and hoisted inline enums) emitted as open enums.
    pub string_enums: Vec<StringEnum>,
    /// `oneOf` components whose branches are single-key objects, emitted as Rust enums.
    pub unions: Vec<OneKeyUnion>,
    /// The validation rules of every component a request can carry, by component name.
    pub rules: Vec<NamedRule>,
    /// Placeholder -> wire name, for names progenitor and typify derive themselves that had to
    /// be told apart (see `normalise::placeholders`).
    pub wire_names: std::collections::BTreeMap<String, String>,
}

/// One HTTP operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Rust method name (snake case); also the lowered `operationId`.
    pub name: String,
    /// The spec's own `operationId`.
    pub spec_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template relative to the base URL, e.g. `/zones/{zone_id}/purge_cache`.
    pub path: String,
    /// One-line summary from the spec.
    pub summary: Option<String>,
    /// Longer description from the spec.
    pub description: Option<String>,
    /// Path, query and header parameters, in the order progenitor takes them.
    pub params: Vec<Param>,
    /// What the request body must satisfy, when the operation takes a JSON one.
    pub body: Option<Rule>,
    /// The media types the spec lists, when the operation takes a body that is not JSON
    /// (multipart forms, files, scripts, text): the caller sends bytes with their content type.
    pub raw_body: Option<Vec<String>>,
    /// What a successful call returns.
    pub result: ResultShape,
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// A `{name}` segment of the path template.
    Path,
    /// A query string pair.
    Query,
    /// A request header.
    Header,
}

/// One operation parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name on the wire.
    pub api_name: String,
    /// The Rust argument (progenitor's name for it).
    pub ident: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// What its value must satisfy (lifted out of the type, checked at runtime).
    pub rule: Rule,
}

/// The constraints a schema states on values. `emit::checks` turns them into plain Rust
/// calling the runtime's leaf checks (`validate::leaf`), and `emit::limits` into constants.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Anything goes (or the Rust type already enforces what the schema says).
    Any,
    /// A string.
    String {
        /// `minLength`, in characters.
        min_length: Option<u64>,
        /// `maxLength`, in characters.
        max_length: Option<u64>,
        /// `pattern` (checked to compile at generation time).
        pattern: Option<String>,
        /// A `format` the runtime checks (see `constraints::CHECKED_FORMATS`).
        format: Option<String>,
    },
    /// An integer or number.
    Number {
        /// `minimum`.
        minimum: Option<f64>,
        /// `maximum`.
        maximum: Option<f64>,
        /// OpenAPI 3.0's boolean `exclusiveMinimum`.
        exclusive_minimum: bool,
        /// OpenAPI 3.0's boolean `exclusiveMaximum`.
        exclusive_maximum: bool,
        /// Whether the schema says `integer` (its bounds become `i64` limits).
        integer: bool,
    },
    /// An array.
    Array {
        /// `minItems`.
        min_items: Option<u64>,
        /// `maxItems`.
        max_items: Option<u64>,
        /// What each item must satisfy.
        items: Box<Rule>,
    },
    /// An object with known properties (others are not checked).
    Object {
        /// The declared properties, in name order.
        properties: Vec<Property>,
    },
    /// Every member must hold.
    AllOf(Vec<Rule>),
    /// Some member must hold (the runtime accepts the first that does).
    OneOf(Vec<Rule>),
    /// Some member must hold.
    AnyOf(Vec<Rule>),
    /// `null`, or the inner rule.
    Nullable(Box<Rule>),
    /// The rule of a component schema, by name.
    Named(String),
}

/// One declared property of an object [`Rule`].
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Name on the wire.
    pub name: String,
    /// Whether the schema lists it in `required`.
    pub required: bool,
    /// What its value must satisfy.
    pub rule: Rule,
}

/// The rule of one component schema.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedRule {
    /// Component (and Rust type) name.
    pub name: String,
    /// Its rule.
    pub rule: Rule,
    /// Whether the types crate has a model of this name (pruned union branches do not).
    pub has_type: bool,
}

/// How the success body relates to the value handed back to the caller.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultShape {
    /// No body: the call returns `()`.
    Empty,
    /// A body that is not JSON (a file, CSV, text): the call returns its bytes.
    Bytes,
    /// The body itself is the value.
    Bare(TypeExpr),
    /// Cloudflare's `{success, errors, messages, result}` envelope around the value.
    Enveloped(TypeExpr),
    /// An envelope whose `result` is a list and which carries `result_info`: a page.
    Paged {
        /// Type of one list item.
        item: TypeExpr,
    },
}

/// A Rust type the emitters can spell without asking typify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A generated model, by its Rust name.
    Named(String),
    /// `Vec<T>`.
    List(Box<TypeExpr>),
    /// `Option<T>` (a nullable schema).
    Nullable(Box<TypeExpr>),
    /// `String`.
    String,
    /// `chrono::DateTime<Utc>`.
    DateTime,
    /// `i64`.
    Integer,
    /// `f64`.
    Number,
    /// `bool`.
    Boolean,
    /// Any JSON value.
    Json,
}

impl TypeExpr {
    /// Spells the type; generated models are reached through `types_path`.
    pub fn tokens(&self, types_path: &TokenStream) -> TokenStream {
        match self {
            TypeExpr::Named(name) => {
                let ident = format_ident!("{}", name);
                quote!(#types_path::#ident)
            }
            TypeExpr::List(item) => {
                let item = item.tokens(types_path);
                quote!(::std::vec::Vec<#item>)
            }
            TypeExpr::Nullable(inner) => {
                let inner = inner.tokens(types_path);
                quote!(::std::option::Option<#inner>)
            }
            TypeExpr::String => quote!(::std::string::String),
            TypeExpr::DateTime => quote!(::chrono::DateTime<::chrono::offset::Utc>),
            TypeExpr::Integer => quote!(i64),
            TypeExpr::Number => quote!(f64),
            TypeExpr::Boolean => quote!(bool),
            TypeExpr::Json => quote!(::serde_json::Value),
        }
    }
}

/// A string enum that keeps parsing when the server sends a value the spec does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringEnum {
    /// Rust type name.
    pub name: String,
    /// Description from the spec.
    pub description: Option<String>,
    /// The listed values, in spec order.
    pub values: Vec<String>,
}

/// A `oneOf` of single-key objects, e.g. the purge body: exactly one form can be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneKeyUnion {
    /// Rust type name.
    pub name: String,
    /// Description from the spec.
    pub description: Option<String>,
    /// One variant per branch, in spec order.
    pub variants: Vec<UnionVariant>,
}

/// One branch of a [`OneKeyUnion`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionVariant {
    /// Rust variant name.
    pub name: String,
    /// The JSON key this branch consists of.
    pub key: String,
    /// The value's type, or `None` when the only allowed value is `true` (a unit variant).
    pub payload: Option<TypeExpr>,
    /// Description of the branch from the spec.
    pub description: Option<String>,
}

/// How many of `operations` send and return each kind of body, for `try-spec`'s report.
pub fn kinds(operations: &[Operation]) -> std::collections::BTreeMap<&'static str, usize> {
    let mut out = std::collections::BTreeMap::new();
    for op in operations {
        let sends = match (&op.body, &op.raw_body) {
            (Some(_), _) => "request body: JSON",
            (None, Some(_)) => "request body: raw bytes (multipart, files, text)",
            (None, None) => "request body: none",
        };
        let returns = match &op.result {
            ResultShape::Empty => "result: none",
            ResultShape::Bytes => "result: bytes",
            ResultShape::Bare(_) => "result: JSON body",
            ResultShape::Enveloped(_) => "result: enveloped",
            ResultShape::Paged { .. } => "result: paged",
        };
        for kind in [sends, returns] {
            *out.entry(kind).or_insert(0) += 1;
        }
    }
    out
}
