//! The reports read from the ledger, so that they agree with the FEC to the cent: the
//! sales journal (one row per document and VAT rate, totals per rate) and the VAT
//! register (collected VAT by rate from sales less credit notes, deductible VAT by rate
//! from purchases, and the lines of the CA3 return).

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A period of dates, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) start: NaiveDate,
    pub(crate) end: NaiveDate,
}

/// Why a period is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PeriodError {
    #[error("must not be before the start date")]
    EndBeforeStart,
}

impl Period {
    /// The period from `start` to `end`; the end is what is refused.
    pub(crate) fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, PeriodError> {
        if end < start {
            return Err(PeriodError::EndBeforeStart);
        }
        Ok(Self { start, end })
    }
}

/// Net, VAT and gross of one VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateTotals {
    pub(crate) rate: Decimal,
    pub(crate) net: Decimal,
    pub(crate) vat: Decimal,
}

impl RateTotals {
    pub(crate) fn gross(&self) -> Decimal {
        self.net + self.vat
    }
}

/// One row of the sales journal: a document's amounts at one rate, negative for a
/// credit note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SalesRow {
    pub(crate) date: NaiveDate,
    pub(crate) number: String,
    pub(crate) credit_note: bool,
    pub(crate) customer: String,
    pub(crate) amounts: RateTotals,
}

/// Sums per VAT rate, highest rate first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Totals(BTreeMap<Reverse<Decimal>, (Decimal, Decimal)>);

impl Totals {
    /// Adds one rate's amounts.
    pub(crate) fn add(&mut self, amounts: &RateTotals) {
        let (net, vat) = self
            .0
            .entry(Reverse(amounts.rate))
            .or_insert((Decimal::ZERO, Decimal::ZERO));
        *net += amounts.net;
        *vat += amounts.vat;
    }

    /// The totals of each rate.
    pub(crate) fn by_rate(&self) -> Vec<RateTotals> {
        self.0
            .iter()
            .map(|(Reverse(rate), (net, vat))| RateTotals {
                rate: *rate,
                net: *net,
                vat: *vat,
            })
            .collect()
    }

    /// The totals of every rate together (rate 0).
    pub(crate) fn all(&self) -> RateTotals {
        self.0.values().fold(
            RateTotals {
                rate: Decimal::ZERO,
                net: Decimal::ZERO,
                vat: Decimal::ZERO,
            },
            |sum, (net, vat)| RateTotals {
                rate: sum.rate,
                net: sum.net + net,
                vat: sum.vat + vat,
            },
        )
    }
}

/// One line of the CA3 return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ca3Line {
    pub(crate) box_code: &'static str,
    pub(crate) label: &'static str,
    /// None for a line that is not one rate.
    pub(crate) rate: Option<Decimal>,
    pub(crate) base: Decimal,
    pub(crate) vat: Decimal,
}

/// The VAT of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VatRegister {
    pub(crate) collected: Vec<RateTotals>,
    pub(crate) deductible: Vec<RateTotals>,
    pub(crate) ca3: Vec<Ca3Line>,
    pub(crate) collected_total: Decimal,
    pub(crate) deductible_total: Decimal,
    /// Collected less deductible; negative for a credit.
    pub(crate) due: Decimal,
}

/// The CA3 box and label of the sales of a French rate; None for a rate the return has
/// no line for.
fn ca3_box(rate: Decimal) -> Option<(&'static str, &'static str)> {
    let tenths = (rate * Decimal::TEN).normalize();
    Some(match tenths.to_string().as_str() {
        "200" => ("08", "Taux normal 20 %"),
        "100" => ("9B", "Taux réduit 10 %"),
        "55" => ("09", "Taux réduit 5,5 %"),
        "21" => ("10", "Taux particulier 2,1 %"),
        "0" => ("E2", "Autres opérations non imposables"),
        _ => return None,
    })
}

/// The register of the sales (`collected`, credit notes already deducted) and purchases
/// (`deductible`) of a period, by rate.
pub(crate) fn vat_register(collected: &Totals, deductible: &Totals) -> VatRegister {
    let collected_total = collected.all().vat;
    let deductible_total = deductible.all().vat;
    let mut ca3: Vec<Ca3Line> = collected
        .by_rate()
        .into_iter()
        .map(|sales| {
            let (box_code, label) = ca3_box(sales.rate).unwrap_or(("", "Autre taux"));
            Ca3Line {
                box_code,
                label,
                rate: Some(sales.rate),
                base: sales.net,
                vat: sales.vat,
            }
        })
        .collect();
    let total = |box_code, label, base, vat| Ca3Line {
        box_code,
        label,
        rate: None,
        base,
        vat,
    };
    let due = collected_total - deductible_total;
    ca3.extend([
        total(
            "16",
            "Total de la TVA brute due",
            Decimal::ZERO,
            collected_total,
        ),
        total(
            "20",
            "Autre TVA à déduire (biens et services)",
            deductible.all().net,
            deductible_total,
        ),
        total(
            "23",
            "Total TVA déductible",
            Decimal::ZERO,
            deductible_total,
        ),
        if due.is_sign_negative() && !due.is_zero() {
            total("25", "Crédit de TVA", Decimal::ZERO, -due)
        } else {
            total("28", "TVA nette due", Decimal::ZERO, due)
        },
    ]);
    VatRegister {
        collected: collected.by_rate(),
        deductible: deductible.by_rate(),
        ca3,
        collected_total,
        deductible_total,
        due,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn at(rate: &str, net: &str, vat: &str) -> RateTotals {
        RateTotals {
            rate: d(rate),
            net: d(net),
            vat: d(vat),
        }
    }

    #[test]
    fn a_period_ends_on_or_after_its_start() {
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(Period::new(day("2026-01-01"), day("2026-01-01")).is_ok());
        assert_eq!(
            Period::new(day("2026-01-02"), day("2026-01-01")),
            Err(PeriodError::EndBeforeStart)
        );
    }

    #[test]
    fn totals_sum_per_rate_highest_first() {
        let mut totals = Totals::default();
        totals.add(&at("5.5", "10.00", "0.55"));
        totals.add(&at("20", "100.00", "20.00"));
        totals.add(&at("20", "-10.00", "-2.00"));
        assert_eq!(
            totals.by_rate(),
            [at("20", "90.00", "18.00"), at("5.5", "10.00", "0.55")]
        );
        assert_eq!(
            (totals.all().net, totals.all().vat),
            (d("100.00"), d("18.55"))
        );
    }

    #[test]
    fn the_register_puts_each_rate_on_its_ca3_line_and_nets_the_vat_due() {
        let mut sales = Totals::default();
        for amounts in [
            at("20", "1000.00", "200.00"),
            at("10", "100.00", "10.00"),
            at("5.5", "100.00", "5.50"),
            at("2.1", "100.00", "2.10"),
            at("0", "800.00", "0.00"),
        ] {
            sales.add(&amounts);
        }
        let mut purchases = Totals::default();
        purchases.add(&at("20", "500.00", "100.00"));
        let register = vat_register(&sales, &purchases);
        let boxes: Vec<(&str, String, String)> = register
            .ca3
            .iter()
            .map(|l| (l.box_code, l.base.to_string(), l.vat.to_string()))
            .collect();
        let line = |b, base: &str, vat: &str| (b, base.to_owned(), vat.to_owned());
        assert_eq!(
            boxes,
            [
                line("08", "1000.00", "200.00"),
                line("9B", "100.00", "10.00"),
                line("09", "100.00", "5.50"),
                line("10", "100.00", "2.10"),
                line("E2", "800.00", "0.00"),
                line("16", "0", "217.60"),
                line("20", "500.00", "100.00"),
                line("23", "0", "100.00"),
                line("28", "0", "117.60"),
            ]
        );
        assert_eq!(register.due, d("117.60"));

        let mut refund = Totals::default();
        refund.add(&at("20", "2000.00", "400.00"));
        let credit = vat_register(&sales, &refund);
        assert_eq!(
            credit.ca3.last().map(|l| (l.box_code, l.vat)),
            Some(("25", d("182.40")))
        );
        assert_eq!(credit.due, d("-182.40"));
    }
}
