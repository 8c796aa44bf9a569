//! Streamed files on the wire: each chunk a `FileChunk`, the first also naming the file
//! and its type; an error that ends the file ends the stream with its status.

use comptoir_proto::export::v1 as pb;
use futures::StreamExt;
use tonic::Status;

use super::FileStream;
use crate::app::files::File;

/// `file` as a stream of responses, each wrapping one chunk with `wrap`.
pub(crate) fn respond<T: Send + 'static>(
    file: File,
    wrap: fn(pb::FileChunk) -> T,
) -> FileStream<T> {
    let File {
        name,
        content_type,
        chunks,
        ..
    } = file;
    let mut first = Some((name, content_type));
    Box::pin(chunks.map(move |chunk| {
        let data = chunk.map_err(Status::from)?;
        let (file_name, content_type) = first
            .take()
            .map(|(name, content_type)| (name, content_type.into_owned()))
            .unwrap_or_default();
        Ok(wrap(pb::FileChunk {
            file_name,
            content_type,
            data,
        }))
    }))
}
