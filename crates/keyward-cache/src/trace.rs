//! `tracing` instrumentation: with the `tracing` feature these macros are `tracing`'s; without
//! it they compile to nothing (and their arguments are not evaluated). Fields never carry key
//! material, plaintext or encryption context values.

/// An event at `$level` (`debug`, `info`, `warn`, ...), as `tracing::$level!`.
macro_rules! event {
    ($level:ident, $($args:tt)*) => {{
        #[cfg(feature = "tracing")]
        {
            tracing::$level!($($args)*);
        }
    }};
}

pub(crate) use event;
