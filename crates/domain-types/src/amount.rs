//! Decimal amounts as they cross the wire: plain strings such as "1500.50", parsed into
//! `rust_decimal::Decimal` with a bound on decimals, and the one rounding rule documents
//! use (half-up, i.e. away from zero on a tie). No sign, exponent or thousands separator
//! is accepted, so what is stored is exactly what was meant.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// Most digits accepted before the decimal point.
const MAX_WHOLE_DIGITS: usize = 12;

/// Why an amount is refused; the messages complete "`field` …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a plain non-negative decimal.
    #[error("must be a non-negative decimal such as 1500.50")]
    Format,
    /// More decimals than allowed.
    #[error("must have at most {0} decimals")]
    TooPrecise(u32),
    /// Too many digits before the point.
    #[error("is too large (at most {MAX_WHOLE_DIGITS} digits before the point)")]
    TooLarge,
}

/// Parses a non-negative decimal with at most `max_scale` decimals.
pub fn parse_decimal(input: &str, max_scale: u32) -> Result<Decimal, AmountError> {
    let input = input.trim();
    let (whole, fraction) = input.split_once('.').unwrap_or((input, ""));
    let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !plain(whole) || !plain(fraction) || input.ends_with('.') {
        return Err(AmountError::Format);
    }
    if fraction.len() > max_scale as usize {
        return Err(AmountError::TooPrecise(max_scale));
    }
    if whole.trim_start_matches('0').len() > MAX_WHOLE_DIGITS {
        return Err(AmountError::TooLarge);
    }
    Decimal::from_str(input).map_err(|_| AmountError::Format)
}

/// Rounds half-up (a tie goes away from zero) to `decimals`: the rule of invoices.
pub fn round_half_up(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount as it goes on the wire: exactly `decimals` decimals ("12.50", "0.00").
pub fn format(value: Decimal, decimals: u32) -> String {
    let mut value = round_half_up(value, decimals);
    value.rescale(decimals);
    value.to_string()
}

/// A rate or quantity as it goes on the wire: no trailing zeros ("5.5", "20", "1.25").
pub fn format_plain(value: Decimal) -> String {
    value.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn plain_decimals_parse_within_their_scale() {
        assert_eq!(parse_decimal("1500.50", 2), Ok(d("1500.50")));
        assert_eq!(parse_decimal(" 7 ", 0), Ok(d("7")));
        assert_eq!(parse_decimal("0.1234", 4), Ok(d("0.1234")));
        assert_eq!(parse_decimal("1.234", 2), Err(AmountError::TooPrecise(2)));
        for bad in ["", "-1", "+1", "1e3", "1,5", "1.", ".5", "1 000", "abc"] {
            assert_eq!(parse_decimal(bad, 2), Err(AmountError::Format), "{bad:?}");
        }
        assert_eq!(
            parse_decimal("1234567890123", 2),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn rounding_is_half_up_and_formatting_keeps_the_scale() {
        assert_eq!(round_half_up(d("0.125"), 2), d("0.13"));
        assert_eq!(round_half_up(d("0.124999"), 2), d("0.12"));
        assert_eq!(round_half_up(d("2.675"), 2), d("2.68"));
        assert_eq!(format(d("12.5"), 2), "12.50");
        assert_eq!(format(d("0"), 2), "0.00");
        assert_eq!(format_plain(d("5.50")), "5.5");
        assert_eq!(format_plain(d("20.00")), "20");
    }
}
