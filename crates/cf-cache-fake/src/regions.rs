//! Origin cloud region mappings of one zone: IPs stored in canonical form, vendors and regions
//! checked against the supported list, a cap per zone, batch upsert and delete item by item.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::envelope::{ApiError, codes, success_page};
use crate::settings::timestamp;

/// A region and its upper-tier data centers.
type Region = (&'static str, &'static [&'static str]);

/// Vendor -> regions: the fake's sample of what Cloudflare offers.
const SUPPORTED: &[(&str, &[Region])] = &[
    (
        "aws",
        &[
            ("us-east-1", &["IAD", "EWR"]),
            ("us-east-2", &["CMH"]),
            ("us-west-2", &["SEA"]),
            ("eu-west-1", &["DUB"]),
            ("eu-central-1", &["FRA"]),
            ("ap-southeast-1", &["SIN"]),
            ("ap-northeast-1", &["NRT"]),
        ],
    ),
    (
        "azure",
        &[
            ("eastus", &["IAD"]),
            ("westeurope", &["AMS"]),
            ("southeastasia", &["SIN"]),
        ],
    ),
    (
        "gcp",
        &[
            ("us-central1", &["ORD"]),
            ("us-east1", &["ATL"]),
            ("europe-west1", &["BRU"]),
            ("asia-east1", &["TPE"]),
        ],
    ),
    ("oci", &[("us-ashburn-1", &["IAD"]), ("eu-frankfurt-1", &["FRA"])]),
];

const UNKNOWN_VENDOR_REGION: &str =
    "The vendor provided doesn't exist or the region provided does not exist for the specified cloud vendor";

fn supported(vendor: &str, region: &str) -> bool {
    SUPPORTED
        .iter()
        .any(|(v, regions)| *v == vendor && regions.iter().any(|(r, _)| *r == region))
}

/// The result of `list_supported_origin_cloud_regions`.
pub(crate) fn supported_regions() -> Value {
    let vendors: serde_json::Map<String, Value> = SUPPORTED
        .iter()
        .map(|(vendor, regions)| {
            let list = regions
                .iter()
                .map(|(name, colos)| json!({"name": name, "upper_tier_colos": colos}))
                .collect();
            ((*vendor).to_string(), Value::Array(list))
        })
        .collect();
    json!({"obtained_codes": true, "vendors": vendors})
}

/// Parses an IP and gives its canonical spelling (RFC 5952 for IPv6: `std` writes it so).
fn canonical(ip: &str) -> Option<IpAddr> {
    ip.parse().ok()
}

#[derive(Debug, Clone)]
struct Mapping {
    region: String,
    vendor: String,
    modified_on: SystemTime,
}

impl Mapping {
    fn json(&self, ip: IpAddr) -> Value {
        json!({
            "origin_ip": ip.to_string(),
            "region": self.region,
            "vendor": self.vendor,
            "modified_on": timestamp(self.modified_on),
        })
    }
}

/// A checked mapping request: its IP, vendor and region.
struct Wanted {
    ip: IpAddr,
    vendor: String,
    region: String,
}

/// Why one mapping request is refused (before any limit).
enum Refusal {
    /// Not the shape the spec allows, or an IP that does not parse.
    Invalid(String),
    /// Vendor or region unknown.
    Unsupported,
}

fn wanted(item: &Value) -> Result<Wanted, Refusal> {
    let field = |name: &str| item.get(name).and_then(Value::as_str);
    let (Some(ip), Some(region), Some(vendor)) = (field("origin_ip"), field("region"), field("vendor"))
    else {
        return Err(Refusal::Invalid(
            "origin_ip, region and vendor must be strings".into(),
        ));
    };
    let Some(ip) = canonical(ip) else {
        return Err(Refusal::Invalid(format!("`{ip}` is not an IP address")));
    };
    if !supported(vendor, region) {
        return Err(Refusal::Unsupported);
    }
    Ok(Wanted {
        ip,
        vendor: vendor.into(),
        region: region.into(),
    })
}

fn path_ip(ip: &str) -> Result<IpAddr, ApiError> {
    canonical(ip).ok_or_else(|| {
        ApiError::bad_request(
            codes::INVALID_ORIGIN_REQUEST,
            format!("`{ip}` is not an IP address"),
        )
    })
}

fn not_found() -> ApiError {
    ApiError::new(
        404,
        codes::SETTING_MISSING,
        "Unable to retrieve origin_public_cloud_region setting value. The zone setting does not exist.",
    )
}

fn too_many() -> ApiError {
    ApiError::new(
        403,
        codes::TOO_MANY_MAPPINGS,
        "Maximum number of IP mappings configured for zone.",
    )
}

fn items(body: &Value) -> Result<&Vec<Value>, ApiError> {
    match body.as_array() {
        Some(items) if (1..=100).contains(&items.len()) => Ok(items),
        Some(items) => Err(ApiError::invalid(format!(
            "a batch holds 1 to 100 items, at most 100, not {}",
            items.len()
        ))),
        None => Err(ApiError::invalid("the body must be an array")),
    }
}

/// The mappings of one zone, in address order (so pages are stable).
#[derive(Debug, Default)]
pub(crate) struct Regions {
    mappings: BTreeMap<IpAddr, Mapping>,
}

impl Regions {
    pub(crate) fn len(&self) -> usize {
        self.mappings.len()
    }

    pub(crate) fn list(&self, query: Option<&str>) -> Result<Value, ApiError> {
        let (mut page, mut per_page) = (1usize, 20usize);
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let target = match key.as_ref() {
                "page" => &mut page,
                "per_page" => &mut per_page,
                _ => continue,
            };
            *target = value.parse().map_err(|_| {
                ApiError::bad_request(codes::INVALID_ORIGIN_REQUEST, format!("invalid {key} parameter"))
            })?;
        }
        if page < 1 {
            return Err(ApiError::bad_request(
                codes::INVALID_ORIGIN_REQUEST,
                "invalid page parameter, must be at least 1",
            ));
        }
        if !(1..=100).contains(&per_page) {
            return Err(ApiError::bad_request(
                codes::INVALID_ORIGIN_REQUEST,
                "invalid per_page parameter, must be between 1 and 100",
            ));
        }
        let result = self
            .mappings
            .iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|(ip, m)| m.json(*ip))
            .collect();
        Ok(success_page(result, page, per_page, self.mappings.len()))
    }

    pub(crate) fn get(&self, ip: &str) -> Result<Value, ApiError> {
        let ip = path_ip(ip)?;
        self.mappings.get(&ip).map(|m| m.json(ip)).ok_or_else(not_found)
    }

    pub(crate) fn upsert(
        &mut self,
        ip: &str,
        body: &Value,
        at: SystemTime,
        max: usize,
    ) -> Result<Value, ApiError> {
        let ip = path_ip(ip)?;
        let wanted = wanted(body).map_err(|refusal| match refusal {
            Refusal::Invalid(message) => ApiError::bad_request(codes::INVALID_ORIGIN_REQUEST, message),
            Refusal::Unsupported => {
                ApiError::bad_request(codes::UNKNOWN_VENDOR_REGION, UNKNOWN_VENDOR_REGION)
            }
        })?;
        if wanted.ip != ip {
            return Err(ApiError::bad_request(
                codes::INVALID_ORIGIN_REQUEST,
                "body origin_ip does not match URL",
            ));
        }
        if !self.mappings.contains_key(&ip) && self.mappings.len() >= max {
            return Err(too_many());
        }
        let mapping = Mapping {
            region: wanted.region,
            vendor: wanted.vendor,
            modified_on: at,
        };
        let result = mapping.json(ip);
        self.mappings.insert(ip, mapping);
        Ok(result)
    }

    pub(crate) fn delete(&mut self, ip: &str) -> Result<Value, ApiError> {
        let ip = path_ip(ip)?;
        self.mappings
            .remove(&ip)
            .map(|_| json!({"origin_ip": ip.to_string()}))
            .ok_or_else(not_found)
    }

    /// Upserts item by item; refuses the whole batch (403, 1164) when the new IPs would take
    /// the zone past `max`.
    pub(crate) fn batch_upsert(
        &mut self,
        body: &Value,
        at: SystemTime,
        max: usize,
    ) -> Result<Value, ApiError> {
        let checked: Vec<(&Value, Result<Wanted, Refusal>)> =
            items(body)?.iter().map(|item| (item, wanted(item))).collect();
        let new: std::collections::BTreeSet<IpAddr> = checked
            .iter()
            .filter_map(|(_, w)| w.as_ref().ok().map(|w| w.ip))
            .filter(|ip| !self.mappings.contains_key(ip))
            .collect();
        if self.mappings.len() + new.len() > max {
            return Err(too_many());
        }
        let (mut succeeded, mut failed) = (Vec::new(), Vec::new());
        for (item, outcome) in checked {
            match outcome {
                Ok(w) => {
                    succeeded
                        .push(json!({"origin_ip": w.ip.to_string(), "region": w.region, "vendor": w.vendor}));
                    self.mappings.insert(
                        w.ip,
                        Mapping {
                            region: w.region,
                            vendor: w.vendor,
                            modified_on: at,
                        },
                    );
                }
                Err(refusal) => {
                    let error = match refusal {
                        Refusal::Invalid(message) => message,
                        Refusal::Unsupported => UNKNOWN_VENDOR_REGION.to_string(),
                    };
                    let submitted = item.get("origin_ip").and_then(Value::as_str).unwrap_or("");
                    failed.push(json!({"origin_ip": submitted, "error": error}));
                }
            }
        }
        Ok(json!({"succeeded": succeeded, "failed": failed}))
    }

    /// Deletes IP by IP: unknown or invalid ones are reported failed.
    pub(crate) fn batch_delete(&mut self, body: &Value) -> Result<Value, ApiError> {
        let (mut succeeded, mut failed) = (Vec::new(), Vec::new());
        for item in items(body)? {
            let submitted = item.as_str().unwrap_or("");
            match canonical(submitted) {
                None => failed.push(
                    json!({"origin_ip": submitted, "error": format!("`{submitted}` is not an IP address")}),
                ),
                Some(ip) => match self.mappings.remove(&ip) {
                    Some(m) => succeeded
                        .push(json!({"origin_ip": ip.to_string(), "region": m.region, "vendor": m.vendor})),
                    None => {
                        failed.push(json!({"origin_ip": submitted, "error": "no mapping for this origin IP"}))
                    }
                },
            }
        }
        Ok(json!({"succeeded": succeeded, "failed": failed}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    fn mapping(ip: &str) -> Value {
        json!({"origin_ip": ip, "region": "us-east-1", "vendor": "aws"})
    }

    #[test]
    fn ipv6_is_stored_and_found_in_canonical_form() {
        let mut r = Regions::default();
        let stored = r.upsert("2001:0DB8:0:0::1", &mapping("2001:db8::0:1"), at(), 10);
        assert_eq!(stored.map(|v| v["origin_ip"].clone()), Ok(json!("2001:db8::1")));
        assert!(r.get("2001:db8:0::1").is_ok());
    }

    #[test]
    fn a_body_ip_other_than_the_path_is_1146() {
        let mut r = Regions::default();
        let e = r
            .upsert("192.0.2.1", &mapping("192.0.2.2"), at(), 10)
            .map_err(|e| (e.status, e.code));
        assert_eq!(e, Err((400, 1146)));
    }

    #[test]
    fn the_cap_refuses_new_mappings_but_not_updates() {
        let mut r = Regions::default();
        assert!(r.upsert("192.0.2.1", &mapping("192.0.2.1"), at(), 1).is_ok());
        assert_eq!(
            r.upsert("192.0.2.2", &mapping("192.0.2.2"), at(), 1)
                .map_err(|e| (e.status, e.code)),
            Err((403, 1164))
        );
        assert!(r.upsert("192.0.2.1", &mapping("192.0.2.1"), at(), 1).is_ok());
        let batch = json!([mapping("192.0.2.1"), mapping("192.0.2.3")]);
        assert_eq!(r.batch_upsert(&batch, at(), 1).map_err(|e| e.code), Err(1164));
    }

    #[test]
    fn a_batch_reports_each_item() {
        let mut r = Regions::default();
        let batch = json!([
            mapping("192.0.2.1"),
            {"origin_ip": "192.0.2.2", "region": "mars-1", "vendor": "aws"},
            mapping("not-an-ip"),
        ]);
        let result = r.batch_upsert(&batch, at(), 10).unwrap_or_default();
        assert_eq!(result["succeeded"].as_array().map(Vec::len), Some(1));
        assert_eq!(result["failed"][0]["origin_ip"], "192.0.2.2");
        assert_eq!(result["failed"][1]["origin_ip"], "not-an-ip");
        let deleted = r
            .batch_delete(&json!(["192.0.2.1", "192.0.2.9"]))
            .unwrap_or_default();
        assert_eq!(deleted["succeeded"][0]["vendor"], "aws");
        assert_eq!(deleted["failed"][0]["origin_ip"], "192.0.2.9");
        assert_eq!(r.len(), 0);
    }
}
