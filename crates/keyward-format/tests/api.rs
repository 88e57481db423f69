//! Integration tests of the message engine, as one test binary.

mod api {
    mod errors;
    mod properties;
    mod round_trip;
    mod support;
    mod tamper;
}
