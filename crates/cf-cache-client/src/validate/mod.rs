//! Checks that run before anything is sent: a request the spec forbids is refused with
//! [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming the field, and the network
//! never sees it.
//!
//! The checks come from the spec: `cargo xtask regen` turns its `maxLength`, `pattern`,
//! `minimum`/`maximum`, `minItems`/`maxItems` and checked `format`s into plain Rust
//! (`generated/checks.rs`) calling the leaf checks here, so no limit is written twice; the
//! bounds themselves are also public, as [`crate::limits`]. Path parameters are additionally
//! kept to one path segment, whatever the spec says.
//!
//! [`check`] runs the client's checks on any request model; [`items`] checks one item of a
//! request list as the client checks a body holding only that item (what the batchers do for
//! every item they are given):
//!
//! ```
//! use cf_cache_client::{types::PurgeRequest, validate};
//!
//! assert!(validate::check(&PurgeRequest::Tags(vec!["release-42".into()])).is_ok());
//! let refused = validate::check(&PurgeRequest::Tags(vec!["has space".into()])).unwrap_err();
//! assert_eq!(refused.field, "body.tags[0]");
//!
//! assert!(validate::items::purge_request_files("https://www.example.com/app.css").is_ok());
//! let refused = validate::items::purge_request_files("www.example.com/app.css").unwrap_err();
//! assert_eq!(refused.field, "body.files[0]");
//! ```

mod formats;
// Public, not only for the generated code: a spec uses some of the leaves (ours not `one_of`
// or the `uri` format, Cloudflare's whole spec every one), and a `Validate` impl of the
// caller's own builds from them too.
pub mod leaf;
mod path;

pub use crate::generated::checks as items;
pub use leaf::{Checked, Field, Refusal};
pub(crate) use path::segment;

use crate::error::InvalidRequest;

/// A request model with rules from the spec. Implemented by the generated code for every
/// model an operation can send.
pub trait Validate {
    /// Checks the value, which sits at `at`; the first refusal names the field at fault.
    fn check_at(&self, at: Field<'_>) -> Checked;
}

/// Checks `value` as the client would before sending it. The reported field starts at
/// `body`, e.g. `body.files[3]`.
pub fn check<T: Validate + ?Sized>(value: &T) -> Result<(), InvalidRequest> {
    value.check_at(Field::BODY).map_err(InvalidRequest::from)
}
