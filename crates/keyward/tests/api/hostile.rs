//! What attackers send, through the `Client`: no padding oracle in raw RSA PKCS #1 v1.5, the
//! stream limits, and nothing of a plaintext in `Debug`.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use base64::Engine as _;
use keyward::materials::{DefaultMaterialsManager, RawRsaKeyring, RsaPadding};
use keyward::{AlgorithmSuite, Client, CommitmentPolicy, EncryptionContext, StreamOptions};

use super::support::client;

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn pkcs1_client(
    suite: AlgorithmSuite,
    policy: CommitmentPolicy,
    pems: &(String, String),
) -> Client {
    let keyring = RawRsaKeyring::builder("legacy", "rsa", RsaPadding::Pkcs1)
        .private_key_pem(&pems.0)
        .public_key_pem(&pems.1)
        .legacy_pkcs1_decryption()
        .build()
        .unwrap();
    Client::builder(DefaultMaterialsManager::new(keyring))
        .commitment_policy(policy)
        .suite(suite)
        .build()
}

/// The message with its one RSA-wrapped data key replaced by `edk` (same length).
fn with_edk(message: &[u8], edk: &[u8]) -> Vec<u8> {
    let header = keyward::read_header(message).unwrap();
    let original = header.encrypted_data_keys()[0].ciphertext();
    assert_eq!(original.len(), edk.len());
    let at = message
        .windows(original.len())
        .position(|w| w == original)
        .unwrap();
    let mut out = message.to_vec();
    out[at..at + edk.len()].copy_from_slice(edk);
    out
}

fn wrapped(message: &[u8]) -> Vec<u8> {
    keyward::read_header(message).unwrap().encrypted_data_keys()[0]
        .ciphertext()
        .to_vec()
}

/// A PKCS #1 v1.5 data key that does not unwrap (bad padding), one that unwraps to the
/// wrong length, and a well-formed one of another message: the same error, at the same later
/// check, for committing and non-committing suites alike.
#[tokio::test]
async fn pkcs1_failures_are_indistinguishable() {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let pems = (
        pem("PRIVATE KEY", key.as_der().unwrap().as_ref()),
        pem("PUBLIC KEY", key.public_key().as_der().unwrap().as_ref()),
    );
    let context = EncryptionContext::from([("purpose", "oracle")]);
    for (suite, policy, short) in [
        (
            AlgorithmSuite::Aes256GcmHkdfSha512Commit,
            CommitmentPolicy::RequireEncryptAllowDecrypt,
            AlgorithmSuite::Aes128GcmHkdfSha256,
        ),
        (
            AlgorithmSuite::Aes256GcmHkdfSha256,
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
            AlgorithmSuite::Aes192GcmHkdfSha256,
        ),
    ] {
        let client = pkcs1_client(suite, policy, &pems);
        let message = client.encrypt(b"attack at dawn", &context).await.unwrap();
        assert_eq!(
            client.decrypt(&message).await.unwrap().plaintext(),
            b"attack at dawn"
        );
        let other = client.encrypt(b"other", &context).await.unwrap();
        let shorter = pkcs1_client(short, CommitmentPolicy::ForbidEncryptAllowDecrypt, &pems)
            .encrypt(b"short key", &context)
            .await
            .unwrap();
        let mut junk = vec![0x5a; 256];
        junk[0] = 0;
        let mut errors = Vec::new();
        for edk in [junk, wrapped(&shorter), wrapped(&other)] {
            let error = client.decrypt(&with_edk(&message, &edk)).await.unwrap_err();
            errors.push(format!("{error} / {error:?}"));
        }
        assert_eq!(errors[0], errors[1], "{suite:?}");
        assert_eq!(errors[1], errors[2], "{suite:?}");
        let expected = if suite.is_committing() {
            "key commitment"
        } else {
            "header"
        };
        assert!(errors[0].contains(expected), "{}", errors[0]);
    }
}

#[tokio::test]
async fn streams_refuse_headers_with_too_many_keys_by_default() {
    // A header that declares 300 keys: refused after the count, before any key is read.
    let mut hostile = vec![2];
    hostile.extend_from_slice(&0x0478u16.to_be_bytes());
    hostile.extend_from_slice(&[7; 32]);
    hostile.extend_from_slice(&0u16.to_be_bytes());
    hostile.extend_from_slice(&300u16.to_be_bytes());
    hostile.resize(hostile.len() + 300 * 16, 0);
    let client = client();
    let mut out = Vec::new();
    let error = client
        .decrypt_stream(&hostile[..], &mut out, StreamOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            keyward::Error::Format(keyward::format::Error::TooManyEncryptedDataKeys {
                count: 300,
                max: 256
            })
        ),
        "{error:?}"
    );
    // Whole-buffer decrypt accepts what the official SDKs accept, and fails later here.
    let error = client.decrypt(&hostile).await.unwrap_err();
    assert!(!matches!(
        error,
        keyward::Error::Format(keyward::format::Error::TooManyEncryptedDataKeys { .. })
    ));
}

#[tokio::test]
async fn the_client_body_limit_applies_to_buffers_and_streams() {
    let writer = Client::builder(DefaultMaterialsManager::new(super::support::keyring()))
        .frame_length(keyward::FrameLength::new(1 << 16).unwrap())
        .build();
    let message = writer
        .encrypt(&[1; 200_000], &EncryptionContext::new())
        .await
        .unwrap();
    let capped = Client::builder(DefaultMaterialsManager::new(super::support::keyring()))
        .max_body_length(4096)
        .build();
    for error in [
        capped.decrypt(&message).await.unwrap_err(),
        capped
            .decrypt_stream(&message[..], &mut Vec::new(), StreamOptions::default())
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                error,
                keyward::Error::Format(keyward::format::Error::BodyTooLong {
                    len: 65_536,
                    max: 4096
                })
            ),
            "{error:?}"
        );
    }
    // The stream's own limit, tighter than the client's, applies too.
    let error = writer
        .decrypt_stream(
            &message[..],
            &mut Vec::new(),
            StreamOptions::default().max_body_length(1024),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        keyward::Error::Format(keyward::format::Error::BodyTooLong { max: 1024, .. })
    ));
}

#[tokio::test]
async fn a_decrypted_message_prints_no_plaintext() {
    let client = client();
    let message = client
        .encrypt(b"the secret plan", &EncryptionContext::new())
        .await
        .unwrap();
    let decrypted = client.decrypt(&message).await.unwrap();
    let debug = format!("{decrypted:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(!debug.contains("116, 104, 101"), "{debug}");
    assert!(debug.contains("15 bytes"), "{debug}");
}
