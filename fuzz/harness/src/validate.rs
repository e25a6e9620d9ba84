//! Target `validate`: the checks a request passes before it is sent, on arbitrary strings.
//!
//! Input layout: byte 0 picks the purge form the strings are put in (tags, hosts, prefixes,
//! files, files with headers); the rest is split into strings at `\n`. Every string is also
//! tried as each operation's path parameters and as an IP address.

use std::net::IpAddr;

use cf_cache_client::types::{
    CloudVendor, OriginCloudRegionBatchDeleteRequest, OriginCloudRegionRequest, PurgeFileWithHeaders,
    PurgeRequest,
};
use cf_cache_client::{__fuzz, InvalidRequest, validate};

/// Runs one input; panics if a check panics or breaks an invariant.
pub fn validate(data: &[u8]) {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let strings: Vec<String> = text.split('\n').map(str::to_string).collect();
    purge_list(form, &strings);
    for s in &strings {
        path_params(s);
        ip(s);
    }
}

/// The purge body of form `form` holding `items`, and the most items that form allows.
fn purge(form: u8, items: Vec<String>) -> (PurgeRequest, usize) {
    match form % 5 {
        0 => (PurgeRequest::Tags(items), 100),
        1 => (PurgeRequest::Hosts(items), 100),
        2 => (PurgeRequest::Prefixes(items), 100),
        3 => (PurgeRequest::Files(items), 500),
        _ => (
            PurgeRequest::FilesWithHeaders(
                items
                    .into_iter()
                    .map(|url| PurgeFileWithHeaders {
                        url,
                        headers: [("CF-IPCountry".to_string(), "US".to_string())].into(),
                    })
                    .collect(),
            ),
            500,
        ),
    }
}

/// A list passes exactly when it has an allowed number of items and each passes alone, and a
/// refusal names the list or one of its items.
fn purge_list(form: u8, items: &[String]) {
    let (whole, max) = purge(form, items.to_vec());
    let verdict = validate::check(&whole);
    let each_alone = items
        .iter()
        .all(|item| validate::check(&purge(form, vec![item.clone()]).0).is_ok());
    let count_ok = (1..=max).contains(&items.len());
    assert_eq!(
        verdict.is_ok(),
        count_ok && each_alone,
        "list verdict {verdict:?} disagrees with its items (count ok: {count_ok}, each alone: {each_alone})"
    );
    if let Err(InvalidRequest { field, reason }) = verdict {
        assert!(!reason.is_empty());
        assert!(field.starts_with("body"), "{field}");
        if let Some(index) = field
            .split_once('[')
            .and_then(|(_, i)| i.split(']').next())
            .map(str::parse::<usize>)
        {
            assert!(
                matches!(index, Ok(i) if i < items.len()),
                "{field} is out of range"
            );
        }
    }
}

/// A path parameter that passes cannot leave its segment, and a parameter name gets the same
/// verdict from every operation that takes it.
fn path_params(value: &str) {
    let outcomes = __fuzz::check_path_params(value);
    assert!(!outcomes.is_empty(), "the operations have path parameters");
    for (operation, param, outcome) in &outcomes {
        match outcome {
            Ok(()) => assert!(
                !value.is_empty()
                    && value != "."
                    && value != ".."
                    && !value.contains(['/', '?', '#', '\\'])
                    && !value.chars().any(char::is_control),
                "{operation} accepted {value:?} as `{param}`"
            ),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    for (_, param, outcome) in &outcomes {
        let same_name = outcomes.iter().filter(|(_, p, _)| p == param);
        assert!(
            same_name.clone().all(|(_, _, o)| o.is_ok() == outcome.is_ok()),
            "operations disagree on {value:?} as `{param}`"
        );
    }
}

/// What parses as an IP address prints back to the same address, travels as a valid
/// request, and reads the same through serde as through `FromStr`.
fn ip(text: &str) {
    let parsed = text.parse::<IpAddr>();
    let through_serde: Result<OriginCloudRegionBatchDeleteRequest, _> =
        serde_json::from_value(serde_json::json!([text]));
    assert_eq!(parsed.is_ok(), through_serde.is_ok(), "{text:?}");
    let Ok(address) = parsed else { return };
    let printed = address.to_string();
    assert_eq!(printed.parse::<IpAddr>().ok(), Some(address), "{printed}");
    let request = OriginCloudRegionRequest {
        origin_ip: address,
        region: "us-east-1".into(),
        vendor: CloudVendor::Aws,
    };
    assert!(validate::check(&request).is_ok(), "{request:?}");
    let batch = OriginCloudRegionBatchDeleteRequest(vec![address]);
    assert!(validate::check(&batch).is_ok(), "{batch:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_inputs_hold_every_invariant() {
        validate(b"\x00release-42\nanother");
        validate(b"\x01www.example.com");
        validate(b"\x02www.example.com/foo\n192.0.2.1\n2001:db8::1");
        validate(b"\x03https://example.com/a\n..\n");
        validate(b"\x04http://example.com");
    }

    #[test]
    fn the_form_byte_picks_the_list() {
        assert!(matches!(purge(0, vec![]).0, PurgeRequest::Tags(_)));
        assert!(matches!(purge(4, vec![]).0, PurgeRequest::FilesWithHeaders(_)));
        assert_eq!(purge(3, vec![]).1, 500);
    }
}
