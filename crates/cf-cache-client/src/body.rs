//! Request bodies that are not JSON: files, scripts, text and multipart forms travel as bytes
//! with their media type. Bodies are held whole, so a retried request sends them again.

use bytes::Bytes;
use futures::TryStreamExt;

use crate::error::{Error, InvalidRequest, Result};

/// A request body sent as it is, with its `Content-Type`.
///
/// ```
/// use cf_cache_client::RawBody;
///
/// let script = RawBody::new("application/javascript", "export default {}");
/// assert_eq!(script.content_type(), "application/javascript");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody {
    content_type: String,
    bytes: Bytes,
}

impl RawBody {
    /// `bytes` sent with the media type `content_type` (`text/csv`, `application/octet-stream`).
    pub fn new(content_type: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self {
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// A `multipart/form-data` body from reqwest's form builder (its boundary included in
    /// the content type). The parts are read into memory here, so a failing part stream is
    /// reported before anything is sent.
    pub async fn multipart(form: reqwest::multipart::Form) -> Result<Self> {
        let content_type = format!("multipart/form-data; boundary={}", form.boundary());
        let chunks: Vec<Bytes> = form.into_stream().try_collect().await.map_err(|e| {
            Error::InvalidRequest(InvalidRequest {
                field: "body".into(),
                reason: format!("a multipart part could not be read: {e}"),
            })
        })?;
        Ok(Self::new(content_type, chunks.concat()))
    }

    /// The media type sent as `Content-Type`.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The bytes sent.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    #[allow(
        dead_code,
        reason = "generated code calls this only for specs with raw bodies"
    )]
    pub(crate) fn into_parts(self) -> (String, Bytes) {
        (self.content_type, self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_multipart_form_carries_its_boundary_and_every_part() {
        let form = reqwest::multipart::Form::new()
            .text("metadata", "{\"main_module\":\"worker.js\"}")
            .part(
                "worker.js",
                reqwest::multipart::Part::bytes(b"export default {}".to_vec()).file_name("worker.js"),
            );
        let boundary = form.boundary().to_string();
        let body = RawBody::multipart(form).await.expect("in-memory parts");
        assert_eq!(
            body.content_type(),
            format!("multipart/form-data; boundary={boundary}")
        );
        let text = String::from_utf8_lossy(body.bytes());
        assert!(text.contains("name=\"metadata\""), "{text}");
        assert!(text.contains("filename=\"worker.js\""), "{text}");
        assert!(text.ends_with(&format!("--{boundary}--\r\n")), "{text}");
    }
}
