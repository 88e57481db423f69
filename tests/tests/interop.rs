//! The published vectors from other implementations, run offline.

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
