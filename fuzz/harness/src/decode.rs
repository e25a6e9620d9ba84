//! Target `decode`: one HTTP response, decoded as every operation would.
//!
//! Input layout (easy to seed by hand):
//! - byte 0: the status. Below 240 it picks one of [`STATUSES`]; from 240 on, the next two
//!   bytes are the status as a little-endian `u16` (anything, valid or not).
//! - next byte: which of [`HEADERS`] are present (bit `i` for header `i`); the value of each
//!   present header follows as one line, in table order.
//! - the rest: the body.

use cf_cache_client::__fuzz::decode_all;
use cf_cache_client::Error;

use crate::take_line;

/// Statuses the API really sends, so most inputs exercise a meaningful branch.
const STATUSES: [u16; 16] = [
    200, 201, 202, 204, 299, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 520,
];

/// Headers the runtime reads.
const HEADERS: [&str; 4] = ["retry-after", "retry-after-ms", "cf-ray", "content-type"];

/// Runs one input; panics if decoding panics or breaks an invariant.
pub fn decode(data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let status = if selector < 240 {
        STATUSES[usize::from(selector) % STATUSES.len()]
    } else {
        let (&lo, after) = rest.split_first().unwrap_or((&0, &[]));
        let (&hi, after) = after.split_first().unwrap_or((&0, &[]));
        rest = after;
        u16::from_le_bytes([lo, hi])
    };
    let (&flags, mut rest) = rest.split_first().unwrap_or((&0, &[]));
    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    for (i, name) in HEADERS.iter().enumerate() {
        if flags & (1 << i) != 0 {
            let (value, after) = take_line(rest);
            headers.push((name, value));
            rest = after;
        }
    }
    check(status, &headers, rest);
}

fn check(status: u16, headers: &[(&str, &[u8])], body: &[u8]) {
    let outcomes = decode_all(status, headers, body);
    if !(100..=999).contains(&status) {
        assert!(outcomes.is_empty(), "status {status} cannot arrive");
        return;
    }
    assert!(!outcomes.is_empty(), "every operation decodes");
    for (operation, outcome) in outcomes {
        let Err(error) = outcome else {
            assert!(
                (200..300).contains(&status),
                "{operation}: HTTP {status} decoded as a success"
            );
            continue;
        };
        // Messages are built from response data: rendering them must not panic either.
        assert!(!error.to_string().is_empty());
        let _ = format!("{error:?}");
        if !(200..300).contains(&status) {
            assert!(
                matches!(error, Error::Api(_) | Error::RateLimited(_)),
                "{operation}: HTTP {status} must be a refusal, got {error:?}"
            );
        }
        if status == 429 {
            assert!(
                matches!(error, Error::RateLimited(_)),
                "{operation}: HTTP 429 is rate limiting"
            );
        }
        if let Error::Decode(e) = &error {
            // At most SNIPPET_LEN bytes, each at worst a three-byte replacement character.
            assert!(e.snippet.len() <= 3 * cf_cache_client::DecodeError::SNIPPET_LEN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_envelope_decodes_for_operations_of_that_shape() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"abc"}}"#;
        let outcomes = decode_all(200, &[], body);
        let purge = outcomes
            .iter()
            .find(|(op, _)| *op == "purge_cache")
            .expect("purge_cache is decoded");
        assert!(purge.1.is_ok(), "{:?}", purge.1);
        let settings = outcomes
            .iter()
            .find(|(op, _)| *op == "get_cache_reserve")
            .expect("get_cache_reserve is decoded");
        assert!(
            matches!(settings.1, Err(Error::Decode(_))),
            "a purge result is not a setting"
        );
    }

    #[test]
    fn the_input_layout_reads_status_headers_and_body() {
        // Status 429 from the table, retry-after present, then a failure envelope.
        let mut input = vec![11, 0b1];
        input.extend_from_slice(b"7\n{\"success\":false,\"errors\":[{\"code\":971,\"message\":\"slow\"}]}");
        decode(&input);
        let outcomes = decode_all(429, &[("retry-after", b"7")], b"{}");
        for (_, outcome) in outcomes {
            match outcome {
                Err(Error::RateLimited(limit)) => {
                    assert_eq!(limit.retry_after, Some(std::time::Duration::from_secs(7)));
                }
                other => panic!("expected rate limiting, got {other:?}"),
            }
        }
    }

    #[test]
    fn statuses_that_cannot_arrive_decode_as_nothing() {
        assert!(decode_all(42, &[], b"").is_empty());
        decode(&[255, 42, 0]);
    }
}
