//! Integration tests of keyrings and managers, as one test binary.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

mod api {
    mod contract;
    mod ecdh;
    mod managers;
    mod secrets;
    mod support;
}
