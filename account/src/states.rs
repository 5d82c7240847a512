//! Terraform state files in S3, read as the destroy of their stack
//! ([`phoenix_terraform::destroy`]): the body is streamed into the reader, which keeps only
//! what the gate's rules read, so a large state costs memory for its data stores only.

use crate::failure::Failure;
use phoenix_terraform::destroy::{self, Unusable};
use phoenix_terraform::plan::Plan;
use phoenix_terraform::state::is_state_key;

/// The destroy of the stack whose state is `s3://bucket/key`: `Err` when the object could
/// not be read, `Ok(Err)` when it was read and is not a usable state.
pub async fn destroy_of(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Result<Plan, Unusable>, Failure> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| Failure::of("GetObject", &e))?;
    crate::body::parse(object.body, destroy::read)
        .await
        .map_err(|reason| Failure {
            operation: "GetObject",
            code: String::new(),
            reason,
            transient: true,
        })
}

/// The keys of the state objects in `bucket` (`*.tfstate`).
pub async fn list(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Vec<String>, Failure> {
    let mut keys = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Failure::of("ListObjectsV2", &e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|k| is_state_key(k))
                .map(str::to_owned),
        );
    }
    Ok(keys)
}
