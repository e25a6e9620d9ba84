//! What the Rust types look like: the generated models crate read back, so the checks can
//! reach a property through the field typify made of it, whatever Rust name it chose.

use std::collections::BTreeMap;

use crate::model::{ApiModel, OneKeyUnion};

/// One model of the types crate, as far as the checks need to know it.
pub enum Def<'t> {
    /// A struct with named fields.
    Struct(Vec<FieldDef<'t>>),
    /// `struct X(T)`, written as its only field.
    Newtype(&'t syn::Type),
    /// A `#[serde(untagged)]` enum (typify's `oneOf`): one variant per form.
    Untagged(Vec<(&'t syn::Ident, Form<'t>)>),
    /// One of our open string enums: its wire text is `as_str()`.
    Text,
    /// One of our single-key unions.
    Union(&'t OneKeyUnion),
    /// Anything else: not looked into.
    Opaque,
}

/// What one variant of a [`Def::Untagged`] holds.
#[derive(Clone)]
pub enum Form<'t> {
    /// One value: `Variant(T)`.
    One(&'t syn::Type),
    /// An object's fields: `Variant { a: A, b: B }`.
    Fields(Vec<FieldDef<'t>>),
}

/// One field of a [`Def::Struct`].
#[derive(Clone)]
pub struct FieldDef<'t> {
    /// The Rust field.
    pub ident: &'t syn::Ident,
    /// Its property name on the wire.
    pub wire: String,
    /// Its type.
    pub ty: &'t syn::Type,
    /// `#[serde(flatten)]`: its own fields are the object's.
    pub flatten: bool,
    /// `#[serde(skip_serializing_if = "..")]`: the test that leaves it out of the JSON.
    pub skip_if: Option<syn::ExprPath>,
}

/// What a Rust type is, seen from a check.
pub enum Shape<'a> {
    /// `String` or `str`.
    Str,
    /// A primitive integer or float.
    Num,
    /// `&T`.
    Ref(&'a syn::Type),
    /// `Box<T>`.
    Boxed(&'a syn::Type),
    /// `Option<T>`.
    Option(&'a syn::Type),
    /// `Vec<T>` or `[T]`.
    List(&'a syn::Type),
    /// A model of the types crate, by name.
    Named(String),
    /// Anything else (`serde_json::Value`, maps, `IpAddr`, `bool`, dates): not checked.
    Other,
}

/// The models of the types crate, by Rust name.
pub struct Index<'t> {
    defs: BTreeMap<String, Def<'t>>,
    /// How the client's signatures name the types crate (`cf_cache_types`).
    types_crate: String,
}

impl<'t> Index<'t> {
    pub fn new(types: &'t syn::File, model: &'t ApiModel, types_crate: &str) -> Self {
        let mut defs = BTreeMap::new();
        for e in &model.string_enums {
            defs.insert(e.name.clone(), Def::Text);
        }
        for u in &model.unions {
            defs.insert(u.name.clone(), Def::Union(u));
        }
        for item in &types.items {
            let (ident, def) = match item {
                syn::Item::Struct(s) => (&s.ident, struct_def(s)),
                syn::Item::Enum(e) => (&e.ident, enum_def(e)),
                _ => continue,
            };
            defs.entry(ident.to_string()).or_insert(def);
        }
        Self {
            defs,
            types_crate: types_crate.to_string(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Def<'t>> {
        self.defs.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.defs.contains_key(name)
    }

    /// What `ty` is. Paths naming models are bare (inside the types crate), or go through
    /// `types::` or the types crate's name (in the client).
    pub fn shape<'a>(&self, ty: &'a syn::Type) -> Shape<'a> {
        match ty {
            syn::Type::Reference(r) => Shape::Ref(&r.elem),
            syn::Type::Slice(s) => Shape::List(&s.elem),
            syn::Type::Paren(p) => self.shape(&p.elem),
            syn::Type::Group(g) => self.shape(&g.elem),
            syn::Type::Path(p) if p.qself.is_none() => {
                let Some(last) = p.path.segments.last() else {
                    return Shape::Other;
                };
                let name = last.ident.to_string();
                let generic = || match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    },
                    _ => None,
                };
                let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                let std_or_bare = segments.len() == 1 || segments[0] == "std";
                match name.as_str() {
                    "String" | "str" if std_or_bare => Shape::Str,
                    "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64"
                        if segments.len() == 1 =>
                    {
                        Shape::Num
                    }
                    "Option" if std_or_bare => generic().map_or(Shape::Other, Shape::Option),
                    "Vec" if std_or_bare => generic().map_or(Shape::Other, Shape::List),
                    "Box" if std_or_bare => generic().map_or(Shape::Other, Shape::Boxed),
                    _ => {
                        let ours = segments.len() == 1
                            || (segments.len() == 2
                                && (segments[0] == "types" || segments[0] == self.types_crate));
                        if ours && last.arguments.is_empty() && self.defs.contains_key(&name) {
                            Shape::Named(name)
                        } else {
                            Shape::Other
                        }
                    }
                }
            }
            _ => Shape::Other,
        }
    }
}

fn struct_def(s: &syn::ItemStruct) -> Def<'_> {
    match &s.fields {
        syn::Fields::Named(fields) => Def::Struct(named_fields(fields)),
        syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Def::Newtype(&fields.unnamed[0].ty),
        _ => Def::Opaque,
    }
}

fn named_fields(fields: &syn::FieldsNamed) -> Vec<FieldDef<'_>> {
    fields
        .named
        .iter()
        .filter_map(|f| {
            let ident = f.ident.as_ref()?;
            let serde = serde_args(&f.attrs);
            let wire = serde
                .iter()
                .find_map(|(k, v)| (k == "rename").then(|| v.clone()).flatten())
                .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
            let skip_if = serde
                .iter()
                .find_map(|(k, v)| (k == "skip_serializing_if").then(|| v.clone()).flatten())
                .and_then(|path| syn::parse_str::<syn::ExprPath>(&path).ok());
            Some(FieldDef {
                ident,
                wire,
                ty: &f.ty,
                flatten: serde.iter().any(|(k, _)| k == "flatten"),
                skip_if,
            })
        })
        .collect()
}

fn enum_def(e: &syn::ItemEnum) -> Def<'_> {
    if !serde_args(&e.attrs).iter().any(|(k, _)| k == "untagged") {
        return Def::Opaque;
    }
    let mut variants = Vec::new();
    for v in &e.variants {
        let form = match &v.fields {
            syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => Form::One(&f.unnamed[0].ty),
            syn::Fields::Named(f) => Form::Fields(named_fields(f)),
            _ => return Def::Opaque,
        };
        variants.push((&v.ident, form));
    }
    Def::Untagged(variants)
}

/// The `key` or `key = "value"` entries of `#[serde(..)]` attributes.
fn serde_args(attrs: &[syn::Attribute]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            let value = match meta.value() {
                Ok(v) => v.parse::<syn::LitStr>().ok().map(|l| l.value()),
                Err(_) => None,
            };
            out.push((key, value));
            Ok(())
        });
    }
    out
}
