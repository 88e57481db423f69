//! The `tracing` instrumentation macros of keyward-cache, keyward-kms and keyward-hierarchy,
//! written once. Each expands in the crate that calls it, so its `tracing` feature decides:
//! with the feature they are `tracing`'s macros; without it they compile to nothing and their
//! arguments are not evaluated. Not part of the public API: no semver promise.

/// An event at `$level` (`debug`, `info`, `warn`, ...), as `tracing::$level!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __trace_event {
    ($level:ident, $($args:tt)*) => {{
        #[cfg(feature = "tracing")]
        {
            tracing::$level!($($args)*);
        }
    }};
}

/// `$future` inside a debug-level span named `$name` with `$fields`.
#[doc(hidden)]
#[macro_export]
macro_rules! __trace_traced {
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
