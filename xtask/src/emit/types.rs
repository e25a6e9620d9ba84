//! The models crate: typify's structs, plus the types we emit ourselves because typify cannot
//! express them: open string enums and single-key unions.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::{docs, timestamps};
use crate::error::{GenError, Result};
use crate::model::{ApiModel, OneKeyUnion, StringEnum};
use crate::naming::{distinct, pascal_ident};

/// Builds the types crate's generated module from typify's items and our model.
pub fn emit(typify_items: Vec<syn::Item>, model: &ApiModel) -> Result<syn::File> {
    let types_path = quote!(crate);
    let mut items = typify_items;
    for e in &model.string_enums {
        items.extend(parse_items(string_enum(e), &e.name)?);
    }
    for u in &model.unions {
        items.extend(parse_items(union(u, &types_path), &u.name)?);
    }
    // Items straight into an empty file: no round trip through tokens and the parser.
    let mut file: syn::File = syn::parse_quote!();
    file.items = items;
    docs::fill_missing(&mut file);
    timestamps::fast_path(&mut file);
    Ok(file)
}

fn parse_items(tokens: TokenStream, type_name: &str) -> Result<Vec<syn::Item>> {
    syn::parse2::<syn::File>(tokens)
        .map(|file| file.items)
        .map_err(|e| {
            GenError::at(
                format!("type {type_name}"),
                format!("internal: emitted invalid Rust: {e}"),
            )
        })
}

/// Variant names for the values, unique and never `Unknown` (that one keeps unlisted values);
/// colliding values are told apart by [`distinct`]'s rule (`<=` -> `LtEq`, `>` -> `Gt`).
fn variant_names(values: &[String]) -> Vec<syn::Ident> {
    let wires: Vec<&str> = values.iter().map(String::as_str).collect();
    let names = distinct(&wires, pascal_ident, &["Unknown"]);
    values
        .iter()
        .map(|value| {
            format_ident!(
                "{}",
                names.get(value).map_or_else(|| pascal_ident(value), Clone::clone)
            )
        })
        .collect()
}

fn string_enum(e: &StringEnum) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let doc = e.description.clone().unwrap_or_else(|| format!("`{}`", e.name));
    let variants = variant_names(&e.values);
    let values = &e.values;
    let variant_docs = values.iter().map(|v| format!("`{v}`"));
    quote! {
        #[doc = #doc]
        ///
        /// Values the server adds later parse as [`Self::Unknown`] and keep their text.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #( #[doc = #variant_docs] #variants, )*
            /// A value this version of the SDK does not list, kept verbatim.
            Unknown(::std::string::String),
        }

        impl #name {
            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Unknown(value) => value.as_str(),
                }
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#variants, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #( #values => Self::#variants, )*
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::std::string::String::deserialize(deserializer).map(Self::from)
            }
        }
    }
}

fn union(u: &OneKeyUnion, types_path: &TokenStream) -> TokenStream {
    let name = format_ident!("{}", u.name);
    let doc = u.description.clone().unwrap_or_else(|| format!("`{}`", u.name));
    let keys: Vec<&str> = u.variants.iter().map(|v| v.key.as_str()).collect();
    let expected = format!(
        "an object with exactly one of the keys {}",
        dedup(&keys)
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut definitions = Vec::new();
    let mut serialize_arms = Vec::new();
    for v in &u.variants {
        let ident = format_ident!("{}", v.name);
        let key = &v.key;
        let vdoc = match &v.description {
            Some(d) => format!("{}\n\nSent as `{{\"{key}\": ...}}`.", d.trim_end()),
            None => format!("Sent as `{{\"{key}\": ...}}`."),
        };
        match &v.payload {
            None => {
                let vdoc = vdoc.replace("...", "true");
                definitions.push(quote! { #[doc = #vdoc] #ident });
                serialize_arms.push(quote! { Self::#ident => map.serialize_entry(#key, &true)?, });
            }
            Some(payload) => {
                let ty = payload.tokens(types_path);
                definitions.push(quote! { #[doc = #vdoc] #ident(#ty) });
                serialize_arms.push(quote! { Self::#ident(value) => map.serialize_entry(#key, value)?, });
            }
        }
    }

    // Branches sharing a key (URLs as strings, or as objects with headers) are told apart by
    // trying each in spec order.
    let attempts = u.variants.iter().map(|v| {
        let ident = format_ident!("{}", v.name);
        let key = &v.key;
        match &v.payload {
            None => quote! {
                if key == #key && value == ::serde_json::Value::Bool(true) {
                    return Ok(Self::#ident);
                }
            },
            Some(_) => quote! {
                if key == #key && let Ok(inner) = ::serde_json::from_value(value.clone()) {
                    return Ok(Self::#ident(inner));
                }
            },
        }
    });
    let type_name = &u.name;

    quote! {
        #[doc = #doc]
        ///
        /// Exactly one form can be built, and it serialises to a single-key JSON object.
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#definitions,)*
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                match self {
                    #(#serialize_arms)*
                }
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                use ::serde::de::Error as _;
                let object = ::serde_json::Map::<::std::string::String, ::serde_json::Value>::deserialize(deserializer)?;
                let mut entries = object.into_iter();
                let (key, value) = match (entries.next(), entries.next()) {
                    (Some(entry), None) => entry,
                    _ => return Err(D::Error::custom(concat!("expected ", #expected))),
                };
                #(#attempts)*
                Err(D::Error::custom(format!(
                    "`{key}` with this value is not a valid {}; expected {}", #type_name, #expected
                )))
            }
        }
    }
}

fn dedup<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for k in keys {
        if !out.contains(k) {
            out.push(k);
        }
    }
    out
}
