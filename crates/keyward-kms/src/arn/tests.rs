use crate::arn::{
    KmsArn, ResourceType, is_multi_region_key, mrk_match_for_decrypt, parse_provider_info,
    validate_identifier,
};

const KEY: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-80bd8ecdcd4342aebd84b7dc9da498a7";
const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-80bd8ecdcd4342aebd84b7dc9da498a7";

#[test]
fn parses_and_prints_key_and_alias_arns() {
    let arn = KmsArn::parse(KEY).unwrap();
    assert_eq!(arn.partition(), "aws");
    assert_eq!(arn.region(), "us-west-2");
    assert_eq!(arn.account(), "111122223333");
    assert_eq!(arn.resource_type(), ResourceType::Key);
    assert_eq!(arn.resource_id(), "1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_eq!(arn.to_string(), KEY);

    let alias = KmsArn::parse("arn:aws-cn:kms:cn-north-1:111122223333:alias/my/app").unwrap();
    assert_eq!(alias.resource_type(), ResourceType::Alias);
    assert_eq!(alias.resource_id(), "my/app");
    assert!(!alias.is_multi_region_key());
}

#[test]
fn rejects_each_broken_rule() {
    for bad in [
        "",
        "arn",
        "arx:aws:kms:us-west-2:111122223333:key/abc",
        "arn::kms:us-west-2:111122223333:key/abc",
        "arn:aws:sqs:us-west-2:111122223333:key/abc",
        "arn:aws:kms::111122223333:key/abc",
        "arn:aws:kms:us-west-2::key/abc",
        "arn:aws:kms:us-west-2:111122223333:",
        "arn:aws:kms:us-west-2:111122223333:key",
        "arn:aws:kms:us-west-2:111122223333:key/",
        "arn:aws:kms:us-west-2:111122223333:grant/abc",
        "arn:aws:kms:us-west-2:111122223333",
    ] {
        assert!(KmsArn::parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn identifiers() {
    for good in [
        KEY,
        "1234abcd",
        "mrk-1234",
        "alias/app",
        "arn:aws:kms:r:1:alias/a",
    ] {
        validate_identifier(good).unwrap();
    }
    for bad in ["", "alias/", "arn:aws:kms:r:1:key/"] {
        assert!(validate_identifier(bad).is_err(), "{bad:?} accepted");
    }
    assert!(is_multi_region_key(MRK_WEST));
    assert!(is_multi_region_key("mrk-1234"));
    assert!(!is_multi_region_key(KEY));
    assert!(!is_multi_region_key("alias/mrk-1234"));
    assert!(!is_multi_region_key(
        "arn:aws:kms:us-west-2:111122223333:alias/mrk-1234"
    ));
    assert!(!is_multi_region_key(
        "arn:aws:kms:us-west-2:111122223333:key/"
    ));
}

#[test]
fn mrk_match_ignores_only_the_region_of_multi_region_keys() {
    assert!(mrk_match_for_decrypt(MRK_WEST, MRK_EAST));
    assert!(mrk_match_for_decrypt(MRK_EAST, MRK_WEST));
    assert!(mrk_match_for_decrypt(KEY, KEY));
    assert!(mrk_match_for_decrypt("mrk-1234", "mrk-1234"));
    let single_east = KEY.replace("us-west-2", "us-east-1");
    assert!(!mrk_match_for_decrypt(KEY, &single_east));
    for other in [
        MRK_EAST.replace("111122223333", "444455556666"),
        MRK_EAST.replace("arn:aws:", "arn:aws-cn:"),
        MRK_EAST.replace("mrk-80bd", "mrk-90bd"),
        MRK_EAST.replace(":key/", ":alias/"),
        "mrk-80bd8ecdcd4342aebd84b7dc9da498a7".to_owned(),
    ] {
        assert!(!mrk_match_for_decrypt(MRK_WEST, &other), "{other}");
    }
    assert_eq!(
        KmsArn::parse(MRK_WEST)
            .unwrap()
            .with_region("us-east-1")
            .to_string(),
        MRK_EAST
    );
}

#[test]
fn provider_info_must_be_a_key_arn() {
    let (arn, text) = parse_provider_info(KEY.as_bytes()).unwrap();
    assert_eq!((arn.to_string().as_str(), text), (KEY, KEY));
    for bad in [
        &b"arn:aws:kms:us-west-2:111122223333:alias/app"[..],
        b"1234abcd-12ab-34cd-56ef-1234567890ab",
        b"\xff\xfe",
        b"",
    ] {
        assert!(parse_provider_info(bad).is_err(), "{bad:?}");
    }
}
