//! Integration tests of the `Client`, as one test binary.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

mod api {
    mod auto_traits;
    mod client;
    mod streams;
    mod support;
}
