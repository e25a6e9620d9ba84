//! Entry points for the fuzz targets in `fuzz/`, compiled only with the `fuzzing` feature.
//! Not part of the API: they exist so arbitrary bytes reach the client's real response
//! decoding and path checks without a network.

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::generated::operations;
use crate::runtime::Answer;
use crate::{Error, SystemClock};

/// What one operation made of the input: its id and the outcome.
pub type Outcome = (&'static str, Result<(), Error>);

/// Decodes one response (`status`, `headers`, `body`) as every operation would, through the
/// same runtime the generated operations call. Headers that are not valid HTTP are left out,
/// as a server could not send them; a `status` outside 100..=999 decodes as nothing.
pub fn decode_all(status: u16, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<Outcome> {
    let Ok(status) = reqwest::StatusCode::from_u16(status) else {
        return Vec::new();
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    let body = Bytes::copy_from_slice(body);
    // What the retry loop hands the decoders for an answer it did not retry.
    let answer = || Answer {
        status,
        headers: map.clone(),
        body: body.clone(),
        attempts: 1,
        wait_too_long: false,
        clock: &SystemClock,
    };
    operations::decode_as_every_operation(answer)
}

/// Checks `value` as each path parameter of each operation: (operation, parameter, outcome).
pub fn check_path_params(value: &str) -> Vec<(&'static str, &'static str, Result<(), Error>)> {
    operations::check_every_path_param(value)
}
