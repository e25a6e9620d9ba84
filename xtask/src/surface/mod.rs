//! After a regen, what changed in the API surface, down to fields, enum values and
//! parameters, and which changes break callers, so a maintainer knows when a major version
//! bump is due without reading the diff.
//!
//! This file reads a generation's public items into a comparable shape; `compare.rs` says
//! what changed between two shapes and whether it breaks callers; `skipped.rs` lists the
//! operations `--skip-unsupported` left out.

mod compare;
mod skipped;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use quote::ToTokens;

pub use compare::Change;
pub use skipped::skipped_listing;

/// Public items of one generation: every operation and every model type, by name.
#[derive(Default, Debug, PartialEq)]
pub struct Surface {
    operations: BTreeMap<String, Operation>,
    types: BTreeMap<String, Shape>,
}

/// An operation method's parameters (after `&self`) and its result type.
#[derive(Debug, Clone, PartialEq)]
struct Operation {
    params: Vec<(String, String)>,
    result: String,
}

/// What a caller sees of a model type.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// A struct with named fields.
    Struct(BTreeMap<String, Field>),
    /// A tuple struct (`pub struct Ids(pub Vec<String>)`): its fields' types.
    Tuple(String),
    /// An enum: its variants, and whether it is open (keeps unknown values as `Unknown`).
    Enum {
        variants: BTreeMap<String, Variant>,
        open: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    ty: String,
    /// Decoding fails without it: neither an `Option` nor `#[serde(default)]`.
    required: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Variant {
    /// `(Vec<String>)`, `{ a: u8 }`, or empty for a plain value.
    payload: String,
    /// The value on the wire, for the variants of an open string enum (`"In-progress"`).
    wire: Option<String>,
}

impl Surface {
    /// Reads the surface from the operations and types files' text (absent or unparsable
    /// files give an empty surface: everything then counts as added).
    pub fn read(operations: Option<&str>, types: Option<&str>) -> Self {
        let mut surface = Surface::default();
        if let Some(file) = operations.and_then(|t| syn::parse_file(t).ok()) {
            for item in file.items {
                let syn::Item::Impl(imp) = item else { continue };
                for inner in imp.items {
                    if let syn::ImplItem::Fn(f) = inner
                        && matches!(f.vis, syn::Visibility::Public(_))
                    {
                        surface
                            .operations
                            .insert(f.sig.ident.to_string(), Operation::of(&f.sig));
                    }
                }
            }
            // `x_with_meta` follows `x` (same parameters, the result with its metadata): a
            // change to one is a change to both, reported once, as `x`'s.
            let twins: Vec<String> = surface
                .operations
                .keys()
                .filter(|name| {
                    name.strip_suffix("_with_meta")
                        .is_some_and(|base| surface.operations.contains_key(base))
                })
                .cloned()
                .collect();
            for twin in twins {
                surface.operations.remove(&twin);
            }
        }
        if let Some(file) = types.and_then(|t| syn::parse_file(t).ok()) {
            let wire = wire_values(&file);
            for item in &file.items {
                let (name, shape) = match item {
                    syn::Item::Struct(s) => (s.ident.to_string(), Shape::of_struct(s)),
                    syn::Item::Enum(e) => {
                        let name = e.ident.to_string();
                        let shape = Shape::of_enum(e, wire.get(&name));
                        (name, shape)
                    }
                    _ => continue,
                };
                surface.types.insert(name, shape);
            }
        }
        surface
    }

    /// Every change from `self` to `new`: operations first, then types, each by name.
    pub fn changes(&self, new: &Surface) -> Vec<Change> {
        compare::changes(self, new)
    }

    /// A human summary of `self -> new`, breaking changes first, or `None` when nothing
    /// public changed.
    pub fn diff(&self, new: &Surface) -> Option<String> {
        let changes = self.changes(new);
        if changes.is_empty() {
            return None;
        }
        let (breaking, compatible): (Vec<&Change>, Vec<&Change>) = changes.iter().partition(|c| c.breaking);
        let mut out = String::new();
        if !breaking.is_empty() {
            let _ = writeln!(
                out,
                "  BREAKING ({}): callers may stop compiling or decoding; a major version bump is due",
                breaking.len()
            );
            breaking.iter().for_each(|c| {
                let _ = writeln!(out, "    - {c}");
            });
        }
        if !compatible.is_empty() {
            let _ = writeln!(out, "  compatible ({}):", compatible.len());
            compatible.iter().for_each(|c| {
                let _ = writeln!(out, "    - {c}");
            });
        }
        Some(out)
    }

    /// Types callers build themselves: the operations' parameter types and every type
    /// those contain. A struct literal has to name each of their fields.
    fn built_by_callers(&self) -> BTreeSet<&str> {
        let mut built = BTreeSet::new();
        let mut pending: Vec<&str> = self
            .operations
            .values()
            .flat_map(|op| op.params.iter().map(|(_, ty)| ty.as_str()))
            .collect();
        while let Some(ty) = pending.pop() {
            for name in idents(ty) {
                if let Some((name, shape)) = self.types.get_key_value(name)
                    && built.insert(name.as_str())
                {
                    pending.extend(shape.contained());
                }
            }
        }
        built
    }
}

impl Operation {
    fn of(sig: &syn::Signature) -> Self {
        let params = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                syn::FnArg::Typed(arg) => Some((arg.pat.to_token_stream().to_string(), show(&arg.ty))),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let result = match &sig.output {
            syn::ReturnType::Default => "()".to_string(),
            syn::ReturnType::Type(_, ty) => show(ty),
        };
        Operation { params, result }
    }
}

impl Shape {
    fn of_struct(s: &syn::ItemStruct) -> Self {
        match &s.fields {
            syn::Fields::Named(named) => Shape::Struct(
                named
                    .named
                    .iter()
                    .filter_map(|f| {
                        let name = f.ident.as_ref()?.to_string();
                        let required = !is_option(&f.ty) && !has_serde_default(&f.attrs);
                        Some((
                            name,
                            Field {
                                ty: show(&f.ty),
                                required,
                            },
                        ))
                    })
                    .collect(),
            ),
            other => Shape::Tuple(fields_payload(other)),
        }
    }

    fn of_enum(e: &syn::ItemEnum, wire: Option<&BTreeMap<String, String>>) -> Self {
        let variants: BTreeMap<String, Variant> = e
            .variants
            .iter()
            .map(|v| {
                let name = v.ident.to_string();
                let wire = wire.and_then(|w| w.get(&name)).cloned();
                let payload = fields_payload(&v.fields);
                (name, Variant { payload, wire })
            })
            .collect();
        let open = variants.get("Unknown").is_some_and(|v| v.payload == "(String)");
        Shape::Enum { variants, open }
    }

    fn kind(&self) -> &'static str {
        match self {
            Shape::Struct(_) => "struct",
            Shape::Tuple(_) => "tuple struct",
            Shape::Enum { open: true, .. } => "open enum",
            Shape::Enum { open: false, .. } => "enum",
        }
    }

    /// The type texts this type holds.
    fn contained(&self) -> Vec<&str> {
        match self {
            Shape::Struct(fields) => fields.values().map(|f| f.ty.as_str()).collect(),
            Shape::Tuple(payload) => vec![payload.as_str()],
            Shape::Enum { variants, .. } => variants.values().map(|v| v.payload.as_str()).collect(),
        }
    }
}

/// A type as a caller writes it: last path segments only (`Option<Vec<PurgeFileWithHeaders>>`,
/// `&str`), so the same type reads the same whichever path the generator spelled.
fn show(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return String::new();
            };
            let mut out = last.ident.to_string();
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                let args: Vec<String> = args
                    .args
                    .iter()
                    .map(|arg| match arg {
                        syn::GenericArgument::Type(ty) => show(ty),
                        other => other.to_token_stream().to_string(),
                    })
                    .collect();
                let _ = write!(out, "<{}>", args.join(", "));
            }
            out
        }
        syn::Type::Reference(r) => {
            let mutability = if r.mutability.is_some() { "mut " } else { "" };
            format!("&{mutability}{}", show(&r.elem))
        }
        syn::Type::Slice(s) => format!("[{}]", show(&s.elem)),
        syn::Type::Tuple(t) => format!("({})", t.elems.iter().map(show).collect::<Vec<_>>().join(", ")),
        syn::Type::Paren(p) => show(&p.elem),
        other => other.to_token_stream().to_string(),
    }
}

fn fields_payload(fields: &syn::Fields) -> String {
    match fields {
        syn::Fields::Unit => String::new(),
        syn::Fields::Unnamed(unnamed) => {
            let types: Vec<String> = unnamed.unnamed.iter().map(|f| show(&f.ty)).collect();
            format!("({})", types.join(", "))
        }
        syn::Fields::Named(named) => {
            let fields: Vec<String> = named
                .named
                .iter()
                .map(|f| {
                    let name = f.ident.as_ref().map(ToString::to_string).unwrap_or_default();
                    format!("{name}: {}", show(&f.ty))
                })
                .collect();
            format!(" {{ {} }}", fields.join(", "))
        }
    }
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

fn has_serde_default(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let mut default = false;
        if a.path().is_ident("serde") {
            let _ = a.parse_nested_meta(|meta| {
                default |= meta.path.is_ident("default");
                // Skip the value (`= "..."`) of any key, ours or not.
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            });
        }
        default
    })
}

/// The identifiers a type text names (`Option<Vec<X>>` -> `Option`, `Vec`, `X`).
fn idents(ty: &str) -> impl Iterator<Item = &str> {
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty())
}

/// For each open string enum, its variants' wire values, read from its `as_str` method
/// (`Self::InProgress => "In-progress"`).
fn wire_values(file: &syn::File) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for inner in &imp.items {
            let syn::ImplItem::Fn(f) = inner else { continue };
            if f.sig.ident != "as_str" {
                continue;
            }
            let Some(syn::Stmt::Expr(syn::Expr::Match(body), _)) = f.block.stmts.last() else {
                continue;
            };
            let values = out.entry(name.clone()).or_insert_with(BTreeMap::new);
            for arm in &body.arms {
                if let syn::Pat::Path(path) = &arm.pat
                    && let Some(variant) = path.path.segments.last()
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(value),
                        ..
                    }) = &*arm.body
                {
                    values.insert(variant.ident.to_string(), value.value());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(old: (&str, &str), new: (&str, &str)) -> Vec<String> {
        let old = Surface::read(Some(old.0), Some(old.1));
        let new = Surface::read(Some(new.0), Some(new.1));
        old.changes(&new)
            .iter()
            .map(|c| format!("{}{c}", if c.breaking { "! " } else { "  " }))
            .collect()
    }

    const OPS: &str = "impl Client { pub async fn a(&self, x: &str, y: Option<i64>) -> Result<T> {} }";

    #[test]
    fn a_with_meta_twin_is_reported_as_its_operation_only() {
        let ops = "impl Client { pub async fn a(&self, x: &str) -> Result<T> {} \
                   pub async fn a_with_meta(&self, x: &str) -> Result<WithMeta<T>> {} }";
        let moved = "impl Client { pub async fn a(&self, x: &str, y: u8) -> Result<T> {} \
                     pub async fn a_with_meta(&self, x: &str, y: u8) -> Result<WithMeta<T>> {} }";
        let changes = report((ops, ""), (moved, ""));
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(changes[0].contains("operation `a`:"), "{changes:?}");
    }

    #[test]
    fn doc_edits_are_no_change() {
        let types = "/// one\npub struct T { /// a\n pub x: u8 }";
        assert_eq!(
            report((OPS, types), (OPS, "/// two\npub struct T { pub x: u8 }")),
            Vec::<String>::new()
        );
        let surface = Surface::read(Some(OPS), Some(types));
        assert_eq!(surface.diff(&surface), None);
    }

    #[test]
    fn moved_parameters_and_a_new_result_break_callers() {
        let moved = "impl Client { pub async fn a(&self, y: Option<i64>, x: &str) -> Result<Page<T>> {} }";
        assert_eq!(
            report((OPS, ""), (moved, "")),
            [
                "! operation `a`: parameters reordered",
                "! operation `a`: result: Result<T> -> Result<Page<T>>"
            ]
        );
    }

    #[test]
    fn a_field_with_a_serde_default_is_optional_and_a_kind_change_breaks() {
        let old = "pub struct T { pub x: u8 } pub struct U(pub Vec<String>);";
        let new =
            "pub struct T { pub x: u8, #[serde(default, rename = \"y\")] pub y: Vec<u8> } pub enum U { A }";
        assert_eq!(
            report((OPS, old), (OPS, new)),
            [
                "  type `T`: field `y: Vec<u8>` added",
                "! type `U`: tuple struct -> enum"
            ]
        );
    }

    #[test]
    fn fields_of_types_held_by_a_parameter_type_are_built_by_callers() {
        let ops = "impl Client { pub async fn a(&self, body: &types::Body) -> Result<Out> {} }";
        let old = "pub enum Body { Items(Vec<Item>) } pub struct Item { pub url: String } pub struct Out { pub id: String }";
        let new = "pub enum Body { Items(Vec<Item>) } pub struct Item { pub url: String, pub tag: Option<String> } \
                   pub struct Out { pub id: String, pub tag: Option<String> }";
        assert_eq!(
            report((ops, old), (ops, new)),
            [
                "! type `Item`: field `tag: Option<String>` added (callers build this type: struct literals must name it)",
                "  type `Out`: field `tag: Option<String>` added",
            ]
        );
    }
}
