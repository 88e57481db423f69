//! Integration tests of the `Client`, as one test binary.

#![expect(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test fixtures: a failure should stop the test, and sizes are small"
)]

mod api {
    mod auto_traits;
    mod client;
    mod errors;
    mod hostile;
    mod streams;
    mod support;
}
