//! Reading a Terraform state object's versions from S3, streamed into
//! [`phoenix_terraform::state`]'s parser.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use phoenix_terraform::state::{Summary, Unusable, summarize_reader};

/// Streams an S3 object's body into the state parser.
async fn summarize_stream(body: aws_sdk_s3::primitives::ByteStream) -> Result<Summary, Unusable> {
    phoenix_account::body::parse(body, summarize_reader)
        .await
        .map_err(|why| Unusable(format!("reading the state object failed: {why}")))?
}

/// Why a state version could not be read, and whether reading it again later may work
/// (see [`phoenix_shared::aws::is_transient`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub why: String,
    pub transient: bool,
}

impl ReadError {
    fn of<E: ProvideErrorMetadata + std::error::Error + 'static>(
        operation: &str,
        err: &SdkError<E, HttpResponse>,
    ) -> Self {
        Self {
            why: format!("{operation} failed: {}", phoenix_shared::aws::reason(err)),
            transient: phoenix_shared::aws::is_transient(err),
        }
    }

    fn lasting(why: String) -> Self {
        Self {
            why,
            transient: false,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// The new version's id and the one before it, or `None` when the new one is the first.
/// S3 lists a key's versions newest first.
pub async fn versions_around(
    s3: &aws_sdk_s3::Client,
    notice: &crate::notice::Notice,
) -> Result<Option<(String, String)>, ReadError> {
    let mut new = notice.version_id.clone().filter(|v| v != "null");
    let mut seen_new = false;
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    for _ in 0..20 {
        let page = s3
            .list_object_versions()
            .bucket(&notice.bucket)
            .prefix(&notice.key)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| ReadError::of("ListObjectVersions", &e))?;
        for v in page.versions() {
            if v.key() != Some(notice.key.as_str()) {
                continue;
            }
            let Some(id) = v.version_id() else { continue };
            match &new {
                None => {
                    new = Some(id.to_owned());
                    seen_new = true;
                }
                Some(n) if !seen_new => seen_new = n == id,
                Some(n) => return Ok(Some((n.clone(), id.to_owned()))),
            }
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    if seen_new {
        Ok(None)
    } else {
        Err(ReadError::lasting(match new {
            Some(v) => format!("version {v} is not among the object's versions"),
            None => "the object has no versions".to_owned(),
        }))
    }
}

/// Reads and summarizes one version of the state object, streaming.
pub async fn summarize_version(
    s3: &aws_sdk_s3::Client,
    notice: &crate::notice::Notice,
    version: &str,
) -> Result<Summary, ReadError> {
    let object = s3
        .get_object()
        .bucket(&notice.bucket)
        .key(&notice.key)
        .version_id(version)
        .send()
        .await
        .map_err(|e| ReadError::of("GetObject", &e))?;
    summarize_stream(object.body)
        .await
        .map_err(|e| ReadError::lasting(e.0))
}
