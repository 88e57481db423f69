//! The primitives the raw keyrings use: AES-GCM key wrapping, RSA encryption, random bytes.
//! All from aws-lc-rs (constant-time RSA decryption; no `rsa` crate, see docs/dependencies.md).

use aws_lc_rs::{aead, rand, rsa};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub(crate) const IV_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;

pub(crate) fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    rand::fill(&mut out).map_err(|_| Error::Crypto)?;
    Ok(out)
}

pub(crate) fn random_vec(len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    rand::fill(&mut out).map_err(|_| Error::Crypto)?;
    Ok(out)
}

fn aes_key(key: &[u8]) -> Result<aead::LessSafeKey> {
    let algorithm = match key.len() {
        16 => &aead::AES_128_GCM,
        24 => &aead::AES_192_GCM,
        32 => &aead::AES_256_GCM,
        _ => {
            return Err(Error::InvalidKey {
                kind: "AES wrapping",
                reason: "must be 16, 24 or 32 bytes",
            });
        }
    };
    let key = aead::UnboundKey::new(algorithm, key).map_err(|_| Error::Crypto)?;
    Ok(aead::LessSafeKey::new(key))
}

/// AES-GCM encryption of a key: returns `ciphertext ‖ tag`.
pub(crate) fn aes_gcm_wrap(
    key: &[u8],
    iv: [u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let key = aes_key(key)?;
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(iv),
        aead::Aad::from(aad),
        &mut out,
    )
    .map_err(|_| Error::Crypto)?;
    Ok(out)
}

/// AES-GCM decryption of `ciphertext ‖ tag`; `None` when the tag does not verify.
pub(crate) fn aes_gcm_unwrap(
    key: &[u8],
    iv: [u8; IV_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let key = aes_key(key)?;
    let mut buffer = Zeroizing::new(ciphertext_and_tag.to_vec());
    let len = match key.open_in_place(
        aead::Nonce::assume_unique_for_key(iv),
        aead::Aad::from(aad),
        &mut buffer,
    ) {
        Ok(plaintext) => plaintext.len(),
        Err(_) => return Ok(None),
    };
    buffer.truncate(len);
    Ok(Some(buffer))
}

/// RSA padding schemes of the raw RSA keyring. OAEP uses the same hash for MGF1 and an empty
/// label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaPadding {
    /// PKCS #1 v1.5.
    Pkcs1,
    /// OAEP with SHA-1 and MGF1-SHA-1.
    OaepSha1,
    /// OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
    /// OAEP with SHA-384 and MGF1-SHA-384.
    OaepSha384,
    /// OAEP with SHA-512 and MGF1-SHA-512.
    OaepSha512,
}

impl RsaPadding {
    fn oaep(self) -> Option<&'static rsa::OaepAlgorithm> {
        match self {
            Self::Pkcs1 => None,
            Self::OaepSha1 => Some(&rsa::OAEP_SHA1_MGF1SHA1),
            Self::OaepSha256 => Some(&rsa::OAEP_SHA256_MGF1SHA256),
            Self::OaepSha384 => Some(&rsa::OAEP_SHA384_MGF1SHA384),
            Self::OaepSha512 => Some(&rsa::OAEP_SHA512_MGF1SHA512),
        }
    }
}

/// An RSA public key, from DER (SubjectPublicKeyInfo).
pub(crate) struct RsaPublicKey(rsa::PublicEncryptingKey);

impl RsaPublicKey {
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self> {
        rsa::PublicEncryptingKey::from_der(der)
            .map(Self)
            .map_err(|_| Error::InvalidKey {
                kind: "RSA public",
                reason: "not an RSA SubjectPublicKeyInfo",
            })
    }

    pub(crate) fn encrypt(&self, padding: RsaPadding, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.0.key_size_bytes()];
        let len = match padding.oaep() {
            Some(algorithm) => rsa::OaepPublicEncryptingKey::new(self.0.clone()).and_then(|key| {
                key.encrypt(algorithm, plaintext, &mut out, None)
                    .map(|c| c.len())
            }),
            None => rsa::Pkcs1PublicEncryptingKey::new(self.0.clone())
                .and_then(|key| key.encrypt(plaintext, &mut out).map(|c| c.len())),
        }
        .map_err(|_| Error::Crypto)?;
        out.truncate(len);
        Ok(out)
    }
}

/// An RSA private key, from DER (PKCS #8). AWS-LC decrypts in constant time.
pub(crate) struct RsaPrivateKey(rsa::PrivateDecryptingKey);

impl RsaPrivateKey {
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        rsa::PrivateDecryptingKey::from_pkcs8(der)
            .map(Self)
            .map_err(|_| Error::InvalidKey {
                kind: "RSA private",
                reason: "not an RSA PKCS #8 key of 2048 to 8192 bits",
            })
    }

    /// Decrypts; `None` when the padding does not check out.
    pub(crate) fn decrypt(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(vec![0u8; self.0.key_size_bytes()]);
        let len = match padding.oaep() {
            Some(algorithm) => rsa::OaepPrivateDecryptingKey::new(self.0.clone()).and_then(|key| {
                key.decrypt(algorithm, ciphertext, &mut out, None)
                    .map(|p| p.len())
            }),
            None => rsa::Pkcs1PrivateDecryptingKey::new(self.0.clone())
                .and_then(|key| key.decrypt(ciphertext, &mut out).map(|p| p.len())),
        }
        .ok()?;
        out.truncate(len);
        Some(out)
    }
}
