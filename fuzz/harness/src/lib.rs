//! What each fuzz target does with one input. The targets in `fuzz/fuzz_targets/` are one line
//! each, calling these; `tests/fuzz_regressions.rs` replays every saved crashing input through
//! the same functions on stable Rust, so a fixed crash stays fixed.
//!
//! Every function panics when the code under test panics or breaks an invariant stated here;
//! libFuzzer reports either as a crash.

mod decode;
mod spec;
mod validate;

pub use decode::decode;
pub use spec::{spec_edit, spec_text};
pub use validate::validate;

/// What a fuzz target does with one input.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, with the function each runs.
pub const TARGETS: [(&str, Target); 4] = [
    ("decode", decode),
    ("spec_text", spec_text),
    ("spec_edit", spec_edit),
    ("validate", validate),
];

/// Splits `data` at the first `\n`: the line (without it) and the rest.
fn take_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_cut_at_the_first_newline() {
        assert_eq!(take_line(b"ab\ncd\n"), (&b"ab"[..], &b"cd\n"[..]));
        assert_eq!(take_line(b"ab"), (&b"ab"[..], &b""[..]));
        assert_eq!(take_line(b""), (&b""[..], &b""[..]));
    }
}
