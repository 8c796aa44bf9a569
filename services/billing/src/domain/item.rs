//! A company's articles base: the default label, unit, price and VAT rate a document
//! line starts from. What a caller sets on an item, the rules those fields follow (a
//! price of at most 4 decimals, a French VAT rate), how an update mask merges changes
//! onto the stored item, and how a unit price is written.

use chrono::{DateTime, Utc};
use comptoir_domain_types::amount;
use comptoir_domain_types::fields::{Violations, add, text};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::vat::Regime;
use super::{Authorship, ItemKind};

/// Longest label.
const LABEL_MAX: usize = 500;
/// Longest unit.
const UNIT_MAX: usize = 20;
/// Longest category.
const CATEGORY_MAX: usize = 100;
/// Decimals of a unit price.
const PRICE_SCALE: u32 = 4;
/// Decimals of a VAT rate.
const RATE_SCALE: u32 = 2;

/// An item as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub(crate) item_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) fields: ItemFields,
    pub(crate) archived_at: Option<DateTime<Utc>>,
    pub(crate) authorship: Authorship,
}

/// The fields of an item a caller sets, validated (empty strings for absent values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemFields {
    pub(crate) label: String,
    pub(crate) unit: String,
    pub(crate) unit_price: Decimal,
    pub(crate) vat_rate: Decimal,
    pub(crate) kind: ItemKind,
    pub(crate) category: String,
}

/// The fields of an item as a caller sends them, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ItemInput {
    pub(crate) label: String,
    pub(crate) unit: String,
    pub(crate) unit_price: String,
    pub(crate) vat_rate: String,
    /// None when unspecified or unknown.
    pub(crate) kind: Option<ItemKind>,
    pub(crate) category: String,
}

/// A unit price as written: at least 2 decimals, at most the 4 it may carry ("12.50",
/// "0.1234").
pub(crate) fn price_string(price: Decimal) -> String {
    let plain = price.normalize();
    if plain.scale() <= 2 {
        amount::format(price, 2)
    } else {
        plain.to_string()
    }
}

/// A required decimal of at most `scale` decimals.
fn decimal(violations: &mut Violations, field: &str, value: &str, scale: u32) -> Option<Decimal> {
    if value.trim().is_empty() {
        add(violations, field, "is required");
        return None;
    }
    amount::parse_decimal(value, scale)
        .map_err(|err| add(violations, field, err.to_string()))
        .ok()
}

impl ItemInput {
    /// The stored item as the input that would create it: what an update starts from.
    pub(crate) fn of(fields: &ItemFields) -> Self {
        ItemInput {
            label: fields.label.clone(),
            unit: fields.unit.clone(),
            unit_price: price_string(fields.unit_price),
            vat_rate: amount::format_plain(fields.vat_rate),
            kind: Some(fields.kind),
            category: fields.category.clone(),
        }
    }

    /// Parses the fields of an item, recording each bad one.
    pub(crate) fn parse(&self, violations: &mut Violations) -> Option<ItemFields> {
        let before = violations.len();
        let label = text(violations, "label", &self.label, LABEL_MAX, true);
        let unit = text(violations, "unit", &self.unit, UNIT_MAX, false);
        let unit_price = decimal(violations, "unit_price", &self.unit_price, PRICE_SCALE);
        let vat_rate =
            decimal(violations, "vat_rate", &self.vat_rate, RATE_SCALE).and_then(|rate| {
                Regime::Domestic
                    .check(rate)
                    .map(|()| rate)
                    .map_err(|reason| add(violations, "vat_rate", reason))
                    .ok()
            });
        if self.kind.is_none() {
            add(
                violations,
                "kind",
                "is required: ITEM_KIND_GOODS or ITEM_KIND_SERVICES",
            );
        }
        let category = text(violations, "category", &self.category, CATEGORY_MAX, false);
        if violations.len() != before {
            return None;
        }
        Some(ItemFields {
            label,
            unit,
            unit_price: unit_price?,
            vat_rate: vat_rate?,
            kind: self.kind?,
            category,
        })
    }

    /// Copies the fields `paths` name from `changes` onto `self`; returns why each path
    /// is refused.
    pub(crate) fn apply_mask(&mut self, changes: &ItemInput, paths: &[String]) -> Vec<String> {
        let mut refused = Vec::new();
        if paths.is_empty() {
            refused.push("must name at least one field".to_owned());
        }
        for path in paths {
            match path.as_str() {
                "label" => self.label = changes.label.clone(),
                "unit" => self.unit = changes.unit.clone(),
                "unit_price" => self.unit_price = changes.unit_price.clone(),
                "vat_rate" => self.vat_rate = changes.vat_rate.clone(),
                "kind" => self.kind = changes.kind,
                "category" => self.category = changes.category.clone(),
                other => refused.push(format!(
                    "names `{other}`, which is not one of: label, unit, unit_price, vat_rate, \
                     kind, category"
                )),
            }
        }
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ItemInput {
        ItemInput {
            label: "Pain de campagne".to_owned(),
            unit: "kg".to_owned(),
            unit_price: "4.2500".to_owned(),
            vat_rate: "5.5".to_owned(),
            kind: Some(ItemKind::Goods),
            category: "Boulangerie".to_owned(),
        }
    }

    #[test]
    fn prices_keep_up_to_4_decimals_and_rates_only_the_french_ones() {
        let mut violations = Violations::new();
        let fields = input().parse(&mut violations).unwrap();
        assert_eq!(price_string(fields.unit_price), "4.25");
        assert_eq!(price_string(Decimal::new(1234, 4)), "0.1234");
        assert_eq!(price_string(Decimal::new(12, 0)), "12.00");
        assert_eq!(ItemInput::of(&fields).parse(&mut violations), Some(fields));

        let bad = ItemInput {
            unit_price: "1.23456".to_owned(),
            vat_rate: "19".to_owned(),
            kind: None,
            label: String::new(),
            ..input()
        };
        let mut violations = Violations::new();
        assert!(bad.parse(&mut violations).is_none());
        let fields: Vec<_> = violations.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["label", "unit_price", "vat_rate", "kind"]);
    }

    #[test]
    fn an_update_mask_copies_only_the_named_fields() {
        let mut base = input();
        let changes = ItemInput {
            label: "Baguette".to_owned(),
            unit_price: "1.10".to_owned(),
            ..ItemInput::default()
        };
        let refused = base.apply_mask(&changes, &["label".to_owned()]);
        assert!(refused.is_empty());
        assert_eq!(base.label, "Baguette");
        assert_eq!(base.unit_price, "4.2500");
        assert_eq!(base.apply_mask(&changes, &["colour".to_owned()]).len(), 1);
        assert_eq!(base.apply_mask(&changes, &[]).len(), 1);
    }
}
