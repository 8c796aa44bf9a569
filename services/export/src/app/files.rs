//! Files streamed to the caller in constant memory: a producer task writes the file
//! through a [`ChunkSink`], which hands it on in chunks of at most [`CHUNK_BYTES`] over
//! a small bounded channel, so the producer waits while the caller is slower and stops
//! when the caller goes away. The producer also counts the rows it writes
//! ([`Progress`]), which an export job reports while it runs.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::stream::{self, BoxStream};
use tokio::sync::mpsc;

use crate::error::Error;

/// Largest chunk.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight between the producer and the caller.
const CHUNKS_IN_FLIGHT: usize = 4;

/// A file on its way: its name, MIME type and chunks (or the error that ended it).
pub(crate) struct File {
    pub(crate) name: String,
    pub(crate) content_type: Cow<'static, str>,
    pub(crate) chunks: BoxStream<'static, Result<Vec<u8>, Error>>,
    /// The rows written so far, and how many are expected when the producer knows.
    pub(crate) progress: Progress,
}

/// Rows written so far and rows expected (0 when unknown), shared by a producer and
/// whoever watches it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
}

impl Progress {
    /// (rows written, rows expected or 0).
    pub(crate) fn get(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// Where a producer writes a file.
pub(crate) struct ChunkSink {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Vec<u8>, Error>>,
    progress: Progress,
}

impl ChunkSink {
    /// Counts one more row written.
    pub(crate) fn row_written(&self) {
        self.progress.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Says how many rows the file will have.
    pub(crate) fn expect_rows(&self, rows: usize) {
        self.progress.total.store(rows as u64, Ordering::Relaxed);
    }

    /// Appends `bytes`, sending every full chunk; [`Error::CallerGone`] when nobody reads
    /// any more.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.buffer.extend_from_slice(bytes);
        while self.buffer.len() >= CHUNK_BYTES {
            let rest = self.buffer.split_off(CHUNK_BYTES);
            let chunk = std::mem::replace(&mut self.buffer, rest);
            self.send(chunk).await?;
        }
        Ok(())
    }

    async fn send(&self, chunk: Vec<u8>) -> Result<(), Error> {
        self.sender
            .send(Ok(chunk))
            .await
            .map_err(|_| Error::CallerGone)
    }
}

/// The file `produce` writes, run in its own task. Its last bytes are sent when it
/// returns; an error it returns ends the stream.
pub(crate) fn stream<F, Fut>(
    name: String,
    content_type: impl Into<Cow<'static, str>>,
    produce: F,
) -> File
where
    F: FnOnce(ChunkSink) -> Fut + Send + 'static,
    Fut: Future<Output = Result<ChunkSink, Error>> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let errors = sender.clone();
    let progress = Progress::default();
    let sink = ChunkSink {
        buffer: Vec::with_capacity(CHUNK_BYTES),
        sender,
        progress: progress.clone(),
    };
    tokio::spawn(async move {
        let outcome = match produce(sink).await {
            Ok(sink) if sink.buffer.is_empty() => Ok(()),
            Ok(mut sink) => {
                let last = std::mem::take(&mut sink.buffer);
                sink.send(last).await
            }
            Err(err) => Err(err),
        };
        match outcome {
            Ok(()) | Err(Error::CallerGone) => {}
            Err(err) => {
                // The caller learns why the file ends early.
                let _ = errors.send(Err(err)).await;
            }
        }
    });
    let chunks = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    File {
        name,
        content_type: content_type.into(),
        chunks: Box::pin(chunks),
        progress,
    }
}
