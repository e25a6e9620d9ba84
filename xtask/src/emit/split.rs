//! Splits progenitor's single output into the models (`pub mod types { .. }`, bound for the
//! types crate) and the request-building client (bound for the client crate).

use crate::error::{GenError, Result};

/// The two halves of progenitor's output.
pub struct Split {
    /// Items of `pub mod types`.
    pub types: Vec<syn::Item>,
    /// Everything else: the raw client.
    pub client: Vec<syn::Item>,
}

/// Separates `file` into its `types` module and the rest.
pub fn split(file: syn::File) -> Result<Split> {
    let mut types = None;
    let mut client = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Mod(m) if m.ident == "types" => {
                let (_, items) = m
                    .content
                    .ok_or_else(|| GenError::at("progenitor", "the `types` module has no body"))?;
                types = Some(items);
            }
            other => client.push(other),
        }
    }
    let types = types.ok_or_else(|| GenError::at("progenitor", "emitted no `types` module"))?;
    Ok(Split { types, client })
}
