//! Stage 1: read spec bytes into a typed OpenAPI document, rejecting what we cannot handle
//! with an error that names the line.

use openapiv3::OpenAPI;
use sha2::{Digest, Sha256};

use crate::error::{GenError, Result};

/// A parsed spec plus what the file header needs to identify it.
pub struct LoadedSpec {
    /// The typed document.
    pub openapi: OpenAPI,
    /// Lower-case hex SHA-256 of the spec bytes.
    pub sha256: String,
    /// How the spec is named in messages and headers (a relative path).
    pub name: String,
}

/// Parses `bytes` (YAML 1.2 or JSON) named `name`.
pub fn load(bytes: &[u8], name: &str) -> Result<LoadedSpec> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        GenError::at(
            format!("{name}:{line}"),
            format!("the spec is not valid UTF-8 (invalid byte at offset {offset})"),
        )
    })?;

    // Only a document longer than the text limit can hold an over-long text; the untyped read
    // that finds its place is paid for only then.
    if text.len() > MAX_TEXT_LEN {
        let untyped: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| yaml_error(name, &e))?;
        check_version(untyped.get("openapi").and_then(serde_yaml::Value::as_str), name)?;
        check_text_sizes(&untyped, "#", name)?;
    }

    let deserializer = serde_yaml::Deserializer::from_str(text);
    let openapi: OpenAPI = match serde_path_to_error::deserialize(deserializer) {
        Ok(openapi) => openapi,
        Err(e) => {
            // Look at the version before reporting: a 3.1 document often fails the 3.0 model
            // with a confusing message about some unrelated field. Only failures pay for this
            // second, untyped read.
            let untyped: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| yaml_error(name, &e))?;
            check_version(untyped.get("openapi").and_then(serde_yaml::Value::as_str), name)?;
            let path = e.path().to_string();
            let inner = e.into_inner();
            let place = match inner.location() {
                Some(loc) => format!("{name}:{}:{}", loc.line(), loc.column()),
                None => name.to_string(),
            };
            return Err(GenError::at(
                place,
                format!("not a valid OpenAPI 3.0 document at `{path}`: {inner}"),
            ));
        }
    };
    check_version(Some(&openapi.openapi), name)?;

    Ok(LoadedSpec {
        openapi,
        sha256: sha256_hex(bytes),
        name: name.to_string(),
    })
}

fn yaml_error(name: &str, e: &serde_yaml::Error) -> GenError {
    let place = match e.location() {
        Some(loc) => format!("{name}:{}:{}", loc.line(), loc.column()),
        None => name.to_string(),
    };
    GenError::at(place, format!("invalid YAML: {e}"))
}

fn check_version(version: Option<&str>, name: &str) -> Result<()> {
    match version {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Ok(()),
        Some(v) => Err(GenError::at(
            format!("{name}: openapi"),
            format!("OpenAPI {v} is not supported; the generator reads OpenAPI 3.0.x documents"),
        )),
        None => Err(GenError::at(
            name,
            "missing `openapi: 3.0.x` version field; is this an OpenAPI 3.0 document?",
        )),
    }
}

/// The longest text (a description, say) the generator copies into code, in bytes. Real
/// descriptions are a few kilobytes; megabytes are a broken or hostile spec, and would end up
/// in doc comments of every build of the SDK.
const MAX_TEXT_LEN: usize = 64 * 1024;

fn check_text_sizes(value: &serde_yaml::Value, place: &str, name: &str) -> Result<()> {
    use serde_yaml::Value;
    match value {
        Value::String(text) if text.len() > MAX_TEXT_LEN => Err(GenError::at(
            format!("{name}: {place}"),
            format!(
                "text of {} bytes is too long; at most {MAX_TEXT_LEN} bytes are supported",
                text.len()
            ),
        )),
        Value::Mapping(map) => map.iter().try_for_each(|(key, child)| {
            check_text_sizes(key, place, name)?;
            let key = match key {
                Value::String(k) => k.replace('~', "~0").replace('/', "~1"),
                other => format!("{other:?}"),
            };
            check_text_sizes(child, &format!("{place}/{key}"), name)
        }),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, child)| check_text_sizes(child, &format!("{place}/{i}"), name)),
        Value::Tagged(tagged) => check_text_sizes(&tagged.value, place, name),
        _ => Ok(()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
