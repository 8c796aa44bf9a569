//! Reports as PDF: the sales journal, the payments and the revenue list of a year of
//! activity rendered as PDF tables, parsed back with `lopdf`, each carrying the report's
//! name, the company and the period in its title, the column headers, and every row and
//! total of the same report as CSV, amounts printed as French documents print them.

use comptoir_proto::export::v1::{
    ExportPaymentsRequest, ExportReportRequest, FileFormat, Period, Report, ReportFilter,
    export_service_client::ExportServiceClient,
};
use comptoir_test_support::bearer;
use rust_decimal::Decimal;
use tonic::transport::Channel;

use crate::books::Books;
use crate::fec::{Received, a_year_of_activity, receive};
use crate::reports::{comma, csv_records, journal_request, sales_journal};
use crate::start;

/// 2026's filter.
fn year() -> ReportFilter {
    ReportFilter {
        period: Some(Period {
            start_date: "2026-01-01".to_owned(),
            end_date: "2026-12-31".to_owned(),
        }),
        ..Default::default()
    }
}

/// The text of every page of `pdf`, spaces of any kind made one, and its page count.
fn pdf_text(pdf: &[u8]) -> (String, usize) {
    let document = lopdf::Document::load_mem(pdf).expect("a PDF lopdf reads");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document.extract_text(&pages).expect("its text");
    (
        text.split_whitespace().collect::<Vec<_>>().join(" "),
        pages.len(),
    )
}

/// An amount as a French document prints it, spaces made plain: "1 234,50 €".
fn french(amount: Decimal) -> String {
    let text = format!("{:.2}", amount.round_dp(2));
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (units, cents) = digits.split_once('.').unwrap();
    let mut grouped = String::new();
    for (index, digit) in units.chars().enumerate() {
        if index > 0 && (units.len() - index) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{cents} €")
}

/// A CSV record as the PDF prints its row: the non-empty cells in order, separated by a
/// space, those of the `money` columns as amounts.
fn printed(record: &[String], money: &[usize]) -> String {
    record
        .iter()
        .enumerate()
        .filter(|(_, cell)| !cell.is_empty())
        .map(|(col, cell)| {
            if money.contains(&col) {
                french(comma(cell))
            } else {
                cell.split_whitespace().collect::<Vec<_>>().join(" ")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks that the PDF `pdf` is the report `csv` as a table: its title, its header,
/// then each record as a row, in the CSV's order.
fn assert_same_table(pdf: &Received, csv: &Received, title: &str, money: &[usize]) {
    assert_eq!(pdf.content_type, "application/pdf");
    assert_eq!(
        pdf.name.trim_end_matches(".pdf"),
        csv.name.trim_end_matches(".csv")
    );
    let (text, pages) = pdf_text(&pdf.bytes);
    assert_eq!(pages, 1, "a small report fits a page: {text}");
    let records = csv_records(csv);
    assert!(records.len() > 2, "the report has rows and totals");
    let mut expected = vec![
        format!("{title} — Boulangerie Dupont"),
        "Du 01/01/2026 au 31/12/2026".to_owned(),
        records[0].join(" "),
    ];
    expected.extend(records[1..].iter().map(|record| printed(record, money)));
    expected.push("Page 1 / 1".to_owned());
    let mut rest = text.as_str();
    for part in &expected {
        let at = rest
            .find(part.as_str())
            .unwrap_or_else(|| panic!("`{part}` is missing (or out of order) in:\n{text}"));
        rest = &rest[at + part.len()..];
    }
}

async fn export_report(
    client: &ExportServiceClient<Channel>,
    books: &Books,
    report: Report,
    format: FileFormat,
) -> Received {
    let stream = client
        .clone()
        .export_report(bearer(
            ExportReportRequest {
                company_id: books.company_id.to_string(),
                report: report as i32,
                filter: Some(year()),
                format: format as i32,
            },
            &books.token,
        ))
        .await
        .unwrap()
        .into_inner();
    receive(stream, |r| r.chunk).await.unwrap()
}

async fn export_payments(
    client: &ExportServiceClient<Channel>,
    books: &Books,
    format: FileFormat,
) -> Received {
    let stream = client
        .clone()
        .export_payments(bearer(
            ExportPaymentsRequest {
                company_id: books.company_id.to_string(),
                filter: Some(year()),
                format: format as i32,
            },
            &books.token,
        ))
        .await
        .unwrap()
        .into_inner();
    receive(stream, |r| r.chunk).await.unwrap()
}

#[tokio::test]
async fn reports_as_pdf_print_every_row_and_total_of_their_csv_under_the_company_and_period() {
    let (harness, export) = start().await;
    let books = a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);

    // The sales journal: date, number, kind, customer, rate, then net, VAT and gross.
    let journal = |format| {
        sales_journal(
            &client,
            &books.token,
            journal_request(&books, format, vec![]),
        )
    };
    let (pdf, csv) = (
        journal(FileFormat::Pdf).await.unwrap(),
        journal(FileFormat::Csv).await.unwrap(),
    );
    assert_eq!(pdf.name, "journal-des-ventes-20260101-20261231.pdf");
    assert_same_table(&pdf, &csv, "Journal des ventes", &[5, 6, 7]);
    // A spot check, written out: the first invoice's 20 % row.
    let (text, _) = pdf_text(&pdf.bytes);
    assert!(
        text.contains(
            "15/01/2026 F-2026-0001 Facture Dupont SARL 20 1 550,50 € 310,10 € 1 860,60 €"
        ),
        "{text}"
    );

    // The payments: the amount and the part allocated to each document.
    let (pdf, csv) = (
        export_payments(&client, &books, FileFormat::Pdf).await,
        export_payments(&client, &books, FileFormat::Csv).await,
    );
    assert_same_table(&pdf, &csv, "Règlements", &[5, 7]);

    // The revenue list, through ExportReport.
    let (pdf, csv) = (
        export_report(&client, &books, Report::Revenue, FileFormat::Pdf).await,
        export_report(&client, &books, Report::Revenue, FileFormat::Csv).await,
    );
    assert_eq!(pdf.name, "recettes-20260101-20261231.pdf");
    assert_same_table(&pdf, &csv, "Chiffre d'affaires", &[5, 6, 7]);
}
