//! Every keyring of this crate obeys the keyring contract.

use keyward_materials::testing::{Expectations, check_keyring};
use keyward_materials::{MultiKeyring, RsaPadding};

use super::support::{aes, rsa, rsa_pems, shared};

#[tokio::test]
async fn raw_aes_keyring_obeys_the_contract() {
    check_keyring(&aes("key"), Expectations::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn raw_rsa_keyring_obeys_the_contract_with_every_padding() {
    let pems = rsa_pems();
    for padding in [
        RsaPadding::Pkcs1,
        RsaPadding::OaepSha1,
        RsaPadding::OaepSha256,
        RsaPadding::OaepSha384,
        RsaPadding::OaepSha512,
    ] {
        check_keyring(
            &rsa(padding, &pems),
            Expectations::new().binds_context(false),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn multi_keyring_obeys_the_contract() {
    let pems = rsa_pems();
    let multi = MultiKeyring::new(
        Some(shared(aes("a"))),
        vec![shared(rsa(RsaPadding::OaepSha256, &pems))],
    )
    .unwrap();
    let expectations = Expectations::new()
        .binds_context(false)
        .wraps_given_data_key(false);
    check_keyring(&multi, expectations).await.unwrap();
    let children_only = MultiKeyring::new(
        None,
        vec![shared(aes("a")), shared(rsa(RsaPadding::Pkcs1, &pems))],
    )
    .unwrap();
    // Without a generator there is nothing to generate the key: the first rule cannot hold.
    assert!(
        check_keyring(&children_only, Expectations::new())
            .await
            .is_err()
    );
}
