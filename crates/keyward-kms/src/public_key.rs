//! KMS `GetPublicKey`, as the asymmetric keyrings call it when they are built.

use aws_sdk_kms::operation::get_public_key::GetPublicKeyOutput;
use aws_sdk_kms::types::KeyUsageType;

use crate::arn::{KmsArn, ResourceType};
use crate::error::{Error, KmsOperation};
use crate::trace::traced;

/// A `GetPublicKey` answer that names the requested key, with the requested usage.
pub(crate) struct PublicKeyAnswer {
    pub(crate) output: GetPublicKeyOutput,
    /// The public key, `SubjectPublicKeyInfo` DER.
    pub(crate) der: Vec<u8>,
}

/// Calls `GetPublicKey`. The answer's key id must be a key ARN, equal to `key_id` when that
/// is a key ARN itself, and the key's usage must be `usage`.
pub(crate) async fn get_public_key(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    grant_tokens: &[String],
    usage: KeyUsageType,
) -> Result<PublicKeyAnswer, Error> {
    let operation = KmsOperation::GetPublicKey;
    let mut output = traced!(
    client
            .get_public_key()
            .key_id(key_id)
            .set_grant_tokens((!grant_tokens.is_empty()).then(|| grant_tokens.to_vec()))
            .send(),
    "kms",
    operation = %operation,
    key_id = %key_id
    )
    .await
    .map_err(|error| Error::from_sdk(operation, key_id, error))?;
    if !names_key(key_id, output.key_id.as_deref()) {
        let expected = if is_key_arn(key_id) {
            key_id.to_owned()
        } else {
            "a valid AWS KMS key ARN".to_owned()
        };
        return Err(Error::UnexpectedKeyId {
            operation,
            expected,
            actual: output.key_id.clone(),
        });
    }
    if output.key_usage.as_ref() != Some(&usage) {
        return Err(Error::InvalidPublicKey {
            key_id: key_id.to_owned(),
            reason: match usage {
                KeyUsageType::KeyAgreement => "the key's usage is not KEY_AGREEMENT",
                _ => "the key's usage is not ENCRYPT_DECRYPT",
            },
        });
    }
    let der = output
        .public_key
        .take()
        .ok_or(Error::MissingResponseField {
            operation,
            field: "PublicKey",
        })?
        .into_inner();
    Ok(PublicKeyAnswer { output, der })
}

fn is_key_arn(identifier: &str) -> bool {
    KmsArn::parse(identifier).is_ok_and(|arn| arn.resource_type() == ResourceType::Key)
}

/// Whether a KMS answer's key id is acceptable for a request naming `configured`: a key ARN,
/// and `configured` itself when that is a key ARN (a key id or alias resolves to some ARN).
pub(crate) fn names_key(configured: &str, answered: Option<&str>) -> bool {
    match answered {
        Some(answered) if is_key_arn(answered) => !is_key_arn(configured) || answered == configured,
        _ => false,
    }
}
