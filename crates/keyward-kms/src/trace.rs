//! `tracing` instrumentation: with the `tracing` feature these macros are `tracing`'s; without
//! it they compile to nothing (and their arguments are not evaluated). Fields never carry key
//! material, plaintext or encryption context values.

/// `$future` inside a debug-level span named `$name` with `$fields`.
macro_rules! traced {
    ($future:expr, $name:literal $(, $($fields:tt)*)?) => {{
        #[cfg(feature = "tracing")]
        {
            tracing::Instrument::instrument(
                $future,
                tracing::debug_span!($name $(, $($fields)*)?),
            )
        }
        #[cfg(not(feature = "tracing"))]
        {
            $future
        }
    }};
}

pub(crate) use traced;
