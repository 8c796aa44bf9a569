//! `ExportSalesJournal` and `VatRegister`: a year of activity comes out in the sales
//! journal (CSV and XLSX) and the VAT register, and both agree to the cent with the FEC
//! and with the documents billing sent.

use calamine::{Data, Reader, Xlsx};
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::export::v1::{
    DocumentKind, ExportSalesJournalRequest, FileFormat, Period, ReportFilter, VatRegisterRequest,
    VatRegisterResponse, export_service_client::ExportServiceClient,
};
use comptoir_test_support::{bad_fields, bearer, scoped_token};
use rust_decimal::Decimal;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::books::{Books, d};
use crate::fec::{Received, a_year_of_activity, checked_fec, receive};
use crate::start;

/// 2026.
fn year() -> Option<Period> {
    Some(Period {
        start_date: "2026-01-01".to_owned(),
        end_date: "2026-12-31".to_owned(),
    })
}

pub(crate) async fn sales_journal(
    client: &ExportServiceClient<Channel>,
    token: &str,
    request: ExportSalesJournalRequest,
) -> Result<Received, Status> {
    let stream = client
        .clone()
        .export_sales_journal(bearer(request, token))
        .await?
        .into_inner();
    receive(stream, |r| r.chunk).await
}

pub(crate) fn journal_request(
    books: &Books,
    format: FileFormat,
    kinds: Vec<DocumentKind>,
) -> ExportSalesJournalRequest {
    ExportSalesJournalRequest {
        company_id: books.company_id.to_string(),
        filter: Some(ReportFilter {
            period: year(),
            document_kinds: kinds.into_iter().map(|k| k as i32).collect(),
            ..Default::default()
        }),
        format: format as i32,
    }
}

async fn vat_register(
    client: &ExportServiceClient<Channel>,
    token: &str,
    company: &str,
    period: Option<Period>,
) -> Result<VatRegisterResponse, Status> {
    client
        .clone()
        .vat_register(bearer(
            VatRegisterRequest {
                company_id: company.to_owned(),
                period,
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// The CSV's records, the byte order mark checked and removed.
pub(crate) fn csv_records(file: &Received) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(&file.bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    text.lines()
        .map(|line| line.split(';').map(str::to_owned).collect())
        .collect()
}

/// "1234,56" as a decimal.
pub(crate) fn comma(text: &str) -> Decimal {
    d(&text.replace(',', "."))
}

#[tokio::test]
async fn the_sales_journal_the_vat_register_and_the_fec_agree_to_the_cent() {
    let (harness, export) = start().await;
    let books = a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);
    let company = books.company_id.to_string();

    // What billing sent for 2026: sales less credit notes, by document.
    let sum =
        |kind: &str, field: fn(&comptoir_proto::events::v1::BillingDocument) -> &str| -> Decimal {
            books
                .documents
                .iter()
                .filter(|doc| doc.document_type == kind && doc.document_date.starts_with("2026"))
                .map(|doc| d(field(doc)))
                .sum()
        };
    let billed_net =
        sum("invoice", |doc| &doc.net_total) - sum("credit_note", |doc| &doc.net_total);
    let billed_vat =
        sum("invoice", |doc| &doc.vat_total) - sum("credit_note", |doc| &doc.vat_total);
    let bought_vat = sum("purchase_invoice", |doc| &doc.vat_total);

    let register = vat_register(&client, &books.token, &company, year())
        .await
        .unwrap();
    let collected: Vec<(&str, &str, &str, &str)> = register
        .collected
        .iter()
        .map(|r| {
            (
                r.vat_rate.as_str(),
                r.net_amount.as_str(),
                r.vat_amount.as_str(),
                r.gross_amount.as_str(),
            )
        })
        .collect();
    assert_eq!(
        collected,
        [
            ("20", "1370.49", "274.10", "1644.59"),
            ("10", "99.99", "10.00", "109.99"),
            ("5.5", "48.43", "2.66", "51.09"),
            ("2.1", "12.34", "0.26", "12.60"),
            ("0", "800.00", "0.00", "800.00"),
        ]
    );
    let deductible: Vec<(&str, &str, &str)> = register
        .deductible
        .iter()
        .map(|r| {
            (
                r.vat_rate.as_str(),
                r.net_amount.as_str(),
                r.vat_amount.as_str(),
            )
        })
        .collect();
    assert_eq!(
        deductible,
        [("20", "90.00", "18.00"), ("5.5", "640.00", "35.20")]
    );
    let boxes: Vec<(&str, &str, &str)> = register
        .ca3_lines
        .iter()
        .map(|l| {
            (
                l.ca3_box.as_str(),
                l.base_amount.as_str(),
                l.vat_amount.as_str(),
            )
        })
        .collect();
    assert_eq!(
        boxes,
        [
            ("08", "1370.49", "274.10"),
            ("9B", "99.99", "10.00"),
            ("09", "48.43", "2.66"),
            ("10", "12.34", "0.26"),
            ("E2", "800.00", "0.00"),
            ("16", "0.00", "287.02"),
            ("20", "730.00", "53.20"),
            ("23", "0.00", "53.20"),
            ("28", "0.00", "233.82"),
        ]
    );
    assert_eq!(
        (
            register.collected_vat_total.as_str(),
            register.deductible_vat_total.as_str(),
            register.vat_due.as_str()
        ),
        ("287.02", "53.20", "233.82")
    );
    let register_net: Decimal = register.collected.iter().map(|r| d(&r.net_amount)).sum();
    assert_eq!(
        (register_net, d(&register.collected_vat_total)),
        (billed_net, billed_vat)
    );
    assert_eq!(d(&register.deductible_vat_total), bought_vat);

    // The FEC, checked, holds the same revenue, collected and deductible VAT.
    let fec = checked_fec(&client, &books).await;
    let cents = |amount: Decimal| {
        (amount * Decimal::ONE_HUNDRED)
            .try_into()
            .map(|c: i64| c)
            .unwrap()
    };
    assert_eq!(fec.balance("70"), cents(billed_net));
    assert_eq!(fec.balance("44571"), cents(billed_vat));
    assert_eq!(-fec.balance("4456"), cents(bought_vat));

    // The CSV sales journal: one row per document and rate, then the totals.
    let file = sales_journal(
        &client,
        &books.token,
        journal_request(&books, FileFormat::Csv, vec![]),
    )
    .await
    .unwrap();
    assert_eq!(file.name, "journal-des-ventes-20260101-20261231.csv");
    assert!(file.content_type.starts_with("text/csv"));
    let records = csv_records(&file);
    assert_eq!(
        records[0],
        [
            "Date", "Numéro", "Type", "Client", "Taux TVA", "HT", "TVA", "TTC"
        ]
    );
    assert_eq!(
        records[1],
        [
            "15/01/2026",
            "F-2026-0001",
            "Facture",
            "Dupont SARL",
            "20",
            "1550,50",
            "310,10",
            "1860,60"
        ]
    );
    let rows: Vec<&Vec<String>> = records[1..].iter().filter(|r| !r[0].is_empty()).collect();
    assert_eq!(rows.len(), 4 + 1 + 2 + 1, "a row per document and rate");
    assert!(rows.iter().any(|r| r[1] == "A-2026-0001"
        && r[2] == "Avoir"
        && r[5] == "-200,00"
        && r[6] == "-40,00"));
    let csv_net: Decimal = rows.iter().map(|r| comma(&r[5])).sum();
    let csv_vat: Decimal = rows.iter().map(|r| comma(&r[6])).sum();
    assert_eq!((csv_net, csv_vat), (billed_net, billed_vat));
    let total = records.last().unwrap();
    assert_eq!(total[3], "Total");
    assert_eq!(
        (comma(&total[5]), comma(&total[6]), comma(&total[7])),
        (billed_net, billed_vat, billed_net + billed_vat)
    );
    let total_20 = records.iter().find(|r| r[3] == "Total 20 %").unwrap();
    assert_eq!(
        (total_20[5].as_str(), total_20[6].as_str()),
        ("1370,49", "274,10")
    );

    // The same journal as XLSX: numbers, dates, and totals as formulas.
    let file = sales_journal(
        &client,
        &books.token,
        journal_request(&books, FileFormat::Xlsx, vec![]),
    )
    .await
    .unwrap();
    assert_eq!(file.name, "journal-des-ventes-20260101-20261231.xlsx");
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(file.bytes)).expect("an XLSX workbook");
    let range = workbook.worksheet_range("Journal des ventes").unwrap();
    assert!(
        matches!(range.get_value((1, 0)), Some(Data::DateTime(_))),
        "{:?}",
        range.get_value((1, 0))
    );
    assert_eq!(range.get_value((1, 5)), Some(&Data::Float(1550.5)));
    let last = range.height() - 1;
    let value = |row: usize, col: usize| match range.get_value((row as u32, col as u32)) {
        Some(Data::Float(v)) => Decimal::try_from(*v).unwrap().round_dp(2),
        Some(Data::String(s)) => d(s),
        other => panic!("no number at ({row}, {col}): {other:?}"),
    };
    assert_eq!(
        range.get_value((last as u32, 3)),
        Some(&Data::String("Total".to_owned()))
    );
    assert_eq!((value(last, 5), value(last, 6)), (billed_net, billed_vat));
    let formulas = workbook.worksheet_formula("Journal des ventes").unwrap();
    let total_formula = formulas
        .get_value((last as u32, 5))
        .cloned()
        .unwrap_or_default();
    assert_eq!(total_formula, "SUM(F$2:F$9)");

    // Credit notes alone.
    let credit_notes = sales_journal(
        &client,
        &books.token,
        journal_request(&books, FileFormat::Csv, vec![DocumentKind::CreditNote]),
    )
    .await
    .unwrap();
    let rows: Vec<Vec<String>> = csv_records(&credit_notes)
        .into_iter()
        .skip(1)
        .filter(|r| !r[0].is_empty())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], "A-2026-0001");
}

#[tokio::test]
async fn bad_periods_formats_and_callers_are_refused() {
    let (harness, export) = start().await;
    let books = Books::open(&harness, "732829320").await;
    let client = ExportServiceClient::new(export.channel().await);
    let backwards = Some(Period {
        start_date: "2026-02-01".into(),
        end_date: "2026-01-31".into(),
    });
    let mut request = journal_request(&books, FileFormat::Csv, vec![DocumentKind::PurchaseInvoice]);
    request.filter.as_mut().unwrap().period = backwards.clone();
    request.format = 42;
    let refused = sales_journal(&client, &books.token, request)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&refused),
        [
            "filter.period.end_date",
            "filter.document_kinds[0]",
            "format"
        ]
    );
    let refused = vat_register(
        &client,
        &books.token,
        &books.company_id.to_string(),
        backwards,
    )
    .await
    .unwrap_err();
    assert_eq!(bad_fields(&refused), ["period.end_date"]);
    let refused = vat_register(&client, &books.token, "", None)
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&refused),
        ["company_id", "period.start_date", "period.end_date"]
    );

    let sales_user =
        scoped_token(&harness.db, books.company_id, &[Permission::InvoicesIssue]).await;
    let denied = vat_register(&client, &sales_user, &books.company_id.to_string(), year())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = sales_journal(
        &client,
        &sales_user,
        journal_request(&books, FileFormat::Csv, vec![]),
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let stranger = scoped_token(
        &harness.db,
        uuid::Uuid::now_v7(),
        &[Permission::ExportsRead],
    )
    .await;
    let hidden = vat_register(&client, &stranger, &books.company_id.to_string(), year())
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
}
