//! Path parameters stay one path segment.

use crate::error::{Error, InvalidRequest};

/// A path parameter must be non-empty, not `.` or `..` (URL parsers resolve those, even
/// percent-encoded), and free of the characters that would end or split a segment. Its
/// length and format are the spec's business (see the parameter's rule).
pub(crate) fn segment(field: &str, value: &str) -> Result<(), Error> {
    let refuse = |reason: String| {
        Err(Error::InvalidRequest(InvalidRequest {
            field: field.to_string(),
            reason,
        }))
    };
    if value.is_empty() {
        return refuse("must not be empty".into());
    }
    if value == "." || value == ".." {
        return refuse(format!(
            "{value:?} is not an identifier (it would change the request path)"
        ));
    }
    let splits = |c: char| matches!(c, '/' | '\\' | '?' | '#');
    // The usual all-ASCII id is scanned byte by byte: there, whitespace and control
    // characters are exactly the bytes up to the space, and DEL.
    let plain = value.bytes().fold(true, |ok, b| {
        ok & (b > b' ') & (b < 0x7f) & !matches!(b, b'/' | b'\\' | b'?' | b'#')
    });
    let found = if plain {
        None
    } else if value.is_ascii() {
        value
            .bytes()
            .map(char::from)
            .find(|c| splits(*c) || *c <= ' ' || *c == '\x7f')
    } else {
        value
            .chars()
            .find(|c| splits(*c) || c.is_control() || c.is_whitespace())
    };
    if let Some(c) = found {
        return refuse(format!(
            "contains {c:?}, which cannot appear in a path identifier"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(value: &str) -> Option<String> {
        match segment("zone_id", value) {
            Ok(()) => None,
            Err(Error::InvalidRequest(e)) => Some(e.reason),
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }

    #[test]
    fn plain_identifiers_and_ip_addresses_pass() {
        assert_eq!(reason("023e105f4ecef8ad9ca31a8372d0c353"), None);
        assert_eq!(reason("2001:db8::1"), None);
        assert_eq!(reason("192.0.2.1"), None);
    }

    #[test]
    fn segments_that_would_move_the_request_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\\b", "a?b", "a#b", "a b", "a\nb"] {
            assert!(reason(bad).is_some(), "{bad:?} should be refused");
        }
    }
}
