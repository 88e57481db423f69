//! Streams between the files and the engine: base64 on either side, and the header read
//! ahead of decryption when the command line sets conditions on it.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use anyhow::{Result, bail};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use keyward::Header;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

/// Standard base64 written padded, read padded or not.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How much one step reads or encodes.
const CHUNK: usize = 48 * 1024;

/// Writes what it is given as base64 (one line, no breaks); `shutdown` writes the last,
/// padded group.
pub(crate) struct Base64Writer<W> {
    inner: W,
    /// Input bytes short of a 3-byte group.
    carry: Vec<u8>,
    /// Encoded text not yet taken by `inner`.
    pending: Vec<u8>,
    written: usize,
    finished: bool,
}

impl<W: AsyncWrite + Unpin> Base64Writer<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            carry: Vec::with_capacity(3),
            pending: Vec::new(),
            written: 0,
            finished: false,
        }
    }

    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while self.written < self.pending.len() {
            let rest = self.pending.get(self.written..).unwrap_or_default();
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Base64Writer<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        ready!(self.drain(cx))?;
        let taken = buf.len().min(CHUNK);
        let this = &mut *self;
        this.carry
            .extend_from_slice(buf.get(..taken).unwrap_or_default());
        let whole = this.carry.len() / 3 * 3;
        let mut encoded = String::new();
        BASE64.encode_string(this.carry.get(..whole).unwrap_or_default(), &mut encoded);
        this.pending.extend_from_slice(encoded.as_bytes());
        this.carry.drain(..whole);
        Poll::Ready(Ok(taken))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if !self.finished {
            ready!(self.drain(cx))?;
            let this = &mut *self;
            let mut encoded = String::new();
            BASE64.encode_string(&this.carry, &mut encoded);
            this.pending.extend_from_slice(encoded.as_bytes());
            this.carry.clear();
            this.finished = true;
        }
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Reads base64 text (whitespace anywhere ignored) as the bytes it encodes.
pub(crate) struct Base64Reader<R> {
    inner: R,
    raw: Vec<u8>,
    /// Base64 characters short of a 4-character group.
    text: Vec<u8>,
    decoded: Vec<u8>,
    taken: usize,
    eof: bool,
}

impl<R: AsyncRead + Unpin> Base64Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            raw: vec![0; CHUNK],
            text: Vec::with_capacity(CHUNK + 4),
            decoded: Vec::with_capacity(CHUNK),
            taken: 0,
            eof: false,
        }
    }

    /// Decodes the whole groups held (all of them at the end of the input).
    fn decode(&mut self, last: bool) -> std::io::Result<()> {
        let whole = if last {
            self.text.len()
        } else {
            self.text.len() / 4 * 4
        };
        self.decoded.clear();
        self.taken = 0;
        BASE64
            .decode_vec(
                self.text.get(..whole).unwrap_or_default(),
                &mut self.decoded,
            )
            .map_err(|error| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("the input is not base64 ({error})"),
                )
            })?;
        self.text.drain(..whole);
        Ok(())
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Base64Reader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.taken < this.decoded.len() {
                let rest = this.decoded.get(this.taken..).unwrap_or_default();
                let n = rest.len().min(buf.remaining());
                buf.put_slice(rest.get(..n).unwrap_or_default());
                this.taken += n;
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let mut raw = ReadBuf::new(&mut this.raw);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut raw))?;
            let read = raw.filled();
            if read.is_empty() {
                this.eof = true;
                this.decode(true)?;
            } else {
                this.text
                    .extend(read.iter().filter(|b| !b.is_ascii_whitespace()));
                this.decode(false)?;
            }
        }
    }
}

/// Reads `reader` until its header parses (or `max_header` bytes pass): the header, and the
/// bytes read, which the decryption must then read first. Parses again only once the bytes
/// read have doubled, so a long header costs linear time.
pub(crate) async fn read_header_ahead<R: AsyncRead + Unpin>(
    reader: &mut R,
    max_header: usize,
) -> Result<(Header, Vec<u8>)> {
    let mut prefix = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    let mut next_attempt = 0;
    loop {
        let read = reader.read(&mut chunk).await?;
        prefix.extend_from_slice(chunk.get(..read).unwrap_or_default());
        let end = read == 0;
        if prefix.len() < next_attempt && !end {
            continue;
        }
        match keyward::read_header(&prefix) {
            Ok(header) => return Ok((header, prefix)),
            Err(keyward::Error::Format(keyward::format::Error::Truncated)) if !end => {
                if prefix.len() > max_header {
                    bail!("the header is longer than {max_header} bytes (--max-header-length)");
                }
                next_attempt = prefix.len() * 2;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    /// Writes `data` in `step`-byte pieces through the encoder, then reads it back through
    /// the decoder in pieces of `read` bytes.
    async fn round_trip(data: &[u8], step: usize, read: usize) -> (Vec<u8>, Vec<u8>) {
        let mut writer = Base64Writer::new(Vec::new());
        for piece in data.chunks(step.max(1)) {
            writer.write_all(piece).await.unwrap();
        }
        writer.shutdown().await.unwrap();
        let text = writer.inner;
        let mut wrapped = Vec::new();
        for (i, line) in text.chunks(76).enumerate() {
            if i % 2 == 1 {
                wrapped.extend_from_slice(b" \r\n\t");
            }
            wrapped.extend_from_slice(line);
        }
        let mut reader = Base64Reader::new(&wrapped[..]);
        let mut decoded = Vec::new();
        let mut piece = vec![0; read];
        loop {
            let n = reader.read(&mut piece).await.unwrap();
            if n == 0 {
                break;
            }
            decoded.extend_from_slice(&piece[..n]);
        }
        (text, decoded)
    }

    #[tokio::test]
    async fn base64_streams_match_the_whole_buffer_encoding() {
        let data: Vec<u8> = (0..200_000u32)
            .map(|i| u8::try_from((i * 7 + i / 13) % 256).unwrap())
            .collect();
        for len in [0, 1, 2, 3, 4, 5, 100, 49_151, 49_152, 49_153, 200_000] {
            for (step, read) in [(1, 7), (2, 1), (1000, 65_536), (70_000, 3)] {
                let (text, decoded) = round_trip(&data[..len], step, read).await;
                assert_eq!(
                    text,
                    base64::engine::general_purpose::STANDARD
                        .encode(&data[..len])
                        .as_bytes()
                );
                assert_eq!(decoded, &data[..len], "len {len} step {step} read {read}");
            }
        }
    }

    #[tokio::test]
    async fn unpadded_base64_reads_and_garbage_fails() {
        let mut out = Vec::new();
        Base64Reader::new(&b"aGVsbG8"[..])
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, b"hello");
        let error = Base64Reader::new(&b"aGV*bG8="[..])
            .read_to_end(&mut Vec::new())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    }
}
