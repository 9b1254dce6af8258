//! Reading a request body within a byte cap and a deadline.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use tokio::time::Instant;

use crate::error::Rejection;

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
pub(crate) fn check_head(headers: &HeaderMap, limit: usize) -> Result<(), Rejection> {
    for value in headers.get_all(CONTENT_ENCODING) {
        let identity = value
            .to_str()
            .map(|v| {
                v.split(',')
                    .all(|c| c.trim().eq_ignore_ascii_case("identity"))
            })
            .unwrap_or(false);
        if !identity {
            return Err(Rejection::UnsupportedEncoding);
        }
    }
    if let Some(len) = headers.get(CONTENT_LENGTH) {
        let declared = len.to_str().ok().and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Rejection::PayloadTooLarge);
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
) -> Result<Bytes, Rejection> {
    let mut buf = BytesMut::new();
    loop {
        let next = tokio::time::timeout_at(deadline, source.next_chunk()).await;
        match next {
            Err(_) => return Err(Rejection::BodyTimeout),
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Err(BodyError))) => return Err(Rejection::BodyReadFailed),
            Ok(Some(Ok(chunk))) => {
                if buf.len() + chunk.len() > limit {
                    return Err(Rejection::PayloadTooLarge);
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
}
