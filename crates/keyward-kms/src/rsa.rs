//! The AWS KMS RSA keyring: data keys encrypted locally with the public key of an asymmetric
//! KMS key, decrypted by KMS.
//!
//! spec: framework/aws-kms/aws-kms-rsa-keyring.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncryptionAlgorithmSpec, KeyUsageType};
use keyward_format::{AlgorithmSuite, EncryptedDataKey};
use keyward_materials::internal::{RsaPublicKey, rsa_public_key_der, sha384};
use keyward_materials::{
    DataKey, DecryptionMaterials, EncryptionMaterials, Keyring, RsaPadding, decrypt_first,
};
use zeroize::Zeroizing;

use crate::arn::{KmsArn, ResourceType, mrk_match_for_decrypt, validate_identifier};
use crate::calls::{Kms, check_no_data_key, secret_field};
use crate::error::{Error, KmsOperation};
use crate::trace::traced;

/// The provider id of the AWS KMS RSA keyring's encrypted data keys.
pub const RSA_PROVIDER_ID: &str = "aws-kms-rsa";

/// The length of the encryption-context digest that precedes the data key in the RSA
/// plaintext.
const DIGEST_LEN: usize = 48;

/// The KMS encryption algorithms of RSA keys (`EncryptionAlgorithm` in KMS `Decrypt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KmsRsaAlgorithm {
    /// `RSAES_OAEP_SHA_1`: OAEP with SHA-1 and MGF1-SHA-1.
    RsaesOaepSha1,
    /// `RSAES_OAEP_SHA_256`: OAEP with SHA-256 and MGF1-SHA-256.
    RsaesOaepSha256,
}

impl KmsRsaAlgorithm {
    /// The algorithm's name in the KMS API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }

    fn padding(self) -> RsaPadding {
        match self {
            Self::RsaesOaepSha1 => RsaPadding::OaepSha1,
            Self::RsaesOaepSha256 => RsaPadding::OaepSha256,
        }
    }

    fn spec(self) -> EncryptionAlgorithmSpec {
        match self {
            Self::RsaesOaepSha1 => EncryptionAlgorithmSpec::RsaesOaepSha1,
            Self::RsaesOaepSha256 => EncryptionAlgorithmSpec::RsaesOaepSha256,
        }
    }
}

impl fmt::Display for KmsRsaAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Protects data keys with an asymmetric AWS KMS RSA key (key usage `ENCRYPT_DECRYPT`).
///
/// Encrypting is local and makes no KMS call: the keyring encrypts `SHA-384(encryption
/// context) ‖ data key` with the key's public key. Anyone holding the public key can write
/// such messages, so the keyring refuses the signing suites (a signature would only prove
/// that some holder of the public key wrote the message) and binds the encryption context by
/// the digest alone. Decrypting calls KMS `Decrypt` with the configured key and algorithm,
/// then checks the digest against the decryption's encryption context.
///
/// Build it from the public key in hand, or fetch it with
/// [`KmsRsaKeyringBuilder::fetch_public_key`]. Without a public key the keyring only
/// decrypts; without a client it only encrypts. Cheap to clone.
///
/// ```
/// # fn main() -> Result<(), keyward_kms::Error> {
/// # let client = aws_sdk_kms::Client::from_conf(aws_sdk_kms::Config::builder()
/// #     .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest()).build());
/// use keyward_kms::{KmsRsaAlgorithm, KmsRsaKeyring};
/// let arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// // Decrypt only: no public key.
/// let keyring = KmsRsaKeyring::builder(arn, KmsRsaAlgorithm::RsaesOaepSha256)
///     .client(client)
///     .build()?;
/// assert_eq!(keyring.key_id(), arn);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KmsRsaKeyring {
    inner: Arc<Inner>,
}

struct Inner {
    key_id: String,
    algorithm: KmsRsaAlgorithm,
    public_key: Option<RsaPublicKey>,
    kms: Option<Kms>,
}

/// Builds a [`KmsRsaKeyring`].
#[must_use]
pub struct KmsRsaKeyringBuilder {
    key_id: String,
    algorithm: KmsRsaAlgorithm,
    public_key: Option<Vec<u8>>,
    client: Option<aws_sdk_kms::Client>,
    grant_tokens: Vec<String>,
    error: Option<Error>,
}

impl KmsRsaKeyring {
    /// Starts a keyring for the RSA KMS key `key_id`, a key ARN (encrypted data keys name the
    /// key as configured, and decrypting takes the ARN from them), and its algorithm.
    pub fn builder(key_id: impl Into<String>, algorithm: KmsRsaAlgorithm) -> KmsRsaKeyringBuilder {
        KmsRsaKeyringBuilder {
            key_id: key_id.into(),
            algorithm,
            public_key: None,
            client: None,
            grant_tokens: Vec::new(),
            error: None,
        }
    }

    /// The configured key identifier.
    pub fn key_id(&self) -> &str {
        &self.inner.key_id
    }

    /// The configured algorithm.
    pub fn algorithm(&self) -> KmsRsaAlgorithm {
        self.inner.algorithm
    }

    /// Whether the keyring holds the public key (and so can encrypt).
    pub fn can_encrypt(&self) -> bool {
        self.inner.public_key.is_some()
    }

    /// Whether the keyring holds a KMS client (and so can decrypt).
    pub fn can_decrypt(&self) -> bool {
        self.inner.kms.is_some()
    }
}

impl KmsRsaKeyringBuilder {
    /// The key's public key as a `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS #1) PEM block,
    /// as `aws kms get-public-key` writes it once encoded.
    pub fn public_key_pem(mut self, pem: &str) -> Self {
        match rsa_public_key_der(pem) {
            Ok(der) => self.public_key = Some(der),
            Err(_) => {
                self.error = Some(Error::InvalidPublicKey {
                    key_id: self.key_id.clone(),
                    reason: "not an RSA public key PEM block",
                });
            }
        }
        self
    }

    /// The key's public key as `SubjectPublicKeyInfo` DER (the `PublicKey` field of KMS
    /// `GetPublicKey`).
    pub fn public_key_der(mut self, der: &[u8]) -> Self {
        self.public_key = Some(der.to_vec());
        self
    }

    /// The KMS client that decrypts (as given: its region is the caller's choice).
    pub fn client(mut self, client: aws_sdk_kms::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Grant tokens for every KMS call.
    pub fn grant_tokens<I, S>(mut self, grant_tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grant_tokens = grant_tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Fetches the public key with KMS `GetPublicKey` (with the client and grant tokens
    /// given), then builds. The answer must name the configured key (when it is a key ARN),
    /// with key usage `ENCRYPT_DECRYPT` and the configured algorithm.
    ///
    /// # Errors
    /// Those of [`KmsRsaKeyringBuilder::build`]; [`Error::InvalidConfiguration`] without a
    /// client; [`Error::Kms`] when the call fails; [`Error::UnexpectedKeyId`] or
    /// [`Error::InvalidPublicKey`] for an answer about another key or a key that does not fit.
    pub async fn fetch_public_key(mut self) -> Result<KmsRsaKeyring, Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        validate_rsa_identifier(&self.key_id)?;
        let client = self.client.clone().ok_or(Error::InvalidConfiguration(
            "fetching the public key needs a KMS client",
        ))?;
        let answer = crate::public_key::get_public_key(
            &client,
            &self.key_id,
            &self.grant_tokens,
            KeyUsageType::EncryptDecrypt,
        )
        .await?;
        let supported = answer
            .output
            .encryption_algorithms()
            .contains(&self.algorithm.spec());
        if !supported {
            return Err(Error::InvalidPublicKey {
                key_id: self.key_id.clone(),
                reason: "the key does not support the configured encryption algorithm",
            });
        }
        self.public_key = Some(answer.der);
        self.build()
    }

    /// Builds the keyring.
    ///
    /// # Errors
    /// [`Error::InvalidKeyIdentifier`] for anything but a key ARN;
    /// [`Error::InvalidPublicKey`] for a public key that is not RSA or has fewer than 2048
    /// bits; [`Error::InvalidConfiguration`] with neither a public key nor a client.
    pub fn build(self) -> Result<KmsRsaKeyring, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        validate_rsa_identifier(&self.key_id)?;
        let public_key = match &self.public_key {
            Some(der) => {
                let key =
                    RsaPublicKey::from_spki_der(der).map_err(|_| Error::InvalidPublicKey {
                        key_id: self.key_id.clone(),
                        reason: "not an RSA SubjectPublicKeyInfo",
                    })?;
                if key.bits() < 2048 {
                    return Err(Error::InvalidPublicKey {
                        key_id: self.key_id.clone(),
                        reason: "an RSA modulus of fewer than 2048 bits",
                    });
                }
                Some(key)
            }
            None => None,
        };
        if public_key.is_none() && self.client.is_none() {
            return Err(Error::InvalidConfiguration(
                "an AWS KMS RSA keyring needs a public key (to encrypt) or a client (to decrypt)",
            ));
        }
        let kms = self.client.map(|client| {
            let mut kms = Kms::new(client);
            kms.grant_tokens = self.grant_tokens;
            kms
        });
        Ok(KmsRsaKeyring {
            inner: Arc::new(Inner {
                key_id: self.key_id,
                algorithm: self.algorithm,
                public_key,
                kms,
            }),
        })
    }
}

/// A key ARN: the keyring writes its identifier into every EDK it makes, and decrypting needs
/// that to be a key ARN (so a key id or an alias would write messages nobody can read).
fn validate_rsa_identifier(key_id: &str) -> Result<(), Error> {
    validate_identifier(key_id)?;
    let key_arn = KmsArn::parse(key_id).is_ok_and(|arn| arn.resource_type() == ResourceType::Key);
    if !key_arn {
        return Err(Error::InvalidKeyIdentifier {
            identifier: key_id.to_owned(),
            reason: "an AWS KMS RSA keyring names its key by key ARN (not a key id or alias)",
        });
    }
    Ok(())
}

/// The signing suites are refused: the public key can write messages, so a signature would
/// prove nothing about who wrote one.
fn check_suite(suite: AlgorithmSuite) -> Result<(), Error> {
    if suite.is_signing() {
        return Err(Error::UnsupportedSuite {
            suite: suite.id(),
            reason: "the AWS KMS RSA keyring does not support signing suites",
        });
    }
    Ok(())
}

#[async_trait]
impl Keyring for KmsRsaKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        let inner = &*self.inner;
        let public_key =
            inner
                .public_key
                .as_ref()
                .ok_or(keyward_materials::Error::OperationNotSupported(
                    "encrypt: an AWS KMS RSA keyring without the public key only decrypts",
                ))?;
        check_suite(materials.suite())?;
        let materials = materials.with_generated_data_key()?;
        let data_key = materials
            .data_key()
            .ok_or(keyward_materials::Error::MissingDataKey)?;
        let digest = sha384(&materials.encryption_context().to_canonical_bytes()?);
        let mut plaintext = Zeroizing::new(Vec::with_capacity(DIGEST_LEN + data_key.len()));
        plaintext.extend_from_slice(&digest);
        plaintext.extend_from_slice(data_key.expose_secret());
        let ciphertext = public_key.encrypt(inner.algorithm.padding(), &plaintext)?;
        let edk = EncryptedDataKey::new(
            RSA_PROVIDER_ID,
            inner.key_id.as_bytes().to_vec(),
            ciphertext,
        )?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        let inner = &*self.inner;
        let kms = inner
            .kms
            .as_ref()
            .ok_or(keyward_materials::Error::OperationNotSupported(
                "decrypt: an AWS KMS RSA keyring without a KMS client only encrypts",
            ))?;
        check_no_data_key(&materials)?;
        check_suite(materials.suite())?;
        // A malformed provider info fails the decryption, as the specification requires.
        for edk in encrypted_data_keys
            .iter()
            .filter(|edk| edk.provider_id() == RSA_PROVIDER_ID)
        {
            crate::arn::parse_provider_info(edk.provider_info())?;
        }
        let expected = sha384(&materials.encryption_context().to_canonical_bytes()?);
        let data_key_len = materials.suite().data_key_len();
        decrypt_first(materials, encrypted_data_keys, |edk| {
            if edk.provider_id() != RSA_PROVIDER_ID {
                return None;
            }
            let (_, info) = crate::arn::parse_provider_info(edk.provider_info()).ok()?;
            if !mrk_match_for_decrypt(&inner.key_id, info) {
                return None;
            }
            let expected = &expected;
            Some(async move {
                let plaintext = self.decrypt(kms, edk).await?;
                let (digest, key) = plaintext.split_at(DIGEST_LEN.min(plaintext.len()));
                if key.len() != data_key_len {
                    return Err(Error::PlaintextLength {
                        operation: KmsOperation::Decrypt,
                        expected: DIGEST_LEN + data_key_len,
                        actual: plaintext.len(),
                    }
                    .into());
                }
                if digest != expected {
                    return Err(Error::EncryptionContextDigest.into());
                }
                Ok(Arc::new(DataKey::from_slice(key)))
            })
        })
        .await
    }
}

impl KmsRsaKeyring {
    /// KMS `Decrypt` of one EDK with the configured key and algorithm (no encryption context:
    /// an RSA ciphertext has none); the answer must name the configured key.
    async fn decrypt(
        &self,
        kms: &Kms,
        edk: &EncryptedDataKey,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let inner = &*self.inner;
        let operation = KmsOperation::Decrypt;
        let mut output = traced!(
        kms
                    .client
                    .decrypt()
                    .key_id(&inner.key_id)
                    .ciphertext_blob(Blob::new(edk.ciphertext()))
                    .encryption_algorithm(inner.algorithm.spec())
                    .set_grant_tokens(kms.grant_tokens())
                    .send(),
        "kms",
        operation = %operation,
        key_id = %&inner.key_id
        )
        .await
        .map_err(|error| Error::from_sdk(operation, &inner.key_id, error))?;
        if output.key_id.as_deref() != Some(inner.key_id.as_str()) {
            return Err(Error::UnexpectedKeyId {
                operation,
                expected: inner.key_id.clone(),
                actual: output.key_id,
            });
        }
        secret_field(output.plaintext.take(), operation, "Plaintext")
    }
}

impl fmt::Debug for KmsRsaKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("KmsRsaKeyring")
            .field("key_id", &inner.key_id)
            .field("algorithm", &inner.algorithm)
            .field("public_key", &inner.public_key)
            .field(
                "client_region",
                &inner.kms.as_ref().and_then(|kms| kms.region()),
            )
            .field(
                "grant_tokens",
                &inner.kms.as_ref().map_or(0, |kms| kms.grant_tokens.len()),
            )
            .finish()
    }
}

impl fmt::Debug for KmsRsaKeyringBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsRsaKeyringBuilder")
            .field("key_id", &self.key_id)
            .field("algorithm", &self.algorithm)
            .field("public_key", &self.public_key.is_some())
            .field("client", &self.client.is_some())
            .field("grant_tokens", &self.grant_tokens.len())
            .finish_non_exhaustive()
    }
}
