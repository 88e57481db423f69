//! The KMS core shared by every keyring: one wrap path and one unwrap loop, with the response
//! checks of the specification.
//!
//! spec: framework/aws-kms/aws-kms-keyring.md (OnEncrypt, OnDecrypt)

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_kms::primitives::Blob;
use keyward_format::{EncryptedDataKey, EncryptionContext};
use keyward_materials::{DataKey, DecryptionMaterials, EncryptionMaterials, decrypt_first};
use zeroize::Zeroizing;

use crate::arn::KmsArn;
use crate::error::{Error, KmsOperation};
use crate::trace::traced;

/// The provider id of every AWS KMS encrypted data key.
pub const PROVIDER_ID: &str = "aws-kms";

/// A KMS client with the grant tokens its keyring sends.
#[derive(Clone)]
pub(crate) struct Kms {
    pub(crate) client: aws_sdk_kms::Client,
    pub(crate) grant_tokens: Vec<String>,
}

impl Kms {
    pub(crate) fn new(client: aws_sdk_kms::Client) -> Self {
        Self {
            client,
            grant_tokens: Vec::new(),
        }
    }

    pub(crate) fn grant_tokens(&self) -> Option<Vec<String>> {
        (!self.grant_tokens.is_empty()).then(|| self.grant_tokens.clone())
    }

    /// The client's region, for `Debug` output and region checks.
    pub(crate) fn region(&self) -> Option<&str> {
        self.client.config().region().map(|region| region.as_ref())
    }

    /// Generates the data key with `GenerateDataKey` when the materials hold none, otherwise
    /// wraps it with `Encrypt`; adds the encrypted data key.
    pub(crate) async fn wrap(
        &self,
        key_id: &str,
        materials: EncryptionMaterials,
    ) -> Result<EncryptionMaterials, keyward_materials::Error> {
        let context = context_map(materials.encryption_context());
        let expected_len = materials.suite().data_key_len();
        let Some(data_key) = materials.data_key().cloned() else {
            let operation = KmsOperation::GenerateDataKey;
            let number_of_bytes = i32::try_from(expected_len)
                .map_err(|_| Error::InvalidConfiguration("data key length out of range"))?;
            let mut output = traced!(
            self
                            .client
                            .generate_data_key()
                            .key_id(key_id)
                            .number_of_bytes(number_of_bytes)
                            .set_encryption_context(context)
                            .set_grant_tokens(self.grant_tokens())
                            .send(),
            "kms",
            operation = %operation,
            key_id = %key_id
            )
            .await
            .map_err(|error| Error::from_sdk(operation, key_id, error))?;
            let plaintext = secret_field(output.plaintext.take(), operation, "Plaintext")?;
            if plaintext.len() != expected_len {
                return Err(Error::PlaintextLength {
                    operation,
                    expected: expected_len,
                    actual: plaintext.len(),
                }
                .into());
            }
            let edk = encrypted_data_key(operation, output.key_id, output.ciphertext_blob)?;
            return Ok(materials
                .with_data_key(Arc::new(DataKey::from_slice(&plaintext)))?
                .with_encrypted_data_key(edk));
        };
        let operation = KmsOperation::Encrypt;
        let output = traced!(
        self
                    .client
                    .encrypt()
                    .key_id(key_id)
                    .plaintext(Blob::new(data_key.expose_secret()))
                    .set_encryption_context(context)
                    .set_grant_tokens(self.grant_tokens())
                    .send(),
        "kms",
        operation = %operation,
        key_id = %key_id
        )
        .await
        .map_err(|error| Error::from_sdk(operation, key_id, error))?;
        let edk = encrypted_data_key(operation, output.key_id, output.ciphertext_blob)?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    /// Decrypts `edk` with `Decrypt(KeyId = key_id)`; the response must name `key_id` and carry
    /// a key of the suite's length.
    async fn unwrap(
        &self,
        key_id: &str,
        edk: &EncryptedDataKey,
        materials: &DecryptionMaterials,
    ) -> Result<Arc<DataKey>, Error> {
        let operation = KmsOperation::Decrypt;
        let mut output = traced!(
        self
                    .client
                    .decrypt()
                    .key_id(key_id)
                    .ciphertext_blob(Blob::new(edk.ciphertext()))
                    .set_encryption_context(context_map(materials.encryption_context()))
                    .set_grant_tokens(self.grant_tokens())
                    .send(),
        "kms",
        operation = %operation,
        key_id = %key_id
        )
        .await
        .map_err(|error| Error::from_sdk(operation, key_id, error))?;
        if output.key_id.as_deref() != Some(key_id) {
            return Err(Error::UnexpectedKeyId {
                operation,
                expected: key_id.to_owned(),
                actual: output.key_id,
            });
        }
        let plaintext = secret_field(output.plaintext.take(), operation, "Plaintext")?;
        let expected = materials.suite().data_key_len();
        if plaintext.len() != expected {
            return Err(Error::PlaintextLength {
                operation,
                expected,
                actual: plaintext.len(),
            });
        }
        Ok(Arc::new(DataKey::from_slice(&plaintext)))
    }

    /// The decrypt loop of every KMS keyring: a malformed `aws-kms` EDK fails the decryption
    /// (the specification's rule), then each `aws-kms` EDK for which `key_for` names the key
    /// to call (from its provider info, parsed) is tried in order with `Decrypt`, through the
    /// materials crate's [`decrypt_first`]: the first data key wins, every failure is kept with
    /// its provider.
    pub(crate) async fn unwrap_first(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
        key_for: impl Fn(&KmsArn, &str) -> Option<String>,
    ) -> Result<DecryptionMaterials, keyward_materials::Error> {
        check_no_data_key(&materials)?;
        for parsed in kms_edks(encrypted_data_keys) {
            parsed?;
        }
        let template = materials.clone();
        decrypt_first(materials, encrypted_data_keys, |edk| {
            if edk.provider_id() != PROVIDER_ID {
                return None;
            }
            let (arn, info) = crate::arn::parse_provider_info(edk.provider_info()).ok()?;
            let key_id = key_for(&arn, info)?;
            let template = &template;
            Some(async move {
                self.unwrap(&key_id, edk, template)
                    .await
                    .map_err(keyward_materials::Error::from)
            })
        })
        .await
    }
}

pub(crate) fn check_no_data_key(
    materials: &DecryptionMaterials,
) -> Result<(), keyward_materials::Error> {
    if materials.data_key().is_some() {
        return Err(keyward_materials::Error::DataKeyAlreadyPresent);
    }
    Ok(())
}

/// The `aws-kms` EDKs of a message, with their provider info parsed. A malformed provider
/// info fails the whole decrypt, as the specification requires.
pub(crate) fn kms_edks(
    encrypted_data_keys: &[EncryptedDataKey],
) -> impl Iterator<Item = Result<(KmsArn, &str, &EncryptedDataKey), Error>> {
    encrypted_data_keys
        .iter()
        .filter(|edk| edk.provider_id() == PROVIDER_ID)
        .map(|edk| {
            let (arn, text) = crate::arn::parse_provider_info(edk.provider_info())?;
            Ok((arn, text, edk))
        })
}

/// A secret field of a KMS response (a plaintext data key, a shared secret), in a zeroizing
/// buffer; its absence is [`Error::MissingResponseField`].
pub(crate) fn secret_field(
    blob: Option<Blob>,
    operation: KmsOperation,
    field: &'static str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    Ok(Zeroizing::new(
        blob.ok_or(Error::MissingResponseField { operation, field })?
            .into_inner(),
    ))
}

/// The EDK of a `GenerateDataKey` or `Encrypt` response, whose key id must be a key ARN.
fn encrypted_data_key(
    operation: KmsOperation,
    key_id: Option<String>,
    ciphertext: Option<Blob>,
) -> Result<EncryptedDataKey, keyward_materials::Error> {
    let key_arn = match key_id {
        Some(id) if crate::arn::parse_provider_info(id.as_bytes()).is_ok() => id,
        actual => {
            return Err(Error::UnexpectedKeyId {
                operation,
                expected: "a valid AWS KMS key ARN".to_owned(),
                actual,
            }
            .into());
        }
    };
    let ciphertext = ciphertext.ok_or(Error::MissingResponseField {
        operation,
        field: "CiphertextBlob",
    })?;
    Ok(EncryptedDataKey::new(
        PROVIDER_ID,
        key_arn.into_bytes(),
        ciphertext.into_inner(),
    )?)
}

/// The encryption context as KMS takes it (`None` when empty).
fn context_map(context: &EncryptionContext) -> Option<HashMap<String, String>> {
    (!context.is_empty()).then(|| {
        context
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    })
}
