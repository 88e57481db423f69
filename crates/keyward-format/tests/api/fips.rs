//! The build reports its cryptographic module: FIPS mode exactly in the `fips` build, and the
//! message keys derived there (AWS-LC's HKDF) are the ones the default build (RustCrypto's
//! HKDF) derives, checked by the published commitment vectors under both builds.

#[test]
fn fips_mode_is_reported_by_the_build() {
    assert_eq!(keyward_format::fips_mode(), cfg!(feature = "fips"));
}
