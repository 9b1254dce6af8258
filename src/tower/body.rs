//! `http_body::Body` as a [`BodySource`].

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;

use crate::pipeline::{BodyError, BodySource};

pub(crate) struct HttpBody<'a, B>(pub(crate) std::pin::Pin<&'a mut B>);

impl<B> BodySource for HttpBody<'_, B>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    async fn next_chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        loop {
            match self.0.as_mut().frame().await? {
                Ok(frame) => match frame.into_data() {
                    Ok(mut data) => return Some(Ok(data.copy_to_bytes(data.remaining()))),
                    Err(_trailers) => continue,
                },
                Err(_) => return Some(Err(BodyError)),
            }
        }
    }
}
