//! Checks that run before anything is sent: a request the spec forbids is refused with
//! [`Error::InvalidRequest`] naming the field, and the network never sees it.
//!
//! The limits come from the spec: `cargo xtask regen` turns its `maxLength`, `pattern`,
//! `minimum`/`maximum`, `minItems`/`maxItems` and checked `format`s into [`Rule`]s (see
//! `generated/rules.rs`), so no limit is written twice. Path parameters are additionally kept
//! to one path segment, whatever the spec says.
//!
//! [`check`] runs the same checks on any request model, e.g. one purge item at a time:
//!
//! ```
//! use cf_cache_client::{types::PurgeRequest, validate};
//!
//! assert!(validate::check(&PurgeRequest::Tags(vec!["release-42".into()])).is_ok());
//! let refused = validate::check(&PurgeRequest::Tags(vec!["has space".into()])).unwrap_err();
//! assert_eq!(refused.field, "body.tags[0]");
//! ```

mod formats;
mod path;
mod rule;
mod walk;

use serde::Serialize;

pub use rule::{Format, Pattern, Property, Rule};

use crate::error::{Error, InvalidRequest};

/// A request model with rules from the spec. Implemented by the generated code for every
/// model an operation can send.
pub trait Validate: Serialize {
    /// The model's rule.
    fn rule() -> &'static Rule;
}

/// Checks `value` as the client would before sending it. The reported field starts at
/// `body`, e.g. `body.files[3]`.
pub fn check<T: Validate>(value: &T) -> Result<(), InvalidRequest> {
    check_against("body", value, T::rule())
}

/// Checks `value` against any rule; `field` names the value in the report.
pub fn check_against<T: Serialize + ?Sized>(
    field: &str,
    value: &T,
    rule: &Rule,
) -> Result<(), InvalidRequest> {
    match walk::check(rule, value, walk::Place::Root(field)) {
        Ok(()) => Ok(()),
        Err(walk::Stop::Refused(v)) => Err(InvalidRequest {
            field: v.field,
            reason: v.reason,
        }),
        Err(walk::Stop::Json(e)) => Err(InvalidRequest {
            field: field.to_string(),
            reason: format!("cannot be written as JSON: {}", *e),
        }),
    }
}

/// The generated operations' check of a request body.
pub(crate) fn body<T: Serialize + ?Sized>(value: &T, rule: &'static Rule) -> Result<(), Error> {
    check_against("body", value, rule).map_err(Error::InvalidRequest)
}

/// The generated operations' check of a query or header parameter. `None` (an omitted
/// optional parameter) passes.
pub(crate) fn param<T: Serialize + ?Sized>(name: &str, value: &T, rule: &'static Rule) -> Result<(), Error> {
    let nullable = Rule::Nullable { inner: rule };
    check_against(name, value, &nullable).map_err(Error::InvalidRequest)
}

/// The generated operations' check of a path parameter: one segment, and the spec's rule.
pub(crate) fn path_param(name: &str, value: &str, rule: Option<&'static Rule>) -> Result<(), Error> {
    path::segment(name, value)?;
    match rule {
        Some(rule) => check_against(name, value, rule).map_err(Error::InvalidRequest),
        None => Ok(()),
    }
}
