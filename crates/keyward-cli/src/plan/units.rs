//! Byte sizes, and numbers as people read them.

use super::*;

/// A byte size that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ByteSizeError {
    /// Not a whole number with an optional unit.
    Invalid(String),
    /// A unit other than B, KB, MB, GB, TB, KiB, MiB, GiB, TiB.
    Unit(String),
    /// More than `u64::MAX` bytes.
    TooLarge(String),
}

impl fmt::Display for ByteSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(text) => write!(
                f,
                "invalid byte size {text:?}: expected a whole number with an optional unit \
                 (KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
            ),
            Self::Unit(text) => write!(
                f,
                "unknown unit in byte size {text:?}: use KB, MB, GB, TB (powers of 1000) or \
                 KiB, MiB, GiB, TiB (powers of 1024)"
            ),
            Self::TooLarge(text) => write!(f, "byte size {text:?} is too large"),
        }
    }
}

impl std::error::Error for ByteSizeError {}

/// The units of a byte size, case-insensitive.
pub(super) const UNITS: [(&str, u64); 10] = [
    ("", 1),
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

/// Parses `1234`, `10GB` (10^10 bytes), `10 GiB` (10 × 2^30 bytes).
pub(crate) fn parse_byte_size(text: &str) -> Result<u64, ByteSizeError> {
    let trimmed = text.trim();
    let end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(end);
    if digits.is_empty() {
        return Err(ByteSizeError::Invalid(text.to_owned()));
    }
    // Nothing but ASCII digits: parsing fails only past u64::MAX.
    let number: u64 = digits
        .parse()
        .map_err(|_| ByteSizeError::TooLarge(text.to_owned()))?;
    let unit = unit.trim();
    let multiplier = UNITS
        .iter()
        .find(|(name, _)| unit.eq_ignore_ascii_case(name))
        .map(|&(_, multiplier)| multiplier)
        .ok_or_else(|| {
            if unit.starts_with(|c: char| c.is_ascii_alphabetic()) {
                ByteSizeError::Unit(text.to_owned())
            } else {
                ByteSizeError::Invalid(text.to_owned())
            }
        })?;
    number
        .checked_mul(multiplier)
        .ok_or_else(|| ByteSizeError::TooLarge(text.to_owned()))
}

// ----------------------------------------------------------------------------------------------
// Numbers.

/// `n` as a float: exact below 2^53, the nearest float above.
#[expect(
    clippy::cast_precision_loss,
    reason = "counts and sizes are exact below 2^53; above, the nearest float is what the \
              arithmetic needs"
)]
pub(super) fn float(n: u64) -> f64 {
    n as f64
}

/// A whole, non-negative float as a count; saturating (past `u64::MAX`), NaN is 0.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a saturating conversion of a whole, non-negative float"
)]
pub(super) fn whole(x: f64) -> u64 {
    x as u64
}

/// The nearest whole number when `x` is within float error of it.
pub(super) fn nearly_whole(x: f64) -> Option<f64> {
    let nearest = x.round();
    ((x - nearest).abs() <= SLACK * nearest.abs().max(1.0)).then_some(nearest)
}

/// `x` rounded up, forgiving float error: `ceil(2 × 100.00000000000001)` is 200.
pub(super) fn ceil(x: f64) -> f64 {
    nearly_whole(x).unwrap_or_else(|| x.ceil())
}

/// `x` rounded down, forgiving float error: `floor(2.9999999999999996)` is 3.
pub(super) fn floor(x: f64) -> f64 {
    nearly_whole(x).unwrap_or_else(|| x.floor())
}

/// `ceil(numerator / denominator)`, at least 1.
pub(super) fn ceil_ratio(numerator: f64, denominator: f64) -> u64 {
    whole(ceil(numerator / denominator)).max(1)
}

/// `1234567` as `1,234,567`.
pub(super) fn count(n: u64) -> String {
    group(&n.to_string())
}

/// Thousands separators in the whole part of a formatted non-negative decimal.
pub(super) fn group(decimal: &str) -> String {
    let (whole_part, fraction) = decimal.split_at(decimal.find('.').unwrap_or(decimal.len()));
    let mut out = String::with_capacity(decimal.len() + whole_part.len() / 3);
    for (i, digit) in whole_part.chars().enumerate() {
        if i > 0 && (whole_part.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out.push_str(fraction);
    out
}

/// A figure, rounded sensibly: whole numbers as such, at least 1 to two decimals (whole from
/// 1,000), below 1 to three significant digits.
pub(super) fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.abs() >= 1e18 {
        return format!("{x:.3e}");
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let magnitude = x.abs();
    let text = if let Some(nearest) = nearly_whole(magnitude) {
        format!("{nearest:.0}")
    } else if magnitude >= 1000.0 {
        format!("{magnitude:.0}")
    } else if magnitude >= 1.0 {
        trim_zeros(format!("{magnitude:.2}"))
    } else {
        // Three significant digits: 0.0123, 0.26.
        let decimals = whole(2.0 - magnitude.log10().floor()).min(20);
        let decimals = usize::try_from(decimals).unwrap_or(20);
        trim_zeros(format!("{magnitude:.decimals$}"))
    };
    format!("{sign}{}", group(&text))
}

pub(super) fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Dollars: cents, or three significant digits below a cent.
pub(super) fn dollars(x: f64) -> String {
    if (0.01..1e18).contains(&x) {
        format!("${}", group(&format!("{x:.2}")))
    } else {
        format!("${}", num(x))
    }
}

/// Seconds: `20 s`, `2,592,000 s`.
pub(super) fn secs(x: f64) -> String {
    format!("{} s", num(x))
}

pub(super) fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
