//! Ready-made paginators for the list operations of the API, one line each.

use cf_cache_client::Client;
use cf_cache_client::types::OriginCloudRegion;

use super::{FetchPage, Paginator, paginate};

/// Every origin IP to cloud region mapping of `zone_id` (up to 3,500, so at most 35 requests
/// at the default 100 per page).
///
/// Pages are fetched with `client` and its retry policy; for another policy pass
/// `&client.with_retry_policy(policy)` (bound to a variable, since the paginator borrows it).
pub fn origin_cloud_regions<'a>(
    client: &'a Client,
    zone_id: &'a str,
) -> Paginator<OriginCloudRegion, impl FetchPage<OriginCloudRegion> + 'a> {
    paginate(move |page, per_page| client.list_origin_cloud_regions(zone_id, Some(page), Some(per_page)))
}
