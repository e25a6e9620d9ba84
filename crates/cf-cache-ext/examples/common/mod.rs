//! Set-up shared by the examples: a client and a zone id from the environment.

use std::error::Error;
use std::process::ExitCode;

use cf_cache_ext::cf_cache_client::Client;

/// A client from `CLOUDFLARE_API_TOKEN`, sending to `CLOUDFLARE_BASE_URL` when set (a local
/// mock server, say), and the zone from `CLOUDFLARE_ZONE_ID`.
pub fn client_and_zone() -> Result<(Client, String), Box<dyn Error>> {
    let token = required(
        "CLOUDFLARE_API_TOKEN",
        "an API token with the Zone Cache permissions",
    )?;
    let zone = required("CLOUDFLARE_ZONE_ID", "the 32-character id of the zone")?;
    let mut builder = Client::builder().api_token(token);
    if let Some(base_url) = optional("CLOUDFLARE_BASE_URL")? {
        builder = builder.base_url(base_url);
    }
    Ok((builder.build()?, zone))
}

fn required(name: &str, what: &str) -> Result<String, Box<dyn Error>> {
    optional(name)?.ok_or_else(|| format!("{name} is not set: export {what}").into())
}

fn optional(name: &str) -> Result<Option<String>, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8").into()),
    }
}

/// Prints `result`'s error with its chain of causes, and the exit code to end with.
pub fn report(result: Result<(), Box<dyn Error>>) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {error}");
    let mut cause = error.source();
    while let Some(e) = cause {
        eprintln!("  caused by: {e}");
        cause = e.source();
    }
    ExitCode::FAILURE
}
