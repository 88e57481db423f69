//! The cache crate's error: settings that cannot work, and storm-tracking timeouts.

use keyward_materials::ErrorKind;

/// Everything a cache or the caching manager can fail with on its own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is outside its allowed range or contradicts another.
    #[error("invalid cache setting {setting}: {reason}")]
    InvalidSetting {
        /// The setting.
        setting: &'static str,
        /// Why.
        reason: &'static str,
    },

    /// A caching manager's maximum age is not longer than its cache's grace period: every
    /// entry would be in its grace period, and refreshed early, from its first use.
    #[error(
        "max age {max_age:?} is not longer than the cache's grace period {grace_period:?}: \
         every entry would be refreshed from its first use; choose a shorter grace period or a \
         longer max age"
    )]
    MaxAgeWithinGracePeriod {
        /// The manager's maximum age.
        max_age: core::time::Duration,
        /// The cache's grace period.
        grace_period: core::time::Duration,
    },

    /// A storm-tracking cache made this caller wait longer than its in-flight TTL for another
    /// caller's fetch.
    #[error("waited longer than the in-flight TTL for another caller to fill the cache entry")]
    InFlightTtlExceeded,
}

impl Error {
    /// What kind of failure this is: a setting is [`ErrorKind::Configuration`]; waiting too
    /// long for another caller's fetch is [`ErrorKind::Unavailable`] (retry).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidSetting { .. } | Self::MaxAgeWithinGracePeriod { .. } => {
                ErrorKind::Configuration
            }
            Self::InFlightTtlExceeded => ErrorKind::Unavailable,
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl From<Error> for keyward_materials::Error {
    fn from(error: Error) -> Self {
        Self::keyring(error.kind(), error)
    }
}
