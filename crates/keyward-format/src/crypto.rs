//! Every cryptographic primitive the message format uses, in one place.
//!
//! The backend is aws-lc-rs (AWS-LC, the library the official SDKs use): AES-GCM, SHA-2, ECDSA
//! and the system random generator; HKDF comes from RustCrypto's `hkdf` over `sha2`, except in
//! the `fips` build, where it comes from the AWS-LC FIPS module like everything else. Nothing
//! outside this module names the backend, so a second backend would be one more
//! implementation of these few functions.

use aws_lc_rs::{aead, digest, signature};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::suite::SignatureAlgorithm;

/// AES-GCM tag length.
pub(crate) const TAG_LEN: usize = 16;
/// AES-GCM IV length.
pub(crate) const IV_LEN: usize = 12;

/// An AES-GCM key (128, 192 or 256 bits) ready to seal and open.
///
/// The expanded key lives inside AWS-LC, which clears it when the key is dropped.
pub(crate) struct AeadKey(aead::LessSafeKey);

impl AeadKey {
    pub(crate) fn new(key: &[u8]) -> Result<Self> {
        let algorithm = match key.len() {
            16 => &aead::AES_128_GCM,
            24 => &aead::AES_192_GCM,
            32 => &aead::AES_256_GCM,
            _ => return Err(Error::Crypto),
        };
        let key = aead::UnboundKey::new(algorithm, key).map_err(|_| Error::Crypto)?;
        Ok(Self(aead::LessSafeKey::new(key)))
    }

    /// Encrypts `in_out` in place and returns the tag.
    pub(crate) fn seal_in_place(
        &self,
        iv: [u8; IV_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN]> {
        let tag = self
            .0
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(iv),
                aead::Aad::from(aad),
                in_out,
            )
            .map_err(|_| Error::Crypto)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Encrypts `plaintext` into `out` (of the same length) and writes the tag into `tag`,
    /// without an intermediate copy.
    pub(crate) fn seal_into(
        &self,
        iv: [u8; IV_LEN],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<()> {
        self.0
            .seal_out_of_place_scatter(
                aead::Nonce::assume_unique_for_key(iv),
                aead::Aad::from(aad),
                plaintext,
                out,
                &[],
                tag,
            )
            .map_err(|_| Error::Crypto)
    }

    /// Verifies and decrypts `ciphertext` into `out` (of the same length). On failure the
    /// contents of `out` are unspecified: the caller must discard them.
    pub(crate) fn open(
        &self,
        iv: [u8; IV_LEN],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
        out: &mut [u8],
    ) -> core::result::Result<(), AuthenticationFailed> {
        self.0
            .open_separate_gather(
                aead::Nonce::assume_unique_for_key(iv),
                aead::Aad::from(aad),
                ciphertext,
                tag,
                out,
            )
            .map_err(|_| AuthenticationFailed)
    }
}

/// An AEAD tag did not verify.
#[derive(Debug)]
pub(crate) struct AuthenticationFailed;

/// Constant-time equality of two byte strings.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The HKDF hash functions the suites use.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HkdfHash {
    Sha256,
    Sha384,
    Sha512,
}

/// An HKDF pseudo-random key, extracted once and expanded as often as needed.
///
/// HKDF comes from the RustCrypto `hkdf` and `sha2` crates: for these short inputs they
/// measure faster than the backend's HKDF (docs/dependencies.md). The PRK is zeroized on drop.
#[cfg(not(feature = "fips"))]
pub(crate) enum HkdfPrk {
    Sha256(hkdf::Hkdf<sha2::Sha256>),
    Sha384(hkdf::Hkdf<sha2::Sha384>),
    Sha512(hkdf::Hkdf<sha2::Sha512>),
}

#[cfg(not(feature = "fips"))]
impl HkdfPrk {
    /// HKDF-Extract. An empty salt is the RFC 5869 "absent" salt.
    pub(crate) fn extract(hash: HkdfHash, salt: &[u8], ikm: &[u8]) -> Self {
        let salt = (!salt.is_empty()).then_some(salt);
        match hash {
            HkdfHash::Sha256 => Self::Sha256(hkdf::Hkdf::new(salt, ikm)),
            HkdfHash::Sha384 => Self::Sha384(hkdf::Hkdf::new(salt, ikm)),
            HkdfHash::Sha512 => Self::Sha512(hkdf::Hkdf::new(salt, ikm)),
        }
    }

    /// HKDF-Expand into `out`, with `info` given as concatenated parts.
    pub(crate) fn expand(&self, info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        match self {
            Self::Sha256(prk) => prk.expand_multi_info(info, out),
            Self::Sha384(prk) => prk.expand_multi_info(info, out),
            Self::Sha512(prk) => prk.expand_multi_info(info, out),
        }
        .map_err(|_| Error::Crypto)
    }
}

/// An HKDF pseudo-random key of the AWS-LC FIPS module (the `fips` build). AWS-LC holds the
/// PRK and clears it when it is dropped.
#[cfg(feature = "fips")]
pub(crate) struct HkdfPrk(aws_lc_rs::hkdf::Prk);

#[cfg(feature = "fips")]
impl HkdfPrk {
    /// HKDF-Extract. An empty salt is the RFC 5869 "absent" salt (a hash-length run of zero
    /// bytes, which AWS-LC substitutes for an empty one).
    pub(crate) fn extract(hash: HkdfHash, salt: &[u8], ikm: &[u8]) -> Self {
        use aws_lc_rs::hkdf;
        let algorithm = match hash {
            HkdfHash::Sha256 => hkdf::HKDF_SHA256,
            HkdfHash::Sha384 => hkdf::HKDF_SHA384,
            HkdfHash::Sha512 => hkdf::HKDF_SHA512,
        };
        Self(hkdf::Salt::new(algorithm, salt).extract(ikm))
    }

    /// HKDF-Expand into `out`, with `info` given as concatenated parts.
    pub(crate) fn expand(&self, info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        /// The output length, as AWS-LC's HKDF takes it.
        struct Len(usize);
        impl aws_lc_rs::hkdf::KeyType for Len {
            fn len(&self) -> usize {
                self.0
            }
        }
        self.0
            .expand(info, Len(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| Error::Crypto)
    }
}

/// Whether the cryptography runs in the AWS-LC FIPS module in FIPS mode: true only in the
/// `fips` build, once the module's power-on self tests have passed.
pub fn fips_mode() -> bool {
    #[cfg(feature = "fips")]
    {
        aws_lc_rs::try_fips_mode().is_ok()
    }
    #[cfg(not(feature = "fips"))]
    {
        false
    }
}

/// A running hash over a message, for its footer signature.
pub(crate) struct MessageHash(digest::Context);

impl MessageHash {
    pub(crate) fn new(algorithm: SignatureAlgorithm) -> Self {
        Self(digest::Context::new(match algorithm {
            SignatureAlgorithm::EcdsaP256Sha256 => &digest::SHA256,
            SignatureAlgorithm::EcdsaP384Sha384 => &digest::SHA384,
        }))
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(crate) fn finish(self) -> digest::Digest {
        self.0.finish()
    }
}

/// An ECDSA key pair on the suite's curve. AWS-LC clears the private scalar on drop.
pub(crate) struct EcdsaPrivateKey {
    pair: signature::EcdsaKeyPair,
    compressed_public: Vec<u8>,
}

impl EcdsaPrivateKey {
    pub(crate) fn generate(algorithm: SignatureAlgorithm) -> Result<Self> {
        let pair = signature::EcdsaKeyPair::generate(signing_algorithm(algorithm))
            .map_err(|_| Error::Crypto)?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: signature::EcdsaKeyPair) -> Result<Self> {
        use aws_lc_rs::encoding::{AsBigEndian, EcPublicKeyCompressedBin};
        use signature::KeyPair;
        let compressed: EcPublicKeyCompressedBin<'_> =
            pair.public_key().as_be_bytes().map_err(|_| Error::Crypto)?;
        Ok(Self {
            compressed_public: compressed.as_ref().to_vec(),
            pair,
        })
    }

    pub(crate) fn compressed_public_key(&self) -> &[u8] {
        &self.compressed_public
    }

    /// Signs a finished digest; returns `r ‖ s`, each as long as the curve order.
    pub(crate) fn sign_digest_fixed(&self, digest: &digest::Digest) -> Result<Vec<u8>> {
        let signature = self.pair.sign_digest(digest).map_err(|_| Error::Crypto)?;
        Ok(signature.as_ref().to_vec())
    }
}

fn signing_algorithm(algorithm: SignatureAlgorithm) -> &'static signature::EcdsaSigningAlgorithm {
    match algorithm {
        SignatureAlgorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        SignatureAlgorithm::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
    }
}

/// A parsed ECDSA public key.
pub(crate) struct EcdsaPublicKey(signature::ParsedPublicKey);

impl EcdsaPublicKey {
    /// Parses a SEC1 point (compressed or not) on the suite's curve.
    pub(crate) fn from_sec1(algorithm: SignatureAlgorithm, point: &[u8]) -> Result<Self> {
        let verification: &'static dyn signature::VerificationAlgorithm = match algorithm {
            SignatureAlgorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            SignatureAlgorithm::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
        };
        signature::UnparsedPublicKey::new(verification, point)
            .parse()
            .map(Self)
            .map_err(|_| Error::InvalidVerificationKey)
    }

    /// Verifies a DER signature over a finished digest.
    pub(crate) fn verify_digest(&self, digest: &digest::Digest, der: &[u8]) -> bool {
        self.0.verify_digest_sig(digest, der).is_ok()
    }
}
