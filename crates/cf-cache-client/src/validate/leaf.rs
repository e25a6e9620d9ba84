//! The leaf checks the generated code calls (`generated/checks.rs`): one function per
//! keyword the spec uses (a length, a bound, an item count, a pattern, a format), each told
//! where its value sits. A valid value costs a comparison or two and no allocation: the
//! place (`body.files[3]`) is built on the stack while descending and only written out when
//! a value is refused.
//!
//! They are public so that a model of the caller's own can be checked the same way:
//!
//! ```
//! use cf_cache_client::validate::{self, Checked, Field, Validate, leaf};
//!
//! /// A deploy's purge plan, checked before any purge is sent.
//! struct Plan {
//!     tags: Vec<String>,
//! }
//!
//! impl Validate for Plan {
//!     fn check_at(&self, at: Field<'_>) -> Checked {
//!         let tags = at.key("tags");
//!         leaf::max_items(tags, self.tags.len(), 30)?;
//!         for (i, tag) in self.tags.iter().enumerate() {
//!             leaf::format(tags.index(i), tag, leaf::Format::CacheTag)?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let refused = validate::check(&Plan { tags: vec!["ok".into(), "not ok".into()] }).unwrap_err();
//! assert_eq!(refused.field, "body.tags[1]");
//! ```

use std::fmt::Write as _;
use std::sync::OnceLock;

use super::formats;
use crate::error::{Error, InvalidRequest};

/// Where a value sits: the root (`body`, `zone_id`), then keys and indexes below it.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    /// The root, e.g. `body` or a parameter's name.
    Root(&'a str),
    /// A property of an object.
    Key(&'a Field<'a>, &'a str),
    /// An item of an array.
    Index(&'a Field<'a>, usize),
}

impl<'a> Field<'a> {
    /// Where a request body sits.
    pub const BODY: Field<'static> = Field::Root("body");

    /// The property `key` of the value here.
    pub fn key(&'a self, key: &'a str) -> Field<'a> {
        Field::Key(self, key)
    }

    /// Item `index` of the list here.
    pub fn index(&'a self, index: usize) -> Field<'a> {
        Field::Index(self, index)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Field::Root(name) => out.push_str(name),
            Field::Key(parent, key) => {
                parent.write(out);
                out.push('.');
                out.push_str(key);
            }
            Field::Index(parent, i) => {
                parent.write(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

/// Why a value is refused, and where. Boxed, so that `Result<(), Refusal>` is one word: it is
/// returned once per value checked, nearly always as `Ok`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(Box<Violation>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    field: String,
    reason: String,
    /// A wrong shape (a missing property, a value of the wrong JSON kind) rather than a
    /// broken limit: when no form of a `oneOf` fits, a broken limit says more about what the
    /// caller meant.
    shape: bool,
}

impl Refusal {
    #[cold]
    fn new(at: Field<'_>, reason: String, shape: bool) -> Self {
        Refusal(Box::new(Violation {
            field: at.render(),
            reason,
            shape,
        }))
    }

    /// Whether `self` explains a failed `oneOf` better than `other`: a broken limit beats a
    /// wrong shape, then the deeper place wins (it got further into the value).
    fn better_than(&self, other: &Refusal) -> bool {
        match (self.0.shape, other.0.shape) {
            (false, true) => true,
            (true, false) => false,
            _ => self.0.field.len() > other.0.field.len(),
        }
    }
}

impl From<Refusal> for InvalidRequest {
    fn from(refusal: Refusal) -> Self {
        let Violation { field, reason, .. } = *refusal.0;
        InvalidRequest { field, reason }
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::InvalidRequest(refusal.into())
    }
}

/// What a check returns.
pub type Checked = Result<(), Refusal>;

/// The value quoted for a message, cut short so a 10 kB tag does not flood a log.
fn preview(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// `minLength`, in characters.
#[inline]
pub fn min_length(at: Field<'_>, text: &str, min: u64) -> Checked {
    // A string has at least a quarter as many characters as bytes: count them only when
    // that leaves the answer open.
    if (text.len() as u64).div_ceil(4) < min && (text.chars().count() as u64) < min {
        return Err(Refusal::new(
            at,
            format!("{} is shorter than {min} characters", preview(text)),
            false,
        ));
    }
    Ok(())
}

/// `maxLength`, in characters.
#[inline]
pub fn max_length(at: Field<'_>, text: &str, max: u64) -> Checked {
    // A string has at most as many characters as bytes.
    if (text.len() as u64) > max {
        let chars = text.chars().count() as u64;
        if chars > max {
            return Err(Refusal::new(
                at,
                format!(
                    "{} is {chars} characters long; at most {max} allowed",
                    preview(text)
                ),
                false,
            ));
        }
    }
    Ok(())
}

/// A checked `format`.
#[inline]
pub fn format(at: Field<'_>, text: &str, format: Format) -> Checked {
    if formats::accepts(format, text) {
        Ok(())
    } else {
        format_refusal(at, text, format)
    }
}

#[inline(never)]
fn format_refusal(at: Field<'_>, text: &str, format: Format) -> Checked {
    match formats::check(format, text) {
        Ok(()) => Ok(()),
        Err(reason) => Err(Refusal::new(at, format!("{} {reason}", preview(text)), false)),
    }
}

/// `pattern`: JSON Schema semantics, unanchored unless the pattern anchors itself.
pub fn pattern(at: Field<'_>, text: &str, pattern: &Pattern) -> Checked {
    if pattern.is_match(text) {
        return Ok(());
    }
    Err(Refusal::new(
        at,
        format!(
            "{} does not match the pattern `{}`",
            preview(text),
            pattern.source
        ),
        false,
    ))
}

/// A number as the checks see it: its value, and its text as JSON writes it (`None` for
/// what JSON cannot write, NaN and the infinities, which `serde_json` sends as `null`).
pub trait Number: Copy {
    /// The value, for comparing with the spec's bounds.
    fn value(self) -> f64;
    /// The value as JSON writes it.
    fn shown(self) -> Option<serde_json::Number>;
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn value(self) -> f64 {
                self as f64
            }
            fn shown(self) -> Option<serde_json::Number> {
                Some(self.into())
            }
        }
    )*};
}
numbers!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Number for f64 {
    fn value(self) -> f64 {
        self
    }
    fn shown(self) -> Option<serde_json::Number> {
        serde_json::Number::from_f64(self)
    }
}

impl Number for f32 {
    fn value(self) -> f64 {
        self.into()
    }
    fn shown(self) -> Option<serde_json::Number> {
        serde_json::Number::from_f64(self.into())
    }
}

/// `minimum` (with OpenAPI 3.0's boolean `exclusiveMinimum`).
#[inline]
pub fn minimum<N: Number>(at: Field<'_>, n: N, min: f64, exclusive: bool) -> Checked {
    let v = n.value();
    if v > min || (!exclusive && v == min) {
        return Ok(());
    }
    let bound = if exclusive { "more than" } else { "at least" };
    out_of_range(at, n, bound, min)
}

/// `maximum` (with OpenAPI 3.0's boolean `exclusiveMaximum`).
#[inline]
pub fn maximum<N: Number>(at: Field<'_>, n: N, max: f64, exclusive: bool) -> Checked {
    let v = n.value();
    if v < max || (!exclusive && v == max) {
        return Ok(());
    }
    let bound = if exclusive { "less than" } else { "at most" };
    out_of_range(at, n, bound, max)
}

#[cold]
fn out_of_range<N: Number>(at: Field<'_>, n: N, bound: &str, limit: f64) -> Checked {
    match n.shown() {
        Some(shown) => Err(Refusal::new(
            at,
            format!("is {shown}; must be {bound} {limit}"),
            false,
        )),
        None => Err(Refusal::new(at, "expected a number, found null".into(), true)),
    }
}

/// `minItems`. Item counts are checked before the items: a list of the wrong size is
/// reported as such even when one of its items is also wrong.
#[inline]
pub fn min_items(at: Field<'_>, len: usize, min: u64) -> Checked {
    if (len as u64) < min {
        return Err(Refusal::new(
            at,
            format!("has {len} items; at least {min} required"),
            false,
        ));
    }
    Ok(())
}

/// `maxItems`.
#[inline]
pub fn max_items(at: Field<'_>, len: usize, max: u64) -> Checked {
    if (len as u64) > max {
        return Err(Refusal::new(
            at,
            format!("has {len} items; at most {max} per request (split larger sets into batches)"),
            false,
        ));
    }
    Ok(())
}

/// A `oneOf` or `anyOf` whose forms the Rust type does not tell apart: the first form that
/// accepts the value wins; otherwise the most telling refusal.
pub fn one_of(forms: &[&dyn Fn() -> Checked]) -> Checked {
    let mut best: Option<Refusal> = None;
    for form in forms {
        match form() {
            Ok(()) => return Ok(()),
            Err(refusal) => {
                if best.as_ref().is_none_or(|b| refusal.better_than(b)) {
                    best = Some(refusal);
                }
            }
        }
    }
    best.map_or(Ok(()), Err)
}

/// String formats the client checks. The spec names them in `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `uri`: an absolute URI (a scheme, then no whitespace or control characters).
    Uri,
    /// `http-url`: an absolute `http://` or `https://` URL with a host.
    HttpUrl,
    /// `hostname`: a DNS host name (RFC 1123 letters, digits and hyphens; at most 253
    /// characters, labels of 1 to 63).
    Hostname,
    /// `cache-tag`: printable ASCII without spaces.
    CacheTag,
    /// `url-prefix`: host plus optional path, without scheme, query or fragment.
    UrlPrefix,
}

/// A `pattern`, compiled on first use and then shared.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<regex_lite::Regex>>,
}

impl Pattern {
    /// A pattern from its source text.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `text` matches. A pattern that does not compile matches everything: the
    /// generator refuses such specs, so this only guards hand-written patterns.
    fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| regex_lite::Regex::new(self.source).ok())
            .as_ref()
            .is_none_or(|re| re.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(checked: Checked) -> Option<(String, String)> {
        checked.err().map(|r| (r.0.field, r.0.reason))
    }

    #[test]
    fn places_are_written_out_only_as_json_paths() {
        let body = Field::BODY;
        let files = body.key("files");
        let third = files.index(3);
        assert_eq!(
            split(max_length(third, "abcd", 3)),
            Some((
                "body.files[3]".into(),
                "\"abcd\" is 4 characters long; at most 3 allowed".into()
            ))
        );
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert_eq!(split(max_length(Field::BODY, "\u{e9}\u{e9}\u{e9}", 3)), None);
        assert!(split(min_length(Field::BODY, "\u{e9}", 2)).is_some());
        assert_eq!(split(min_length(Field::BODY, "ab", 2)), None);
    }

    #[test]
    fn numbers_are_reported_as_json_writes_them() {
        let reason = |c: Checked| split(c).map(|(_, r)| r);
        assert_eq!(
            reason(maximum(Field::BODY, 11u8, 10.0, false)),
            Some("is 11; must be at most 10".into())
        );
        assert_eq!(
            reason(minimum(Field::BODY, 0.5f64, 1.0, false)),
            Some("is 0.5; must be at least 1".into())
        );
        assert_eq!(
            reason(minimum(Field::BODY, f64::NAN, 1.0, false)),
            Some("expected a number, found null".into())
        );
        assert_eq!(
            reason(maximum(Field::BODY, 10i64, 10.0, true)),
            Some("is 10; must be less than 10".into())
        );
    }

    #[test]
    fn item_counts_name_their_bounds() {
        assert_eq!(split(max_items(Field::BODY, 2, 2)), None);
        let (_, reason) = split(max_items(Field::BODY, 3, 2)).expect("refused");
        assert!(reason.starts_with("has 3 items; at most 2"), "{reason}");
        assert!(split(min_items(Field::BODY, 0, 1)).is_some());
    }

    #[test]
    fn one_of_takes_the_first_form_that_holds_or_the_most_telling_refusal() {
        let body = Field::BODY;
        let deep = body.key("a");
        let shape = || {
            Err(Refusal::new(
                deep,
                "expected an object, found a string".into(),
                true,
            ))
        };
        let limit = || max_length(body, "abcd", 3);
        let fine = || Ok(());
        assert_eq!(one_of(&[&shape, &fine]), Ok(()));
        // The broken limit beats the wrong shape, though the shape is deeper.
        assert_eq!(
            split(one_of(&[&shape, &limit])).map(|(f, _)| f),
            Some("body".into())
        );
        assert_eq!(one_of(&[]), Ok(()));
    }
}
