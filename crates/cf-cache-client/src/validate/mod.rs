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

/// Checks one element of the list property `key` of a `T` body (e.g. one URL of a purge's
/// `files`) against the spec's rule for that list's items, without building a body around
/// it. Where `T` has several forms with such a list (a purge's `files` holds URLs or URLs
/// with headers), the item must fit one of them. The reported field is `body.<key>[0]`, as
/// [`check`] would report it for a body holding only this item.
///
/// An unknown `key` is itself refused, so a typo cannot pass everything. To check many items,
/// look the rules up once with [`ListItems::of`].
///
/// ```
/// use cf_cache_client::{types::PurgeRequest, validate};
///
/// assert!(validate::check_item::<PurgeRequest, _>("tags", "release-42").is_ok());
/// let refused = validate::check_item::<PurgeRequest, _>("files", "not a url").unwrap_err();
/// assert_eq!(refused.field, "body.files[0]");
/// assert!(validate::check_item::<PurgeRequest, _>("filez", "https://a.example/").is_err());
/// ```
pub fn check_item<T: Validate, I: Serialize + ?Sized>(key: &str, item: &I) -> Result<(), InvalidRequest> {
    match ListItems::of::<T>(key) {
        Some(items) => items.check(item),
        None => Err(InvalidRequest {
            field: format!("body.{key}"),
            reason: "is not a list this request body has".into(),
        }),
    }
}

/// The rules for the items of one list property of a request body, looked up once and then
/// applied to any number of items (what a batcher does for every item it is given).
///
/// ```
/// use cf_cache_client::{types::PurgeRequest, validate::ListItems};
///
/// let files = ListItems::of::<PurgeRequest>("files").expect("a purge body lists files");
/// assert!(files.check("https://www.example.com/app.css").is_ok());
/// assert_eq!(files.check("www.example.com/app.css").unwrap_err().field, "body.files[0]");
/// assert!(ListItems::of::<PurgeRequest>("filez").is_none());
/// ```
#[derive(Debug, Clone)]
pub struct ListItems {
    key: String,
    candidates: Vec<&'static Rule>,
}

impl ListItems {
    /// The item rules of list property `key` across the forms of `T`; `None` when no form of
    /// `T` has such a list.
    pub fn of<T: Validate>(key: &str) -> Option<Self> {
        let mut candidates = Vec::new();
        walk::list_item_rules(T::rule(), key, &mut candidates);
        (!candidates.is_empty()).then(|| Self {
            key: key.to_string(),
            candidates,
        })
    }

    /// Checks `item` as the only element of the list: `Ok` when one form accepts it,
    /// otherwise the most telling refusal, reported at `body.<key>[0]`.
    #[inline]
    pub fn check<I: Serialize + ?Sized>(&self, item: &I) -> Result<(), InvalidRequest> {
        match walk::check_list_item(&self.candidates, &self.key, item) {
            Ok(()) => Ok(()),
            Err(walk::Stop::Refused(v)) => Err(InvalidRequest {
                field: v.field,
                reason: v.reason,
            }),
            Err(walk::Stop::Json(e)) => Err(InvalidRequest {
                field: format!("body.{}[0]", self.key),
                reason: format!("cannot be written as JSON: {}", *e),
            }),
        }
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
