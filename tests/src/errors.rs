//! Reaching the original error of a keyring through a client's error, for tests that check
//! the detail (an operation, an error code); [`keyward::Error::kind`] answers the rest.

use keyward::materials::Error as MaterialsError;

/// The keyring error of type `T` behind `error`: directly, or in the one attempt of an
/// unable-to-decrypt error.
pub fn keyring_error<T: std::error::Error + 'static>(error: &keyward::Error) -> Option<&T> {
    match error {
        keyward::Error::Materials(error) => materials_keyring_error(error),
        _ => None,
    }
}

/// As [`keyring_error`], from a materials error.
pub fn materials_keyring_error<T: std::error::Error + 'static>(
    error: &MaterialsError,
) -> Option<&T> {
    match error {
        MaterialsError::Keyring(inner) => inner.downcast_ref::<T>(),
        MaterialsError::UnableToDecrypt { attempts } => match attempts.as_slice() {
            [attempt] => materials_keyring_error(&attempt.error),
            _ => None,
        },
        _ => None,
    }
}
