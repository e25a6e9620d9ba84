//! Points the models' timestamp fields at chrono's RFC 3339 parser.
//!
//! typify types a `format: date-time` as `chrono::DateTime<Utc>`, whose own `Deserialize` runs
//! chrono's relaxed parser: a general format interpreter that costs about as much as the rest of
//! decoding a small response. The API sends RFC 3339, which chrono parses with a dedicated
//! routine at a fraction of that. Each field holding a `DateTime<Utc>`, or an `Option` of one,
//! gets a `deserialize_with` naming a function of the `timestamps` module appended to the file,
//! which tries that routine first and falls back to the relaxed parser: a text decodes to the
//! same instant, or fails, exactly as before. Timestamps deeper inside a field (in a `Vec`, a
//! map) keep chrono's `Deserialize`: correct, only slower.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit_mut::{self, VisitMut};

/// Adds the fast path to every timestamp field of a type deriving `Deserialize` in `file`,
/// and the module those fields name when there is one.
pub fn fast_path(file: &mut syn::File) {
    let mut marker = Marker::default();
    for item in &mut file.items {
        let derives_deserialize = match item {
            syn::Item::Struct(s) => derives_deserialize(&s.attrs),
            syn::Item::Enum(e) => derives_deserialize(&e.attrs),
            _ => false,
        };
        if derives_deserialize {
            marker.visit_item_mut(item);
        }
    }
    if let Some(module) = module(&marker) {
        file.items.push(module);
    }
}

/// The shape of a timestamp field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Required,
    Optional,
}

impl Shape {
    fn of(ty: &syn::Type) -> Option<Self> {
        let ty = ty.to_token_stream().to_string();
        if ty == timestamp().to_string() {
            Some(Self::Required)
        } else if ty == optional(timestamp()).to_string() {
            Some(Self::Optional)
        } else {
            None
        }
    }

    fn function(self) -> &'static str {
        match self {
            Self::Required => "timestamps::required",
            Self::Optional => "timestamps::optional",
        }
    }
}

/// The type typify gives a `format: date-time`.
fn timestamp() -> TokenStream {
    quote!(::chrono::DateTime<::chrono::offset::Utc>)
}

fn optional(ty: TokenStream) -> TokenStream {
    quote!(::std::option::Option<#ty>)
}

fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        let mut found = false;
        // A derive list that does not parse has nothing to find.
        let _ = a.parse_nested_meta(|meta| {
            found |= meta
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Deserialize");
            Ok(())
        });
        found
    })
}

/// Marks fields and remembers which functions they name.
#[derive(Default)]
struct Marker {
    required: bool,
    optional: bool,
}

impl VisitMut for Marker {
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        if let Some(shape) = Shape::of(&field.ty)
            && !has_serde_key(&field.attrs, &["with", "deserialize_with"])
        {
            let function = shape.function();
            let named = field.ident.is_some();
            let keys = if shape == Shape::Optional && named && !has_serde_key(&field.attrs, &["default"]) {
                // `deserialize_with` turns off serde's "a missing Option is None" for a named
                // field. A newtype's field is never missing (and `transparent` refuses one
                // with a default).
                quote!(default, deserialize_with = #function)
            } else {
                quote!(deserialize_with = #function)
            };
            add_serde_keys(&mut field.attrs, keys);
            match shape {
                Shape::Required => self.required = true,
                Shape::Optional => self.optional = true,
            }
        }
        visit_mut::visit_field_mut(self, field);
    }
}

/// Appends `keys` to the field's `#[serde(..)]` attribute, or adds one.
fn add_serde_keys(attrs: &mut Vec<syn::Attribute>, keys: TokenStream) {
    let existing = attrs.iter_mut().find_map(|a| match &mut a.meta {
        syn::Meta::List(list) if list.path.is_ident("serde") => Some(list),
        _ => None,
    });
    match existing {
        Some(list) => {
            let before = std::mem::take(&mut list.tokens);
            list.tokens = quote!(#before, #keys);
        }
        None => attrs.push(syn::parse_quote!(#[serde(#keys)])),
    }
}

/// Whether a `#[serde(..)]` attribute of the field sets one of `keys`.
fn has_serde_key(attrs: &[syn::Attribute], keys: &[&str]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("serde")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|meta| {
            found |= keys.iter().any(|key| meta.path.is_ident(key));
            // Skip the value, if any, so the next key parses.
            if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
        found
    })
}

/// The module the marked fields name, with only the functions they use.
fn module(marker: &Marker) -> Option<syn::Item> {
    if !marker.required && !marker.optional {
        return None;
    }
    let ts = timestamp();
    let option_ts = optional(ts.clone());
    let required = marker.required.then(|| {
        quote! {
            /// A timestamp field.
            pub(super) fn required<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<#ts, D::Error> {
                deserializer.deserialize_str(Rfc3339)
            }
        }
    });
    let optional = marker.optional.then(|| {
        quote! {
            /// An optional timestamp field: absent (thanks to `default`) or `null` is `None`.
            pub(super) fn optional<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<#option_ts, D::Error> {
                deserializer.deserialize_option(Nullable)
            }

            struct Nullable;

            impl<'de> ::serde::de::Visitor<'de> for Nullable {
                type Value = #option_ts;

                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str("an RFC 3339 timestamp or null")
                }

                fn visit_none<E: ::serde::de::Error>(self) -> ::std::result::Result<Self::Value, E> {
                    Ok(None)
                }

                fn visit_unit<E: ::serde::de::Error>(self) -> ::std::result::Result<Self::Value, E> {
                    Ok(None)
                }

                fn visit_some<D: ::serde::Deserializer<'de>>(
                    self,
                    deserializer: D,
                ) -> ::std::result::Result<Self::Value, D::Error> {
                    deserializer.deserialize_str(Rfc3339).map(Some)
                }
            }
        }
    });
    let doc = "Decodes the models' timestamps: chrono's RFC 3339 parser first, its relaxed \
               parser (what `DateTime`'s own `Deserialize` runs) for any other text, so the \
               same texts decode to the same instants, only faster.";
    Some(syn::parse_quote! {
        #[doc = #doc]
        mod timestamps {
            #required
            #optional

            struct Rfc3339;

            impl<'de> ::serde::de::Visitor<'de> for Rfc3339 {
                type Value = #ts;

                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str("an RFC 3339 timestamp")
                }

                fn visit_str<E: ::serde::de::Error>(self, text: &str) -> ::std::result::Result<Self::Value, E> {
                    ::chrono::DateTime::parse_from_rfc3339(text)
                        .or_else(|_| text.parse::<::chrono::DateTime<::chrono::FixedOffset>>())
                        .map(|at| at.with_timezone(&::chrono::offset::Utc))
                        .map_err(E::custom)
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file after the pass, and the `#[serde(..)]` attribute of its first field as tokens.
    fn marked(mut file: syn::File) -> (String, String) {
        fast_path(&mut file);
        let serde = file
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Struct(s) => s.fields.iter().next(),
                _ => None,
            })
            .and_then(|f| f.attrs.iter().find(|a| a.path().is_ident("serde")))
            .map(|a| a.to_token_stream().to_string())
            .unwrap_or_default();
        (prettyplease::unparse(&file), serde)
    }

    fn tokens(attr: syn::Attribute) -> String {
        attr.to_token_stream().to_string()
    }

    #[test]
    fn optional_timestamp_fields_gain_default_and_the_fast_path() {
        let (out, serde) = marked(syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            pub struct S {
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
            }
        });
        let want = tokens(syn::parse_quote!(#[serde(
            skip_serializing_if = "::std::option::Option::is_none",
            default,
            deserialize_with = "timestamps::optional"
        )]));
        assert_eq!(serde, want);
        assert!(out.contains("fn optional<"), "{out}");
        assert!(
            !out.contains("fn required<"),
            "only the functions used are emitted: {out}"
        );
    }

    #[test]
    fn a_field_with_a_default_already_gets_only_the_fast_path() {
        let (_, serde) = marked(syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            pub struct S {
                #[serde(default)]
                pub at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
            }
        });
        let want = tokens(syn::parse_quote!(#[serde(default, deserialize_with = "timestamps::optional")]));
        assert_eq!(serde, want);
    }

    #[test]
    fn required_timestamp_fields_get_the_required_function() {
        let (out, serde) = marked(syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            pub struct S {
                pub at: ::chrono::DateTime<::chrono::offset::Utc>,
            }
        });
        let want = tokens(syn::parse_quote!(#[serde(deserialize_with = "timestamps::required")]));
        assert_eq!(serde, want);
        assert!(!out.contains("fn optional<"), "{out}");
    }

    #[test]
    fn a_newtype_of_an_optional_timestamp_gets_no_default() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            #[serde(transparent)]
            pub struct At(pub ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>);
        };
        fast_path(&mut file);
        let field = match &file.items[0] {
            syn::Item::Struct(s) => s.fields.iter().next().map(|f| f.attrs.clone()),
            _ => None,
        };
        let want = tokens(syn::parse_quote!(#[serde(deserialize_with = "timestamps::optional")]));
        let got: Vec<String> = field.unwrap_or_default().into_iter().map(tokens).collect();
        assert_eq!(got, [want]);
    }

    #[test]
    fn types_not_deriving_deserialize_and_nested_timestamps_are_left_alone() {
        let file: syn::File = syn::parse_quote! {
            #[derive(::serde::Serialize)]
            pub struct Out {
                pub at: ::chrono::DateTime<::chrono::offset::Utc>,
            }
            #[derive(::serde::Deserialize)]
            pub struct In {
                pub all: ::std::vec::Vec<::chrono::DateTime<::chrono::offset::Utc>>,
            }
        };
        let before = prettyplease::unparse(&file);
        assert_eq!(marked(file).0, before);
    }

    #[test]
    fn a_field_with_its_own_deserializer_keeps_it() {
        let file: syn::File = syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            pub struct S {
                #[serde(with = "custom")]
                pub at: ::chrono::DateTime<::chrono::offset::Utc>,
            }
        };
        let before = prettyplease::unparse(&file);
        assert_eq!(marked(file).0, before);
    }
}
