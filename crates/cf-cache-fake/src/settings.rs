//! Zone settings (Cache Reserve, Smart and Regional Tiered Cache, Variants) and the Cache
//! Reserve Clear job, with their state machines.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, codes};
use crate::routes::Toggle;

/// The image extensions the variants setting knows.
const VARIANT_EXTENSIONS: [&str; 11] = [
    "avif", "bmp", "gif", "jp2", "jpeg", "jpg", "jpg2", "png", "tif", "tiff", "webp",
];

/// RFC 3339 in UTC, as Cloudflare writes its timestamps.
pub(crate) fn timestamp(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A setting's value and when it last changed.
#[derive(Debug, Clone, Default)]
struct Setting<T> {
    value: T,
    modified_on: Option<SystemTime>,
}

impl<T> Setting<T> {
    fn set(&mut self, value: T, at: SystemTime) {
        self.value = value;
        self.modified_on = Some(at);
    }
}

/// One Cache Reserve Clear job.
#[derive(Debug, Clone, Copy)]
struct Clear {
    start: SystemTime,
    end: SystemTime,
}

/// The settings of one zone.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    cache_reserve: Setting<bool>,
    smart_tiered: Setting<bool>,
    regional: Setting<bool>,
    variants: Setting<Map<String, Value>>,
    clear: Option<Clear>,
}

fn toggle_value(body: &Value) -> Result<bool, ApiError> {
    match body.get("value").and_then(Value::as_str) {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err(ApiError::invalid("value must be \"on\" or \"off\"")),
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn modified(at: Option<SystemTime>) -> Value {
    at.map_or(Value::Null, |at| Value::String(timestamp(at)))
}

impl Settings {
    fn toggle(&mut self, which: Toggle) -> &mut Setting<bool> {
        match which {
            Toggle::CacheReserve => &mut self.cache_reserve,
            Toggle::SmartTiered => &mut self.smart_tiered,
            Toggle::Regional => &mut self.regional,
        }
    }

    fn toggle_result(&mut self, which: Toggle) -> Value {
        let id = match which {
            Toggle::CacheReserve => "cache_reserve",
            Toggle::SmartTiered => "tiered_cache_smart_topology_enable",
            Toggle::Regional => "tc_regional",
        };
        let setting = self.toggle(which);
        json!({
            "id": id,
            "editable": true,
            "value": on_off(setting.value),
            "modified_on": modified(setting.modified_on),
        })
    }

    pub(crate) fn get_toggle(&mut self, which: Toggle) -> Value {
        self.toggle_result(which)
    }

    pub(crate) fn set_toggle(
        &mut self,
        which: Toggle,
        body: &Value,
        at: SystemTime,
    ) -> Result<Value, ApiError> {
        let on = toggle_value(body)?;
        if which == Toggle::CacheReserve && on && self.clear_running(at) {
            return Err(ApiError::bad_request(
                codes::CLEAR_IN_PROGRESS,
                "Cache Reserve cannot be enabled because a deletion is already in progress.",
            ));
        }
        self.toggle(which).set(on, at);
        Ok(self.toggle_result(which))
    }

    /// Resets Smart Tiered Cache to off; the result has no `value`.
    pub(crate) fn delete_smart_tiered(&mut self, at: SystemTime) -> Value {
        self.smart_tiered.set(false, at);
        json!({
            "id": "tiered_cache_smart_topology_enable",
            "editable": true,
            "modified_on": modified(self.smart_tiered.modified_on),
        })
    }

    pub(crate) fn get_variants(&self) -> Value {
        json!({
            "id": "variants",
            "editable": true,
            "value": self.variants.value,
            "modified_on": modified(self.variants.modified_on),
        })
    }

    /// Replaces the whole map (the spec leaves merging undocumented; a replace is the reading
    /// that makes "send the complete map" safe).
    pub(crate) fn update_variants(&mut self, body: &Value, at: SystemTime) -> Result<Value, ApiError> {
        let Some(value) = body.get("value").and_then(Value::as_object) else {
            return Err(ApiError::invalid(
                "value must be an object of extension to MIME types",
            ));
        };
        for (extension, types) in value {
            if !VARIANT_EXTENSIONS.contains(&extension.as_str()) {
                return Err(ApiError::invalid(format!(
                    "unknown image extension `{extension}`"
                )));
            }
            let Some(types) = types.as_array() else {
                return Err(ApiError::invalid(format!("value.{extension} must be an array")));
            };
            let mut seen = std::collections::BTreeSet::new();
            for t in types {
                match t.as_str() {
                    Some(t) if seen.insert(t) => {}
                    Some(t) => return Err(ApiError::invalid(format!("value.{extension} repeats `{t}`"))),
                    None => return Err(ApiError::invalid(format!("value.{extension} must hold strings"))),
                }
            }
        }
        self.variants.set(value.clone(), at);
        Ok(self.get_variants())
    }

    /// Resets variants to none; the result has no `value`.
    pub(crate) fn delete_variants(&mut self, at: SystemTime) -> Value {
        self.variants.set(Map::new(), at);
        json!({
            "id": "variants",
            "editable": true,
            "modified_on": modified(self.variants.modified_on),
        })
    }

    fn clear_running(&self, at: SystemTime) -> bool {
        self.clear.is_some_and(|c| at < c.end)
    }

    fn clear_status(clear: Clear, at: SystemTime) -> Value {
        if at < clear.end {
            json!({
                "id": "cache_reserve_clear",
                "start_ts": timestamp(clear.start),
                "state": "In-progress",
                "modified_on": timestamp(clear.start),
            })
        } else {
            json!({
                "id": "cache_reserve_clear",
                "start_ts": timestamp(clear.start),
                "end_ts": timestamp(clear.end),
                "state": "Completed",
                "modified_on": timestamp(clear.end),
            })
        }
    }

    pub(crate) fn get_clear(&self, at: SystemTime) -> Result<Value, ApiError> {
        match self.clear {
            Some(clear) => Ok(Self::clear_status(clear, at)),
            None => Err(ApiError::bad_request(
                codes::SETTING_MISSING,
                "Unable to retrieve cache_reserve_clear setting value. The zone setting does not exist because you never performed a Cache Reserve Clear operation.",
            )),
        }
    }

    /// Starts a clear taking `duration`. A clear that is still running is not restarted (it
    /// cannot be cancelled): its status is returned as it stands.
    pub(crate) fn start_clear(
        &mut self,
        body: &Value,
        at: SystemTime,
        duration: Duration,
    ) -> Result<Value, ApiError> {
        if !body.is_object() {
            return Err(ApiError::invalid("the body must be a JSON object (send {})"));
        }
        if self.cache_reserve.value {
            return Err(ApiError::bad_request(
                codes::CACHE_RESERVE_ON,
                "Turn off Cache Reserve sync to proceed with deletion.",
            ));
        }
        let clear = match self.clear {
            Some(running) if at < running.end => running,
            _ => Clear {
                start: at,
                end: at + duration,
            },
        };
        self.clear = Some(clear);
        Ok(Self::clear_status(clear, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_392_000 + secs)
    }

    #[test]
    fn a_clear_runs_for_its_duration_then_completes_with_an_end() {
        let mut s = Settings::default();
        let hour = Duration::from_secs(3_600);
        assert_eq!(s.get_clear(at(0)).map_err(|e| e.code), Err(1142));
        assert!(s.start_clear(&json!({}), at(0), hour).is_ok());
        assert_eq!(
            s.get_clear(at(3_599)).map(|v| v["state"].clone()),
            Ok(json!("In-progress"))
        );
        let done = s.get_clear(at(3_600)).unwrap_or_default();
        assert_eq!(done["state"], "Completed");
        assert_eq!(done["end_ts"], "2026-11-23T01:00:00.000000Z");
    }

    #[test]
    fn cache_reserve_blocks_a_clear_and_a_clear_blocks_cache_reserve() {
        let mut s = Settings::default();
        let hour = Duration::from_secs(3_600);
        assert!(
            s.set_toggle(Toggle::CacheReserve, &json!({"value": "on"}), at(0))
                .is_ok()
        );
        assert_eq!(
            s.start_clear(&json!({}), at(1), hour).map_err(|e| e.code),
            Err(1152)
        );
        assert!(
            s.set_toggle(Toggle::CacheReserve, &json!({"value": "off"}), at(2))
                .is_ok()
        );
        assert!(s.start_clear(&json!({}), at(3), hour).is_ok());
        let on = json!({"value": "on"});
        assert_eq!(
            s.set_toggle(Toggle::CacheReserve, &on, at(4)).map_err(|e| e.code),
            Err(1153)
        );
        assert!(s.set_toggle(Toggle::CacheReserve, &on, at(3_603)).is_ok());
    }

    #[test]
    fn starting_again_while_running_keeps_the_running_clear() {
        let mut s = Settings::default();
        let hour = Duration::from_secs(3_600);
        let first = s.start_clear(&json!({}), at(0), hour).unwrap_or_default();
        let again = s.start_clear(&json!({}), at(60), hour).unwrap_or_default();
        assert_eq!(first["start_ts"], again["start_ts"]);
        let later = s.start_clear(&json!({}), at(4_000), hour).unwrap_or_default();
        assert_ne!(first["start_ts"], later["start_ts"]);
    }
}
