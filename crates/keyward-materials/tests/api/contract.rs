//! Every keyring of this crate obeys the keyring contract.

use keyward_materials::testing::{Expectations, check_keyring};
use keyward_materials::{MultiKeyring, RsaPadding};

use super::support::{aes, rsa, rsa_pems};

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
    let multi = MultiKeyring::builder()
        .generator(aes("a"))
        .child(rsa(RsaPadding::OaepSha256, &pems))
        .build()
        .unwrap();
    let expectations = Expectations::new()
        .binds_context(false)
        .wraps_given_data_key(false);
    check_keyring(&multi, expectations).await.unwrap();
    let children_only = MultiKeyring::builder()
        .child(aes("a"))
        .child(rsa(RsaPadding::Pkcs1, &pems))
        .build()
        .unwrap();
    // Without a generator there is nothing to generate the key: the first rule cannot hold.
    assert!(
        check_keyring(&children_only, Expectations::new())
            .await
            .is_err()
    );
}
