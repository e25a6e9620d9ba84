//! Request and response models of Cloudflare's cache API.
//!
//! Everything here is generated from `spec/cloudflare-cache.yaml` by `cargo xtask regen`
//! (see `generated.rs`); this file only wires it up.
//!
//! Two kinds of type are worth knowing about:
//! - string enums are open: a value the spec does not list parses as `Unknown(String)`
//!   and serialises back unchanged, so a new server-side state never breaks decoding;
//! - single-key unions such as [`PurgeRequest`] can only be built in a valid form and
//!   serialise to exactly one JSON key.

// Generated code names the models by absolute path, so it reads the same here and in the client.
extern crate self as cf_cache_types;

// prettyplease owns the layout of generated code; rustfmt would fight it on every regen.
#[rustfmt::skip]
mod generated;

pub use generated::*;

// The README is what crates.io shows: its examples are compiled (and run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
