//! A rule and a Rust type in, the statements checking a value of that type out: field
//! access, `match` on union variants, loops over lists, and calls into the runtime's leaf
//! checks (`crate::validate::leaf`). Where the type cannot carry what a rule constrains (a
//! rule on a `serde_json::Value`, a map, a typed date), nothing is emitted: the Rust type is
//! then all the check there is.
//!
//! The emitted statements read two bindings: `value`, a reference to the value, and `at`, the
//! `Field` naming its place. Nested values shadow both in a block of their own.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::shapes::{Def, Form, Index, Shape};
use crate::constraints::CHECKED_FORMATS;
use crate::model::{Property, Rule, UnionVariant};

/// Deeper than this, a rule is not followed (recursive or absurdly nested schemas).
const MAX_DEPTH: usize = 48;

/// What the emitted code may call: the components with a `Validate` impl, the rules by
/// component name, the patterns used so far.
pub struct Writer<'m, 't> {
    pub index: &'m Index<'t>,
    pub named: &'m BTreeMap<&'m str, &'m Rule>,
    /// Components with a `Validate` impl whose rule checks something: calling them is worth it.
    pub callable: std::collections::BTreeSet<String>,
    /// Pattern sources in order of first use; each becomes one compiled-once static.
    pub patterns: Vec<String>,
    /// Components whose rule is being written inline (a recursion guard).
    inlining: Vec<String>,
    /// Set while writing the check of one list item as if it were a one-item list (see
    /// [`Writer::single_item`]): the first array rule met takes `value` as its only item.
    single: bool,
}

impl<'m, 't> Writer<'m, 't> {
    pub fn new(index: &'m Index<'t>, named: &'m BTreeMap<&'m str, &'m Rule>) -> Self {
        Self {
            index,
            named,
            callable: Default::default(),
            patterns: Vec::new(),
            inlining: Vec::new(),
            single: false,
        }
    }

    /// Statements checking `value: &ty` against `rule` (empty when nothing can be refused).
    pub fn check(&mut self, rule: &Rule, ty: &syn::Type) -> TokenStream {
        self.value(rule, ty, 0)
    }

    /// Statements checking `value`, one item of a list of type `list`, as the only item of
    /// that list: the list's item counts are checked for a length of one and the item is
    /// reported at index 0, exactly as for a body holding only this item.
    pub fn single_item(&mut self, rule: &Rule, list: &syn::Type) -> TokenStream {
        self.single = true;
        let out = self.value(rule, list, 0);
        self.single = false;
        out
    }

    /// [`Writer::single_item`] for the list a single-key union's variant holds under `key`.
    pub fn single_variant(&mut self, key: &str, members: &[Rule], list: &syn::Type) -> TokenStream {
        self.single = true;
        let out = self.variant_body(key, members, list, 0);
        self.single = false;
        out
    }

    fn value(&mut self, rule: &Rule, ty: &syn::Type, depth: usize) -> TokenStream {
        if depth > MAX_DEPTH || !self.checks_anything(rule, 0) {
            return quote!();
        }
        match self.index.shape(ty) {
            Shape::Ref(inner) => {
                let body = self.value(rule, inner, depth + 1);
                bind(quote!(*value), body)
            }
            Shape::Boxed(inner) => {
                let body = self.value(rule, inner, depth + 1);
                bind(quote!(&**value), body)
            }
            // An absent optional value, or a JSON `null`, passes.
            Shape::Option(inner) => {
                let body = self.value(rule, inner, depth + 1);
                if body.is_empty() {
                    body
                } else {
                    quote! { if let Some(value) = value { #body } }
                }
            }
            _ => self.rule(rule, ty, depth),
        }
    }

    fn rule(&mut self, rule: &Rule, ty: &syn::Type, depth: usize) -> TokenStream {
        match rule {
            Rule::Any => quote!(),
            Rule::Nullable(inner) => self.value(inner, ty, depth + 1),
            Rule::AllOf(members) => {
                let parts: Vec<TokenStream> = members.iter().map(|m| self.value(m, ty, depth + 1)).collect();
                quote!(#(#parts)*)
            }
            Rule::Named(name) => self.named(name, ty, depth),
            Rule::OneOf(members) | Rule::AnyOf(members) => self.one_of(members, ty, depth),
            Rule::String {
                min_length,
                max_length,
                pattern,
                format,
            } => match self.text(ty) {
                Text::No => self.through_newtype(rule, ty, depth),
                text => {
                    let mut out = Vec::new();
                    if let Some(n) = min_length {
                        out.push(quote! { crate::validate::leaf::min_length(at, value, #n)?; });
                    }
                    if let Some(n) = max_length {
                        out.push(quote! { crate::validate::leaf::max_length(at, value, #n)?; });
                    }
                    if let Some(variant) = format.as_deref().and_then(format_variant) {
                        out.push(quote! {
                            crate::validate::leaf::format(at, value, crate::validate::leaf::Format::#variant)?;
                        });
                    }
                    if let Some(p) = pattern {
                        let ident = pattern_ident(self.pattern_index(p));
                        // By its full path: operations check parameters with it too.
                        out.push(quote! { crate::validate::leaf::pattern(at, value, &crate::generated::checks::#ident)?; });
                    }
                    let body = quote!(#(#out)*);
                    match text {
                        Text::AsStr => bind(quote!(value.as_str()), body),
                        _ => body,
                    }
                }
            },
            Rule::Number {
                minimum,
                maximum,
                exclusive_minimum,
                exclusive_maximum,
                ..
            } => {
                match self.index.shape(ty) {
                    Shape::Num => {
                        let mut out = Vec::new();
                        if let Some(n) = minimum {
                            out.push(quote! { crate::validate::leaf::minimum(at, *value, #n, #exclusive_minimum)?; });
                        }
                        if let Some(n) = maximum {
                            out.push(quote! { crate::validate::leaf::maximum(at, *value, #n, #exclusive_maximum)?; });
                        }
                        quote!(#(#out)*)
                    }
                    _ => self.through_newtype(rule, ty, depth),
                }
            }
            Rule::Array {
                min_items,
                max_items,
                items,
            } => match self.index.shape(ty) {
                Shape::List(item) => {
                    // The items of this list are not themselves single items.
                    let single = std::mem::replace(&mut self.single, false);
                    let len = if single { quote!(1) } else { quote!(value.len()) };
                    let mut out = Vec::new();
                    if let Some(n) = min_items {
                        out.push(quote! { crate::validate::leaf::min_items(at, #len, #n)?; });
                    }
                    if let Some(n) = max_items {
                        out.push(quote! { crate::validate::leaf::max_items(at, #len, #n)?; });
                    }
                    let body = self.value(items, item, depth + 1);
                    self.single = single;
                    if !body.is_empty() {
                        out.push(if single {
                            quote! { { let at = at.index(0); #body } }
                        } else {
                            let item = if mentions(&body, "value") {
                                quote!(value)
                            } else {
                                quote!(_)
                            };
                            quote! {
                                for (i, #item) in value.iter().enumerate() {
                                    let at = at.index(i);
                                    #body
                                }
                            }
                        });
                    }
                    quote!(#(#out)*)
                }
                _ => self.through_newtype(rule, ty, depth),
            },
            Rule::Object { properties } => {
                let Shape::Named(name) = self.index.shape(ty) else {
                    return quote!();
                };
                match self.index.get(&name) {
                    Some(Def::Struct(_)) => {}
                    Some(Def::Newtype(_)) => return self.through_newtype(rule, ty, depth),
                    _ => return quote!(),
                }
                let mut out = Vec::new();
                for property in properties {
                    let Some(found) = self.field(&name, &property.name, 0) else {
                        continue;
                    };
                    let access = found.access.clone();
                    if let Some(check) = self.property(property, &found, quote!(&value.#access), depth) {
                        out.push(check);
                    }
                }
                quote!(#(#out)*)
            }
        }
    }

    /// The check of one declared property, found as `found` and reached as `value`, in a
    /// block of its own; `None` when nothing can be refused.
    fn property(
        &mut self,
        property: &Property,
        found: &Found<'_>,
        value: TokenStream,
        depth: usize,
    ) -> Option<TokenStream> {
        let body = self.value(&property.rule, found.ty, depth + 1);
        if body.is_empty() {
            return None;
        }
        let key = &property.name;
        // A list left out of the JSON when empty is absent, not empty, unless required.
        let body = match &found.skip_if {
            Some(skip) if !property.required && !matches!(self.index.shape(found.ty), Shape::Option(_)) => {
                quote! { if !#skip(value) { #body } }
            }
            _ => body,
        };
        Some(quote! {
            {
                let at = at.key(#key);
                let value = #value;
                #body
            }
        })
    }

    /// A component's rule: a call to its `Validate` impl when `ty` is its model, else its
    /// rule written out here.
    fn named(&mut self, name: &str, ty: &syn::Type, depth: usize) -> TokenStream {
        if let Shape::Named(ty_name) = self.index.shape(ty)
            && ty_name == name
            && self.callable.contains(name)
        {
            return quote! { crate::validate::Validate::check_at(value, at)?; };
        }
        if self.inlining.iter().any(|n| n == name) {
            return quote!();
        }
        let Some(rule) = self.named.get(name).copied() else {
            return quote!();
        };
        self.inlining.push(name.to_string());
        let out = self.value(rule, ty, depth + 1);
        self.inlining.pop();
        out
    }

    /// `oneOf`/`anyOf`: by variant for our unions and typify's untagged enums, otherwise the
    /// forms the Rust type can take, tried in order.
    fn one_of(&mut self, members: &[Rule], ty: &syn::Type, depth: usize) -> TokenStream {
        if let Shape::Named(name) = self.index.shape(ty) {
            match self.index.get(&name) {
                Some(Def::Union(union)) => return self.union(&name, &union.variants, members, depth),
                Some(Def::Untagged(variants)) if variants.len() == members.len() => {
                    let fits = variants.iter().zip(members).all(|((_, form), m)| match form {
                        Form::One(t) => self.fits(m, t, 0),
                        Form::Fields(_) => matches!(self.resolve(m), Some(Rule::Object { .. } | Rule::Any)),
                    });
                    if fits {
                        let variants = variants.clone();
                        return self.untagged(&name, &variants, members, depth);
                    }
                }
                _ => {}
            }
        }
        let forms: Vec<&Rule> = members.iter().filter(|m| self.fits(m, ty, 0)).collect();
        self.forms(&forms, ty, depth)
    }

    /// The forms a value may take, each a rule for the same `value`: none fitting means no
    /// check; one accepting everything means no check either.
    fn forms(&mut self, forms: &[&Rule], ty: &syn::Type, depth: usize) -> TokenStream {
        let mut bodies = Vec::new();
        for form in forms {
            let body = self.value(form, ty, depth + 1);
            if body.is_empty() {
                return quote!();
            }
            bodies.push(body);
        }
        match bodies.len() {
            0 => quote!(),
            1 => bodies.remove(0),
            _ => quote! {
                crate::validate::leaf::one_of(&[#(&|| -> crate::validate::Checked { #bodies Ok(()) }),*])?;
            },
        }
    }

    fn union(
        &mut self,
        name: &str,
        variants: &[UnionVariant],
        members: &[Rule],
        depth: usize,
    ) -> TokenStream {
        let ty = format_ident!("{}", name);
        let mut arms = Vec::new();
        let mut all = true;
        for variant in variants {
            let body = match &variant.payload {
                Some(payload) => {
                    let payload: syn::Type = match syn::parse2(payload.tokens(&quote!(types))) {
                        Ok(t) => t,
                        Err(_) => {
                            all = false;
                            continue;
                        }
                    };
                    self.variant_body(&variant.key, members, &payload, depth)
                }
                None => quote!(),
            };
            let v = format_ident!("{}", variant.name);
            if body.is_empty() {
                all = false;
                continue;
            }
            let pattern = if variant.payload.is_some() {
                quote!(types::#ty::#v(value))
            } else {
                quote!(types::#ty::#v)
            };
            arms.push(quote! { #pattern => { #body } });
        }
        if arms.is_empty() {
            return quote!();
        }
        let rest = (!all).then(|| quote!(_ => {}));
        quote! {
            match value {
                #(#arms)*
                #rest
            }
        }
    }

    /// The check of a single-key union's variant holding `payload` under `key`: the forms
    /// (members) that consist of that key, each applied to the payload.
    fn variant_body(
        &mut self,
        key: &str,
        members: &[Rule],
        payload: &syn::Type,
        depth: usize,
    ) -> TokenStream {
        let rules: Vec<Rule> = members
            .iter()
            .filter_map(|m| self.key_rule(m, key))
            .filter(|r| self.fits(r, payload, 0))
            .collect();
        let refs: Vec<&Rule> = rules.iter().collect();
        let body = self.forms(&refs, payload, depth);
        if body.is_empty() {
            body
        } else {
            quote! {
                let at = at.key(#key);
                #body
            }
        }
    }

    /// The rule of property `key` of `member` when `member` is an object needing no other key.
    fn key_rule(&self, member: &Rule, key: &str) -> Option<Rule> {
        let resolved = self.resolve(member)?;
        let Rule::Object { properties } = resolved else {
            return None;
        };
        if properties.iter().any(|p| p.required && p.name != key) {
            return None;
        }
        properties.iter().find(|p| p.name == key).map(|p| p.rule.clone())
    }

    fn untagged(
        &mut self,
        name: &str,
        variants: &[(&syn::Ident, Form<'_>)],
        members: &[Rule],
        depth: usize,
    ) -> TokenStream {
        let ty = format_ident!("{}", name);
        let mut arms = Vec::new();
        for ((v, form), member) in variants.iter().zip(members) {
            match form {
                Form::One(payload) => {
                    let body = self.value(member, payload, depth + 1);
                    if !body.is_empty() {
                        arms.push(quote! { types::#ty::#v(value) => { #body } });
                    }
                }
                Form::Fields(fields) => {
                    let Some(Rule::Object { properties }) = self.resolve(member).cloned() else {
                        continue;
                    };
                    let mut bound = Vec::new();
                    let mut checks = Vec::new();
                    for property in &properties {
                        let Some(f) = fields.iter().find(|f| !f.flatten && f.wire == property.name) else {
                            continue;
                        };
                        // Bound under names of our own: a field called `at` or `i` must not
                        // shadow the check's bindings.
                        let (ident, binding) = (f.ident, format_ident!("field_{}", bound.len()));
                        let found = Found {
                            access: quote!(#ident),
                            ty: f.ty,
                            skip_if: f.skip_if.clone(),
                        };
                        if let Some(check) = self.property(property, &found, quote!(#binding), depth) {
                            bound.push(quote!(#ident: #binding));
                            checks.push(check);
                        }
                    }
                    if !checks.is_empty() {
                        arms.push(quote! { types::#ty::#v { #(#bound,)* .. } => { #(#checks)* } });
                    }
                }
            }
        }
        if arms.is_empty() {
            return quote!();
        }
        let rest = (arms.len() < variants.len()).then(|| quote!(_ => {}));
        quote! {
            match value {
                #(#arms)*
                #rest
            }
        }
    }

    /// A rule meant for what a newtype wraps: applied to its field.
    fn through_newtype(&mut self, rule: &Rule, ty: &syn::Type, depth: usize) -> TokenStream {
        let Shape::Named(name) = self.index.shape(ty) else {
            return quote!();
        };
        let Some(Def::Newtype(inner)) = self.index.get(&name) else {
            return quote!();
        };
        let inner: &syn::Type = inner;
        let body = self.value(rule, inner, depth + 1);
        bind(quote!(&value.0), body)
    }

    /// How a string rule reads the text of `ty`.
    fn text(&self, ty: &syn::Type) -> Text {
        match self.index.shape(ty) {
            Shape::Str => Text::Str,
            Shape::Named(name) => match self.index.get(&name) {
                Some(Def::Text) => Text::AsStr,
                _ => Text::No,
            },
            _ => Text::No,
        }
    }

    /// The field of model `name` that holds property `wire`, looking into flattened fields.
    fn field(&self, name: &str, wire: &str, depth: usize) -> Option<Found<'t>> {
        let Some(Def::Struct(fields)) = self.index.get(name) else {
            return None;
        };
        if let Some(f) = fields.iter().find(|f| !f.flatten && f.wire == wire) {
            let ident = f.ident;
            return Some(Found {
                access: quote!(#ident),
                ty: f.ty,
                skip_if: f.skip_if.clone(),
            });
        }
        if depth > 8 {
            return None;
        }
        for f in fields.iter().filter(|f| f.flatten) {
            if let Shape::Named(inner) = self.index.shape(f.ty)
                && let Some(found) = self.field(&inner, wire, depth + 1)
            {
                let (outer, access) = (f.ident, found.access);
                return Some(Found {
                    access: quote!(#outer.#access),
                    ..found
                });
            }
        }
        None
    }

    /// Whether a value of type `ty` can be what `rule` describes (its JSON kind, and its
    /// items' for a list): forms of a union the type cannot take are not tried.
    fn fits(&self, rule: &Rule, ty: &syn::Type, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        match rule {
            Rule::Any => return true,
            Rule::AllOf(members) => return members.iter().all(|m| self.fits(m, ty, depth + 1)),
            Rule::OneOf(members) | Rule::AnyOf(members) => {
                return members.iter().any(|m| self.fits(m, ty, depth + 1));
            }
            Rule::Nullable(inner) => return self.fits(inner, ty, depth + 1),
            Rule::Named(name) => {
                return self
                    .named
                    .get(name.as_str())
                    .is_none_or(|r| self.fits(r, ty, depth + 1));
            }
            Rule::String { .. } | Rule::Number { .. } | Rule::Array { .. } | Rule::Object { .. } => {}
        }
        match self.index.shape(ty) {
            Shape::Ref(t) | Shape::Boxed(t) | Shape::Option(t) => return self.fits(rule, t, depth + 1),
            Shape::Named(name) => {
                if let Some(Def::Newtype(inner)) = self.index.get(&name) {
                    return self.fits(rule, inner, depth + 1);
                }
            }
            Shape::List(item) => {
                return match rule {
                    Rule::Array { items, .. } => self.fits(items, item, depth + 1),
                    _ => false,
                };
            }
            _ => {}
        }
        let kind = self.kind(ty, 0);
        match rule {
            Rule::String { .. } => matches!(kind, Kind::Str | Kind::Unknown),
            Rule::Number { .. } => matches!(kind, Kind::Num | Kind::Unknown),
            Rule::Array { .. } => matches!(kind, Kind::List | Kind::Unknown),
            _ => matches!(kind, Kind::Object | Kind::Unknown),
        }
    }

    fn kind(&self, ty: &syn::Type, depth: usize) -> Kind {
        if depth > 8 {
            return Kind::Unknown;
        }
        match self.index.shape(ty) {
            Shape::Str => Kind::Str,
            Shape::Num => Kind::Num,
            Shape::List(_) => Kind::List,
            Shape::Ref(t) | Shape::Boxed(t) | Shape::Option(t) => self.kind(t, depth + 1),
            Shape::Named(name) => match self.index.get(&name) {
                Some(Def::Text) => Kind::Str,
                Some(Def::Struct(_) | Def::Union(_)) => Kind::Object,
                Some(Def::Newtype(inner)) => self.kind(inner, depth + 1),
                _ => Kind::Unknown,
            },
            Shape::Other => Kind::Unknown,
        }
    }

    /// `rule` with component references followed (a few steps; `None` past that).
    fn resolve<'r>(&'r self, rule: &'r Rule) -> Option<&'r Rule> {
        let mut rule = rule;
        for _ in 0..8 {
            match rule {
                Rule::Named(name) => rule = self.named.get(name.as_str())?,
                Rule::Nullable(inner) => rule = inner,
                other => return Some(other),
            }
        }
        None
    }

    fn pattern_index(&mut self, source: &str) -> usize {
        match self.patterns.iter().position(|p| p == source) {
            Some(i) => i,
            None => {
                self.patterns.push(source.to_string());
                self.patterns.len() - 1
            }
        }
    }

    /// Whether `rule` can ever refuse a value of the right Rust type.
    pub fn checks_anything(&self, rule: &Rule, depth: usize) -> bool {
        checks_anything(self.named, rule, depth)
    }
}

/// A field found for a property: how to reach it from `value`, and its type.
#[derive(Clone)]
struct Found<'t> {
    access: TokenStream,
    ty: &'t syn::Type,
    skip_if: Option<syn::ExprPath>,
}

enum Text {
    /// `value` is a `&String` or `&str`.
    Str,
    /// `value.as_str()` is the text (our open enums).
    AsStr,
    /// Not text.
    No,
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Num,
    List,
    Object,
    Unknown,
}

/// `body` reading `value` as `expr` (nothing when `body` is empty).
fn bind(expr: TokenStream, body: TokenStream) -> TokenStream {
    if !mentions(&body, "value") {
        body
    } else {
        quote! { { let value = #expr; #body } }
    }
}

/// Whether `tokens` use the identifier `name` anywhere.
pub fn mentions(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), name),
        _ => false,
    })
}

pub fn pattern_ident(index: usize) -> syn::Ident {
    format_ident!("PATTERN_{}", index + 1)
}

/// `constraints` keeps only checked formats, so the lookup finds one.
fn format_variant(format: &str) -> Option<syn::Ident> {
    CHECKED_FORMATS
        .iter()
        .find(|(name, _)| *name == format)
        .map(|(_, variant)| format_ident!("{}", variant))
}

/// Whether `rule` can ever refuse a value of the right Rust type; `depth` bounds the
/// walk through (possibly recursive) components.
pub fn checks_anything(named: &BTreeMap<&str, &Rule>, rule: &Rule, depth: usize) -> bool {
    if depth > 32 {
        return true;
    }
    match rule {
        Rule::Any => false,
        Rule::String {
            min_length,
            max_length,
            pattern,
            format,
        } => min_length.is_some() || max_length.is_some() || pattern.is_some() || format.is_some(),
        Rule::Number { minimum, maximum, .. } => minimum.is_some() || maximum.is_some(),
        Rule::Array {
            min_items,
            max_items,
            items,
        } => min_items.is_some() || max_items.is_some() || checks_anything(named, items, depth + 1),
        Rule::Object { properties } => properties
            .iter()
            .any(|p| checks_anything(named, &p.rule, depth + 1)),
        Rule::AllOf(members) | Rule::OneOf(members) | Rule::AnyOf(members) => {
            members.iter().any(|m| checks_anything(named, m, depth + 1))
        }
        Rule::Nullable(inner) => checks_anything(named, inner, depth + 1),
        Rule::Named(name) => named
            .get(name.as_str())
            .is_some_and(|r| checks_anything(named, r, depth + 1)),
    }
}
