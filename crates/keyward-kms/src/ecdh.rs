//! The AWS KMS ECDH keyring: the raw ECDH keyring's derivation and layout, with one party's
//! private key inside KMS (`DeriveSharedSecret`).
//!
//! spec: framework/aws-kms/aws-kms-ecdh-keyring.md, framework/key-agreement-schemas.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType};
use keyward_format::EncryptedDataKey;
use keyward_materials::internal::{
    KMS_ECDH_PROVIDER_ID, describe_ecdh_attempts, fixed_info, is_other_curve_layout,
    parse_provider_info, provider_info, shared_secret_len, unwrap, wrap,
};
use keyward_materials::{
    DataKey, DecryptionMaterials, EcdhCurve, EcdhPublicKey, EncryptionMaterials, Keyring,
    RAW_ECDH_PROVIDER_ID, decrypt_first,
};
use zeroize::Zeroizing;

use crate::arn::validate_identifier;
use crate::calls::{Kms, check_no_data_key, secret_field};
use crate::error::{Error, KmsOperation};
use crate::trace::traced;

/// Wraps data keys like [`keyward_materials::RawEcdhKeyring`], with the private key of one
/// party held by AWS KMS (an ECC key of usage `KEY_AGREEMENT`): the shared secret comes from
/// KMS `DeriveSharedSecret`. Its messages and the raw ECDH keyring's read each other. The
/// official key agreement schemes:
///
/// | finisher | official scheme | encrypts | decrypts |
/// |---|---|---|---|
/// | [`KmsEcdhKeyringBuilder::build_static`] | `KmsPrivateKeyToStaticPublicKey` | yes | messages between the two keys, either way |
/// | [`KmsEcdhKeyringBuilder::build_discovery`] | `KmsPublicKeyDiscovery` | no | any message to the KMS key's public key |
///
/// Building calls KMS `GetPublicKey` for the KMS key's public key unless it is given with
/// [`KmsEcdhKeyringBuilder::kms_public_key`]; the answer must name the key, with usage
/// `KEY_AGREEMENT` on the configured curve. Public keys are `SubjectPublicKeyInfo` (DER, or
/// PEM `PUBLIC KEY`). Cheap to clone.
#[derive(Clone)]
pub struct KmsEcdhKeyring {
    inner: Arc<Inner>,
}

struct Inner {
    kms: Kms,
    key_id: String,
    scheme: Scheme,
}

enum Scheme {
    /// The KMS key is the sender's; messages go to `recipient`.
    Static {
        sender: EcdhPublicKey,
        recipient: EcdhPublicKey,
    },
    /// The KMS key is the recipient's; messages come from anyone.
    Discovery { recipient: EcdhPublicKey },
}

/// Builds a [`KmsEcdhKeyring`].
#[must_use]
pub struct KmsEcdhKeyringBuilder {
    client: aws_sdk_kms::Client,
    curve: EcdhCurve,
    grant_tokens: Vec<String>,
    kms_public_key: Option<Vec<u8>>,
}

impl KmsEcdhKeyring {
    /// Starts a keyring on `curve` calling KMS with `client` as given.
    pub fn builder(client: aws_sdk_kms::Client, curve: EcdhCurve) -> KmsEcdhKeyringBuilder {
        KmsEcdhKeyringBuilder {
            client,
            curve,
            grant_tokens: Vec::new(),
            kms_public_key: None,
        }
    }

    /// The KMS key's identifier (the sender's for the static scheme, the recipient's for
    /// discovery).
    pub fn key_id(&self) -> &str {
        &self.inner.key_id
    }

    /// The curve.
    pub fn curve(&self) -> EcdhCurve {
        self.recipient_public_key().curve()
    }

    /// The recipient's public key.
    pub fn recipient_public_key(&self) -> &EcdhPublicKey {
        match &self.inner.scheme {
            Scheme::Static { recipient, .. } | Scheme::Discovery { recipient } => recipient,
        }
    }

    /// The sender's public key (the KMS key's), for the static scheme.
    pub fn sender_public_key(&self) -> Option<&EcdhPublicKey> {
        match &self.inner.scheme {
            Scheme::Static { sender, .. } => Some(sender),
            Scheme::Discovery { .. } => None,
        }
    }

    /// The shared secret of the KMS key and `peer` (`DeriveSharedSecret`), checked to be a
    /// coordinate of the curve.
    async fn derive(&self, peer: &EcdhPublicKey) -> Result<Zeroizing<Vec<u8>>, Error> {
        let inner = &*self.inner;
        let operation = KmsOperation::DeriveSharedSecret;
        let mut output = traced!(
        inner
                    .kms
                    .client
                    .derive_shared_secret()
                    .key_id(&inner.key_id)
                    .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                    .public_key(Blob::new(peer.der()))
                    .set_grant_tokens(inner.kms.grant_tokens())
                    .send(),
        "kms",
        operation = %operation,
        key_id = %&inner.key_id
        )
        .await
        .map_err(|error| Error::from_sdk(operation, &inner.key_id, error))?;
        let answered = output.key_id.as_deref();
        if !crate::public_key::names_key(&inner.key_id, answered) {
            return Err(Error::UnexpectedKeyId {
                operation,
                expected: inner.key_id.clone(),
                actual: output.key_id,
            });
        }
        if output
            .key_agreement_algorithm
            .as_ref()
            .is_some_and(|algorithm| *algorithm != KeyAgreementAlgorithmSpec::Ecdh)
        {
            return Err(Error::MissingResponseField {
                operation,
                field: "KeyAgreementAlgorithm ECDH",
            });
        }
        let secret = secret_field(output.shared_secret.take(), operation, "SharedSecret")?;
        let expected = shared_secret_len(peer.curve());
        if secret.len() != expected {
            return Err(Error::SharedSecretLength {
                expected,
                actual: secret.len(),
            });
        }
        Ok(secret)
    }
}

impl KmsEcdhKeyringBuilder {
    /// Grant tokens for every KMS call, `GetPublicKey` at build time included.
    pub fn grant_tokens<I, S>(mut self, grant_tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grant_tokens = grant_tokens.into_iter().map(Into::into).collect();
        self
    }

    /// The KMS key's public key, as `SubjectPublicKeyInfo` DER or PEM: building then makes
    /// no `GetPublicKey` call. It must be the KMS key's own; a wrong one makes messages that
    /// nobody can decrypt.
    pub fn kms_public_key(mut self, public_key: &[u8]) -> Self {
        self.kms_public_key = Some(public_key.to_vec());
        self
    }

    /// The official `KmsPrivateKeyToStaticPublicKey`: the sender's private key is the KMS key
    /// `sender_key_id`; messages go to `recipient_public_key`.
    ///
    /// # Errors
    /// [`Error::InvalidKeyIdentifier`]; [`Error::InvalidPublicKey`] for a key that does not
    /// parse or is not on the curve, or a KMS key of another usage or curve; [`Error::Kms`]
    /// when `GetPublicKey` fails.
    pub async fn build_static(
        self,
        sender_key_id: impl Into<String>,
        recipient_public_key: &[u8],
    ) -> Result<KmsEcdhKeyring, Error> {
        let sender_key_id = sender_key_id.into();
        validate_identifier(&sender_key_id)?;
        let recipient = parse_public_key(self.curve, &sender_key_id, recipient_public_key)?;
        let sender = self.kms_key_public_key(&sender_key_id).await?;
        Ok(self.finish(sender_key_id, Scheme::Static { sender, recipient }))
    }

    /// The official `KmsPublicKeyDiscovery`: the recipient's private key is the KMS key
    /// `recipient_key_id`; decrypts messages from any sender to it, never encrypts.
    ///
    /// # Errors
    /// As [`KmsEcdhKeyringBuilder::build_static`].
    pub async fn build_discovery(
        self,
        recipient_key_id: impl Into<String>,
    ) -> Result<KmsEcdhKeyring, Error> {
        let recipient_key_id = recipient_key_id.into();
        validate_identifier(&recipient_key_id)?;
        let recipient = self.kms_key_public_key(&recipient_key_id).await?;
        Ok(self.finish(recipient_key_id, Scheme::Discovery { recipient }))
    }

    /// The public key of the KMS key: as given, or from `GetPublicKey` (which must report
    /// usage `KEY_AGREEMENT` on the configured curve).
    async fn kms_key_public_key(&self, key_id: &str) -> Result<EcdhPublicKey, Error> {
        if let Some(given) = &self.kms_public_key {
            return parse_public_key(self.curve, key_id, given);
        }
        let answer = crate::public_key::get_public_key(
            &self.client,
            key_id,
            &self.grant_tokens,
            KeyUsageType::KeyAgreement,
        )
        .await?;
        let spec = match self.curve {
            EcdhCurve::P256 => KeySpec::EccNistP256,
            EcdhCurve::P384 => KeySpec::EccNistP384,
            _ => KeySpec::EccNistP521,
        };
        if answer.output.key_spec() != Some(&spec) {
            return Err(Error::InvalidPublicKey {
                key_id: key_id.to_owned(),
                reason: "the KMS key is not on the configured curve",
            });
        }
        parse_public_key(self.curve, key_id, &answer.der)
    }

    fn finish(self, key_id: String, scheme: Scheme) -> KmsEcdhKeyring {
        let mut kms = Kms::new(self.client);
        kms.grant_tokens = self.grant_tokens;
        KmsEcdhKeyring {
            inner: Arc::new(Inner {
                kms,
                key_id,
                scheme,
            }),
        }
    }
}

fn parse_public_key(curve: EcdhCurve, key_id: &str, key: &[u8]) -> Result<EcdhPublicKey, Error> {
    EcdhPublicKey::from_spki(curve, key).map_err(|_| Error::InvalidPublicKey {
        key_id: key_id.to_owned(),
        reason: "not a SubjectPublicKeyInfo of a point on the configured curve",
    })
}

/// Which public key of an EDK the KMS key agrees with.
enum Peer<'a> {
    /// A configured key (already validated).
    Configured(&'a EcdhPublicKey),
    /// The EDK's sender, in compressed form (validated when the call is made).
    Sender(&'a [u8]),
}

impl KmsEcdhKeyring {
    /// The peer of an EDK's parties, or `None` when the EDK is not for this keyring.
    fn peer<'a>(&'a self, recipient: &[u8], sender: &'a [u8]) -> Option<Peer<'a>> {
        match &self.inner.scheme {
            Scheme::Discovery { recipient: own } => {
                (recipient == own.compressed()).then_some(Peer::Sender(sender))
            }
            Scheme::Static {
                sender: own,
                recipient: theirs,
            } => {
                let (ours, theirs_compressed) = (own.compressed(), theirs.compressed());
                // A message the KMS key sent, or one the recipient wrote back to it with its
                // own static key: either way the KMS key agrees with the recipient's key.
                let between = (sender == ours && recipient == theirs_compressed)
                    || (sender == theirs_compressed && recipient == ours);
                between.then_some(Peer::Configured(theirs))
            }
        }
    }
}

#[async_trait]
impl Keyring for KmsEcdhKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        let Scheme::Static { sender, recipient } = &self.inner.scheme else {
            return Err(keyward_materials::Error::OperationNotSupported(
                "encrypt: an AWS KMS ECDH discovery keyring only decrypts",
            ));
        };
        // A child of a multi-keyring wraps the data key it is given.
        let materials = materials.with_generated_data_key()?;
        let data_key = materials
            .data_key()
            .ok_or(keyward_materials::Error::MissingDataKey)?;
        let fixed_info = fixed_info(
            recipient.curve(),
            sender.compressed(),
            recipient.compressed(),
            &materials.encryption_context().to_canonical_bytes()?,
        );
        let secret = self.derive(recipient).await?;
        let ciphertext = wrap(&secret, &fixed_info, data_key.expose_secret())?;
        let info = provider_info(recipient.compressed(), sender.compressed());
        let edk = EncryptedDataKey::new(KMS_ECDH_PROVIDER_ID, info, ciphertext)?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        check_no_data_key(&materials)?;
        let curve = self.curve();
        let data_key_len = materials.suite().data_key_len();
        // Serialized once for every EDK tried.
        let context = materials.encryption_context().to_canonical_bytes()?;
        let context = &context;
        decrypt_first(materials, encrypted_data_keys, |edk| {
            let provider_id = edk.provider_id();
            if provider_id != RAW_ECDH_PROVIDER_ID && provider_id != KMS_ECDH_PROVIDER_ID {
                return None;
            }
            let malformed = move |reason| keyward_materials::Error::MalformedEncryptedDataKey {
                provider_id: provider_id.to_owned(),
                reason,
            };
            let parsed = match parse_provider_info(curve, edk.provider_info()) {
                Ok((recipient, sender)) => Ok((recipient, sender, self.peer(recipient, sender)?)),
                // Another curve's EDK is for another keyring.
                Err(_) if is_other_curve_layout(curve, edk.provider_info()) => return None,
                Err(_) => Err(malformed(
                    "the provider info is not version 1 with two keys of this curve",
                )),
            };
            Some(async move {
                let (recipient, sender, peer) = parsed?;
                let sender_key;
                let peer = match peer {
                    Peer::Configured(key) => key,
                    Peer::Sender(compressed) => {
                        sender_key = EcdhPublicKey::from_compressed(curve, compressed)
                            .map_err(|_| malformed("a public key is not a point on the curve"))?;
                        &sender_key
                    }
                };
                let secret = self.derive(peer).await?;
                let fixed_info = fixed_info(curve, sender, recipient, context);
                let key = unwrap(
                    &secret,
                    &fixed_info,
                    edk.ciphertext(),
                    data_key_len,
                    provider_id,
                )?;
                Ok(Arc::new(DataKey::from_slice(&key)))
            })
        })
        .await
        .map_err(describe_ecdh_attempts)
    }
}

impl fmt::Debug for KmsEcdhKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let scheme = match inner.scheme {
            Scheme::Static { .. } => "KmsPrivateKeyToStaticPublicKey",
            Scheme::Discovery { .. } => "KmsPublicKeyDiscovery",
        };
        f.debug_struct("KmsEcdhKeyring")
            .field("scheme", &scheme)
            .field("curve", &self.curve())
            .field("key_id", &inner.key_id)
            .field("client_region", &inner.kms.region())
            .field("grant_tokens", &inner.kms.grant_tokens.len())
            .finish()
    }
}

impl fmt::Debug for KmsEcdhKeyringBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsEcdhKeyringBuilder")
            .field("curve", &self.curve)
            .field("grant_tokens", &self.grant_tokens.len())
            .field("kms_public_key", &self.kms_public_key.is_some())
            .finish_non_exhaustive()
    }
}
