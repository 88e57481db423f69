//! The primitives the raw keyrings use: AES-GCM key wrapping, RSA encryption, random bytes.
//! All from aws-lc-rs (constant-time RSA decryption; no `rsa` crate, see docs/dependencies.md).

use aws_lc_rs::{aead, digest, hmac, rsa};
use subtle::{Choice, ConditionallySelectable as _, ConstantTimeEq as _};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub(crate) const IV_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;

pub(crate) fn random_array<const N: usize>() -> Result<[u8; N]> {
    keyward_format::random::array().map_err(|_| Error::Crypto)
}

pub(crate) fn random_vec(len: usize) -> Result<Vec<u8>> {
    keyward_format::random::vec(len).map_err(|_| Error::Crypto)
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
#[derive(Clone)]
pub struct RsaPublicKey(rsa::PublicEncryptingKey);

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.bits())
            .finish()
    }
}

impl RsaPublicKey {
    /// Parses `SubjectPublicKeyInfo` DER.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for anything else.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        rsa::PublicEncryptingKey::from_der(der)
            .map(Self)
            .map_err(|_| Error::InvalidKey {
                kind: "RSA public",
                reason: "not an RSA SubjectPublicKeyInfo",
            })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.0.key_size_bits()
    }

    /// Encrypts `plaintext` (at most the padding's maximum for this key).
    ///
    /// # Errors
    /// [`Error::Crypto`] when the plaintext is too long or the backend fails.
    pub fn encrypt(&self, padding: RsaPadding, plaintext: &[u8]) -> Result<Vec<u8>> {
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
pub(crate) struct RsaPrivateKey {
    key: rsa::PrivateDecryptingKey,
    /// The key of PKCS #1 v1.5 implicit rejection, derived from the private key.
    rejection: hmac::Key,
}

impl RsaPrivateKey {
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let key = rsa::PrivateDecryptingKey::from_pkcs8(der).map_err(|_| Error::InvalidKey {
            kind: "RSA private",
            reason: "not an RSA PKCS #8 key of 2048 to 8192 bits",
        })?;
        let mut digest = Zeroizing::new([0u8; 32]);
        digest.copy_from_slice(digest::digest(&digest::SHA256, der).as_ref());
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(
            hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, &*digest),
                REJECTION_LABEL,
            )
            .as_ref(),
        );
        Ok(Self {
            key,
            rejection: hmac::Key::new(hmac::HMAC_SHA256, &*seed),
        })
    }

    /// Decrypts with OAEP; `None` when the padding does not check out (OAEP's checks are
    /// constant time and reveal nothing an attacker can use).
    pub(crate) fn decrypt_oaep(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let algorithm = padding.oaep()?;
        let mut out = Zeroizing::new(vec![0u8; self.key.key_size_bytes()]);
        let len = rsa::OaepPrivateDecryptingKey::new(self.key.clone())
            .and_then(|key| {
                key.decrypt(algorithm, ciphertext, &mut out, None)
                    .map(|p| p.len())
            })
            .ok()?;
        out.truncate(len);
        Some(out)
    }

    /// Decrypts PKCS #1 v1.5 with implicit rejection: always returns `len` bytes, the
    /// plaintext when the padding checks out and it is `len` bytes long, and otherwise a
    /// pseudo-random value derived from the ciphertext and the private key. The synthetic
    /// value is always computed and the choice is made in constant time, so a wrong padding, a
    /// wrong length and a wrong key all fail later, at the same check, with the same error.
    /// What remains observable is AWS-LC's own return path (its padding check is constant
    /// time, but success and failure return differently), which the API offers no way around.
    pub(crate) fn decrypt_pkcs1_implicit(
        &self,
        ciphertext: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut real = Zeroizing::new(vec![0u8; self.key.key_size_bytes()]);
        let decrypted = rsa::Pkcs1PrivateDecryptingKey::new(self.key.clone())
            .and_then(|key| key.decrypt(ciphertext, &mut real).map(|p| p.len()));
        let mut input = Vec::with_capacity(ciphertext.len() + 8);
        input.extend_from_slice(ciphertext);
        input.extend_from_slice(&u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes());
        let mut synthetic = Zeroizing::new([0u8; 32]);
        synthetic.copy_from_slice(hmac::sign(&self.rejection, &input).as_ref());
        if len > synthetic.len() || len > real.len() {
            return Err(Error::Crypto);
        }
        let (opened, found) = match decrypted {
            Ok(found) => (1u8, found),
            Err(_) => (0u8, 0),
        };
        let good = Choice::from(opened) & found.ct_eq(&len);
        let mut out = Zeroizing::new(vec![0u8; len]);
        for (i, byte) in out.iter_mut().enumerate() {
            let (r, s) = (
                real.get(i).copied().unwrap_or_default(),
                synthetic.get(i).copied().unwrap_or_default(),
            );
            *byte = u8::conditional_select(&s, &r, good);
        }
        Ok(out)
    }
}

/// The label of the implicit-rejection key derivation.
const REJECTION_LABEL: &[u8] = b"keyward raw RSA PKCS #1 v1.5 implicit rejection";
