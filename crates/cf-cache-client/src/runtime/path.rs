//! Path parameters in request URLs. The generated raw client writes each one through
//! [`encode_path`] inside the URL's `format!`: the value is percent-encoded as it is written,
//! with no intermediate strings.

use std::fmt::{self, Display, Write};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// The bytes escaped in a path segment: controls, non-ASCII, and what would end or split the
/// segment. The same set progenitor's own `encode_path` uses, so URLs are unchanged.
const PATH_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// Bytes written as they are by every encoding of a path segment: letters, digits, `-._~`
/// (none of them in `PATH_SET`).
const PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        plain[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    plain
};

/// `value`, percent-encoded as one path segment when displayed.
pub(crate) fn encode_path<T: Display>(value: T) -> Segment<T> {
    Segment(value)
}

/// See [`encode_path`].
pub(crate) struct Segment<T>(T);

impl<T: Display> Display for Segment<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Encoding is byte by byte, so the pieces `value` writes can be encoded one by one.
        write!(Encoder(f), "{}", self.0)
    }
}

struct Encoder<'a, 'f>(&'a mut fmt::Formatter<'f>);

impl Write for Encoder<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Ids are letters and digits: one scan, then written as they are.
        if s.bytes().fold(true, |plain, b| plain & PLAIN[usize::from(b)]) {
            return self.0.write_str(s);
        }
        utf8_percent_encode(s, PATH_SET).try_for_each(|part| self.0.write_str(part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_progenitor() {
        for value in [
            "023e105f4ecef8ad9ca31a8372d0c353",
            "a b/c?d#e%f",
            "caf\u{e9}\u{1f600}",
            "\"<>`{}\t\n",
            "",
        ] {
            assert_eq!(
                encode_path(value).to_string(),
                progenitor_client::encode_path(value),
                "{value:?}"
            );
        }
    }

    #[test]
    fn any_display_is_encoded_whole() {
        struct Two;
        impl Display for Two {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a/")?;
                f.write_str("b c")
            }
        }
        assert_eq!(encode_path(Two).to_string(), "a%2Fb%20c");
    }
}
