//! From method and path to one of the 26 operations (named by the spec's `operationId`).

use percent_encoding::percent_decode_str;

use crate::envelope::{ApiError, codes};
use crate::record::PurgeAction;

/// The prefix every path is served under, as on `api.cloudflare.com`.
pub(crate) const API_PREFIX: &str = "/client/v4";

/// Which Cache Reserve Clear path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClearPath {
    Cache,
    SmartShield,
}

/// One of the zone settings with an on/off value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Toggle {
    CacheReserve,
    SmartTiered,
    Regional,
}

/// An operation with its path parameters (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    Purge {
        action: PurgeAction,
        environment: Option<String>,
    },
    GetToggle(Toggle),
    /// PATCH (or POST for Smart Tiered Cache).
    SetToggle(Toggle, &'static str),
    DeleteSmartTiered,
    GetClear(ClearPath),
    StartClear(ClearPath),
    GetVariants,
    UpdateVariants,
    DeleteVariants,
    ListRegions,
    GetRegion(String),
    UpsertRegion(String),
    DeleteRegion(String),
    BatchUpsertRegions,
    BatchDeleteRegions,
    SupportedRegions,
}

impl Op {
    /// The spec's `operationId`.
    pub(crate) fn operation_id(&self) -> &'static str {
        use PurgeAction::{Invalidate, Purge};
        match self {
            Op::Purge {
                action: Purge,
                environment: None,
            } => "purge_cache",
            Op::Purge {
                action: Purge,
                environment: Some(_),
            } => "purge_environment_cache",
            Op::Purge {
                action: Invalidate,
                environment: None,
            } => "invalidate_cache",
            Op::Purge {
                action: Invalidate,
                environment: Some(_),
            } => "invalidate_environment_cache",
            Op::GetToggle(Toggle::CacheReserve) => "get_cache_reserve",
            Op::GetToggle(Toggle::SmartTiered) => "get_smart_tiered_cache",
            Op::GetToggle(Toggle::Regional) => "get_regional_tiered_cache",
            Op::SetToggle(_, id) => id,
            Op::DeleteSmartTiered => "delete_smart_tiered_cache",
            Op::GetClear(ClearPath::Cache) => "get_cache_reserve_clear",
            Op::GetClear(ClearPath::SmartShield) => "get_smart_shield_cache_reserve_clear",
            Op::StartClear(ClearPath::Cache) => "start_cache_reserve_clear",
            Op::StartClear(ClearPath::SmartShield) => "start_smart_shield_cache_reserve_clear",
            Op::GetVariants => "get_variants",
            Op::UpdateVariants => "update_variants",
            Op::DeleteVariants => "delete_variants",
            Op::ListRegions => "list_origin_cloud_regions",
            Op::GetRegion(_) => "get_origin_cloud_region",
            Op::UpsertRegion(_) => "upsert_origin_cloud_region",
            Op::DeleteRegion(_) => "delete_origin_cloud_region",
            Op::BatchUpsertRegions => "batch_upsert_origin_cloud_regions",
            Op::BatchDeleteRegions => "batch_delete_origin_cloud_regions",
            Op::SupportedRegions => "list_supported_origin_cloud_regions",
        }
    }

    /// Whether the operation takes a (required) JSON body.
    pub(crate) fn takes_body(&self) -> bool {
        matches!(
            self,
            Op::Purge { .. }
                | Op::SetToggle(..)
                | Op::StartClear(_)
                | Op::UpdateVariants
                | Op::UpsertRegion(_)
                | Op::BatchUpsertRegions
                | Op::BatchDeleteRegions
        )
    }
}

/// A routed request: the zone and the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Routed {
    pub zone_id: String,
    pub op: Op,
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Routes `method path` (the path below [`API_PREFIX`]).
pub(crate) fn route(method: &str, path: &str) -> Result<Routed, ApiError> {
    let no_route = || ApiError::new(404, codes::NO_ROUTE, "No route for the URI");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [first, zone, rest @ ..] = segments.as_slice() else {
        return Err(no_route());
    };
    if *first != "zones" || zone.is_empty() {
        return Err(no_route());
    }
    let zone_id = decode(zone);
    let op = |allowed: &[(&str, Op)]| -> Result<Op, ApiError> {
        allowed
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, op)| op.clone())
            .ok_or_else(|| {
                ApiError::new(
                    405,
                    codes::METHOD_NOT_ALLOWED,
                    "Method not allowed for this route",
                )
            })
    };
    use Toggle::{CacheReserve, Regional, SmartTiered};
    let purge = |action, environment: Option<String>| Op::Purge { action, environment };
    let op = match rest {
        ["purge_cache"] => op(&[("POST", purge(PurgeAction::Purge, None))])?,
        ["invalidate_cache"] => op(&[("POST", purge(PurgeAction::Invalidate, None))])?,
        ["environments", env, "purge_cache"] if !env.is_empty() => {
            op(&[("POST", purge(PurgeAction::Purge, Some(decode(env))))])?
        }
        ["environments", env, "invalidate_cache"] if !env.is_empty() => {
            op(&[("POST", purge(PurgeAction::Invalidate, Some(decode(env))))])?
        }
        ["cache", "cache_reserve"] => op(&[
            ("GET", Op::GetToggle(CacheReserve)),
            ("PATCH", Op::SetToggle(CacheReserve, "update_cache_reserve")),
        ])?,
        ["cache", "cache_reserve_clear"] => op(&[
            ("GET", Op::GetClear(ClearPath::Cache)),
            ("POST", Op::StartClear(ClearPath::Cache)),
        ])?,
        ["smart_shield", "cache_reserve_clear"] => op(&[
            ("GET", Op::GetClear(ClearPath::SmartShield)),
            ("POST", Op::StartClear(ClearPath::SmartShield)),
        ])?,
        ["cache", "tiered_cache_smart_topology_enable"] => op(&[
            ("GET", Op::GetToggle(SmartTiered)),
            ("POST", Op::SetToggle(SmartTiered, "create_smart_tiered_cache")),
            ("PATCH", Op::SetToggle(SmartTiered, "update_smart_tiered_cache")),
            ("DELETE", Op::DeleteSmartTiered),
        ])?,
        ["cache", "variants"] => op(&[
            ("GET", Op::GetVariants),
            ("PATCH", Op::UpdateVariants),
            ("DELETE", Op::DeleteVariants),
        ])?,
        ["cache", "regional_tiered_cache"] => op(&[
            ("GET", Op::GetToggle(Regional)),
            ("PATCH", Op::SetToggle(Regional, "update_regional_tiered_cache")),
        ])?,
        ["origin", "cloud_regions"] => op(&[("GET", Op::ListRegions)])?,
        ["origin", "cloud_regions", "batch"] => op(&[
            ("PUT", Op::BatchUpsertRegions),
            ("DELETE", Op::BatchDeleteRegions),
        ])?,
        ["origin", "cloud_regions", "supported_regions"] => op(&[("GET", Op::SupportedRegions)])?,
        ["origin", "cloud_regions", ip] if !ip.is_empty() => {
            let ip = decode(ip);
            op(&[
                ("GET", Op::GetRegion(ip.clone())),
                ("PUT", Op::UpsertRegion(ip.clone())),
                ("DELETE", Op::DeleteRegion(ip)),
            ])?
        }
        _ => return Err(no_route()),
    };
    Ok(Routed { zone_id, op })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_route() {
        let z = "/zones/z";
        let cases = [
            ("POST", "/purge_cache", "purge_cache"),
            ("POST", "/environments/e/purge_cache", "purge_environment_cache"),
            ("POST", "/invalidate_cache", "invalidate_cache"),
            (
                "POST",
                "/environments/e/invalidate_cache",
                "invalidate_environment_cache",
            ),
            ("GET", "/cache/cache_reserve", "get_cache_reserve"),
            ("PATCH", "/cache/cache_reserve", "update_cache_reserve"),
            ("GET", "/cache/cache_reserve_clear", "get_cache_reserve_clear"),
            ("POST", "/cache/cache_reserve_clear", "start_cache_reserve_clear"),
            (
                "GET",
                "/smart_shield/cache_reserve_clear",
                "get_smart_shield_cache_reserve_clear",
            ),
            (
                "POST",
                "/smart_shield/cache_reserve_clear",
                "start_smart_shield_cache_reserve_clear",
            ),
            (
                "GET",
                "/cache/tiered_cache_smart_topology_enable",
                "get_smart_tiered_cache",
            ),
            (
                "POST",
                "/cache/tiered_cache_smart_topology_enable",
                "create_smart_tiered_cache",
            ),
            (
                "PATCH",
                "/cache/tiered_cache_smart_topology_enable",
                "update_smart_tiered_cache",
            ),
            (
                "DELETE",
                "/cache/tiered_cache_smart_topology_enable",
                "delete_smart_tiered_cache",
            ),
            ("GET", "/cache/variants", "get_variants"),
            ("PATCH", "/cache/variants", "update_variants"),
            ("DELETE", "/cache/variants", "delete_variants"),
            ("GET", "/cache/regional_tiered_cache", "get_regional_tiered_cache"),
            (
                "PATCH",
                "/cache/regional_tiered_cache",
                "update_regional_tiered_cache",
            ),
            ("GET", "/origin/cloud_regions", "list_origin_cloud_regions"),
            (
                "GET",
                "/origin/cloud_regions/192.0.2.1",
                "get_origin_cloud_region",
            ),
            (
                "PUT",
                "/origin/cloud_regions/192.0.2.1",
                "upsert_origin_cloud_region",
            ),
            (
                "DELETE",
                "/origin/cloud_regions/192.0.2.1",
                "delete_origin_cloud_region",
            ),
            (
                "PUT",
                "/origin/cloud_regions/batch",
                "batch_upsert_origin_cloud_regions",
            ),
            (
                "DELETE",
                "/origin/cloud_regions/batch",
                "batch_delete_origin_cloud_regions",
            ),
            (
                "GET",
                "/origin/cloud_regions/supported_regions",
                "list_supported_origin_cloud_regions",
            ),
        ];
        assert_eq!(cases.len(), 26);
        for (method, path, id) in cases {
            let routed = route(method, &format!("{z}{path}"));
            assert_eq!(routed.map(|r| r.op.operation_id()), Ok(id), "{method} {path}");
        }
    }

    #[test]
    fn unknown_paths_are_7003_and_wrong_methods_405() {
        assert_eq!(
            route("GET", "/zones/z/nothing").map_err(|e| (e.status, e.code)),
            Err((404, 7003))
        );
        assert_eq!(route("GET", "/accounts").map_err(|e| e.status), Err(404));
        assert_eq!(
            route("GET", "/zones/z/purge_cache").map_err(|e| (e.status, e.code)),
            Err((405, 7001))
        );
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        let routed = route("GET", "/zones/z/origin/cloud_regions/2001%3Adb8%3A%3A1");
        assert_eq!(routed.map(|r| r.op), Ok(Op::GetRegion("2001:db8::1".into())));
    }
}
