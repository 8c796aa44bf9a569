//! Lettering (`EcritureLet`): a customer's or supplier's document line and the payment
//! lines settling it share a code once they balance to zero, partial payments included;
//! `DateLet` is the date of the payment that completed it. Codes are given per company in
//! the order documents become settled: AA, AB, …, ZZ, then AAA, …

use rust_decimal::Decimal;

/// The `index`-th code of a company (from 0): two letters for the first 676, then three,
/// and so on.
pub(crate) fn code(index: u64) -> String {
    let (mut width, mut rest) = (2u32, index);
    while rest >= 26u64.pow(width) {
        rest -= 26u64.pow(width);
        width += 1;
    }
    (0..width)
        .rev()
        .map(|place| char::from(b'A' + ((rest / 26u64.pow(place)) % 26) as u8))
        .collect()
}

/// Whether a document is settled: its own line is in the ledger, at least one payment
/// line settles it, and together they balance.
pub(crate) fn is_settled(
    document_posted: bool,
    settling_lines: i64,
    debit: Decimal,
    credit: Decimal,
) -> bool {
    document_posted && settling_lines > 0 && debit == credit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_run_from_two_letters_to_three() {
        assert_eq!(code(0), "AA");
        assert_eq!(code(1), "AB");
        assert_eq!(code(25), "AZ");
        assert_eq!(code(26), "BA");
        assert_eq!(code(675), "ZZ");
        assert_eq!(code(676), "AAA");
        assert_eq!(code(677), "AAB");
    }

    #[test]
    fn a_document_is_settled_only_once_paid_in_full() {
        let d = |n: i64| Decimal::new(n, 2);
        assert!(is_settled(true, 2, d(12000), d(12000)));
        assert!(!is_settled(true, 1, d(12000), d(5000)));
        assert!(
            !is_settled(false, 1, d(5000), d(5000)),
            "a payment before its invoice"
        );
        assert!(!is_settled(true, 0, d(0), d(0)));
    }
}
