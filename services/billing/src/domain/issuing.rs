//! The date an invoice or credit note is issued with. In France an invoice's date is its
//! date of issue: issuing takes the date asked for (or the draft's), which may be at most
//! a few days ahead of today in the company's time zone, so one careless date far in the
//! future cannot block a company's chronological numbering for good. The other bound,
//! never before the last issued document of the series, is the numbering's own rule
//! (`store::books::take_number`). Drafts and quotes may carry any date.

use chrono::{NaiveDate, TimeDelta};

/// How many days ahead of today an issue date may be when the configuration says nothing.
pub const DEFAULT_MAX_DAYS_AHEAD: u16 = 3;

/// `requested` when it is at most `max_days_ahead` days after `today`; otherwise the
/// latest date allowed, as the refusal.
pub fn issue_date(
    requested: NaiveDate,
    today: NaiveDate,
    max_days_ahead: u16,
) -> Result<NaiveDate, NaiveDate> {
    let latest = today + TimeDelta::days(i64::from(max_days_ahead));
    if requested <= latest {
        Ok(requested)
    } else {
        Err(latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_issue_date_may_be_today_in_the_past_or_a_few_days_ahead_but_no_further() {
        let today = day("2026-12-02");
        for (requested, max, expected) in [
            ("2026-12-02", 3, Ok("2026-12-02")),
            ("2026-01-15", 3, Ok("2026-01-15")),
            ("2026-12-05", 3, Ok("2026-12-05")),
            ("2026-12-06", 3, Err("2026-12-05")),
            ("2099-12-31", 3, Err("2026-12-05")),
            ("2026-12-03", 0, Err("2026-12-02")),
            ("2026-12-31", 29, Ok("2026-12-31")),
        ] {
            assert_eq!(
                issue_date(day(requested), today, max),
                expected.map(day).map_err(day),
                "{requested} with {max} days ahead"
            );
        }
    }
}
