//! What a credit note may take back from the invoice it references: only VAT rates the
//! invoice charged, and at each rate no more base and no more VAT than the invoice
//! charged less what earlier credit notes already took back. A credit note beyond that
//! would return VAT the company never collected.

use rust_decimal::Decimal;

use super::document::{Line, Totals, VatAmount};

/// Why a credit note's lines are refused, each naming the line (`lines[i].vat_rate`) and
/// saying why, for a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditRefusals {
    /// Lines at a rate the invoice never charged (bad input whatever the books hold).
    pub rates_not_invoiced: Vec<(String, String)>,
    /// The first line of each rate at which the credit note takes back more than is left.
    pub exceeding: Vec<(String, String)>,
}

impl CreditRefusals {
    /// Whether nothing is refused.
    pub fn is_empty(&self) -> bool {
        self.rates_not_invoiced.is_empty() && self.exceeding.is_empty()
    }
}

/// The amounts at `rate` among `amounts`, if any.
fn at_rate(amounts: &[VatAmount], rate: Decimal) -> Option<&VatAmount> {
    amounts.iter().find(|amount| amount.rate == rate)
}

/// Checks a credit note's `lines` against what its invoice charged per rate (`invoiced`)
/// and what earlier credit notes took back per rate (`credited`).
pub fn check_credit(
    invoiced: &[VatAmount],
    credited: &[VatAmount],
    lines: &[Line],
) -> CreditRefusals {
    let mut refusals = CreditRefusals::default();
    for (index, line) in lines.iter().enumerate() {
        if at_rate(invoiced, line.vat_rate).is_none() {
            refusals.rates_not_invoiced.push((
                format!("lines[{index}].vat_rate"),
                format!(
                    "the invoice charged no VAT at {} %: a credit note takes back only rates it charged",
                    line.vat_rate.normalize()
                ),
            ));
        }
    }
    for asked in &Totals::of(lines).vat_amounts {
        let Some(charged) = at_rate(invoiced, asked.rate) else {
            continue;
        };
        let (taken_base, taken_vat) = at_rate(credited, asked.rate)
            .map(|c| (c.taxable_amount, c.vat_amount))
            .unwrap_or_default();
        let base_left = charged.taxable_amount - taken_base;
        let vat_left = charged.vat_amount - taken_vat;
        if asked.taxable_amount > base_left || asked.vat_amount > vat_left {
            let first = lines
                .iter()
                .position(|line| line.vat_rate == asked.rate)
                .unwrap_or_default();
            refusals.exceeding.push((
                format!("lines[{first}].vat_rate"),
                format!(
                    "at {} % the credit note takes back {} of base and {} of VAT, but only {} of base and {} of VAT invoiced at that rate remain to be credited",
                    asked.rate.normalize(),
                    asked.taxable_amount,
                    asked.vat_amount,
                    base_left.max(Decimal::ZERO),
                    vat_left.max(Decimal::ZERO)
                ),
            ));
        }
    }
    refusals
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(price: &str, rate: &str) -> Line {
        Line {
            item_id: None,
            description: "Prestation".to_owned(),
            quantity: Decimal::ONE,
            unit: String::new(),
            unit_price: d(price),
            discount: Decimal::ZERO,
            vat_rate: d(rate),
        }
    }

    fn charged(lines: &[Line]) -> Vec<VatAmount> {
        Totals::of(lines).vat_amounts
    }

    fn fields(found: &[(String, String)]) -> Vec<&str> {
        found.iter().map(|(field, _)| field.as_str()).collect()
    }

    #[test]
    fn a_rate_the_invoice_never_charged_is_refused_on_each_of_its_lines() {
        let invoiced = charged(&[line("100", "20")]);
        let refused = check_credit(
            &invoiced,
            &[],
            &[line("10", "10"), line("10", "20"), line("5", "10")],
        );
        assert_eq!(
            fields(&refused.rates_not_invoiced),
            ["lines[0].vat_rate", "lines[2].vat_rate"]
        );
        assert!(refused.exceeding.is_empty());
    }

    #[test]
    fn refused_lines_are_named_in_their_order_past_the_tenth() {
        let invoiced = charged(&[line("100", "20")]);
        let mut lines = vec![line("1", "20"); 10];
        lines[2] = line("1", "10");
        lines.push(line("1", "5.5"));
        let refused = check_credit(&invoiced, &[], &lines);
        assert_eq!(
            fields(&refused.rates_not_invoiced),
            ["lines[2].vat_rate", "lines[10].vat_rate"]
        );
    }

    #[test]
    fn more_base_at_a_rate_than_it_was_invoiced_is_refused_whatever_the_other_rates_leave() {
        let invoiced = charged(&[line("100", "20"), line("1000", "5.5")]);
        let refused = check_credit(&invoiced, &[], &[line("1", "5.5"), line("500", "20")]);
        assert!(refused.rates_not_invoiced.is_empty());
        assert_eq!(fields(&refused.exceeding), ["lines[1].vat_rate"]);
    }

    #[test]
    fn earlier_credit_notes_reduce_what_is_left_at_each_rate() {
        let invoiced = charged(&[line("100", "20"), line("1000", "5.5")]);
        let earlier = charged(&[line("50", "20"), line("400", "5.5")]);
        assert!(
            check_credit(&invoiced, &earlier, &[line("50", "20"), line("600", "5.5")]).is_empty()
        );
        let refused = check_credit(&invoiced, &earlier, &[line("50.01", "20")]);
        assert_eq!(fields(&refused.exceeding), ["lines[0].vat_rate"]);
        let refused = check_credit(&invoiced, &earlier, &[line("600.01", "5.5")]);
        assert_eq!(fields(&refused.exceeding), ["lines[0].vat_rate"]);
    }

    #[test]
    fn rates_compare_by_value_whatever_their_scale() {
        let invoiced = vec![VatAmount {
            rate: d("5.50"),
            taxable_amount: d("100.00"),
            vat_amount: d("5.50"),
        }];
        assert!(check_credit(&invoiced, &[], &[line("100", "5.5")]).is_empty());
    }

    #[test]
    fn vat_beyond_what_is_left_is_refused_even_when_the_base_fits() {
        // 0.30 at 5.5 % charged 0.02 of VAT; three credits of 0.10 would each round to
        // 0.01 and together take back 0.03.
        let invoiced = charged(&[line("0.30", "5.5")]);
        let earlier = vec![VatAmount {
            rate: d("5.5"),
            taxable_amount: d("0.20"),
            vat_amount: d("0.02"),
        }];
        let refused = check_credit(&invoiced, &earlier, &[line("0.10", "5.5")]);
        assert_eq!(fields(&refused.exceeding), ["lines[0].vat_rate"]);
    }
}
