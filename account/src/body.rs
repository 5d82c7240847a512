//! An S3 object's body streamed into one of `phoenix_terraform`'s readers, chunk by chunk
//! as it arrives, so a large state is never held whole. (Its own module: it makes no call,
//! and a function that names it is granted nothing.)

use phoenix_terraform::{ChunkReader, Streaming};

/// Feeds `body` to `parse` (on a blocking thread) as it arrives: the parser's answer, or why
/// the bytes stopped coming (or the parser stopped) before the end.
pub async fn parse<T, E>(
    mut body: aws_sdk_s3::primitives::ByteStream,
    parse: fn(ChunkReader) -> Result<T, E>,
) -> Result<Result<T, E>, String>
where
    T: Send + 'static,
    E: Send + 'static,
{
    let parsing = Streaming::start(parse);
    let mut read_error = None;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => {
                if !parsing.feed(bytes.to_vec()).await {
                    // The parser stopped early: the bytes are not what it reads; its
                    // answer says why.
                    break;
                }
            }
            Err(err) => {
                read_error = Some(format!("the body stopped arriving: {err}"));
                break;
            }
        }
    }
    let parsed = parsing.finish().await?;
    match read_error {
        Some(why) => Err(why),
        None => Ok(parsed),
    }
}
