//! The checked string formats. Each returns why a value is refused, phrased to be read after
//! the field name.

use super::leaf::Format;

/// A quick yes for the common valid `http-url` (lower-case scheme, a host, printable ASCII)
/// and otherwise `check`'s answer: the two always agree, `accepts(f, v) == check(f, v).is_ok()`.
#[inline]
pub(super) fn accepts(format: Format, value: &str) -> bool {
    if format == Format::HttpUrl {
        let lower_case_rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        if lower_case_rest.is_some_and(names_host) && printable_ascii(value.as_bytes()) {
            return true;
        }
    }
    full_check_passes(format, value)
}

/// Out of line, so the quick path above stays small enough to inline.
#[inline(never)]
fn full_check_passes(format: Format, value: &str) -> bool {
    check(format, value).is_ok()
}

/// Checks `value` against `format`.
pub(super) fn check(format: Format, value: &str) -> Result<(), String> {
    match format {
        Format::Uri => uri(value),
        Format::HttpUrl => http_url(value),
        Format::Hostname => hostname(value),
        Format::CacheTag => cache_tag(value),
        Format::UrlPrefix => url_prefix(value),
    }
}

fn no_blanks(value: &str, what: &str) -> Result<(), String> {
    if printable_ascii(value.as_bytes()) {
        Ok(())
    } else {
        blank_found(value, what)
    }
}

/// The refusal, kept out of line: formatting it would otherwise weigh on every valid value.
#[cold]
#[inline(never)]
fn blank_found(value: &str, what: &str) -> Result<(), String> {
    match first_blank(value) {
        Some(c) => Err(format!(
            "{what} must not contain whitespace or control characters (found {c:?})"
        )),
        None => Ok(()),
    }
}

/// The first whitespace or control character. Every request is checked, so the usual
/// all-ASCII value is answered a word at a time (in ASCII these are exactly the bytes up to
/// the space, and DEL) rather than looked up in Unicode tables.
fn first_blank(value: &str) -> Option<char> {
    if printable_ascii(value.as_bytes()) {
        None
    } else if value.is_ascii() {
        value.bytes().find(|b| *b <= b' ' || *b == 0x7f).map(char::from)
    } else {
        value.chars().find(|c| c.is_whitespace() || c.is_control())
    }
}

/// Whether every byte is printable ASCII without the space (`!`..=`~`), sixteen bytes per
/// step. Values are short (URLs run 30 to 100 bytes), so a vectorised loop would spend most
/// of its time on setup and on its byte-by-byte tail; here the tail is one overlapping step.
#[inline]
fn printable_ascii(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len < 16 {
        return bytes.iter().all(|b| (b'!'..=b'~').contains(b));
    }
    let mut bad = [0; 16];
    let chunks = bytes.chunks_exact(16);
    // The last sixteen bytes again, overlapping what was seen: no byte-by-byte tail.
    for chunk in chunks.chain([&bytes[len - 16..]]) {
        mark_unprintable(&mut bad, chunk);
    }
    bad == [0; 16]
}

/// Makes a lane of `bad` non-zero where the matching byte of `chunk` lies outside
/// `!`..=`~`. Lane by lane over fixed-size arrays, which compiles to a few vector
/// instructions.
#[inline]
fn mark_unprintable(bad: &mut [u8; 16], chunk: &[u8]) {
    let mut lanes = [0; 16];
    lanes.copy_from_slice(chunk);
    for (bad, b) in bad.iter_mut().zip(lanes) {
        // `b - 0x21` maps the range onto 0..=0x5d; anything else saturates to non-zero.
        *bad |= b.wrapping_sub(b'!').saturating_sub(b'~' - b'!');
    }
}

fn uri(value: &str) -> Result<(), String> {
    let scheme = value.split_once(':').map(|(s, _)| s).unwrap_or_default();
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme || value.len() == scheme.len() + 1 {
        return Err("must be an absolute URI (scheme:...)".into());
    }
    no_blanks(value, "a URI")
}

fn http_url(value: &str) -> Result<(), String> {
    let rest =
        strip_prefix_ignore_case(value, "https://").or_else(|| strip_prefix_ignore_case(value, "http://"));
    let Some(rest) = rest else {
        return Err("must be an absolute URL starting with http:// or https://".into());
    };
    if !names_host(rest) {
        return Err("must name a host after the scheme".into());
    }
    no_blanks(value, "a URL")
}

/// Whether what follows a URL's scheme starts with a host. The host runs up to the first
/// `/`, `?` or `#`, so it is empty exactly when one of them (or nothing) comes first.
#[inline]
fn names_host(rest: &str) -> bool {
    !matches!(rest.as_bytes().first(), None | Some(b'/' | b'?' | b'#'))
}

fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &value[prefix.len()..])
}

fn hostname(value: &str) -> Result<(), String> {
    if !value.is_ascii() {
        return Err("must be ASCII; write internationalised names in punycode (xn--...)".into());
    }
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() || name.len() > 253 {
        return Err("must be a host name of 1 to 253 characters".into());
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("must consist of dot-separated labels of 1 to 63 characters".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} must not start or end with a hyphen"));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(format!(
                "must be a bare host name (letters, digits, hyphens and dots); found {c:?}"
            ));
        }
    }
    Ok(())
}

fn cache_tag(value: &str) -> Result<(), String> {
    if printable_ascii(value.as_bytes()) {
        return Ok(());
    }
    // The first byte outside `!`..=`~` starts a character: the lead byte of a non-ASCII
    // character is itself outside the range, and comes before its continuation bytes.
    let outside = value.bytes().position(|b| !(b'!'..=b'~').contains(&b));
    match outside.and_then(|at| value[at..].chars().next()) {
        Some(c) => Err(format!("must be printable ASCII without spaces (found {c:?})")),
        None => Ok(()),
    }
}

fn url_prefix(value: &str) -> Result<(), String> {
    if value.contains("://") {
        return Err("must not include a scheme: write host and path, e.g. www.example.com/foo".into());
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '?' | '#')) {
        return Err(format!("must not include a query or fragment (found {c:?})"));
    }
    if value.starts_with('/') {
        return Err("must start with a host name, e.g. www.example.com/foo".into());
    }
    no_blanks(value, "a prefix")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(format: Format, values: &[&str]) {
        for v in values {
            assert_eq!(check(format, v), Ok(()), "{format:?} should accept {v:?}");
        }
    }

    fn refused(format: Format, values: &[&str]) {
        for v in values {
            assert!(check(format, v).is_err(), "{format:?} should refuse {v:?}");
        }
    }

    #[test]
    fn the_quick_answer_agrees_with_the_full_check() {
        let values = [
            "https://www.example.com/css/styles.css",
            "http://example.com",
            "HTTPS://EXAMPLE.COM/a?b=c#d",
            "https://",
            "https:///path",
            "https://?q",
            "http://#f",
            "https://example.com/a b",
            "https://example.com/\u{7f}",
            "https://example.com/caf\u{e9}",
            "ftp://example.com/a",
            "",
            "www.example.com/a",
        ];
        for format in [
            Format::Uri,
            Format::HttpUrl,
            Format::Hostname,
            Format::CacheTag,
            Format::UrlPrefix,
        ] {
            for v in values {
                assert_eq!(accepts(format, v), check(format, v).is_ok(), "{format:?} {v:?}");
            }
        }
    }

    #[test]
    fn http_urls() {
        ok(
            Format::HttpUrl,
            &[
                "https://www.example.com/css/styles.css",
                "http://example.com",
                "HTTPS://EXAMPLE.COM/a?b=c#d",
                "https://example.com:8443/x",
            ],
        );
        refused(
            Format::HttpUrl,
            &[
                "www.example.com/a",
                "ftp://example.com/a",
                "https://",
                "https:///path",
                "https://example.com/a b",
                "https://example.com/\n",
                "",
                "/relative",
            ],
        );
    }

    #[test]
    fn uris() {
        ok(Format::Uri, &["https://a", "urn:isbn:0451450523", "mailto:a@b"]);
        refused(
            Format::Uri,
            &["", "no-scheme", "1http://a", "https:", "a b:c", "x:has space"],
        );
    }

    #[test]
    fn hostnames() {
        ok(
            Format::Hostname,
            &[
                "www.example.com",
                "example.com.",
                "a",
                "xn--bcher-kva.example",
                "a-b.c1",
            ],
        );
        let long_label = "a".repeat(64);
        let long_name = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(63)].join(".");
        refused(
            Format::Hostname,
            &[
                "",
                ".",
                "https://example.com",
                "example.com/path",
                "-a.com",
                "a-.com",
                "a..com",
                "bücher.example",
                "a_b.com",
                "a b.com",
                &long_label,
                &long_name,
            ],
        );
    }

    #[test]
    fn printable_ascii_agrees_with_a_byte_by_byte_scan() {
        let by_bytes = |b: &[u8]| b.iter().all(|b| (b'!'..=b'~').contains(b));
        let mut probes: Vec<Vec<u8>> = Vec::new();
        for len in 0..=40 {
            for at in 0..len.max(1) {
                for bad in [0x00, 0x1f, b' ', b'!', b'~', 0x7f, 0x80, 0xfe, 0xff] {
                    let mut v = vec![b'a'; len];
                    if let Some(b) = v.get_mut(at) {
                        *b = bad;
                    }
                    probes.push(v);
                }
            }
        }
        // Borrows and carries between neighbours: a bad byte next to edge values.
        probes.push(b"!!!!!!!\x20".to_vec());
        probes.push(b"\x20~~~~~~~~".to_vec());
        probes.push(b"~\x7f!!!!!!!".to_vec());
        for p in &probes {
            assert_eq!(printable_ascii(p), by_bytes(p), "{p:?}");
        }
    }

    #[test]
    fn cache_tags() {
        ok(Format::CacheTag, &["a-cache-tag", "release:2026/11", "!~"]);
        refused(Format::CacheTag, &["with space", "tab\t", "é", "\u{7f}"]);
    }

    #[test]
    fn url_prefixes() {
        ok(
            Format::UrlPrefix,
            &["www.example.com/foo", "www.example.com", "example.com/a/b/"],
        );
        refused(
            Format::UrlPrefix,
            &[
                "https://www.example.com/foo",
                "www.example.com/foo?x=1",
                "www.example.com/foo#top",
                "/foo",
                "www.example.com/a b",
            ],
        );
    }
}
