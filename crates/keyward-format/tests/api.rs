//! Integration tests of the message engine, as one test binary.

#![expect(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test fixtures: a failure should stop the test, and sizes are small"
)]

mod api {
    mod errors;
    mod fips;
    mod hand_built;
    mod hostile;
    mod parallel;
    mod properties;
    mod round_trip;
    mod support;
    mod tamper;
}
