//! Reading a request body within a byte cap and a deadline.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use tokio::time::Instant;

use super::Refusal;

impl super::Pipeline {
    /// The body cap in bytes ([`PipelineBuilder::body_limit`](super::PipelineBuilder::body_limit)).
    /// The adapters raise their framework's own body limits to it for the requests they guard,
    /// so a body the pipeline accepted reaches the handler's extractors.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }
}

/// A source of body chunks, implemented by each adapter for its framework's body type. Not
/// required to be `Send`: actix-web's payload is not.
pub trait BodySource {
    /// The next chunk; `None` at the end. An `Err` means the body could not be read.
    fn next_chunk(&mut self) -> impl Future<Output = Option<Result<Bytes, BodyError>>>;
}

/// The body stream failed (connection reset, protocol error). The cause is not kept: it may
/// carry bytes of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("body stream failed")]
pub struct BodyError;

/// Checks the head before any byte is read: a non-identity `Content-Encoding` is refused (415),
/// since what a provider signs is the bytes it sends and decoding before authentication is a
/// bomb vector; a `Content-Length` over the cap is refused (413) without reading.
pub(crate) fn check_head(headers: &HeaderMap, limit: usize) -> Result<(), Refusal> {
    for value in headers.get_all(CONTENT_ENCODING) {
        let identity = value
            .to_str()
            .map(|v| {
                v.split(',')
                    .all(|c| c.trim().eq_ignore_ascii_case("identity"))
            })
            .unwrap_or(false);
        if !identity {
            return Err(Refusal::UnsupportedEncoding);
        }
    }
    if let Some(len) = headers.get(CONTENT_LENGTH) {
        let declared = len.to_str().ok().and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Refusal::PayloadTooLarge);
        }
    }
    Ok(())
}

/// Reads the whole body, refusing it (413) as soon as it would exceed `limit` — a chunk that
/// would cross the cap is not appended — and refusing it (408) if it is not complete by
/// `deadline`.
pub(crate) async fn read_capped(
    source: &mut impl BodySource,
    limit: usize,
    deadline: Instant,
) -> Result<Bytes, Refusal> {
    // While at most one non-empty chunk has come, the body is that chunk, not a copy; any
    // chunk after it starts the joined buffer.
    let mut single = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    loop {
        let next = crate::time::deadline::timeout_at(deadline, source.next_chunk()).await;
        match next {
            Err(_) => return Err(Refusal::BodyTimeout),
            Ok(None) => return Ok(joined.map_or(single, BytesMut::freeze)),
            Ok(Some(Err(BodyError))) => return Err(Refusal::BodyReadFailed),
            Ok(Some(Ok(chunk))) => {
                let held = joined.as_ref().map_or(single.len(), BytesMut::len);
                if held + chunk.len() > limit {
                    return Err(Refusal::PayloadTooLarge);
                }
                match &mut joined {
                    Some(buf) => buf.extend_from_slice(&chunk),
                    None if single.is_empty() => single = chunk,
                    None => {
                        let mut buf = BytesMut::with_capacity(held + chunk.len());
                        buf.extend_from_slice(&single);
                        buf.extend_from_slice(&chunk);
                        joined = Some(buf);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::time::Instant;

    use super::{BodyError, BodySource, read_capped};
    use crate::pipeline::Refusal;

    struct Chunks(VecDeque<Result<Bytes, BodyError>>);

    impl BodySource for Chunks {
        async fn next_chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
            self.0.pop_front()
        }
    }

    async fn read(chunks: &[&'static [u8]], limit: usize) -> Result<Bytes, Refusal> {
        let mut source = Chunks(chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect());
        read_capped(&mut source, limit, Instant::now() + Duration::from_secs(60)).await
    }

    #[tokio::test]
    async fn chunks_are_joined_in_order_and_a_single_chunk_is_passed_as_is() {
        assert_eq!(read(&[], 8).await.unwrap(), Bytes::new());
        let one: &'static [u8] = b"abcd";
        let got = read(&[one], 8).await.unwrap();
        assert_eq!(got.as_ptr(), one.as_ptr(), "a single chunk is not copied");
        assert_eq!(read(&[b"ab", b"cd"], 8).await.unwrap(), &b"abcd"[..]);
        assert_eq!(
            read(&[b"a", b"", b"bc", b"d"], 4).await.unwrap(),
            &b"abcd"[..]
        );
        assert_eq!(read(&[b"", b"abcd"], 4).await.unwrap(), &b"abcd"[..]);
    }

    #[tokio::test]
    async fn the_cap_counts_every_chunk() {
        assert_eq!(read(&[b"abcde"], 4).await, Err(Refusal::PayloadTooLarge));
        assert_eq!(
            read(&[b"ab", b"cde"], 4).await,
            Err(Refusal::PayloadTooLarge)
        );
        assert_eq!(
            read(&[b"ab", b"c", b"de"], 4).await,
            Err(Refusal::PayloadTooLarge)
        );
        assert_eq!(read(&[b"ab", b"cd"], 4).await.unwrap(), &b"abcd"[..]);
    }

    #[tokio::test]
    async fn a_failed_stream_and_a_missed_deadline_are_refused() {
        let mut failing = Chunks([Ok(Bytes::from_static(b"ab")), Err(BodyError)].into());
        let deadline = Instant::now() + Duration::from_secs(60);
        let got = read_capped(&mut failing, 8, deadline).await;
        assert_eq!(got, Err(Refusal::BodyReadFailed));
        struct Stalled;
        impl BodySource for Stalled {
            async fn next_chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
                std::future::pending().await
            }
        }
        let soon = Instant::now() + Duration::from_millis(5);
        assert_eq!(
            read_capped(&mut Stalled, 8, soon).await,
            Err(Refusal::BodyTimeout)
        );
    }
}
