//! Cross-crate test support for keyward: the test-vector runner and message helpers.
//!
//! The vectors are data in `../shared/test-vectors` (or `$KEYWARD_TEST_VECTORS`), read in
//! place and never copied into the repository.

#![expect(clippy::missing_errors_doc, reason = "test support, not a public API")]

pub mod capture;
pub mod decrypt;
pub mod encrypt;
pub mod errors;
pub mod keys;
pub mod messages;
pub mod moto;
pub mod mpl;
pub mod skips;
pub mod vectors;

/// The README's library snippets, compiled (and the offline one run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct Readme;
