//! The fake is honest: every answer it sends, success or failure, validates against the
//! response schema `spec/cloudflare-cache.yaml` gives for that operation and status.
//!
//! A small checker over the spec's own schemas (the OpenAPI 3.0 keywords the spec uses) does
//! the validating. It refuses any keyword or format it does not know, so a schema it cannot
//! check fails the test instead of passing unchecked, and negative controls show it rejects
//! what it must.

use std::collections::BTreeSet;
use std::time::Duration;

use cf_cache_fake::{Config, FakeCloudflare, Plan, RequestRecord, WindowLimit};
use cf_cache_tests::fake::{Raw, start};
use cf_cache_tests::{ZONE, workspace_root};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

const KNOWN_KEYWORDS: [&str; 20] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "nullable",
    "allOf",
    "oneOf",
    "$ref",
    "description",
    "example",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "format",
];

struct Spec(Value);

impl Spec {
    fn load() -> Self {
        let text = std::fs::read_to_string(workspace_root().join("spec/cloudflare-cache.yaml"))
            .unwrap_or_else(|e| panic!("spec must be readable: {e}"));
        Self(serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("spec must parse: {e}")))
    }

    fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("non-local $ref {reference}"));
                self.resolve(
                    self.0
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("dangling $ref {reference}")),
                )
            }
            None => node,
        }
    }

    /// (path template, method) of every operation id.
    fn operations(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (path, item) in self.0["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if let Some(id) = op["operationId"].as_str() {
                    out.push((id.to_string(), path.clone(), method.clone()));
                }
            }
        }
        out
    }

    /// The response schema for `status` of `operation` (the shared failure envelope when the
    /// request named no operation: an unknown route).
    fn response_schema(&self, operation: Option<&str>, status: u16) -> &Value {
        let Some(operation) = operation else {
            return &self.0["components"]["schemas"]["ApiFailure"];
        };
        let (_, path, method) = self
            .operations()
            .into_iter()
            .find(|(id, _, _)| id == operation)
            .unwrap_or_else(|| panic!("no operation {operation} in the spec"));
        let key = match status {
            200 => "200",
            400..=499 => "4XX",
            other => panic!("{operation}: status {other} has no response in the spec"),
        };
        let response = self.resolve(&self.0["paths"][path.as_str()][method.as_str()]["responses"][key]);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{operation} {status}: no JSON schema in the spec"
        );
        schema
    }

    /// Every way `value` breaks `schema`, as `where: what`.
    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let Some(object) = schema.as_object() else {
            errors.push(format!("{at}: schema is not an object"));
            return;
        };
        for keyword in object.keys() {
            if !KNOWN_KEYWORDS.contains(&keyword.as_str()) {
                errors.push(format!("{at}: the checker does not know `{keyword}`"));
            }
        }
        if value.is_null() && schema["nullable"] == json!(true) {
            return;
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.check(part, value, at, errors);
        }
        if let Some(options) = schema["oneOf"].as_array() {
            let matching = options
                .iter()
                .filter(|o| {
                    let mut e = Vec::new();
                    self.check(o, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!(
                    "{at}: matches {matching} of the oneOf alternatives, not 1"
                ));
            }
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        let type_ok = match schema["type"].as_str() {
            None => true,
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some(other) => {
                errors.push(format!("{at}: unknown type {other}"));
                true
            }
        };
        if !type_ok {
            errors.push(format!("{at}: {value} is not of type {}", schema["type"]));
            return;
        }
        if let Some(map) = value.as_object() {
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !map.contains_key(name) {
                    errors.push(format!("{at}: required `{name}` is missing"));
                }
            }
            let properties = schema["properties"].as_object();
            for (name, v) in map {
                match properties.and_then(|p| p.get(name)) {
                    Some(s) => self.check(s, v, &format!("{at}.{name}"), errors),
                    None => match &schema["additionalProperties"] {
                        Value::Bool(false) => errors.push(format!("{at}: `{name}` is not allowed")),
                        extra @ Value::Object(_) => self.check(extra, v, &format!("{at}.{name}"), errors),
                        _ => {}
                    },
                }
            }
        }
        if let Some(items) = value.as_array() {
            let count = items.len() as u64;
            if schema["minItems"].as_u64().is_some_and(|min| count < min)
                || schema["maxItems"].as_u64().is_some_and(|max| count > max)
            {
                errors.push(format!("{at}: {count} items is outside minItems/maxItems"));
            }
            if schema["uniqueItems"] == json!(true) {
                let distinct: BTreeSet<String> = items.iter().map(Value::to_string).collect();
                if distinct.len() != items.len() {
                    errors.push(format!("{at}: items repeat"));
                }
            }
            for (i, item) in items.iter().enumerate() {
                self.check(&schema["items"], item, &format!("{at}[{i}]"), errors);
            }
        }
        if let Some(n) = value.as_f64() {
            // The spec documents that the global rate-limit error (971) sits below
            // ResponseInfo.code's minimum of 1000 and tells clients to treat the bound as
            // informative; 971 is the one value allowed under it.
            let documented_exception = at.ends_with(".code") && n == 971.0;
            if schema["minimum"].as_f64().is_some_and(|min| n < min) && !documented_exception {
                errors.push(format!("{at}: {n} is below the minimum"));
            }
            if schema["maximum"].as_f64().is_some_and(|max| n > max) {
                errors.push(format!("{at}: {n} is above the maximum"));
            }
        }
        if let Some(s) = value.as_str() {
            let length = s.chars().count() as u64;
            if schema["minLength"].as_u64().is_some_and(|min| length < min)
                || schema["maxLength"].as_u64().is_some_and(|max| length > max)
            {
                errors.push(format!("{at}: length {length} is outside minLength/maxLength"));
            }
            match schema["format"].as_str() {
                Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                    errors.push(format!("{at}: `{s}` is not an RFC 3339 date-time"));
                }
                None | Some("date-time") => {}
                Some(other) => errors.push(format!("{at}: the checker does not know format `{other}`")),
            }
        }
    }

    fn errors_in(&self, record: &RequestRecord) -> Vec<String> {
        let Some(body) = &record.response_body else {
            return vec![format!(
                "#{} {} {}: no body recorded",
                record.seq, record.method, record.path
            )];
        };
        let schema = self.response_schema(record.operation, record.status);
        let mut errors = Vec::new();
        self.check(schema, body, "body", &mut errors);
        errors
            .into_iter()
            .map(|e| {
                format!(
                    "#{} {} {} ({:?}, {}): {e}",
                    record.seq, record.method, record.path, record.operation, record.status
                )
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario: every operation, every error code
// ---------------------------------------------------------------------------------------------

const ENV: &str = "6b4a1d2f0c9e8d7b5a3f1e0d9c8b7a65";
const FORBIDDEN_ENV: &str = "worker-preview";

fn mapping(ip: &str, vendor: &str, region: &str) -> Value {
    json!({"origin_ip": ip, "vendor": vendor, "region": region})
}

/// Every operation's success, and most error codes, on one fake.
async fn every_operation(fake: &FakeCloudflare) {
    let raw = Raw::new(fake);
    let z = format!("/zones/{ZONE}");
    let bodies = [
        json!({"purge_everything": true}),
        json!({"files": ["https://www.example.com/a.css", "http://www.example.com/b.js"]}),
        json!({"files": [{"url": "https://www.example.com/cat.jpg", "headers": {"CF-IPCountry": "US"}}]}),
        json!({"tags": ["release-1"]}),
        json!({"hosts": ["www.example.com"]}),
        json!({"prefixes": ["www.example.com/foo"]}),
    ];
    for path in [
        "/purge_cache",
        "/invalidate_cache",
        &format!("/environments/{ENV}/purge_cache"),
        &format!("/environments/{ENV}/invalidate_cache"),
    ] {
        for body in &bodies {
            assert_eq!(
                raw.call("POST", &format!("{z}{path}"), Some(body)).await.status,
                200,
                "{path} {body}"
            );
        }
        let combined = json!({"purge_everything": true, "files": ["https://www.example.com/a"]});
        assert_eq!(
            raw.call("POST", &format!("{z}{path}"), Some(&combined))
                .await
                .code(),
            Some(1092)
        );
    }
    let forbidden = raw
        .call(
            "POST",
            &format!("{z}/environments/{FORBIDDEN_ENV}/purge_cache"),
            Some(&bodies[1]),
        )
        .await;
    assert_eq!((forbidden.status, forbidden.code()), (400, Some(1136)));
    let too_many: Vec<String> = (0..31).map(|i| format!("https://www.example.com/{i}")).collect();
    assert_eq!(
        raw.call(
            "POST",
            &format!("{z}/purge_cache"),
            Some(&json!({"files": too_many}))
        )
        .await
        .status,
        400
    );

    // Settings.
    let on = json!({"value": "on"});
    let off = json!({"value": "off"});
    for (get, set, method) in [
        ("/cache/cache_reserve", "/cache/cache_reserve", "PATCH"),
        (
            "/cache/regional_tiered_cache",
            "/cache/regional_tiered_cache",
            "PATCH",
        ),
        (
            "/cache/tiered_cache_smart_topology_enable",
            "/cache/tiered_cache_smart_topology_enable",
            "POST",
        ),
        (
            "/cache/tiered_cache_smart_topology_enable",
            "/cache/tiered_cache_smart_topology_enable",
            "PATCH",
        ),
    ] {
        assert_eq!(raw.call("GET", &format!("{z}{get}"), None).await.status, 200);
        assert_eq!(
            raw.call(method, &format!("{z}{set}"), Some(&on)).await.body["result"]["value"],
            "on"
        );
    }
    assert_eq!(
        raw.call(
            "DELETE",
            &format!("{z}/cache/tiered_cache_smart_topology_enable"),
            None
        )
        .await
        .status,
        200
    );
    let variants = json!({"value": {"jpeg": ["image/webp", "image/avif"], "png": ["image/webp"]}});
    assert_eq!(
        raw.call("GET", &format!("{z}/cache/variants"), None).await.status,
        200
    );
    assert_eq!(
        raw.call("PATCH", &format!("{z}/cache/variants"), Some(&variants))
            .await
            .status,
        200
    );
    assert_eq!(
        raw.call("DELETE", &format!("{z}/cache/variants"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        raw.call(
            "PATCH",
            &format!("{z}/cache/variants"),
            Some(&json!({"value": {"heic": []}}))
        )
        .await
        .status,
        400
    );

    // Cache Reserve Clear, both paths: 1142, 1152, started, 1153, completed.
    for (clear, zone) in [
        ("/cache/cache_reserve_clear", "0"),
        ("/smart_shield/cache_reserve_clear", "1"),
    ] {
        let zone = zone.repeat(32);
        let reserve = format!("/zones/{zone}/cache/cache_reserve");
        let other = format!("/zones/{zone}{clear}");
        assert_eq!(raw.call("GET", &other, None).await.code(), Some(1142));
        assert_eq!(raw.call("PATCH", &reserve, Some(&on)).await.status, 200);
        assert_eq!(
            raw.call("POST", &other, Some(&json!({}))).await.code(),
            Some(1152)
        );
        assert_eq!(raw.call("PATCH", &reserve, Some(&off)).await.status, 200);
        assert_eq!(
            raw.call("POST", &other, Some(&json!({}))).await.body["result"]["state"],
            "In-progress"
        );
        assert_eq!(raw.call("PATCH", &reserve, Some(&on)).await.code(), Some(1153));
        fake.advance(Duration::from_secs(3 * 3_600));
        assert_eq!(
            raw.call("GET", &other, None).await.body["result"]["state"],
            "Completed"
        );
        assert_eq!(raw.call("PATCH", &reserve, Some(&off)).await.status, 200);
    }
    assert_eq!(
        raw.call("GET", &format!("{z}/cache/cache_reserve_clear"), None)
            .await
            .code(),
        Some(1142)
    );
    assert_eq!(
        raw.call("GET", &format!("{z}/smart_shield/cache_reserve_clear"), None)
            .await
            .code(),
        Some(1142)
    );
    assert_eq!(
        raw.call("PATCH", &format!("{z}/cache/cache_reserve"), Some(&off))
            .await
            .status,
        200
    );
    assert_eq!(
        raw.call(
            "POST",
            &format!("{z}/smart_shield/cache_reserve_clear"),
            Some(&json!({}))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        raw.call("GET", &format!("{z}/cache/cache_reserve_clear"), None)
            .await
            .status,
        200
    );

    // Origin cloud regions (this fake allows 3 mappings per zone).
    let regions = format!("{z}/origin/cloud_regions");
    assert_eq!(
        raw.call("GET", &regions, None).await.body["result_info"]["total_pages"],
        0
    );
    assert_eq!(
        raw.call("GET", &format!("{regions}/supported_regions"), None)
            .await
            .status,
        200
    );
    let put = raw
        .call(
            "PUT",
            &format!("{regions}/2001:DB8:0::1"),
            Some(&mapping("2001:db8::1", "gcp", "us-central1")),
        )
        .await;
    assert_eq!(put.body["result"]["origin_ip"], "2001:db8::1");
    assert_eq!(
        raw.call("GET", &format!("{regions}/2001:db8::1"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        raw.call(
            "PUT",
            &format!("{regions}/192.0.2.1"),
            Some(&mapping("192.0.2.2", "aws", "us-east-1"))
        )
        .await
        .code(),
        Some(1146)
    );
    assert_eq!(
        raw.call(
            "PUT",
            &format!("{regions}/192.0.2.1"),
            Some(&mapping("192.0.2.1", "aws", "mars-1"))
        )
        .await
        .code(),
        Some(1157)
    );
    let batch = json!([
        mapping("192.0.2.1", "aws", "us-east-1"),
        mapping("192.0.2.2", "ibm", "x"),
        mapping("192.0.2.3", "oci", "us-ashburn-1")
    ]);
    let upserted = raw.call("PUT", &format!("{regions}/batch"), Some(&batch)).await;
    assert_eq!(upserted.body["result"]["failed"][0]["origin_ip"], "192.0.2.2");
    let full = raw
        .call(
            "PUT",
            &format!("{regions}/192.0.2.4"),
            Some(&mapping("192.0.2.4", "aws", "us-east-1")),
        )
        .await;
    assert_eq!((full.status, full.code()), (403, Some(1164)));
    assert_eq!(
        raw.call(
            "PUT",
            &format!("{regions}/batch"),
            Some(&json!([mapping("192.0.2.5", "aws", "us-east-1")]))
        )
        .await
        .code(),
        Some(1164)
    );
    assert_eq!(
        raw.call("GET", &format!("{regions}?page=2&per_page=2"), None)
            .await
            .body["result_info"]["count"],
        1
    );
    assert_eq!(
        raw.call("GET", &format!("{regions}?per_page=101"), None)
            .await
            .code(),
        Some(1146)
    );
    assert_eq!(
        raw.call("DELETE", &format!("{regions}/192.0.2.3"), None)
            .await
            .status,
        200
    );
    let missing = raw.call("GET", &format!("{regions}/192.0.2.3"), None).await;
    assert_eq!((missing.status, missing.code()), (404, Some(1142)));
    assert_eq!(
        raw.call("DELETE", &format!("{regions}/192.0.2.3"), None)
            .await
            .status,
        404
    );
    let deleted = raw
        .call(
            "DELETE",
            &format!("{regions}/batch"),
            Some(&json!(["192.0.2.1", "192.0.2.9", "nope"])),
        )
        .await;
    assert_eq!(deleted.body["result"]["succeeded"][0]["origin_ip"], "192.0.2.1");

    // Transport-level refusals: route, method, body, credentials.
    assert_eq!(
        raw.call("GET", &format!("{z}/nothing_here"), None).await.code(),
        Some(7003)
    );
    assert_eq!(
        raw.call("GET", &format!("{z}/purge_cache"), None).await.status,
        405
    );
    assert_eq!(
        raw.call("GET", &format!("/zones/{}/cache/variants", "a".repeat(33)), None)
            .await
            .code(),
        Some(7003)
    );
    let malformed = Raw::send(
        raw.request("POST", &format!("{z}/purge_cache"))
            .bearer_auth("t")
            .body("{not json"),
    )
    .await;
    assert_eq!(malformed.code(), Some(6007));
    let anonymous = Raw::send(raw.request("GET", &format!("{z}/cache/variants"))).await;
    assert_eq!((anonymous.status, anonymous.code()), (401, Some(10_000)));
    let wrong = Raw::send(
        raw.request("GET", &format!("{z}/cache/variants"))
            .bearer_auth("wrong"),
    )
    .await;
    assert_eq!((wrong.status, wrong.code()), (403, Some(10_000)));
}

/// The purge bucket and the API-wide limit, on a fake with a small API budget.
async fn limits(fake: &FakeCloudflare) {
    let raw = Raw::new(fake);
    let purge = format!("/zones/{ZONE}/purge_cache");
    let tags = json!({"tags": ["t"]});
    for _ in 0..25 {
        assert_eq!(raw.call("POST", &purge, Some(&tags)).await.status, 200);
    }
    let bucket = raw.call("POST", &purge, Some(&tags)).await;
    assert_eq!((bucket.status, bucket.code()), (429, Some(1134)));
    // 26 requests so far; the budget is 30.
    for _ in 0..4 {
        raw.call("GET", &format!("/zones/{ZONE}/cache/variants"), None)
            .await;
    }
    let over = raw
        .call("GET", &format!("/zones/{ZONE}/cache/variants"), None)
        .await;
    assert_eq!((over.status, over.code()), (429, Some(971)));
}

async fn recorded(config: Config, scenario: impl AsyncFnOnce(&FakeCloudflare)) -> Vec<RequestRecord> {
    let fake = start(config.record_bodies(true)).await;
    scenario(&fake).await;
    fake.requests()
}

#[tokio::test]
async fn every_answer_to_every_operation_and_error_validates_against_the_spec() {
    let spec = Spec::load();
    let mut records = recorded(
        Config::new()
            .max_mappings(3)
            .forbid_url_purge_in(FORBIDDEN_ENV)
            .api_token(cf_cache_tests::TOKEN)
            .api_token("t"),
        every_operation,
    )
    .await;
    records.extend(
        recorded(
            Config::new().plan(Plan::Free).api_limit(Some(WindowLimit {
                quota: 30,
                ..WindowLimit::API
            })),
            limits,
        )
        .await,
    );
    let errors: Vec<String> = records.iter().flat_map(|r| spec.errors_in(r)).collect();
    assert!(
        errors.is_empty(),
        "{} of {} answers break the spec:\n{}",
        errors.len(),
        records.len(),
        errors.join("\n")
    );

    // Coverage: the 26 operations succeeded, and every code the fake can send was sent.
    let succeeded: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| r.operation)
        .collect();
    let all: BTreeSet<String> = spec.operations().into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(all.len(), 26);
    let missing: Vec<&String> = all.iter().filter(|id| !succeeded.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "operations never answered 200: {missing:?}");
    let sent: BTreeSet<i64> = records
        .iter()
        .flat_map(|r| r.error_codes.iter().copied())
        .collect();
    let expected: BTreeSet<i64> = [
        971, 1001, 1092, 1134, 1136, 1142, 1146, 1152, 1153, 1157, 1164, 6007, 7001, 7003, 10_000,
    ]
    .into();
    assert_eq!(sent, expected);
    let statuses: BTreeSet<u16> = records.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 400, 401, 403, 404, 405, 429].into());
}

#[test]
fn the_checker_rejects_answers_that_break_the_schema() {
    let spec = Spec::load();
    let good = json!({
        "success": true, "errors": [], "messages": [],
        "result": {"id": "cache_reserve", "editable": true, "value": "on", "modified_on": null},
    });
    let check = |body: &Value, operation, status| {
        let mut errors = Vec::new();
        spec.check(
            spec.response_schema(Some(operation), status),
            body,
            "body",
            &mut errors,
        );
        errors
    };
    assert_eq!(check(&good, "get_cache_reserve", 200), Vec::<String>::new());
    let mut bad_enum = good.clone();
    bad_enum["result"]["value"] = json!("maybe");
    let mut missing = good.clone();
    missing["result"].as_object_mut().map(|r| r.remove("editable"));
    let mut bad_date = good.clone();
    bad_date["result"]["modified_on"] = json!("yesterday");
    for broken in [bad_enum, missing, bad_date, json!({"success": true})] {
        assert!(!check(&broken, "get_cache_reserve", 200).is_empty(), "{broken}");
    }
    // A failure needs at least one error, and codes below 1000 other than 971 are refused.
    let failure = |code: i64| json!({"success": false, "errors": [{"code": code, "message": "m"}], "messages": [], "result": null});
    assert!(check(&failure(971), "purge_cache", 429).is_empty());
    assert!(!check(&failure(970), "purge_cache", 429).is_empty());
    let no_errors = json!({"success": false, "errors": [], "messages": [], "result": null});
    assert!(!check(&no_errors, "purge_cache", 400).is_empty());
}
