//! The rules as data. `cargo xtask regen` writes one static per request model, constrained
//! parameter and inline body (see `generated/rules.rs`); the checker walks them.

use std::sync::OnceLock;

/// What a value must satisfy, as the spec states it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rule {
    /// Anything goes (or the Rust type already guarantees what the spec says).
    Any,
    /// A string.
    String {
        /// Fewest characters.
        min_length: Option<u64>,
        /// Most characters.
        max_length: Option<u64>,
        /// A regular expression the whole value must match somewhere (JSON Schema semantics:
        /// unanchored unless the pattern anchors itself).
        pattern: Option<&'static Pattern>,
        /// A checked format.
        format: Option<Format>,
    },
    /// An integer or number.
    Number {
        /// Lowest value.
        minimum: Option<f64>,
        /// Highest value.
        maximum: Option<f64>,
        /// Whether `minimum` itself is excluded.
        exclusive_minimum: bool,
        /// Whether `maximum` itself is excluded.
        exclusive_maximum: bool,
    },
    /// An array.
    Array {
        /// Fewest items.
        min_items: Option<u64>,
        /// Most items.
        max_items: Option<u64>,
        /// What each item must satisfy.
        items: &'static Rule,
    },
    /// An object; properties not listed are not checked.
    Object {
        /// The declared properties.
        properties: &'static [Property],
    },
    /// Every member must hold.
    AllOf {
        /// The members.
        members: &'static [&'static Rule],
    },
    /// One member must hold; the first that does is taken.
    OneOf {
        /// The members.
        members: &'static [&'static Rule],
    },
    /// At least one member must hold.
    AnyOf {
        /// The members.
        members: &'static [&'static Rule],
    },
    /// `null`, or what `inner` accepts.
    Nullable {
        /// The rule for non-null values.
        inner: &'static Rule,
    },
}

/// One declared property of an object rule.
#[derive(Debug)]
pub struct Property {
    /// Name on the wire.
    pub name: &'static str,
    /// Whether the property must be present.
    pub required: bool,
    /// What its value must satisfy.
    pub rule: &'static Rule,
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

    /// The pattern as the spec writes it.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether `text` matches. A pattern that does not compile matches everything: the
    /// generator refuses such specs, so this only guards hand-built rules.
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| regex_lite::Regex::new(self.source).ok())
            .as_ref()
            .is_none_or(|re| re.is_match(text))
    }
}
