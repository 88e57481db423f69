//! What the raw ECDH and AWS KMS ECDH keyrings share: the curves, the key formats, the
//! shared-wrapping-key derivation (NIST SP 800-108 counter mode over HMAC-SHA384), and the EDK
//! layout.
//!
//! spec: framework/raw-ecdh-keyring.md, framework/key-agreement-schemas.md. The messages the
//! official keyrings write differ from the prose in places (a lowercase label, curve names
//! `p256`/`p384`/`p521`, the AAD = the KDF's fixed info, compressed points in provider info,
//! recipient first); the layout here is that of the official messages, checked against the
//! published vectors.

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, ECDH_P521, UnparsedPublicKey};
use aws_lc_rs::encoding::{
    AsBigEndian as _, AsDer as _, EcPublicKeyCompressedBin, Pkcs8V1Der, PublicKeyX509Der,
};
use aws_lc_rs::{hmac, signature};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::crypto::{aes_gcm_unwrap, aes_gcm_wrap, random_array};
use crate::error::{Error, Result};
use crate::pem;

/// The EDK provider id of the raw ECDH keyring.
pub const RAW_ECDH_PROVIDER_ID: &str = "raw-ecdh";
/// The EDK provider id of the AWS KMS ECDH keyring.
pub const KMS_ECDH_PROVIDER_ID: &str = "aws-kms-ecdh";

const LABEL: &[u8] = b"ecdh-key-derivation";
const PRF: &[u8] = b"HMAC_SHA384";
const VERSION: u8 = 0x01;
const NONCE_LEN: usize = 32;
const COMMITMENT_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// 64 bytes of keying material, in bits, as the counter-mode `L` field.
const OUTPUT_BITS: [u8; 4] = 512u32.to_be_bytes();

/// The elliptic curves of the ECDH keyrings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcdhCurve {
    /// NIST P-256 (`ECC_NIST_P256`).
    P256,
    /// NIST P-384 (`ECC_NIST_P384`).
    P384,
    /// NIST P-521 (`ECC_NIST_P521`).
    P521,
}

impl EcdhCurve {
    /// A fresh private key on this curve, as PKCS #8 DER (for a raw ECDH keyring, or to
    /// store: it is secret).
    ///
    /// # Errors
    /// [`Error::Crypto`] when the random generator fails.
    pub fn generate_private_key(self) -> Result<Zeroizing<Vec<u8>>> {
        let key = agreement::PrivateKey::generate(self.algorithm()).map_err(|_| Error::Crypto)?;
        let der: Pkcs8V1Der<'_> = key.as_der().map_err(|_| Error::Crypto)?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    /// The public key of a private key on this curve (PKCS #8 or SEC 1, PEM or DER).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that does not parse, or is not on this curve.
    pub fn public_key_of(self, private_key: &[u8]) -> Result<EcdhPublicKey> {
        Ok(EcdhPrivateKey::parse(self, private_key)?.public.clone())
    }

    fn algorithm(self) -> &'static agreement::Algorithm {
        match self {
            Self::P256 => &ECDH_P256,
            Self::P384 => &ECDH_P384,
            Self::P521 => &ECDH_P521,
        }
    }

    /// The curve's name in the derivation's fixed info.
    fn kdf_name(self) -> &'static [u8] {
        match self {
            Self::P256 => b"p256",
            Self::P384 => b"p384",
            Self::P521 => b"p521",
        }
    }

    /// The length of a coordinate (and of the shared secret).
    pub(crate) const fn field_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// The length of a compressed point: a sign byte and the x-coordinate.
    pub(crate) const fn compressed_len(self) -> usize {
        1 + self.field_len()
    }

    /// The DER `SubjectPublicKeyInfo` header of an uncompressed named-curve key.
    const fn spki_prefix(self) -> &'static [u8] {
        match self {
            // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66) }
            Self::P256 => &[
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
            ],
            // SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING (98) }
            Self::P384 => &[
                0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
            ],
            // SEQUENCE { SEQUENCE { id-ecPublicKey, secp521r1 }, BIT STRING (134) }
            Self::P521 => &[
                0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00,
            ],
        }
    }
}

/// A validated public key on a curve, kept in its compressed form (as provider info holds it)
/// and as `SubjectPublicKeyInfo` DER.
#[derive(Clone, PartialEq, Eq)]
pub struct EcdhPublicKey {
    curve: EcdhCurve,
    compressed: Vec<u8>,
    der: Vec<u8>,
}

impl EcdhPublicKey {
    /// A public key from `SubjectPublicKeyInfo` DER or its PEM (`PUBLIC KEY`), which must be
    /// an uncompressed point of `curve` (as the official keyrings require: 91, 120 or 158
    /// bytes of DER).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for another encoding or curve, or a point not on the curve.
    pub fn from_spki(curve: EcdhCurve, key: &[u8]) -> Result<Self> {
        let invalid = |reason| Error::InvalidKey {
            kind: "ECDH public",
            reason,
        };
        let der = if key.starts_with(b"-----BEGIN") {
            let text = core::str::from_utf8(key).map_err(|_| invalid("the PEM is not UTF-8"))?;
            pem::public_key_der_of(text, "ECDH public")?
        } else {
            key.to_vec()
        };
        let point = der
            .strip_prefix(curve.spki_prefix())
            .filter(|point| point.len() == 1 + 2 * curve.field_len())
            .ok_or(invalid(
                "expected the SubjectPublicKeyInfo of an uncompressed point on the configured curve",
            ))?;
        // Parsing checks that the point is on the curve (and not the point at infinity).
        let parsed: agreement::ParsedPublicKey =
            UnparsedPublicKey::new(curve.algorithm(), der.as_slice())
                .try_into()
                .map_err(|_| invalid("not a point on the configured curve"))?;
        if parsed.alg() != curve.algorithm() {
            return Err(invalid("a key of another curve"));
        }
        Ok(Self {
            curve,
            compressed: compress(point),
            der,
        })
    }

    /// A public key from its compressed SEC 1 point (as ECDH provider info holds it),
    /// validated on `curve`.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for another length, or a point not on the curve.
    pub fn from_compressed(curve: EcdhCurve, compressed: &[u8]) -> Result<Self> {
        let invalid = |reason| Error::InvalidKey {
            kind: "ECDH public",
            reason,
        };
        if compressed.len() != curve.compressed_len() {
            return Err(invalid("a compressed point of the wrong length"));
        }
        let parsed: agreement::ParsedPublicKey =
            UnparsedPublicKey::new(curve.algorithm(), compressed)
                .try_into()
                .map_err(|_| invalid("not a point on the configured curve"))?;
        if parsed.alg() != curve.algorithm() {
            return Err(invalid("a key of another curve"));
        }
        let der = spki_of_compressed(compressed, curve)?;
        if !der.starts_with(curve.spki_prefix()) {
            return Err(invalid("a key of another curve"));
        }
        Ok(Self {
            curve,
            compressed: compressed.to_vec(),
            der,
        })
    }

    /// The curve.
    pub fn curve(&self) -> EcdhCurve {
        self.curve
    }

    /// The compressed point (SEC 1: a sign byte, then the x-coordinate).
    pub fn compressed(&self) -> &[u8] {
        &self.compressed
    }

    /// The `SubjectPublicKeyInfo` DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

impl core::fmt::Debug for EcdhPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EcdhPublicKey")
            .field("curve", &self.curve)
            .field("compressed_len", &self.compressed.len())
            .finish()
    }
}

/// The `SubjectPublicKeyInfo` DER (uncompressed point) of a compressed point, which aws-lc-rs
/// expands and checks on the curve.
fn spki_of_compressed(compressed: &[u8], curve: EcdhCurve) -> Result<Vec<u8>> {
    let algorithm = match curve {
        EcdhCurve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
        EcdhCurve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
        EcdhCurve::P521 => &signature::ECDSA_P521_SHA512_ASN1,
    };
    let invalid = Error::InvalidKey {
        kind: "ECDH public",
        reason: "not a point on the configured curve",
    };
    let parsed = signature::ParsedPublicKey::new(algorithm, compressed).map_err(|_| invalid)?;
    let der: PublicKeyX509Der<'_> = parsed.as_der().map_err(|_| Error::Crypto)?;
    Ok(der.as_ref().to_vec())
}

/// The compressed form of an uncompressed point `04 ‖ x ‖ y`.
fn compress(point: &[u8]) -> Vec<u8> {
    let coordinates = point.get(1..).unwrap_or_default();
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    let odd = y.last().is_some_and(|last| last & 1 == 1);
    let mut out = Vec::with_capacity(1 + x.len());
    out.push(if odd { 0x03 } else { 0x02 });
    out.extend_from_slice(x);
    out
}

/// A private key on a curve, from PKCS #8 (DER or PEM `PRIVATE KEY`) or SEC 1 (`EC PRIVATE
/// KEY`); aws-lc-rs holds it and clears it when dropped.
pub(crate) struct EcdhPrivateKey {
    key: agreement::PrivateKey,
    public: EcdhPublicKey,
}

impl EcdhPrivateKey {
    pub(crate) fn parse(curve: EcdhCurve, key: &[u8]) -> Result<Self> {
        let invalid = |reason| Error::InvalidKey {
            kind: "ECDH private",
            reason,
        };
        let der = if key.starts_with(b"-----BEGIN") {
            let text = core::str::from_utf8(key).map_err(|_| invalid("the PEM is not UTF-8"))?;
            pem::private_key_der_of(text, "ECDH private")?
        } else {
            Zeroizing::new(key.to_vec())
        };
        let key = agreement::PrivateKey::from_private_key_der(curve.algorithm(), &der)
            .map_err(|_| invalid("not a private key of the configured curve"))?;
        Self::from_key(curve, key)
    }

    pub(crate) fn generate(curve: EcdhCurve) -> Result<Self> {
        let key = agreement::PrivateKey::generate(curve.algorithm()).map_err(|_| Error::Crypto)?;
        Self::from_key(curve, key)
    }

    fn from_key(curve: EcdhCurve, key: agreement::PrivateKey) -> Result<Self> {
        // A key aws-lc-rs computed is on the curve: no parse needed.
        let public = key.compute_public_key().map_err(|_| Error::Crypto)?;
        let compressed: EcPublicKeyCompressedBin<'_> =
            public.as_be_bytes().map_err(|_| Error::Crypto)?;
        let der: PublicKeyX509Der<'_> = public.as_der().map_err(|_| Error::Crypto)?;
        let public = EcdhPublicKey {
            curve,
            compressed: compressed.as_ref().to_vec(),
            der: der.as_ref().to_vec(),
        };
        Ok(Self { key, public })
    }

    pub(crate) fn public(&self) -> &EcdhPublicKey {
        &self.public
    }

    /// The shared secret with `peer`: the x-coordinate of the product, as the official keyrings
    /// use it (no hash before the derivation).
    pub(crate) fn agree(&self, peer: &EcdhPublicKey) -> Result<Zeroizing<Vec<u8>>> {
        self.agree_compressed(&peer.compressed).ok_or(Error::Crypto)
    }

    /// The shared secret with the key of a compressed point, or `None` when the point is not
    /// on this key's curve (aws-lc-rs checks it as it parses).
    pub(crate) fn agree_compressed(&self, peer: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if peer.len() != self.public.curve.compressed_len() {
            return None;
        }
        agreement::agree(
            &self.key,
            UnparsedPublicKey::new(self.public.curve.algorithm(), peer),
            (),
            |secret| Ok(Zeroizing::new(secret.to_vec())),
        )
        .ok()
    }
}

/// `label 00 curve 00 PRF 00 sender ‖ recipient 00 version 00 context`: the counter-mode
/// label, and the AAD of the data key's wrapping.
pub fn fixed_info(
    curve: EcdhCurve,
    sender: &[u8],
    recipient: &[u8],
    canonical_context: &[u8],
) -> Vec<u8> {
    let context = canonical_context;
    let mut out = Vec::with_capacity(
        LABEL.len() + PRF.len() + sender.len() + recipient.len() + context.len() + 12,
    );
    out.extend_from_slice(LABEL);
    out.push(0);
    out.extend_from_slice(curve.kdf_name());
    out.push(0);
    out.extend_from_slice(PRF);
    out.push(0);
    out.extend_from_slice(sender);
    out.extend_from_slice(recipient);
    out.push(0);
    out.push(VERSION);
    out.push(0);
    out.extend_from_slice(context);
    out
}

/// The commitment key and the shared wrapping key: 64 bytes of SP 800-108 counter-mode
/// HMAC-SHA384 keyed with the shared secret, each block `i (u32) ‖ fixed info ‖ 00 ‖ nonce ‖
/// 512 (u32)`.
fn derive(
    secret: &[u8],
    fixed_info: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Zeroizing<[u8; 2 * COMMITMENT_LEN]> {
    let key = hmac::Key::new(hmac::HMAC_SHA384, secret);
    let mut out = Zeroizing::new([0u8; 2 * COMMITMENT_LEN]);
    let mut filled = 0;
    for counter in 1u32.. {
        let mut context = hmac::Context::with_key(&key);
        context.update(&counter.to_be_bytes());
        context.update(fixed_info);
        context.update(&[0]);
        context.update(nonce);
        context.update(&OUTPUT_BITS);
        let block = context.sign();
        let take = (out.len() - filled).min(block.as_ref().len());
        if let (Some(dst), Some(src)) = (
            out.get_mut(filled..filled + take),
            block.as_ref().get(..take),
        ) {
            dst.copy_from_slice(src);
        }
        filled += take;
        if filled == out.len() {
            break;
        }
    }
    out
}

/// Wraps `data_key` for the parties of `fixed_info`: the EDK ciphertext
/// `nonce (32) ‖ commitment key (32) ‖ AES-256-GCM(data key) ‖ tag (16)`.
///
/// # Errors
/// [`Error::Crypto`] when the random generator or AES-GCM fails.
pub fn wrap(secret: &[u8], fixed_info: &[u8], data_key: &[u8]) -> Result<Vec<u8>> {
    let nonce = random_array::<NONCE_LEN>()?;
    let keys = derive(secret, fixed_info, &nonce);
    let (commitment, wrapping) = keys.split_at(COMMITMENT_LEN);
    // Every wrap derives a fresh key from a fresh nonce: the zero IV is never reused.
    let sealed = aes_gcm_wrap(wrapping, [0; 12], fixed_info, data_key)?;
    let mut out = Vec::with_capacity(NONCE_LEN + COMMITMENT_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(commitment);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Unwraps an EDK ciphertext of a `data_key_len`-byte key; the commitment key is compared in
/// constant time before the AES-GCM tag is checked.
///
/// # Errors
/// [`Error::UnwrapFailed`] for a ciphertext of the wrong length, another commitment key or a
/// tag that does not check out.
pub fn unwrap(
    secret: &[u8],
    fixed_info: &[u8],
    ciphertext: &[u8],
    data_key_len: usize,
    provider_id: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    if ciphertext.len() != NONCE_LEN + COMMITMENT_LEN + data_key_len + TAG_LEN {
        return Err(Error::UnwrapFailed {
            provider_id: provider_id.to_owned(),
        });
    }
    let (nonce, rest) = ciphertext.split_at(NONCE_LEN);
    let (commitment, sealed) = rest.split_at(COMMITMENT_LEN);
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Crypto)?;
    let keys = derive(secret, fixed_info, nonce);
    let (expected, wrapping) = keys.split_at(COMMITMENT_LEN);
    if !bool::from(expected.ct_eq(commitment)) {
        return Err(Error::UnwrapFailed {
            provider_id: provider_id.to_owned(),
        });
    }
    aes_gcm_unwrap(wrapping, [0; 12], fixed_info, sealed)?.ok_or_else(|| Error::UnwrapFailed {
        provider_id: provider_id.to_owned(),
    })
}

/// Provider info: `01 ‖ u32 len ‖ recipient (compressed) ‖ u32 len ‖ sender (compressed)`.
pub fn provider_info(recipient: &[u8], sender: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + recipient.len() + sender.len());
    out.push(VERSION);
    for key in [recipient, sender] {
        out.extend_from_slice(&u32::try_from(key.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(key);
    }
    out
}

/// The recipient's and the sender's compressed keys of an ECDH EDK's provider info, for
/// `curve`.
///
/// # Errors
/// [`Error::InvalidKey`] for another layout or version.
pub fn parse_provider_info(curve: EcdhCurve, info: &[u8]) -> Result<(&[u8], &[u8])> {
    let malformed = Error::InvalidKey {
        kind: "ECDH provider info",
        reason: "not version 1 with two compressed keys of the configured curve",
    };
    let n = curve.compressed_len();
    let expected_len = u32::try_from(n).map_err(|_| Error::Crypto)?.to_be_bytes();
    let (version, rest) = info.split_first().ok_or(Error::Crypto)?;
    if *version != VERSION || rest.len() != 8 + 2 * n {
        return Err(malformed);
    }
    let (recipient_len, rest) = rest.split_at(4);
    let (recipient, rest) = rest.split_at(n);
    let (sender_len, sender) = rest.split_at(4);
    if recipient_len != expected_len || sender_len != expected_len {
        return Err(malformed);
    }
    Ok((recipient, sender))
}

/// Whether `info` has the version-1 layout of a curve other than `curve`.
pub fn is_other_curve_layout(curve: EcdhCurve, info: &[u8]) -> bool {
    [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521]
        .into_iter()
        .filter(|other| *other != curve)
        .any(|other| parse_provider_info(other, info).is_ok())
}
