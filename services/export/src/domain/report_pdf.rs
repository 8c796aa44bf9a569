//! A report as a PDF table: A4 landscape, the report's name, the company's name and the
//! period in the title, the column headers repeated at the top of every page, amounts
//! right-aligned as French documents print them ("1 234,50 €"), the total rows in bold
//! under a rule, and "Page n / N" at the foot of each page. The layout is computed first
//! ([`layout`], pages of positioned marks), then drawn by the invoice PDF's
//! [`pdf::draw_pages`] in the same embedded fonts, measured by the same metrics.

use chrono::NaiveDate;
use krilla::Document;
use krilla::metadata::Metadata;
use rust_decimal::Decimal;

use super::pdf::{self, Mark, RenderError, Weight};
use super::rate_comma;

/// A4 landscape, in points.
const PAGE_WIDTH: f32 = 842.0;
const PAGE_HEIGHT: f32 = 595.0;
const MARGIN: f32 = 36.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Lowest baseline of a table row before a new page (the foot holds the page number).
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 18.0;
/// Text size of the table and its line height.
const SIZE: f32 = 8.0;
const LINE: f32 = 11.0;
/// Space between two columns.
const GAP: f32 = 8.0;
/// The narrowest a text column is squeezed to when the columns do not fit.
const MIN_TEXT_WIDTH: f32 = 40.0;

/// How a cell's text sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text and dates, wrapped when the column is narrow.
    Left,
    /// Numbers and amounts, never wrapped.
    Right,
}

/// One cell of the table, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableCell {
    pub(crate) text: String,
    pub(crate) align: Align,
}

impl TableCell {
    pub(crate) fn empty() -> Self {
        Self::text(String::new())
    }

    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            align: Align::Left,
        }
    }

    /// "05/01/2026".
    pub(crate) fn date(day: NaiveDate) -> Self {
        Self::text(day.format("%d/%m/%Y").to_string())
    }

    /// A plain number (a rate, a count of days): "5,5".
    pub(crate) fn number(value: Decimal) -> Self {
        Self {
            text: rate_comma(value),
            align: Align::Right,
        }
    }

    /// An amount in euros: "1 234,50 €".
    pub(crate) fn amount(value: Decimal) -> Self {
        Self {
            text: pdf::money(value, "EUR"),
            align: Align::Right,
        }
    }
}

/// A report to print: its title, what it covers, its columns, its data rows and its
/// total rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReportTable {
    /// The report's name, e.g. "Journal des ventes".
    pub(crate) title: String,
    /// The company's name; empty when not known.
    pub(crate) company: String,
    /// What the report covers, e.g. "Du 01/01/2026 au 31/12/2026".
    pub(crate) coverage: String,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<TableCell>>,
    pub(crate) totals: Vec<Vec<TableCell>>,
}

/// "Du 01/01/2026 au 31/12/2026".
pub(crate) fn period_text(start: NaiveDate, end: NaiveDate) -> String {
    format!(
        "Du {} au {}",
        start.format("%d/%m/%Y"),
        end.format("%d/%m/%Y")
    )
}

/// "Au 30/06/2026".
pub(crate) fn as_of_text(day: NaiveDate) -> String {
    format!("Au {}", day.format("%d/%m/%Y"))
}

impl ReportTable {
    /// The title line: the report, then the company.
    fn heading(&self) -> String {
        if self.company.is_empty() {
            self.title.clone()
        } else {
            format!("{} — {}", self.title, self.company)
        }
    }

    /// Each column's width: what its widest cell needs, the text columns squeezed in
    /// proportion when the whole does not fit the page (their text then wraps), the
    /// room left over shared in proportion when it does.
    fn widths(&self) -> Vec<f32> {
        let available = RIGHT - MARGIN - GAP * self.columns.len().saturating_sub(1) as f32;
        let mut natural: Vec<f32> = self
            .columns
            .iter()
            .map(|column| pdf::width(column, SIZE, Weight::Bold))
            .collect();
        // A column is a text column when a data row holds text in it (a total row's
        // label does not make one).
        let mut text_column = vec![false; self.columns.len()];
        let rows = self.rows.iter().map(|row| (row, Weight::Regular, true));
        let totals = self.totals.iter().map(|row| (row, Weight::Bold, false));
        for (row, weight, data) in rows.chain(totals) {
            for (col, cell) in row.iter().enumerate().take(natural.len()) {
                natural[col] = natural[col].max(pdf::width(&cell.text, SIZE, weight));
                if data && cell.align == Align::Left && !cell.text.is_empty() {
                    text_column[col] = true;
                }
            }
        }
        let total: f32 = natural.iter().sum();
        if total <= available {
            let scale = if total > 0.0 { available / total } else { 1.0 };
            return natural.iter().map(|width| width * scale).collect();
        }
        let fixed: f32 = natural
            .iter()
            .zip(&text_column)
            .filter(|(_, text)| !**text)
            .map(|(width, _)| width)
            .sum();
        let text: f32 = natural
            .iter()
            .zip(&text_column)
            .filter(|(_, text)| **text)
            .map(|(width, _)| width)
            .sum();
        let scale = if text > 0.0 {
            ((available - fixed) / text).max(0.0)
        } else {
            1.0
        };
        natural
            .iter()
            .zip(&text_column)
            .map(|(width, text)| {
                if *text {
                    (width * scale).max(MIN_TEXT_WIDTH.min(*width))
                } else {
                    *width
                }
            })
            .collect()
    }
}

/// Lays the table out page by page.
struct Pages {
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl Pages {
    fn marks(&mut self) -> &mut Vec<Mark> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, text: &str) {
        if !text.is_empty() {
            self.marks().push(Mark::Text {
                x,
                y,
                size,
                weight,
                text: text.to_owned(),
            });
        }
    }

    fn rule(&mut self, y: f32) {
        self.marks().push(Mark::Rule {
            x1: MARGIN,
            x2: RIGHT,
            y,
        });
    }
}

/// The pages of `table`.
pub(crate) fn layout(table: &ReportTable) -> Vec<Vec<Mark>> {
    let widths = table.widths();
    let lefts: Vec<f32> = widths
        .iter()
        .scan(MARGIN, |x, width| {
            let left = *x;
            *x += width + GAP;
            Some(left)
        })
        .collect();
    let heading = table.heading();
    let mut pages = Pages {
        pages: Vec::new(),
        y: 0.0,
    };

    // A new page: the title (in full on the first, as a running head after), then the
    // column headers under a rule.
    let new_page = |pages: &mut Pages| {
        pages.pages.push(Vec::new());
        let mut y = MARGIN + 14.0;
        if pages.pages.len() == 1 {
            pages.text(MARGIN, y, 14.0, Weight::Bold, &heading);
            y += 16.0;
            pages.text(MARGIN, y, 10.0, Weight::Regular, &table.coverage);
            y += 24.0;
        } else {
            let running = format!("{heading} — {}", table.coverage);
            pages.text(MARGIN, y, 9.0, Weight::Regular, &running);
            y += 20.0;
        }
        for (col, column) in table.columns.iter().enumerate() {
            let x = lefts[col];
            let right = x + widths[col];
            let numeric = table
                .rows
                .iter()
                .chain(&table.totals)
                .filter_map(|row| row.get(col))
                .find(|cell| !cell.text.is_empty())
                .is_some_and(|cell| cell.align == Align::Right);
            if numeric {
                let width = pdf::width(column, SIZE, Weight::Bold);
                pages.text(right - width, y, SIZE, Weight::Bold, column);
            } else {
                pages.text(x, y, SIZE, Weight::Bold, column);
            }
        }
        pages.rule(y + 4.0);
        pages.y = y + 4.0 + LINE + 2.0;
    };
    new_page(&mut pages);

    let place_row = |pages: &mut Pages, row: &[TableCell], weight: Weight| {
        let cells: Vec<Vec<String>> = row
            .iter()
            .enumerate()
            .take(widths.len())
            .map(|(col, cell)| match cell.align {
                Align::Left if pdf::width(&cell.text, SIZE, weight) > widths[col] => {
                    pdf::wrap(&cell.text, SIZE, widths[col])
                }
                Align::Left | Align::Right => vec![cell.text.clone()],
            })
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = LINE * lines as f32;
        if pages.y + height - LINE > BOTTOM {
            new_page(pages);
        }
        let y = pages.y;
        for (col, (cell, texts)) in row.iter().zip(cells).enumerate() {
            for (index, text) in texts.iter().enumerate() {
                let line_y = y + LINE * index as f32;
                match cell.align {
                    Align::Left => pages.text(lefts[col], line_y, SIZE, weight, text),
                    Align::Right => {
                        let x = lefts[col] + widths[col] - pdf::width(text, SIZE, weight);
                        pages.text(x, line_y, SIZE, weight, text);
                    }
                }
            }
        }
        pages.y = y + height + 2.0;
    };
    for row in &table.rows {
        place_row(&mut pages, row, Weight::Regular);
    }
    if !table.totals.is_empty() {
        let needed = (LINE + 2.0) * table.totals.len() as f32 + 6.0;
        if pages.y + needed - LINE > BOTTOM {
            new_page(&mut pages);
        }
        let y = pages.y - LINE + 3.0;
        pages.rule(y);
        pages.y += 4.0;
        for row in &table.totals {
            place_row(&mut pages, row, Weight::Bold);
        }
    }

    // "Page n / N" at the foot of each page.
    let count = pages.pages.len();
    for (index, marks) in pages.pages.iter_mut().enumerate() {
        let text = format!("Page {} / {count}", index + 1);
        let x = RIGHT - pdf::width(&text, 7.0, Weight::Regular);
        marks.push(Mark::Text {
            x,
            y: PAGE_HEIGHT - MARGIN,
            size: 7.0,
            weight: Weight::Regular,
            text,
        });
    }
    pages.pages
}

/// `table` as a PDF.
pub(crate) fn render(table: &ReportTable) -> Result<Vec<u8>, RenderError> {
    let mut document = Document::new();
    let mut metadata = Metadata::new().title(format!("{} — {}", table.heading(), table.coverage));
    if !table.company.is_empty() {
        metadata = metadata.authors(vec![table.company.clone()]);
    }
    document.set_metadata(metadata);
    pdf::draw_pages(&mut document, PAGE_WIDTH, PAGE_HEIGHT, layout(table))?;
    pdf::finish(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> ReportTable {
        ReportTable {
            title: "Journal des ventes".to_owned(),
            company: "Boulangerie Dupont".to_owned(),
            coverage: period_text(
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            ),
            columns: vec!["Numéro".to_owned(), "Client".to_owned(), "HT".to_owned()],
            rows: (0..rows)
                .map(|index| {
                    vec![
                        TableCell::text(format!("F-{index:04}")),
                        TableCell::text("Épicerie Martin SARL"),
                        TableCell::amount(Decimal::new(12_345, 2)),
                    ]
                })
                .collect(),
            totals: vec![vec![
                TableCell::empty(),
                TableCell::text("Total"),
                TableCell::amount(Decimal::new(12_345, 2) * Decimal::from(rows)),
            ]],
        }
    }

    fn texts(page: &[Mark]) -> Vec<&str> {
        page.iter()
            .filter_map(|mark| match mark {
                Mark::Text { text, .. } => Some(text.as_str()),
                Mark::Rule { .. } => None,
            })
            .collect()
    }

    #[test]
    fn every_page_repeats_the_headers_and_the_totals_close_the_last() {
        let pages = layout(&table(120));
        assert!(pages.len() > 1, "120 rows take more than a page");
        for (index, page) in pages.iter().enumerate() {
            let texts = texts(page);
            assert!(texts.contains(&"Numéro") && texts.contains(&"HT"));
            assert!(texts.contains(&format!("Page {} / {}", index + 1, pages.len()).as_str()));
        }
        let first = texts(&pages[0]);
        assert!(first.contains(&"Journal des ventes — Boulangerie Dupont"));
        assert!(first.contains(&"Du 01/01/2026 au 31/12/2026"));
        let last = texts(pages.last().unwrap());
        assert!(last.contains(&"Total"));
        assert!(last.contains(&"14\u{a0}814,00\u{a0}€"));
        let rows: usize = pages
            .iter()
            .map(|page| texts(page).iter().filter(|t| t.starts_with("F-")).count())
            .sum();
        assert_eq!(rows, 120, "every row once");
    }

    #[test]
    fn rows_stay_inside_the_page() {
        for page in layout(&table(200)) {
            for mark in page {
                if let Mark::Text { x, y, .. } = mark {
                    assert!((0.0..=PAGE_WIDTH).contains(&x));
                    assert!((0.0..=PAGE_HEIGHT).contains(&y));
                }
            }
        }
    }

    #[test]
    fn a_table_renders_as_a_pdf() {
        let bytes = render(&table(3)).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
    }
}
