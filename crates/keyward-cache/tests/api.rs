//! Integration tests of the caches and the caching manager, as one test binary.

#![expect(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test fixtures: a failure should stop the test, and counts are small"
)]

mod api {
    mod backends;
    mod concurrency;
    mod manager;
    mod storm;
    mod support;
}
