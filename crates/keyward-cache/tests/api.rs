//! Integration tests of the caches and the caching manager, as one test binary.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

mod api {
    mod backends;
    mod concurrency;
    mod manager;
    mod storm;
    mod support;
}
