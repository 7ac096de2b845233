//! Streams that check content against its descriptor while it flows.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use super::ByteStream;
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Hasher};

/// Wraps a byte stream: fails as soon as more than `desc.size` bytes arrive, and at the end
/// fails unless the size and digest match.
pub struct VerifiedStream {
    inner: ByteStream,
    desc: Descriptor,
    what: String,
    hasher: Option<Hasher>,
    seen: u64,
    done: bool,
}

pub fn verify_stream(inner: ByteStream, desc: &Descriptor, what: String) -> ByteStream {
    Box::pin(VerifiedStream {
        inner,
        hasher: Some(desc.digest.hasher()),
        desc: desc.clone(),
        what,
        seen: 0,
        done: false,
    })
}

impl Stream for VerifiedStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen = self.seen.saturating_add(chunk.len() as u64);
                if self.seen > self.desc.size {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::SizeMismatch {
                        what: self.what.clone(),
                        expected: self.desc.size,
                        actual: self.seen,
                    })));
                }
                if let Some(h) = self.hasher.as_mut() {
                    h.update(&chunk);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                self.done = true;
                if self.seen != self.desc.size {
                    return Poll::Ready(Some(Err(Error::SizeMismatch {
                        what: self.what.clone(),
                        expected: self.desc.size,
                        actual: self.seen,
                    })));
                }
                let Some(hasher) = self.hasher.take() else {
                    return Poll::Ready(None);
                };
                let actual = hasher.finish();
                if actual != self.desc.digest {
                    return Poll::Ready(Some(Err(Error::DigestMismatch {
                        what: self.what.clone(),
                        expected: self.desc.digest.clone(),
                        actual,
                    })));
                }
                Poll::Ready(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::Digest;
    use futures_util::{StreamExt, stream};

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        Box::pin(stream::iter(
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>(),
        ))
    }

    async fn drain(s: ByteStream) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut s = s;
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn passes_matching_content_and_rejects_the_rest() {
        let desc = Descriptor::new("x", Digest::sha256_of(b"hello world"), 11);
        let ok = drain(verify_stream(chunks(&[b"hello ", b"world"]), &desc, "blob".into())).await;
        assert_eq!(ok.unwrap(), b"hello world");
        let bad = drain(verify_stream(chunks(&[b"hello ", b"w0rld"]), &desc, "blob".into())).await;
        assert!(matches!(bad, Err(Error::DigestMismatch { .. })));
        let short = drain(verify_stream(chunks(&[b"hello"]), &desc, "blob".into())).await;
        assert!(matches!(short, Err(Error::SizeMismatch { .. })));
        let long = drain(verify_stream(chunks(&[b"hello world!!"]), &desc, "blob".into())).await;
        assert!(matches!(long, Err(Error::SizeMismatch { .. })));
    }
}
