//! Lists every origin IP to cloud region mapping of a zone, 100 per request, reading ahead.
//!
//! ```sh
//! CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ZONE_ID=... cargo run -p cf-cache-ext --example list_origin_regions
//! ```
//!
//! Set `CLOUDFLARE_BASE_URL` (e.g. `http://127.0.0.1:4010`) to list from a local server.

mod common;

use std::error::Error;
use std::process::ExitCode;

use cf_cache_ext::cf_cache_client::Printable;
use cf_cache_ext::pagination::origin_cloud_regions;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> ExitCode {
    common::report(run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let (client, zone) = common::client_and_zone()?;
    let mut mappings = origin_cloud_regions(&client, &zone)
        .read_ahead(true)
        .build()?
        .items();
    let mut count = 0usize;
    while let Some(mapping) = mappings.try_next().await? {
        count += 1;
        // Server text goes to the terminal escaped: a hostile answer cannot rewrite it.
        println!(
            "{:<40} {:<6} {}",
            Printable(&mapping.origin_ip),
            Printable(mapping.vendor.as_str()),
            Printable(&mapping.region)
        );
    }
    println!("{count} mappings");
    Ok(())
}
