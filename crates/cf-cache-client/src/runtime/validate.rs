//! Checks on request parts that run before anything is sent.

use crate::error::{Error, InvalidRequest};

/// A path parameter must stay one path segment: non-empty, within the spec's `maxLength`,
/// not `.` or `..` (URL parsers resolve those, even percent-encoded), and free of the
/// characters that would end or split a segment.
pub(crate) fn path_segment(field: &str, value: &str, max_length: Option<u64>) -> Result<(), Error> {
    let refuse = |reason: String| {
        Err(Error::InvalidRequest(InvalidRequest {
            field: field.to_string(),
            reason,
        }))
    };
    if value.is_empty() {
        return refuse("must not be empty".into());
    }
    if let Some(max) = max_length
        && value.chars().count() as u64 > max
    {
        return refuse(format!(
            "is {} characters long; at most {max} allowed",
            value.chars().count()
        ));
    }
    if value == "." || value == ".." {
        return refuse(format!(
            "{value:?} is not an identifier (it would change the request path)"
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '?' | '#') || c.is_control() || c.is_whitespace())
    {
        return refuse(format!(
            "contains {c:?}, which cannot appear in a path identifier"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(value: &str, max: Option<u64>) -> Option<String> {
        match path_segment("zone_id", value, max) {
            Ok(()) => None,
            Err(Error::InvalidRequest(e)) => Some(e.reason),
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }

    #[test]
    fn plain_identifiers_and_ip_addresses_pass() {
        assert_eq!(reason("023e105f4ecef8ad9ca31a8372d0c353", Some(32)), None);
        assert_eq!(reason("2001:db8::1", None), None);
        assert_eq!(reason("192.0.2.1", None), None);
    }

    #[test]
    fn segments_that_would_move_the_request_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\\b", "a?b", "a#b", "a b", "a\nb"] {
            assert!(reason(bad, None).is_some(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn length_is_counted_in_characters_against_the_spec_limit() {
        assert_eq!(
            reason(&"a".repeat(33), Some(32)).as_deref(),
            Some("is 33 characters long; at most 32 allowed")
        );
        assert_eq!(reason(&"é".repeat(32), Some(32)), None);
    }
}
