//! A bounded big-endian reader over bytes that may still be arriving.
//!
//! Every read checks the remaining length first. Running out of bytes is reported apart from
//! malformed bytes, so a whole-buffer caller can report truncation (streaming callers find a
//! header's end with the header scanner instead).

use crate::error::Error;

/// Why a parse stopped.
#[derive(Debug)]
pub(crate) enum ParseError {
    /// The input ends early.
    Incomplete,
    /// The bytes are malformed.
    Invalid(Error),
}

impl From<Error> for ParseError {
    fn from(error: Error) -> Self {
        Self::Invalid(error)
    }
}

pub(crate) type ParseResult<T> = Result<T, ParseError>;

/// A cursor over a byte slice.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> ParseResult<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        match self.buf.get(self.pos..end) {
            Some(bytes) => {
                self.pos = end;
                Ok(bytes)
            }
            None => Err(ParseError::Incomplete),
        }
    }

    pub(crate) fn array<const N: usize>(&mut self) -> ParseResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> ParseResult<u8> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> ParseResult<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> ParseResult<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> ParseResult<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a `u16` length followed by that many bytes.
    pub(crate) fn u16_prefixed(&mut self) -> ParseResult<&'a [u8]> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }
}

/// Appends a `u16` length prefix and the bytes; the caller has checked the length.
pub(crate) fn put_u16_prefixed(
    out: &mut Vec<u8>,
    field: &'static str,
    bytes: &[u8],
) -> Result<(), Error> {
    let len = u16::try_from(bytes.len()).map_err(|_| Error::FieldTooLong {
        field,
        len: bytes.len(),
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}
