//! Randomness from the system generator (AWS-LC), in one place for every keyward crate:
//! message ids and IVs here, data keys and wrapping IVs in the keyrings, salts and UUIDs in
//! the hierarchy, partition ids in the caches.

use aws_lc_rs::rand;

use crate::error::{Error, Result};

/// Fills `out`.
///
/// # Errors
/// [`Error::Crypto`] when the generator fails.
pub fn fill(out: &mut [u8]) -> Result<()> {
    rand::fill(out).map_err(|_| Error::Crypto)
}

/// A fresh array.
///
/// # Errors
/// As [`fill`].
pub fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// `len` fresh bytes.
///
/// # Errors
/// As [`fill`].
pub fn vec(len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    fill(&mut out)?;
    Ok(out)
}

/// A fresh version 4 UUID, lowercase and hyphenated (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
///
/// # Errors
/// As [`fill`].
pub fn uuid_v4() -> Result<String> {
    let mut bytes: [u8; 16] = array()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Ok(uuid_string(&bytes))
}

/// Sixteen bytes in the hyphenated UUID form.
pub fn uuid_string(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            out.extend(char::from_digit(u32::from(nibble), 16));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = uuid_v4().unwrap();
        let b = uuid_v4().unwrap();
        assert_ne!(a, b);
        for uuid in [&a, &b] {
            assert_eq!(uuid.len(), 36);
            let parts: Vec<&str> = uuid.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            // The version nibble, then the variant's.
            assert_eq!(uuid.as_bytes().get(14), Some(&b'4'), "{uuid}");
            assert!(
                matches!(uuid.as_bytes().get(19), Some(b'8' | b'9' | b'a' | b'b')),
                "{uuid}"
            );
        }
        assert_eq!(
            uuid_string(&[
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]),
            "00112233-4455-6677-8899-aabbccddeeff"
        );
    }
}
