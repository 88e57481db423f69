//! The identifiers: the specification's bytes where it defines them, and every input that
//! changes the materials changes the identifier.

use std::collections::BTreeSet;

use keyward_format::{AlgorithmSuite, CommitmentPolicy, EncryptedDataKey, EncryptionContext};

use super::{DecryptKey, EncryptKey, decrypt_id, encrypt_id};
use crate::cache::CacheIdFormula;

const COMMIT: AlgorithmSuite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
const REQUIRE: CommitmentPolicy = CommitmentPolicy::RequireEncryptRequireDecrypt;

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn encrypt(
    formula: CacheIdFormula,
    suite: Option<AlgorithmSuite>,
    policy: CommitmentPolicy,
    context: &EncryptionContext,
    required: &BTreeSet<String>,
) -> Vec<u8> {
    let key = EncryptKey {
        suite,
        policy,
        context,
        required_keys: required,
    };
    encrypt_id(formula, b"asdf", key)
        .map(|id| id.as_bytes().to_vec())
        .unwrap()
}

#[test]
fn requests_without_extension_fields_keep_the_specification_bytes() {
    let empty = EncryptionContext::new();
    let none = BTreeSet::new();
    // The MPL keyring vectors' encrypt identifier (partition "asdf", suite 0478, empty
    // context), computed by the MPL's caching manager.
    assert_eq!(
        base64(&encrypt(
            CacheIdFormula::Legacy,
            Some(COMMIT),
            REQUIRE,
            &empty,
            &none
        )),
        "+m9XmK8rzu0FLMlFmaElNNLcW7Cpp452Tcb/HepBGBbMR2DEfQBRroQbS6jq1acjpjx5hQ9GRKphCCy/ltmHFw=="
    );
    // The current formula over the same inputs, computed independently from the
    // specification's layout (01 00 01 00 "asdf" 00 01 00 04 78 00).
    assert_eq!(
        base64(&encrypt(
            CacheIdFormula::Current,
            Some(COMMIT),
            REQUIRE,
            &empty,
            &none
        )),
        "GucKBDoYc/bWWMF9IU6nC/3tJpAdRq6IKtpLGeqMayNxPXoduxIPryiiEPqIL0e8"
    );
    assert_eq!(
        base64(&encrypt(
            CacheIdFormula::Current,
            None,
            REQUIRE,
            &empty,
            &none
        )),
        "VnS/EL8ixB/lNX9AGe15o2ALJdIhHX6hvCBtCgxYNIjiL8OZi8nTr8REPYA2rHWn"
    );
    // The policy's refusals are checked before the lookup; a suite given, the policy does not
    // change the materials, and neither policy that picks 0x0578 changes a suite-less id.
    for policy in [
        CommitmentPolicy::ForbidEncryptAllowDecrypt,
        CommitmentPolicy::RequireEncryptAllowDecrypt,
    ] {
        for formula in [CacheIdFormula::Current, CacheIdFormula::Legacy] {
            assert_eq!(
                encrypt(formula, Some(COMMIT), policy, &empty, &none),
                encrypt(formula, Some(COMMIT), REQUIRE, &empty, &none)
            );
        }
    }
    assert_eq!(
        encrypt(
            CacheIdFormula::Current,
            None,
            CommitmentPolicy::RequireEncryptAllowDecrypt,
            &empty,
            &none
        ),
        encrypt(CacheIdFormula::Current, None, REQUIRE, &empty, &none)
    );
}

#[test]
fn every_input_that_shapes_the_materials_changes_the_identifier() {
    let context = EncryptionContext::from([("tenant", "a"), ("purpose", "b")]);
    let none = BTreeSet::new();
    let tenant: BTreeSet<String> = ["tenant".to_owned()].into();
    let both: BTreeSet<String> = ["tenant".to_owned(), "purpose".to_owned()].into();
    for formula in [CacheIdFormula::Current, CacheIdFormula::Legacy] {
        let ids = [
            encrypt(formula, None, REQUIRE, &context, &none),
            encrypt(formula, None, REQUIRE, &context, &tenant),
            encrypt(formula, None, REQUIRE, &context, &both),
            encrypt(
                formula,
                None,
                CommitmentPolicy::ForbidEncryptAllowDecrypt,
                &context,
                &none,
            ),
            encrypt(
                formula,
                None,
                CommitmentPolicy::ForbidEncryptAllowDecrypt,
                &context,
                &tenant,
            ),
            encrypt(formula, Some(COMMIT), REQUIRE, &context, &none),
            encrypt(formula, Some(COMMIT), REQUIRE, &context, &tenant),
        ];
        let distinct: BTreeSet<&Vec<u8>> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{formula:?}");
    }
}

#[test]
fn the_reproduced_context_extends_the_decrypt_identifier() {
    let edk = EncryptedDataKey::new("p", b"info".to_vec(), vec![1; 32]).unwrap();
    let context = EncryptionContext::from([("a", "1")]);
    let reproduced = EncryptionContext::from([("b", "2")]);
    for formula in [CacheIdFormula::Current, CacheIdFormula::Legacy] {
        let id = |reproduced: Option<&EncryptionContext>| {
            let key = DecryptKey {
                suite: COMMIT,
                encrypted_data_keys: std::slice::from_ref(&edk),
                context: &context,
                reproduced,
            };
            decrypt_id(formula, b"asdf", key).map(|id| id.as_bytes().to_vec())
        };
        assert_eq!(id(None), id(Some(&EncryptionContext::new())));
        assert_ne!(id(None), id(Some(&reproduced)));
        assert_ne!(id(Some(&context)), id(Some(&reproduced)));
    }
}

#[test]
fn a_context_too_large_to_serialize_has_no_identifier() {
    let huge = EncryptionContext::from([("k", "v".repeat(70_000))]);
    let key = EncryptKey {
        suite: None,
        policy: REQUIRE,
        context: &huge,
        required_keys: &BTreeSet::new(),
    };
    assert!(encrypt_id(CacheIdFormula::Current, b"p", key).is_none());
}
