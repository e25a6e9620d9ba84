//! The two endpoint pairs that start and report a Cache Reserve Clear.

use cf_cache_client::types::{ReserveClearRequest, ReserveClearStatus};
use cf_cache_client::{Client, Result};

/// Which of the two equivalent endpoint pairs to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClearEndpoint {
    /// `/zones/{zone_id}/cache/cache_reserve_clear` (the default).
    #[default]
    Cache,
    /// `/zones/{zone_id}/smart_shield/cache_reserve_clear`, the newer location.
    SmartShield,
}

impl ClearEndpoint {
    pub(super) async fn status(self, client: &Client, zone_id: &str) -> Result<ReserveClearStatus> {
        match self {
            Self::Cache => client.get_cache_reserve_clear(zone_id).await,
            Self::SmartShield => client.get_smart_shield_cache_reserve_clear(zone_id).await,
        }
    }

    pub(super) async fn start(self, client: &Client, zone_id: &str) -> Result<ReserveClearStatus> {
        // The API requires a body but ignores it: `{}`.
        let body = ReserveClearRequest(Default::default());
        match self {
            Self::Cache => client.start_cache_reserve_clear(zone_id, &body).await,
            Self::SmartShield => {
                client
                    .start_smart_shield_cache_reserve_clear(zone_id, &body)
                    .await
            }
        }
    }
}
