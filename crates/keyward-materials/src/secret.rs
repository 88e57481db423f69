//! Secret byte strings: zeroized on drop, redacted in `Debug`, read only by `expose_secret`.

use core::fmt;

use secrecy::{ExposeSecret as _, SecretSlice};

use crate::error::Result;

macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// The bytes are zeroized on drop, never printed (`Debug` shows the length only) and
        /// read only through `expose_secret`. The type is not `Clone`: share it with an `Arc`.
        pub struct $name(SecretSlice<u8>);

        impl $name {
            /// Takes ownership of the bytes.
            pub fn new(bytes: Vec<u8>) -> Self {
                Self(SecretSlice::from(bytes))
            }

            /// Copies the bytes out of a borrowed slice.
            pub fn from_slice(bytes: &[u8]) -> Self {
                Self::new(bytes.to_vec())
            }

            /// The secret bytes.
            pub fn expose_secret(&self) -> &[u8] {
                self.0.expose_secret()
            }

            /// The length in bytes.
            pub fn len(&self) -> usize {
                self.expose_secret().len()
            }

            /// Whether the key is empty.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([REDACTED; {} bytes])"), self.len())
            }
        }
    };
}

secret_bytes!(
    /// A plaintext data key.
    ///
    /// ```compile_fail
    /// let key = keyward_materials::DataKey::new(vec![0; 32]);
    /// let copy = key.clone(); // Secrets are not `Clone`.
    /// ```
    ///
    /// ```compile_fail
    /// let key = keyward_materials::DataKey::new(vec![0; 32]);
    /// println!("{key}"); // Secrets have no `Display`.
    /// ```
    DataKey
);

secret_bytes!(
    /// A symmetric wrapping key (the key of a raw AES keyring).
    WrappingKey
);

secret_bytes!(
    /// A branch key of the hierarchical keyring (32 bytes).
    BranchKey
);

impl DataKey {
    /// A fresh random key of `len` bytes.
    ///
    /// # Errors
    /// [`crate::Error::Crypto`] when the random generator fails.
    pub fn generate(len: usize) -> Result<Self> {
        crate::crypto::random_vec(len).map(Self::new)
    }
}

impl WrappingKey {
    /// A fresh random wrapping key of `len` bytes (16, 24 or 32 for a raw AES keyring), from
    /// the system's cryptographic generator.
    ///
    /// ```
    /// use keyward_materials::{RawAesKeyring, WrappingKey};
    ///
    /// # fn run() -> Result<(), keyward_materials::Error> {
    /// let keyring = RawAesKeyring::new("my-namespace", "my-key", WrappingKey::generate(32)?)?;
    /// # drop(keyring);
    /// # Ok(())
    /// # }
    /// # run().unwrap();
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Crypto`] when the random generator fails.
    pub fn generate(len: usize) -> Result<Self> {
        crate::crypto::random_vec(len).map(Self::new)
    }
}
