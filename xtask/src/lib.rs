//! The cf-cache generator. `generate` runs the whole pipeline in memory:
//!
//! `load` (bytes -> OpenAPI) -> `normalise` (-> lowered spec + our model) -> `emit`
//! (-> syntax trees, via progenitor/typify and our own emitters) -> `format` (-> text with a
//! provenance header). `write` puts files on disk; `surface` reports what changed and what
//! breaks callers.

mod constraints;
mod emit;
pub mod error;
pub mod fixture;
mod format;
mod load;
mod model;
mod naming;
mod normalise;
pub mod surface;
pub mod try_spec;
pub mod vendor;
pub mod write;

use std::time::{Duration, Instant};

pub use error::{GenError, Skipped};

/// Default location of the spec, relative to the workspace root.
pub const DEFAULT_SPEC: &str = "spec/cloudflare-cache.yaml";
/// The types crate's generated module.
pub const TYPES_FILE: &str = "crates/cf-cache-types/src/generated.rs";
/// The client crate's private request builder.
pub const RAW_CLIENT_FILE: &str = "crates/cf-cache-client/src/generated/raw.rs";
/// The client crate's public operations.
pub const OPERATIONS_FILE: &str = "crates/cf-cache-client/src/generated/operations.rs";
/// The client crate's checks of requests, generated from the spec's validation keywords.
pub const CHECKS_FILE: &str = "crates/cf-cache-client/src/generated/checks.rs";
/// The client crate's limits, the bounds the spec states on requests.
pub const LIMITS_FILE: &str = "crates/cf-cache-client/src/generated/limits.rs";
/// The client crate's module tying the generated files together.
pub const CLIENT_MOD_FILE: &str = "crates/cf-cache-client/src/generated/mod.rs";

/// One output file: where it goes (relative to the workspace root) and its full text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path with forward slashes.
    pub path: String,
    /// The file's text.
    pub contents: String,
}

/// Runs the stages that read the spec's structure, `load` and `normalise`, and stops before
/// emitting code: a quick way to learn whether (and where) the generator refuses `bytes`. The
/// fuzz targets use it, as whole generations are too slow to run millions of times.
pub fn lower(bytes: &[u8], spec_name: &str) -> Result<(), GenError> {
    let spec = load::load(bytes, spec_name)?;
    normalise::normalise(&spec, false).map(drop)
}

/// How to generate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Leave out (and list) each operation using a construct the generator does not support,
    /// instead of stopping at the first.
    pub skip_unsupported: bool,
}

/// What one generation produced.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The files.
    pub files: Vec<GeneratedFile>,
    /// Operations generated.
    pub operations: usize,
    /// Operations left out, with the reason (empty without `skip_unsupported`).
    pub skipped: Vec<Skipped>,
    /// Generated operations by what they send and return (`raw request body: 30`, ...).
    pub kinds: std::collections::BTreeMap<&'static str, usize>,
    /// Time per stage.
    pub times: StageTimes,
}

/// How long each stage of one [`generate_timed`] run took.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    /// Bytes to a typed OpenAPI document.
    pub load: Duration,
    /// Lowering for progenitor and building our model.
    pub normalise: Duration,
    /// progenitor, typify and our emitters, to syntax trees.
    pub emit: Duration,
    /// Syntax trees to text.
    pub format: Duration,
}

/// Generates every file from the spec `bytes`; `spec_name` is how the headers and error
/// messages name the spec. Deterministic: the same bytes give the same files.
pub fn generate(bytes: &[u8], spec_name: &str) -> Result<Vec<GeneratedFile>, GenError> {
    generate_timed(bytes, spec_name).map(|(files, _)| files)
}

/// [`generate`], also reporting the time spent in each stage (for the regen benchmark).
pub fn generate_timed(bytes: &[u8], spec_name: &str) -> Result<(Vec<GeneratedFile>, StageTimes), GenError> {
    generate_with(bytes, spec_name, Options::default()).map(|g| (g.files, g.times))
}

/// [`generate`] with [`Options`], reporting what was generated and what was left out.
pub fn generate_with(bytes: &[u8], spec_name: &str, options: Options) -> Result<Generation, GenError> {
    let mut times = StageTimes::default();
    let mut started = Instant::now();
    let mut lap = |slot: &mut Duration| {
        let now = Instant::now();
        *slot = now - started;
        started = now;
    };
    let spec = load::load(bytes, spec_name)?;
    lap(&mut times.load);
    let mut normalised = normalise::normalise(&spec, options.skip_unsupported)?;
    lap(&mut times.normalise);
    // Each stage's input is dropped as soon as the next has what it needs: on a large spec
    // the trees run to hundreds of megabytes, and a smaller heap is a faster one.
    let load::LoadedSpec { name, sha256, .. } = spec;
    let emitted = emit::emit(&mut normalised, "cf_cache_types", options.skip_unsupported)?;
    let operations = normalised.model.operations.len();
    let kinds = model::kinds(&normalised.model.operations);
    let skipped = std::mem::take(&mut normalised.skipped);
    drop(normalised);
    lap(&mut times.emit);
    let provenance = format::Provenance {
        spec_name: &name,
        spec_sha256: &sha256,
    };
    let file = |path: &str, tree: syn::File, doc: &str| GeneratedFile {
        path: path.to_string(),
        contents: format::render(tree, &provenance, doc),
    };
    let modules: syn::File = syn::parse_quote! {
        pub mod checks;
        pub mod limits;
        pub(crate) mod operations;
        pub(crate) mod raw;
    };
    let files = vec![
        file(
            CLIENT_MOD_FILE,
            modules,
            "Code generated from the spec; the hand-written runtime is everything outside this folder.",
        ),
        file(
            TYPES_FILE,
            emitted.types,
            "Request and response models of the Cloudflare cache API.",
        ),
        file(
            RAW_CLIENT_FILE,
            emitted.raw_client,
            "Request building for every operation (progenitor output, trimmed to build only).\n\
             Private: the public surface is `operations`, and sending lives in the runtime.",
        ),
        file(
            OPERATIONS_FILE,
            emitted.operations,
            "One method per API operation on `Client`, returning the decoded `result`, and its\n\
             `_with_meta` twin, returning the result with the answer's metadata.",
        ),
        file(
            CHECKS_FILE,
            emitted.checks,
            "What requests must satisfy, read from the spec's validation keywords: a\n\
             `Validate` impl per request model and a check per item of each request list\n\
             (public as `validate::items`). The operations check their parameters and body\n\
             with the same leaf checks before sending anything.",
        ),
        file(
            LIMITS_FILE,
            emitted.limits,
            "The bounds the spec states on requests (`maxItems`, `maxLength`, `maximum` and\n\
             their lower twins), one constant each, named after where the bound sits: the\n\
             component, the properties down to it (`items` for a list's items) and the\n\
             keyword, a property repeating the end of the name left out\n\
             (`PurgeFiles.files` `maxItems` is `PURGE_FILES_MAX_ITEMS`).",
        ),
    ];
    lap(&mut times.format);
    Ok(Generation {
        files,
        operations,
        skipped,
        kinds,
        times,
    })
}
