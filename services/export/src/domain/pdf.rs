//! The invoice PDF: an issued invoice or credit note ([`PrintedInvoice`]) laid out on A4
//! with every mandatory mention of French law (seller's legal identity, customer's
//! identity and address, number, dates, lines, VAT per rate, totals, due date, the
//! late-payment penalty rate and the 40 € recovery fee for business customers, the VAT
//! exemption), drawn with `krilla` in the DejaVu Sans fonts shipped in `assets/fonts`,
//! embedded and subset. The layout is computed first ([`layout`], pages of positioned
//! texts and rules), then drawn: as a plain PDF ([`render`]) or as a PDF/A-3b carrying an
//! attached file ([`render_pdfa3`], the Factur-X invoice's body).

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use krilla::color::rgb;
use krilla::configure::{Configuration, Validator};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::DateTime;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use rust_decimal::Decimal;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::documents::{PartyKind, PostalAddress, PrintedDocument};
use super::ledger::DocumentKind;
use super::profile::SellerIdentity;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Lowest baseline of the lines table before a new page.
const BOTTOM: f32 = PAGE_HEIGHT - 80.0;

/// What a printed invoice or credit note shows: its seller and the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrintedInvoice {
    pub(crate) seller: SellerIdentity,
    pub(crate) document: PrintedDocument,
}

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub(crate) struct RenderError(pub(crate) String);

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mark {
    /// A text whose baseline starts at (x, y), from the top left.
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        text: String,
    },
    /// A horizontal rule at y from x1 to x2.
    Rule { x1: f32, x2: f32, y: f32 },
}

/// The fonts' advance widths, to align and wrap.
struct Metrics {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| {
    Some(Metrics {
        regular: FontRef::new(REGULAR).ok()?,
        bold: FontRef::new(BOLD).ok()?,
    })
});

/// The width of `text` at `size` points.
pub(crate) fn width(text: &str, size: f32, weight: Weight) -> f32 {
    let Some(metrics) = METRICS.as_ref() else {
        return 0.0;
    };
    let font = match weight {
        Weight::Regular => &metrics.regular,
        Weight::Bold => &metrics.bold,
    };
    let charmap = font.charmap();
    let glyphs = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|gid| glyphs.advance_width(gid))
                .unwrap_or(size / 2.0)
        })
        .sum()
}

/// `text` cut into lines no wider than `max` points, at spaces where it can.
pub(crate) fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if width(&candidate, size, Weight::Regular) <= max || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// An amount as French invoices print it: "1 234,50 €".
pub(crate) fn money(value: Decimal, currency: &str) -> String {
    let text = comptoir_domain_types::amount::format(value, 2);
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |rest| ("-", rest));
    let (units, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (index, digit) in units.chars().enumerate() {
        if index > 0 && (units.len() - index) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    let symbol = if currency.is_empty() || currency == "EUR" {
        "€"
    } else {
        currency
    };
    format!("{sign}{grouped},{cents}\u{a0}{symbol}")
}

/// A rate or quantity as printed: "20", "5,5".
fn plain(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

/// A date as printed: "05/01/2026".
fn day(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// The lines of an address.
fn address_lines(address: &PostalAddress) -> Vec<String> {
    let mut lines = Vec::new();
    for line in [&address.line1, &address.line2] {
        if !line.is_empty() {
            lines.push(line.clone());
        }
    }
    let city = format!("{} {}", address.postal_code, address.city)
        .trim()
        .to_owned();
    if !city.is_empty() {
        lines.push(city);
    }
    if !address.country_code.is_empty() && address.country_code != "FR" {
        lines.push(address.country_code.clone());
    }
    lines
}

/// The seller's legal mentions, one per line.
fn seller_lines(seller: &SellerIdentity) -> Vec<String> {
    let mut lines = address_lines(&seller.address);
    if !seller.legal_form.is_empty() || !seller.share_capital_amount.is_empty() {
        let mut form = seller.legal_form.clone();
        if let Ok(capital) = seller.share_capital_amount.parse::<Decimal>() {
            let capital = money(capital, &seller.share_capital_currency);
            form = format!("{form} au capital de {capital}").trim().to_owned();
        }
        lines.push(form);
    }
    let mut ids = format!("SIREN {}", seller.siren);
    if !seller.siret.is_empty() {
        ids.push_str(&format!(" — SIRET {}", seller.siret));
    }
    lines.push(ids);
    if !seller.rcs_city.is_empty() {
        lines.push(format!("RCS {} {}", seller.rcs_city, seller.siren));
    }
    if !seller.vat_number.is_empty() {
        lines.push(format!("N° TVA intracommunautaire : {}", seller.vat_number));
    }
    lines
}

/// The customer's identity and address, one per line.
fn customer_lines(invoice: &PrintedInvoice) -> Vec<String> {
    let mut address = invoice.document.details.party_address.clone();
    address
        .country_code
        .clone_from(&invoice.document.party_country);
    let mut lines = address_lines(&address);
    if !invoice.document.details.party_siren.is_empty() {
        lines.push(format!("SIREN {}", invoice.document.details.party_siren));
    }
    if !invoice.document.party_vat_number.is_empty() {
        lines.push(format!("N° TVA : {}", invoice.document.party_vat_number));
    }
    lines
}

/// The mentions printed under the totals.
pub(crate) fn mentions(invoice: &PrintedInvoice) -> Vec<String> {
    let details = &invoice.document.details;
    let mut mentions = Vec::new();
    if !details.vat_exemption.is_empty() {
        mentions.push(details.vat_exemption.clone());
    }
    if let Some(account) = invoice.seller.bank_account.as_ref()
        && invoice.document.kind == DocumentKind::Invoice
    {
        let bic = account.bic.as_ref().map(|bic| format!(" — BIC {bic}"));
        mentions.push(format!(
            "Paiement par virement : IBAN {}{}.",
            account.iban.grouped(),
            bic.unwrap_or_default()
        ));
    }
    let business = invoice.document.party_kind == PartyKind::Professional;
    match details.late_penalty_rate {
        Some(rate) => mentions.push(format!(
            "En cas de retard de paiement, des pénalités sont dues au taux annuel de {} %.",
            plain(rate)
        )),
        None if business => mentions.push(
            "En cas de retard de paiement, des pénalités sont dues au taux de la Banque \
             centrale européenne majoré de 10 points (art. L441-10 du Code de commerce)."
                .to_owned(),
        ),
        None => {}
    }
    if business || details.recovery_fee {
        mentions.push(
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : \
             40 € (art. D441-5 du Code de commerce)."
                .to_owned(),
        );
    }
    if business {
        mentions.push("Pas d'escompte pour paiement anticipé.".to_owned());
    }
    mentions
}

/// Lays out marks page by page, starting a new page when the next block would not fit.
struct Pages {
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn marks(&mut self) -> &mut Vec<Mark> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Moves to a new page unless `height` more points fit on this one.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.pages.push(Vec::new());
            self.y = MARGIN + 10.0;
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.marks().push(Mark::Text {
                x,
                y,
                size,
                weight,
                text,
            });
        }
    }

    /// `text` ending at `right`.
    fn right(&mut self, right: f32, y: f32, size: f32, weight: Weight, text: impl Into<String>) {
        let text = text.into();
        let x = right - width(&text, size, weight);
        self.text(x, y, size, weight, text);
    }

    fn rule(&mut self, y: f32) {
        self.marks().push(Mark::Rule {
            x1: MARGIN,
            x2: RIGHT,
            y,
        });
    }
}

/// Columns of the lines table: description, quantity, unit price, VAT rate, net (the
/// last four's right edges).
const COL_QTY: f32 = 330.0;
const COL_PRICE: f32 = 405.0;
const COL_RATE: f32 = 450.0;
const DESCRIPTION_WIDTH: f32 = 240.0;

/// The pages of `invoice`.
pub(crate) fn layout(invoice: &PrintedInvoice) -> Vec<Vec<Mark>> {
    let currency = invoice.document.details.currency_code.as_str();
    let mut pages = Pages::new();

    // The seller, top left; the customer, on the right.
    let top = MARGIN + 12.0;
    pages.text(MARGIN, top, 12.0, Weight::Bold, &invoice.seller.legal_name);
    let mut y = top;
    for line in seller_lines(&invoice.seller) {
        y += 11.0;
        pages.text(MARGIN, y, 8.0, Weight::Regular, line);
    }
    let customer_x = 330.0;
    let mut customer_y = top + 50.0;
    pages.text(
        customer_x,
        customer_y - 14.0,
        8.0,
        Weight::Regular,
        "Client",
    );
    pages.text(
        customer_x,
        customer_y,
        11.0,
        Weight::Bold,
        &invoice.document.party_name,
    );
    for line in customer_lines(invoice) {
        customer_y += 12.0;
        pages.text(customer_x, customer_y, 9.0, Weight::Regular, line);
    }
    pages.y = y.max(customer_y) + 36.0;

    // Title and dates.
    let title = match invoice.document.kind {
        DocumentKind::CreditNote => format!("Avoir n° {}", invoice.document.number),
        DocumentKind::Invoice | DocumentKind::PurchaseInvoice => {
            format!("Facture n° {}", invoice.document.number)
        }
    };
    let y = pages.y;
    pages.text(MARGIN, y, 16.0, Weight::Bold, title);
    let mut y = y + 18.0;
    if invoice.document.kind == DocumentKind::CreditNote
        && !invoice.document.details.credited_number.is_empty()
    {
        let of = invoice
            .document
            .details
            .credited_date
            .map(|date| format!(" du {}", day(date)))
            .unwrap_or_default();
        let text = format!(
            "Avoir sur la facture n° {}{of}",
            invoice.document.details.credited_number
        );
        pages.text(MARGIN, y, 9.0, Weight::Regular, text);
        y += 13.0;
    }
    pages.text(
        MARGIN,
        y,
        9.0,
        Weight::Regular,
        format!("Date d'émission : {}", day(invoice.document.date)),
    );
    y += 13.0;
    pages.text(
        MARGIN,
        y,
        9.0,
        Weight::Regular,
        format!(
            "Date de la vente ou de la prestation : {}",
            day(invoice.document.date)
        ),
    );
    y += 13.0;
    let due = invoice
        .document
        .due_date
        .map_or_else(|| "à réception".to_owned(), day);
    pages.text(
        MARGIN,
        y,
        9.0,
        Weight::Regular,
        format!("Date d'échéance : {due}"),
    );
    pages.y = y + 28.0;

    // The lines.
    let header = |pages: &mut Pages| {
        let y = pages.y;
        pages.text(MARGIN, y, 8.5, Weight::Bold, "Désignation");
        pages.right(COL_QTY, y, 8.5, Weight::Bold, "Qté");
        pages.right(COL_PRICE, y, 8.5, Weight::Bold, "PU HT");
        pages.right(COL_RATE, y, 8.5, Weight::Bold, "TVA");
        pages.right(RIGHT, y, 8.5, Weight::Bold, "Total HT");
        pages.rule(y + 5.0);
        pages.y = y + 18.0;
    };
    header(&mut pages);
    for line in &invoice.document.details.lines {
        let wrapped = wrap(&line.description, 9.0, DESCRIPTION_WIDTH);
        let height = 12.0 * wrapped.len() as f32;
        if pages.y + height > BOTTOM {
            pages.room(height + 40.0);
            header(&mut pages);
        }
        let y = pages.y;
        for (index, text) in wrapped.into_iter().enumerate() {
            pages.text(MARGIN, y + 12.0 * index as f32, 9.0, Weight::Regular, text);
        }
        pages.right(COL_QTY, y, 9.0, Weight::Regular, plain(line.quantity));
        pages.right(
            COL_PRICE,
            y,
            9.0,
            Weight::Regular,
            money(line.unit_price, currency),
        );
        pages.right(
            COL_RATE,
            y,
            9.0,
            Weight::Regular,
            format!("{} %", plain(line.vat_rate)),
        );
        pages.right(
            RIGHT,
            y,
            9.0,
            Weight::Regular,
            money(line.net_amount, currency),
        );
        pages.y = y + height + 4.0;
    }
    let y = pages.y - 8.0;
    pages.rule(y);
    pages.y = y + 24.0;

    // VAT per rate, left; totals, right.
    let block = 16.0 * (invoice.document.vat.len().max(3) as f32 + 1.0) + 20.0;
    pages.room(block);
    let y = pages.y;
    pages.text(MARGIN, y, 8.5, Weight::Bold, "Taux de TVA");
    pages.right(200.0, y, 8.5, Weight::Bold, "Base HT");
    pages.right(270.0, y, 8.5, Weight::Bold, "TVA");
    let mut vat_y = y;
    for vat in &invoice.document.vat {
        vat_y += 14.0;
        pages.text(
            MARGIN,
            vat_y,
            9.0,
            Weight::Regular,
            format!("{} %", plain(vat.rate)),
        );
        pages.right(
            200.0,
            vat_y,
            9.0,
            Weight::Regular,
            money(vat.taxable_amount, currency),
        );
        pages.right(
            270.0,
            vat_y,
            9.0,
            Weight::Regular,
            money(vat.vat_amount, currency),
        );
    }
    let totals = [
        ("Total HT", invoice.document.net_total, Weight::Regular),
        ("Total TVA", invoice.document.vat_total, Weight::Regular),
        ("Total TTC", invoice.document.gross_total, Weight::Bold),
    ];
    let mut total_y = y;
    for (label, amount, weight) in totals {
        pages.text(360.0, total_y, 10.0, weight, label);
        pages.right(RIGHT, total_y, 10.0, weight, money(amount, currency));
        total_y += 16.0;
    }
    pages.y = vat_y.max(total_y) + 24.0;

    // The mentions.
    for mention in mentions(invoice) {
        let wrapped = wrap(&mention, 8.0, RIGHT - MARGIN);
        pages.room(11.0 * wrapped.len() as f32);
        for text in wrapped {
            let y = pages.y;
            pages.text(MARGIN, y, 8.0, Weight::Regular, text);
            pages.y = y + 11.0;
        }
        pages.y += 3.0;
    }
    pages.pages
}

/// The document's title in its metadata.
fn title(invoice: &PrintedInvoice) -> String {
    match invoice.document.kind {
        DocumentKind::CreditNote => format!("Avoir {}", invoice.document.number),
        DocumentKind::Invoice | DocumentKind::PurchaseInvoice => {
            format!("Facture {}", invoice.document.number)
        }
    }
}

/// `invoice` as a PDF.
pub(crate) fn render(invoice: &PrintedInvoice) -> Result<Vec<u8>, RenderError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title(invoice))
            .authors(vec![invoice.seller.legal_name.clone()]),
    );
    draw_pages(&mut document, PAGE_WIDTH, PAGE_HEIGHT, layout(invoice))?;
    document
        .finish()
        .map_err(|err| RenderError(format!("{err:?}")))
}

/// `invoice` as a PDF/A-3b (fonts embedded, sRGB output intent) carrying `attachment`
/// (`name`, MIME type text/xml, relationship Data, dated the invoice's issue date, as is
/// the document, so the same invoice always renders the same bytes).
pub(crate) fn render_pdfa3(
    invoice: &PrintedInvoice,
    attachment_name: &str,
    attachment_description: &str,
    attachment: Vec<u8>,
) -> Result<Vec<u8>, RenderError> {
    let settings = SerializeSettings {
        configuration: Configuration::new_with_validator(Validator::A3_B),
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let date = invoice.document.date;
    let date = DateTime::new(u16::try_from(date.year()).unwrap_or(1970))
        .month(u8::try_from(date.month()).unwrap_or(1))
        .day(u8::try_from(date.day()).unwrap_or(1))
        .utc_offset_hour(0);
    document.set_metadata(
        Metadata::new()
            .title(title(invoice))
            .authors(vec![invoice.seller.legal_name.clone()])
            .language("fr".to_owned())
            .creation_date(date),
    );
    document
        .embed_file(EmbeddedFile {
            path: attachment_name.to_owned(),
            mime_type: MimeType::new("text/xml"),
            description: Some(attachment_description.to_owned()),
            association_kind: AssociationKind::Data,
            data: attachment.into(),
            modification_date: Some(date),
            compress: Some(true),
            location: None,
        })
        .ok_or_else(|| RenderError(format!("{attachment_name} could not be embedded")))?;
    draw_pages(&mut document, PAGE_WIDTH, PAGE_HEIGHT, layout(invoice))?;
    document
        .finish()
        .map_err(|err| RenderError(format!("{err:?}")))
}

/// Draws `pages` of marks onto `document`, each page `width` × `height` points, in the
/// embedded fonts.
pub(crate) fn draw_pages(
    document: &mut Document,
    width: f32,
    height: f32,
    pages: Vec<Vec<Mark>>,
) -> Result<(), RenderError> {
    let regular = Font::new(REGULAR.into(), 0)
        .ok_or_else(|| RenderError("the regular font does not load".to_owned()))?;
    let bold = Font::new(BOLD.into(), 0)
        .ok_or_else(|| RenderError("the bold font does not load".to_owned()))?;
    let settings = PageSettings::from_wh(width, height)
        .ok_or_else(|| RenderError("the page size is refused".to_owned()))?;
    for marks in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(0, 0, 0).into(),
            ..Default::default()
        }));
        for mark in marks {
            match mark {
                Mark::Text {
                    x,
                    y,
                    size,
                    weight,
                    text,
                } => {
                    let font = match weight {
                        Weight::Regular => regular.clone(),
                        Weight::Bold => bold.clone(),
                    };
                    surface.draw_text(
                        Point::from_xy(x, y),
                        font,
                        size,
                        &text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Mark::Rule { x1, x2, y } => {
                    let mut builder = PathBuilder::new();
                    builder.move_to(x1, y);
                    builder.line_to(x2, y);
                    if let Some(path) = builder.finish() {
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(120, 120, 120).into(),
                            width: 0.5,
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    Ok(())
}

/// The bytes of `document`.
pub(crate) fn finish(document: Document) -> Result<Vec<u8>, RenderError> {
    document
        .finish()
        .map_err(|err| RenderError(format!("{err:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_with_spaces_between_thousands_and_a_decimal_comma() {
        assert_eq!(
            money(Decimal::new(123_456_789, 2), "EUR"),
            "1\u{a0}234\u{a0}567,89\u{a0}€"
        );
        assert_eq!(money(Decimal::new(-500, 2), "EUR"), "-5,00\u{a0}€");
        assert_eq!(money(Decimal::new(100_000, 2), ""), "1\u{a0}000,00\u{a0}€");
    }

    #[test]
    fn long_text_wraps_at_spaces_within_the_width() {
        let lines = wrap(
            "un deux trois quatre cinq six sept huit neuf dix",
            9.0,
            60.0,
        );
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|line| width(line, 9.0, Weight::Regular) <= 60.0)
        );
        assert_eq!(
            lines.join(" "),
            "un deux trois quatre cinq six sept huit neuf dix"
        );
    }
}
