//! Stage 3: turn the lowered spec and the model into Rust syntax trees, one per output file.

mod checks;
mod docs;
mod limits;
mod operations;
mod path_segments;
mod progenitor;
mod raw_client;
mod split;
mod timestamps;
mod types;
mod wire_names;

use crate::error::Result;
use crate::normalise::Normalised;

/// The syntax tree of each generated file.
pub struct Emitted {
    /// The types crate's models.
    pub types: syn::File,
    /// The client crate's private request builder.
    pub raw_client: syn::File,
    /// The client crate's public operation methods.
    pub operations: syn::File,
    /// The client crate's checks of requests.
    pub checks: syn::File,
    /// The client crate's spec limits.
    pub limits: syn::File,
}

/// Emits all files; `types_crate` is how generated code names the models crate. With
/// `skip_unsupported`, operations progenitor or typify cannot generate are left out (and
/// added to `normalised.skipped`).
pub fn emit(normalised: &mut Normalised, types_crate: &str, skip_unsupported: bool) -> Result<Emitted> {
    let mut all = progenitor::run(normalised, types_crate, skip_unsupported)?;
    wire_names::restore(&mut all, &normalised.model.wire_names);
    let parts = split::split(all)?;
    let types = types::emit(parts.types, &normalised.model)?;
    let raw_client = raw_client::emit(parts.client);
    let model = &normalised.model;
    let index = checks::index(&types, model, types_crate);
    let named = checks::named(model);
    let mut checker = checks::Checks::new(model, &index, &named);
    let operations = operations::emit(&raw_client, model, &mut checker)?;
    let checks = checker.finish()?;
    let limits = limits::emit(model, &checks::used_components(model, &named))?;
    Ok(Emitted {
        types,
        raw_client,
        operations,
        checks,
        limits,
    })
}
