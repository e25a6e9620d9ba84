//! Purge and invalidate bodies: exactly one of the six forms, checked as Cloudflare documents
//! them, capped per request by the plan.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::PlanLimits;
use crate::envelope::{ApiError, codes};
use crate::record::PurgedKind;

const KEYS: [&str; 5] = ["files", "tags", "hosts", "prefixes", "purge_everything"];

/// A checked purge body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PurgeBody {
    pub items: Vec<PurgedKind>,
    /// Whether it draws on the single-file bucket (one token per URL) rather than the bulk
    /// bucket (one token per request).
    pub by_url: bool,
}

fn strings<'a>(key: &str, items: &'a [Value]) -> Result<Vec<&'a str>, ApiError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str()
                .ok_or_else(|| ApiError::invalid(format!("{key}[{i}] must be a string")))
        })
        .collect()
}

fn http_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        && !url.contains(char::is_whitespace)
}

fn cache_tag(tag: &str) -> bool {
    (1..=1_024).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_graphic())
}

fn hostname(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn url_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && !prefix.contains("://")
        && !prefix.contains(['?', '#'])
        && !prefix.contains(char::is_whitespace)
        && prefix.matches('/').count() <= 31
}

fn checked<'a>(key: &str, items: Vec<&'a str>, ok: fn(&str) -> bool) -> Result<Vec<&'a str>, ApiError> {
    match items.iter().position(|item| !ok(item)) {
        Some(i) => Err(ApiError::invalid(format!(
            "{key}[{i}] is not a valid {}",
            &key[..key.len() - 1]
        ))),
        None => Ok(items),
    }
}

fn file(i: usize, item: &Value) -> Result<PurgedKind, ApiError> {
    let Some(object) = item.as_object() else {
        return Err(ApiError::invalid(format!(
            "files[{i}] must be a URL or an object with a url"
        )));
    };
    let url = object.get("url").and_then(Value::as_str).filter(|u| http_url(u));
    let Some(url) = url else {
        return Err(ApiError::invalid(format!(
            "files[{i}].url must be an http(s) URL"
        )));
    };
    let mut headers = BTreeMap::new();
    if let Some(h) = object.get("headers") {
        let Some(h) = h.as_object() else {
            return Err(ApiError::invalid(format!("files[{i}].headers must be an object")));
        };
        for (name, value) in h {
            let Some(value) = value.as_str() else {
                return Err(ApiError::invalid(format!(
                    "files[{i}].headers.{name} must be a string"
                )));
            };
            headers.insert(name.clone(), value.to_string());
        }
    }
    Ok(PurgedKind::Url {
        url: url.to_string(),
        headers,
    })
}

/// Checks `body` against the six forms and the plan's per-request caps.
pub(crate) fn parse(body: &Value, limits: &PlanLimits) -> Result<PurgeBody, ApiError> {
    let Some(object) = body.as_object() else {
        return Err(ApiError::invalid("the body must be a JSON object"));
    };
    if let Some(unknown) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ApiError::invalid(format!("unknown key `{unknown}`")));
    }
    if object.contains_key("purge_everything") && object.len() > 1 {
        return Err(ApiError::bad_request(
            codes::PURGE_EVERYTHING_COMBINED,
            "purge_everything cannot be combined with files, tags, hosts or prefixes.",
        ));
    }
    let Some((key, value)) = object.iter().next().filter(|_| object.len() == 1) else {
        return Err(ApiError::invalid(
            "exactly one of files, tags, hosts, prefixes or purge_everything is required",
        ));
    };
    if key == "purge_everything" {
        return match value {
            Value::Bool(true) => Ok(PurgeBody {
                items: vec![PurgedKind::Everything],
                by_url: false,
            }),
            _ => Err(ApiError::invalid("purge_everything must be true")),
        };
    }
    let Some(list) = value.as_array().filter(|l| !l.is_empty()) else {
        return Err(ApiError::invalid(format!("{key} must be a non-empty array")));
    };
    let cap = if key == "files" {
        limits.urls_per_request
    } else {
        limits.items_per_request
    };
    if list.len() > cap {
        return Err(ApiError::invalid(format!(
            "too many {key} in one request: {} sent, at most {cap} allowed",
            list.len()
        )));
    }
    let items = match key.as_str() {
        "files" if list.iter().all(Value::is_string) => checked(key, strings(key, list)?, http_url)?
            .into_iter()
            .map(|url| PurgedKind::Url {
                url: url.to_string(),
                headers: BTreeMap::new(),
            })
            .collect(),
        "files" if list.iter().all(Value::is_object) => list
            .iter()
            .enumerate()
            .map(|(i, item)| file(i, item))
            .collect::<Result<_, _>>()?,
        "files" => {
            return Err(ApiError::invalid(
                "files must be all URLs or all objects with a url",
            ));
        }
        "tags" => checked(key, strings(key, list)?, cache_tag)?
            .into_iter()
            .map(|t| PurgedKind::Tag(t.to_string()))
            .collect(),
        "hosts" => checked(key, strings(key, list)?, hostname)?
            .into_iter()
            .map(|h| PurgedKind::Host(h.to_string()))
            .collect(),
        _ => checked(key, strings(key, list)?, url_prefix)?
            .into_iter()
            .map(|p| PurgedKind::Prefix(p.to_string()))
            .collect(),
    };
    Ok(PurgeBody {
        items,
        by_url: key == "files",
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::Plan;

    fn parse_free(body: Value) -> Result<PurgeBody, (u16, i64)> {
        parse(&body, &Plan::Free.limits()).map_err(|e| (e.status, e.code))
    }

    #[test]
    fn each_of_the_six_forms_is_accepted() {
        let forms = [
            json!({"purge_everything": true}),
            json!({"files": ["https://example.com/a"]}),
            json!({"files": [{"url": "https://example.com/a", "headers": {"CF-IPCountry": "US"}}]}),
            json!({"tags": ["a-tag"]}),
            json!({"hosts": ["www.example.com"]}),
            json!({"prefixes": ["www.example.com/foo"]}),
        ];
        for body in forms {
            assert!(parse_free(body.clone()).is_ok(), "{body}");
        }
    }

    #[test]
    fn purge_everything_with_anything_else_is_1092() {
        let body = json!({"purge_everything": true, "tags": ["a"]});
        assert_eq!(parse_free(body), Err((400, 1092)));
    }

    #[test]
    fn the_per_request_caps_follow_the_plan() {
        let urls: Vec<String> = (0..31).map(|i| format!("https://example.com/{i}")).collect();
        assert_eq!(
            parse_free(json!({"files": urls})),
            Err((400, codes::INVALID_BODY))
        );
        let enterprise = parse(&json!({"files": urls}), &Plan::Enterprise.limits());
        assert_eq!(enterprise.map(|b| b.items.len()), Ok(31));
        let tags: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
        assert!(parse_free(json!({"tags": tags})).is_err());
    }

    #[test]
    fn malformed_items_are_refused() {
        for body in [
            json!({"files": ["example.com/no-scheme"]}),
            json!({"tags": ["has space"]}),
            json!({"hosts": ["https://example.com"]}),
            json!({"prefixes": ["https://example.com/x"]}),
            json!({"files": []}),
            json!({"tags": ["a"], "hosts": ["b.com"]}),
            json!({"purge_everything": false}),
        ] {
            assert!(parse_free(body.clone()).is_err(), "{body}");
        }
    }
}
