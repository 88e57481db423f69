//! The published vectors from other implementations, run offline, and the sets keyward writes
//! from the published encrypt manifests.

use keyward_tests::vectors::{SetReport, default_root, run_set};

fn run(set: &str) -> Vec<SetReport> {
    let reports = run_set(&default_root(), set).unwrap_or_else(|error| panic!("{set}: {error:#}"));
    for report in &reports {
        assert!(
            report.failures.is_empty(),
            "{report}: {:#?}",
            report.failures
        );
    }
    reports
}

fn find<'a>(reports: &'a [SetReport], name: &str) -> &'a SetReport {
    reports
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no report {name}"))
}

#[test]
fn commitment_known_answers_behave_as_labelled() {
    let reports = run("commitment-kats");
    assert_eq!(reports[0].passed, 46);
}

#[test]
fn decrypt_oracle_messages_with_known_keys_decrypt() {
    let reports = run("decrypt-oracle");
    assert_eq!(reports[0].passed, 18);
    assert_eq!(reports[0].skipped.len(), 9);
    assert!(
        reports[0]
            .skipped
            .iter()
            .all(|(id, _)| id.contains("aws-kms"))
    );
}

#[test]
fn every_published_header_parses() {
    let reports = run("headers");
    let parsed: usize = reports.iter().map(|r| r.passed).sum();
    assert_eq!(parsed, 1012);
    assert_eq!(reports.len(), 5);
}

#[test]
fn every_offline_decrypt_vector_passes() {
    let reports = run("awses-decrypt");
    assert_eq!(find(&reports, "decrypt/valid-Net-4.0.0").passed, 5);
    assert_eq!(find(&reports, "decrypt/invalid-Net-4.0.0").passed, 28);
    assert_eq!(
        find(&reports, "decrypt/invalid-Net-4.0.0 (retry off, must fail)").passed,
        28
    );
    assert_eq!(find(&reports, "decrypt/v4-Net-4.0.1").passed, 99);
    // Every offline vector of the set, the 11 hierarchical ones (static branch key) and the 99
    // raw ECDH ones included: 429 offline vectors in all four sets.
    assert_eq!(find(&reports, "decrypt/dafny-4.1.0").passed, 297);
    assert_eq!(find(&reports, "decrypt/python-1.3.5").passed, 0);
    let skipped: usize = reports.iter().map(|r| r.skipped.len()).sum();
    assert_eq!(skipped, 33 + 190 + 360);
    // Messages made with the real AWS KMS keys still parse, and their AWS KMS EDKs have their
    // keyring's layout: every positive KMS vector of the three sets (in dafny-4.1.0, 110 with
    // `aws-kms` EDKs and 80 written by the official AWS KMS RSA (14) and ECDH (66) keyrings).
    assert_eq!(
        find(&reports, "decrypt/dafny-4.1.0").kms_headers_checked,
        190
    );
    assert_eq!(
        find(&reports, "decrypt/python-1.3.5").kms_headers_checked,
        360
    );
    assert_eq!(
        find(&reports, "decrypt/v4-Net-4.0.1").kms_headers_checked,
        33
    );
}

#[test]
fn encrypt_manifests_produce_sets_that_decrypt_in_full() {
    let reports = run("awses-encrypt");
    for name in ["dafny-esdk-4.x", "framework-canonical"] {
        let written = find(&reports, &format!("encrypt/{name}"));
        let read = find(&reports, &format!("encrypt/{name} -> decrypt"));
        assert!(written.passed > 200, "{written}");
        assert_eq!(read.passed, written.passed, "{read}");
        assert!(read.skipped.is_empty());
    }
}

#[test]
fn the_mpl_keyring_vectors_pass_offline() {
    let reports = run("mpl");
    // Every caching test over static materials, with the MPL's own cache identifiers checked
    // byte for byte at the cache, and hits exactly where the limits admit the cached entry.
    assert_eq!(find(&reports, "mpl/caching-cmm").passed, 733);
    let raw = find(&reports, "mpl/raw");
    assert_eq!((raw.passed, raw.skipped.len()), (153, 16));
    let hierarchy = find(&reports, "mpl/aws-kms-hierarchy");
    assert_eq!((hierarchy.passed, hierarchy.skipped.len()), (11, 2));
    assert_eq!(find(&reports, "mpl/static-material-keyring").passed, 4);
    // Only the Database Encryption SDK suites and the real AWS KMS keys are skipped.
    let kms = find(&reports, "mpl/aws-kms");
    assert_eq!((kms.passed, kms.skipped.len()), (0, 156));
    for report in &reports {
        for (id, reason) in &report.skipped {
            assert!(
                reason.contains("AWS KMS") || reason.contains("Database Encryption SDK"),
                "{id}: {reason}"
            );
        }
    }
}
