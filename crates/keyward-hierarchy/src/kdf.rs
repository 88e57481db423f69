//! The per-message wrapping key: NIST SP 800-108 KDF in counter mode with HMAC-SHA256, one
//! iteration (256 bits), label `aws-kms-hierarchy`, the EDK's 16-byte salt as context.
//!
//! spec: framework/aws-kms/aws-kms-hierarchical-keyring.md (branch key wrapping)

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The provider id of hierarchical EDKs, also the KDF label and the AAD prefix.
pub const PROVIDER_ID: &str = "aws-kms-hierarchy";

/// Salt length in the EDK.
pub(crate) const SALT_LEN: usize = 16;

/// Derives the AES-256 wrapping key from a 32-byte branch key and a salt:
/// `HMAC-SHA256(branch key, 00000001 ‖ "aws-kms-hierarchy" ‖ 00 ‖ salt ‖ 00000100)`.
///
/// HMAC comes from RustCrypto's `hmac` (faster for one short block, docs/dependencies.md),
/// except in the `fips` build, where it comes from the AWS-LC FIPS module.
#[cfg(not(feature = "fips"))]
pub(crate) fn wrapping_key(
    branch_key: &[u8],
    salt: &[u8; SALT_LEN],
) -> Result<Zeroizing<[u8; 32]>> {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;
    let mut mac = Hmac::<Sha256>::new_from_slice(branch_key).map_err(|_| Error::Crypto)?;
    mac.update(&1u32.to_be_bytes());
    mac.update(PROVIDER_ID.as_bytes());
    mac.update(&[0]);
    mac.update(salt);
    mac.update(&256u32.to_be_bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&mac.finalize().into_bytes());
    Ok(key)
}

/// As above, with HMAC-SHA256 from the AWS-LC FIPS module.
#[cfg(feature = "fips")]
pub(crate) fn wrapping_key(
    branch_key: &[u8],
    salt: &[u8; SALT_LEN],
) -> Result<Zeroizing<[u8; 32]>> {
    use aws_lc_rs::hmac;
    let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, branch_key));
    context.update(&1u32.to_be_bytes());
    context.update(PROVIDER_ID.as_bytes());
    context.update(&[0]);
    context.update(salt);
    context.update(&256u32.to_be_bytes());
    let tag = context.sign();
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(tag.as_ref());
    Ok(key)
}

/// The 16 bytes of a version UUID (the hex digits of its canonical form, in order).
pub(crate) fn version_bytes(version: &str) -> Result<[u8; 16]> {
    let invalid = || Error::InvalidVersion(version.to_owned());
    let bytes = version.as_bytes();
    if bytes.len() != 36 {
        return Err(invalid());
    }
    let mut out = [0u8; 16];
    let mut digits = bytes
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 8 | 13 | 18 | 23));
    for byte in &mut out {
        let mut value = 0u8;
        for _ in 0..2 {
            let (_, &digit) = digits.next().ok_or_else(invalid)?;
            let nibble = char::from(digit).to_digit(16).ok_or_else(invalid)?;
            value = (value << 4) | u8::try_from(nibble).map_err(|_| invalid())?;
        }
        *byte = value;
    }
    if [8, 13, 18, 23].iter().any(|&i| bytes.get(i) != Some(&b'-')) {
        return Err(invalid());
    }
    Ok(out)
}

/// The canonical lowercase UUID string of 16 bytes.
pub(crate) fn version_string(bytes: &[u8; 16]) -> String {
    keyward_format::random::uuid_string(bytes)
}

/// A fresh random version 4 UUID string.
pub(crate) fn random_uuid() -> Result<String> {
    keyward_format::random::uuid_v4().map_err(|_| Error::Crypto)
}

/// Random bytes from the system generator.
pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
    keyward_format::random::array().map_err(|_| Error::Crypto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_and_reject_malformed_uuids() {
        let version = "e9ce18a3-edb5-4272-9f86-1cacb7997ff6";
        let bytes = version_bytes(version).unwrap();
        assert_eq!(bytes[0], 0xe9);
        assert_eq!(bytes[15], 0xf6);
        assert_eq!(version_string(&bytes), version);
        assert_eq!(
            version_bytes(&version.to_uppercase()).unwrap(),
            bytes,
            "hex digits are case-insensitive"
        );
        for bad in [
            "",
            "e9ce18a3edb542729f861cacb7997ff6",
            "e9ce18a3-edb5-4272-9f86-1cacb7997ff",
            "e9ce18a3-edb5-4272-9f86-1cacb7997ffg",
            "e9ce18a3+edb5-4272-9f86-1cacb7997ff6",
            "e9ce18a3-edb5-4272-9f86-1cacb7997ff6 ",
        ] {
            assert!(version_bytes(bad).is_err(), "{bad:?}");
        }
        let fresh = random_uuid().unwrap();
        assert_eq!(fresh.as_bytes()[14], b'4');
        assert_eq!(version_string(&version_bytes(&fresh).unwrap()), fresh);
    }

    #[test]
    fn wrapping_key_is_the_counter_mode_hmac() {
        // HMAC-SHA256 over the fixed input layout, computed independently with aws-lc-rs.
        let branch_key = [7u8; 32];
        let salt = [9u8; 16];
        let mut input = Vec::new();
        input.extend_from_slice(&[0, 0, 0, 1]);
        input.extend_from_slice(b"aws-kms-hierarchy");
        input.push(0);
        input.extend_from_slice(&salt);
        input.extend_from_slice(&[0, 0, 1, 0]);
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &branch_key);
        let expected = aws_lc_rs::hmac::sign(&key, &input);
        assert_eq!(
            &wrapping_key(&branch_key, &salt).unwrap()[..],
            expected.as_ref()
        );
    }
}
