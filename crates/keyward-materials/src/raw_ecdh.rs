//! The raw ECDH keyring: data keys wrapped under a key derived from an ECDH shared secret
//! between a sender and a recipient key pair, byte-compatible with the official keyring.
//!
//! spec: framework/raw-ecdh-keyring.md, framework/key-agreement-schemas.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;

use crate::ecdh::{
    self, EcdhCurve, EcdhPrivateKey, EcdhPublicKey, KMS_ECDH_PROVIDER_ID, RAW_ECDH_PROVIDER_ID,
};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, decrypt_first};
use crate::materials::{DecryptionMaterials, EncryptionMaterials};
use crate::secret::DataKey;

/// Wraps data keys with AES-256-GCM under a key derived (NIST SP 800-108 counter mode,
/// HMAC-SHA384, a fresh nonce per data key) from the ECDH shared secret of a sender and a
/// recipient, on P-256, P-384 or P-521. The official key agreement schemes:
///
/// | constructor | official scheme | encrypts | decrypts |
/// |---|---|---|---|
/// | [`RawEcdhKeyring::static_keys`] | `RawPrivateKeyToStaticPublicKey` | yes | yes: messages it sent, and messages the recipient sent back to it |
/// | [`RawEcdhKeyring::ephemeral`] | `EphemeralPrivateKeyToStaticPublicKey` | yes, with a fresh key pair per data key | no |
/// | [`RawEcdhKeyring::discovery`] | `PublicKeyDiscovery` | no | any message to the recipient's key, whoever sent it |
///
/// Private keys are PKCS #8 (DER, or PEM `PRIVATE KEY`; SEC 1 `EC PRIVATE KEY` PEM too);
/// public keys are `SubjectPublicKeyInfo` (DER, or PEM `PUBLIC KEY`) of an uncompressed point.
/// Cheap to clone.
#[derive(Clone)]
pub struct RawEcdhKeyring {
    inner: Arc<Scheme>,
}

enum Scheme {
    Static {
        sender: EcdhPrivateKey,
        recipient: EcdhPublicKey,
    },
    Ephemeral {
        recipient: EcdhPublicKey,
    },
    Discovery {
        recipient: EcdhPrivateKey,
    },
}

impl RawEcdhKeyring {
    /// Sender's static private key to the recipient's static public key (the official
    /// `RawPrivateKeyToStaticPublicKey`).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that does not parse, or is not on `curve`.
    pub fn static_keys(
        curve: EcdhCurve,
        sender_private_key: &[u8],
        recipient_public_key: &[u8],
    ) -> Result<Self> {
        Ok(Self::new(Scheme::Static {
            sender: EcdhPrivateKey::parse(curve, sender_private_key)?,
            recipient: EcdhPublicKey::from_spki(curve, recipient_public_key)?,
        }))
    }

    /// A fresh ephemeral key pair per data key to the recipient's static public key (the
    /// official `EphemeralPrivateKeyToStaticPublicKey`): encrypts only, and the sender keeps
    /// nothing that could decrypt.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that does not parse, or is not on `curve`.
    pub fn ephemeral(curve: EcdhCurve, recipient_public_key: &[u8]) -> Result<Self> {
        Ok(Self::new(Scheme::Ephemeral {
            recipient: EcdhPublicKey::from_spki(curve, recipient_public_key)?,
        }))
    }

    /// The recipient's static private key (the official `PublicKeyDiscovery`): decrypts any
    /// message whose EDK names the recipient's public key, from any sender; never encrypts.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that does not parse, or is not on `curve`.
    pub fn discovery(curve: EcdhCurve, recipient_private_key: &[u8]) -> Result<Self> {
        Ok(Self::new(Scheme::Discovery {
            recipient: EcdhPrivateKey::parse(curve, recipient_private_key)?,
        }))
    }

    fn new(scheme: Scheme) -> Self {
        Self {
            inner: Arc::new(scheme),
        }
    }

    /// The curve.
    pub fn curve(&self) -> EcdhCurve {
        match &*self.inner {
            Scheme::Static { recipient, .. } | Scheme::Ephemeral { recipient } => recipient.curve(),
            Scheme::Discovery { recipient } => recipient.public().curve(),
        }
    }

    /// The recipient's public key.
    pub fn recipient_public_key(&self) -> &EcdhPublicKey {
        match &*self.inner {
            Scheme::Static { recipient, .. } | Scheme::Ephemeral { recipient } => recipient,
            Scheme::Discovery { recipient } => recipient.public(),
        }
    }

    /// The sender's public key, for the static scheme.
    pub fn sender_public_key(&self) -> Option<&EcdhPublicKey> {
        match &*self.inner {
            Scheme::Static { sender, .. } => Some(sender.public()),
            _ => None,
        }
    }

    /// The key that agrees with the other party of an EDK, and that party's public key, or
    /// `None` when the EDK is not for this keyring.
    fn party<'a>(&'a self, recipient: &[u8], sender: &[u8]) -> Option<(&'a EcdhPrivateKey, Peer)> {
        match &*self.inner {
            // Any sender, to our recipient key.
            Scheme::Discovery { recipient: own } => {
                (recipient == own.public().compressed()).then_some((own, Peer::Sender))
            }
            // A message we sent, or one the recipient sent back to us with its own static key.
            Scheme::Static {
                sender: own,
                recipient: peer,
            } => {
                let ours = own.public().compressed();
                let theirs = peer.compressed();
                if sender == ours && recipient == theirs {
                    Some((own, Peer::Recipient))
                } else if sender == theirs && recipient == ours {
                    Some((own, Peer::Sender))
                } else {
                    None
                }
            }
            Scheme::Ephemeral { .. } => None,
        }
    }
}

/// Which key of the EDK the keyring's private key agrees with.
#[derive(Clone, Copy)]
enum Peer {
    Sender,
    Recipient,
}

#[async_trait]
impl Keyring for RawEcdhKeyring {
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        let ephemeral;
        let (sender, recipient) = match &*self.inner {
            Scheme::Static { sender, recipient } => (sender, recipient),
            Scheme::Ephemeral { recipient } => {
                ephemeral = EcdhPrivateKey::generate(recipient.curve())?;
                (&ephemeral, recipient)
            }
            Scheme::Discovery { .. } => {
                return Err(Error::OperationNotSupported(
                    "encrypt: a raw ECDH discovery keyring only decrypts",
                ));
            }
        };
        // A child of a multi-keyring wraps the data key it is given.
        let materials = materials.with_generated_data_key()?;
        let data_key = materials.data_key().ok_or(Error::MissingDataKey)?;
        let fixed_info = ecdh::fixed_info(
            recipient.curve(),
            sender.public().compressed(),
            recipient.compressed(),
            &materials.encryption_context().to_canonical_bytes()?,
        );
        let secret = sender.agree(recipient)?;
        let ciphertext = ecdh::wrap(&secret, &fixed_info, data_key.expose_secret())?;
        let info = ecdh::provider_info(recipient.compressed(), sender.public().compressed());
        let edk = EncryptedDataKey::new(RAW_ECDH_PROVIDER_ID, info, ciphertext)?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        if matches!(&*self.inner, Scheme::Ephemeral { .. }) {
            return Err(Error::OperationNotSupported(
                "decrypt: an ephemeral raw ECDH keyring keeps no private key",
            ));
        }
        let curve = self.curve();
        let data_key_len = materials.suite().data_key_len();
        // Serialized once for every EDK tried.
        let context = materials.encryption_context().to_canonical_bytes()?;
        decrypt_first(materials, encrypted_data_keys, |edk| {
            let provider_id = edk.provider_id();
            if provider_id != RAW_ECDH_PROVIDER_ID && provider_id != KMS_ECDH_PROVIDER_ID {
                return None;
            }
            let malformed = |reason| Error::MalformedEncryptedDataKey {
                provider_id: provider_id.to_owned(),
                reason,
            };
            // A malformed EDK of an ECDH provider is an attempt that failed, not a skip: the
            // error says why no key matched.
            let (recipient, sender) = match ecdh::parse_provider_info(curve, edk.provider_info()) {
                Ok(keys) => keys,
                // Another curve's EDK is for another keyring.
                Err(_) if ecdh::is_other_curve_layout(curve, edk.provider_info()) => return None,
                Err(_) => {
                    return Some(core::future::ready(Err(malformed(
                        "the provider info is not version 1 with two keys of this curve",
                    ))));
                }
            };
            let (own, peer) = self.party(recipient, sender)?;
            let unwrapped = (|| {
                let peer_key = match peer {
                    Peer::Sender => sender,
                    Peer::Recipient => recipient,
                };
                // The agreement parses the point, and refuses one off the curve.
                let secret = own
                    .agree_compressed(peer_key)
                    .ok_or_else(|| malformed("a public key is not a point on the curve"))?;
                let fixed_info = ecdh::fixed_info(curve, sender, recipient, &context);
                let key = ecdh::unwrap(
                    &secret,
                    &fixed_info,
                    edk.ciphertext(),
                    data_key_len,
                    provider_id,
                )?;
                Ok(Arc::new(DataKey::from_slice(&key)))
            })();
            Some(core::future::ready(unwrapped))
        })
        .await
        .map_err(describe_attempts)
    }
}

/// An unable-to-decrypt error of an ECDH keyring with each attempt's provider info (binary)
/// shown as `recipient 02ab01…`: the first bytes of the recipient's compressed key, from the
/// hex of version, length and key.
pub fn describe_attempts(mut error: Error) -> Error {
    if let Error::UnableToDecrypt { attempts } = &mut error {
        for attempt in attempts.iter_mut() {
            let hex = &attempt.provider_info;
            attempt.provider_info = format!("recipient {}…", hex.get(10..22).unwrap_or(hex));
        }
    }
    error
}

impl fmt::Debug for RawEcdhKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match &*self.inner {
            Scheme::Static { .. } => "RawPrivateKeyToStaticPublicKey",
            Scheme::Ephemeral { .. } => "EphemeralPrivateKeyToStaticPublicKey",
            Scheme::Discovery { .. } => "PublicKeyDiscovery",
        };
        f.debug_struct("RawEcdhKeyring")
            .field("scheme", &scheme)
            .field("curve", &self.curve())
            .finish_non_exhaustive()
    }
}
