//! The reports read from the documents and payments: the year of activity with an OSS
//! sale to Germany and one to Spain (B2C, paid in full and in part) comes out in the
//! OSS return, the unpaid invoices, the revenue and expense lists and the payments, to
//! the cent and in agreement with the VAT register and the sales journal; each as a
//! file (CSV read back, XLSX opened and its totals read back); bad input and callers
//! refused before anything starts.

use calamine::{Data, Reader, Xlsx};
use comptoir_domain_types::permissions::{ACCOUNTANT, SALES};
use comptoir_proto::export::v1::{
    AgeBucket, DocumentKind, ExpenseListRequest, ExportPaymentsRequest, ExportReportRequest,
    FileFormat, ListUnpaidRequest, ListUnpaidResponse, OssReportRequest, Period, Report,
    ReportFilter, RevenueListRequest, RevenueListResponse, SettlementStatus, VatRegisterRequest,
    export_service_client::ExportServiceClient,
};
use comptoir_test_support::{ScopedToken, bad_fields, bearer, scoped_token};
use rust_decimal::Decimal;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::books::{Books, d, document, line, party, payment};
use crate::fec::{Received, a_year_of_activity_in, receive};
use crate::ledger::wait_for;
use crate::reports::{comma, csv_records, journal_request, sales_journal};
use crate::start;

fn period(start: &str, end: &str) -> Option<Period> {
    Some(Period {
        start_date: start.to_owned(),
        end_date: end.to_owned(),
    })
}

fn filter(start: &str, end: &str) -> ReportFilter {
    ReportFilter {
        period: period(start, end),
        ..Default::default()
    }
}

/// The year of activity, then two OSS distance sales to consumers: to Germany in May
/// (goods and services at 19 %, due in June, paid in full) and to Spain in June (goods at
/// 21 %, due in July, 100.00 paid).
async fn a_year_with_oss_sales(harness: &comptoir_test_support::Harness) -> Books {
    a_year_with_oss_sales_in(harness, Books::open(harness, crate::fec::SIREN).await).await
}

/// The OSS sales added to the year of activity of `books`' company.
pub(crate) async fn a_year_with_oss_sales_in(
    harness: &comptoir_test_support::Harness,
    books: Books,
) -> Books {
    let mut books = a_year_of_activity_in(harness, books).await;
    let consumer = |name: &str, country: &str| {
        let mut consumer = party(name, "", country);
        consumer.kind = "private".to_owned();
        consumer
    };
    let schmidt = consumer("Anna Schmidt", "DE");
    let garcia = consumer("Lucía García", "ES");
    let mut germany = document(
        "invoice",
        "F-2026-0004",
        "2026-05-10",
        &schmidt,
        vec![
            line("19", "goods", "100.00"),
            line("19", "services", "50.00"),
        ],
    );
    germany.oss = true;
    germany.due_date = "2026-06-09".to_owned();
    let mut spain = document(
        "invoice",
        "F-2026-0005",
        "2026-06-15",
        &garcia,
        vec![line("21", "goods", "200.00")],
    );
    spain.oss = true;
    spain.due_date = "2026-07-15".to_owned();
    assert_eq!(
        (germany.gross_total.as_str(), spain.gross_total.as_str()),
        ("178.50", "242.00")
    );
    books.issue(harness, &germany).await;
    books.issue(harness, &spain).await;
    books
        .pay(
            harness,
            payment("received", "2026-05-20", &schmidt, &[(&germany, "178.50")]),
        )
        .await;
    books
        .pay(
            harness,
            payment("received", "2026-06-20", &garcia, &[(&spain, "100.00")]),
        )
        .await;
    wait_for(harness, books.company_id, 15, 4).await;
    books
}

async fn revenue(
    client: &ExportServiceClient<Channel>,
    token: &str,
    company: &str,
    filter: ReportFilter,
) -> Result<RevenueListResponse, Status> {
    client
        .clone()
        .revenue_list(bearer(
            RevenueListRequest {
                company_id: company.to_owned(),
                filter: Some(filter),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn unpaid(
    client: &ExportServiceClient<Channel>,
    token: &str,
    company: &str,
    as_of: &str,
) -> Result<ListUnpaidResponse, Status> {
    client
        .clone()
        .list_unpaid(bearer(
            ListUnpaidRequest {
                company_id: company.to_owned(),
                as_of: as_of.to_owned(),
                party_id: String::new(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn export_report(
    client: &ExportServiceClient<Channel>,
    token: &str,
    request: ExportReportRequest,
) -> Result<Received, Status> {
    let stream = client
        .clone()
        .export_report(bearer(request, token))
        .await?
        .into_inner();
    receive(stream, |r| r.chunk).await
}

fn report_request(
    books: &Books,
    report: Report,
    filter: ReportFilter,
    format: FileFormat,
) -> ExportReportRequest {
    ExportReportRequest {
        company_id: books.company_id.to_string(),
        report: report as i32,
        filter: Some(filter),
        format: format as i32,
    }
}

/// The sheet `sheet` of an XLSX file: its values and its formulas.
fn workbook(file: Received, sheet: &str) -> (calamine::Range<Data>, calamine::Range<String>) {
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(file.bytes)).expect("an XLSX workbook");
    let range = workbook.worksheet_range(sheet).unwrap();
    let formulas = workbook.worksheet_formula(sheet).unwrap();
    (range, formulas)
}

fn number_at(range: &calamine::Range<Data>, row: usize, col: usize) -> Decimal {
    match range.get_value((row as u32, col as u32)) {
        Some(Data::Float(v)) => Decimal::try_from(*v).unwrap().round_dp(2),
        Some(Data::String(s)) => d(s),
        other => panic!("no number at ({row}, {col}): {other:?}"),
    }
}

#[tokio::test]
async fn every_report_of_a_year_with_oss_sales_agrees_to_the_cent() {
    let (harness, export) = start().await;
    let books = a_year_with_oss_sales(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);
    let company = books.company_id.to_string();
    let token = &books.token;

    // OSS, second quarter: by member state, supply and rate; 19 % VAT of 28.50 shared
    // 19.00 / 9.50 between goods and services.
    let oss = client
        .clone()
        .oss_report(bearer(
            OssReportRequest {
                company_id: company.clone(),
                year: 2026,
                quarter: 2,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    let lines: Vec<(&str, &str, &str, &str, &str)> = oss
        .lines
        .iter()
        .map(|l| {
            (
                l.country_code.as_str(),
                l.supply_type.as_str(),
                l.vat_rate.as_str(),
                l.taxable_amount.as_str(),
                l.vat_amount.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("DE", "goods", "19", "100.00", "19.00"),
            ("DE", "services", "19", "50.00", "9.50"),
            ("ES", "goods", "21", "200.00", "42.00"),
        ]
    );
    assert_eq!(oss.vat_total, "70.50");
    let first_quarter = client
        .clone()
        .oss_report(bearer(
            OssReportRequest {
                company_id: company.clone(),
                year: 2026,
                quarter: 1,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(first_quarter.lines.is_empty(), "no OSS sale in Q1");
    assert_eq!(first_quarter.vat_total, "0.00");

    // The VAT register holds the OSS sales at their rates too.
    let register = client
        .clone()
        .vat_register(bearer(
            VatRegisterRequest {
                company_id: company.clone(),
                period: period("2026-01-01", "2026-12-31"),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    let register_net: Decimal = register.collected.iter().map(|r| d(&r.net_amount)).sum();
    let register_vat = d(&register.collected_vat_total);
    assert_eq!((register_net, register_vat), (d("2681.25"), d("357.52")));
    let at = |rate: &str| {
        register
            .collected
            .iter()
            .find(|r| r.vat_rate == rate)
            .map(|r| (r.net_amount.as_str(), r.vat_amount.as_str()))
    };
    assert_eq!(at("19"), Some(("150.00", "28.50")));
    assert_eq!(at("21"), Some(("200.00", "42.00")));

    // Revenue: every sale of 2026, the credit note negative; totals = the register's.
    let year = revenue(&client, token, &company, filter("2026-01-01", "2026-12-31"))
        .await
        .unwrap();
    let listed: Vec<(&str, &str, &str, &str, SettlementStatus)> = year
        .documents
        .iter()
        .map(|doc| {
            (
                doc.number.as_str(),
                doc.country_code.as_str(),
                doc.net_amount.as_str(),
                doc.gross_amount.as_str(),
                doc.status(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "F-2026-0001",
                "FR",
                "1707.93",
                "2030.77",
                SettlementStatus::Paid
            ),
            (
                "F-2026-0002",
                "FR",
                "800.00",
                "800.00",
                SettlementStatus::Paid
            ),
            (
                "F-2026-0003",
                "FR",
                "23.32",
                "27.50",
                SettlementStatus::PartlyPaid
            ),
            (
                "A-2026-0001",
                "FR",
                "-200.00",
                "-240.00",
                SettlementStatus::Unpaid
            ),
            (
                "F-2026-0004",
                "DE",
                "150.00",
                "178.50",
                SettlementStatus::Paid
            ),
            (
                "F-2026-0005",
                "ES",
                "200.00",
                "242.00",
                SettlementStatus::PartlyPaid
            ),
        ]
    );
    assert_eq!(year.documents[3].kind(), DocumentKind::CreditNote);
    assert_eq!(
        (
            year.net_total.as_str(),
            year.vat_total.as_str(),
            year.gross_total.as_str()
        ),
        ("2681.25", "357.52", "3038.77")
    );
    assert_eq!(
        (d(&year.net_total), d(&year.vat_total)),
        (register_net, register_vat)
    );
    // ... and the sales journal's.
    let journal = sales_journal(
        &client,
        token,
        journal_request(&books, FileFormat::Csv, vec![]),
    )
    .await
    .unwrap();
    let journal_total = csv_records(&journal).last().cloned().unwrap();
    assert_eq!(
        (
            comma(&journal_total[5]),
            comma(&journal_total[6]),
            comma(&journal_total[7])
        ),
        (d(&year.net_total), d(&year.vat_total), d(&year.gross_total))
    );
    // Filters: partly paid; Germany; one customer; invoices only.
    let numbers = |list: &RevenueListResponse| -> Vec<String> {
        list.documents.iter().map(|d| d.number.clone()).collect()
    };
    let partly = revenue(
        &client,
        token,
        &company,
        ReportFilter {
            status: SettlementStatus::PartlyPaid as i32,
            ..filter("2026-01-01", "2026-12-31")
        },
    )
    .await
    .unwrap();
    assert_eq!(numbers(&partly), ["F-2026-0003", "F-2026-0005"]);
    assert_eq!(partly.gross_total, "269.50");
    let germany = revenue(
        &client,
        token,
        &company,
        ReportFilter {
            country_code: "DE".to_owned(),
            ..filter("2026-01-01", "2026-12-31")
        },
    )
    .await
    .unwrap();
    assert_eq!(numbers(&germany), ["F-2026-0004"]);
    let martin = books
        .documents
        .iter()
        .find(|doc| doc.number == "F-2026-0002")
        .and_then(|doc| doc.party.clone())
        .unwrap();
    let invoices_of_martin = revenue(
        &client,
        token,
        &company,
        ReportFilter {
            party_id: martin.party_id.clone(),
            document_kinds: vec![DocumentKind::Invoice as i32],
            ..filter("2026-01-01", "2026-12-31")
        },
    )
    .await
    .unwrap();
    assert_eq!(numbers(&invoices_of_martin), ["F-2026-0002", "F-2026-0003"]);
    assert_eq!(invoices_of_martin.gross_total, "827.50");

    // Expenses: the purchase, paid; totals = the register's deductible side.
    let expenses = client
        .clone()
        .expense_list(bearer(
            ExpenseListRequest {
                company_id: company.clone(),
                filter: Some(filter("2026-01-01", "2026-12-31")),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(expenses.documents.len(), 1);
    assert_eq!(expenses.documents[0].number, "M-2026-77");
    assert_eq!(expenses.documents[0].status(), SettlementStatus::Paid);
    assert_eq!(
        (
            expenses.net_total.as_str(),
            expenses.vat_total.as_str(),
            expenses.gross_total.as_str()
        ),
        ("730.00", "53.20", "783.20")
    );
    assert_eq!(expenses.vat_total, register.deductible_vat_total);

    // Unpaid at the end of June: the third invoice (17.50 left, due on its date, 102 days
    // late) and the Spanish one (142.00 left, not due yet).
    let open = unpaid(&client, token, &company, "2026-06-30")
        .await
        .unwrap();
    let rows: Vec<(&str, &str, &str, &str, i32, AgeBucket)> = open
        .invoices
        .iter()
        .map(|i| {
            (
                i.number.as_str(),
                i.due_date.as_str(),
                i.paid_amount.as_str(),
                i.balance.as_str(),
                i.days_past_due,
                i.bucket(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "F-2026-0003",
                "2026-03-20",
                "10.00",
                "17.50",
                102,
                AgeBucket::DaysOver90
            ),
            (
                "F-2026-0005",
                "2026-07-15",
                "100.00",
                "142.00",
                0,
                AgeBucket::NotDue
            ),
        ]
    );
    let buckets: Vec<(AgeBucket, &str)> = open
        .totals
        .iter()
        .map(|t| (t.bucket(), t.balance.as_str()))
        .collect();
    assert_eq!(
        buckets,
        [
            (AgeBucket::NotDue, "142.00"),
            (AgeBucket::Days030, "0.00"),
            (AgeBucket::Days3160, "0.00"),
            (AgeBucket::Days6190, "0.00"),
            (AgeBucket::DaysOver90, "17.50"),
        ]
    );
    assert_eq!(open.balance_total, "159.50");
    // Before the Spanish payment, as of its due date's eve: all 242.00 is open; and
    // before any payment of the first invoice, it is open in the 0-30 bucket.
    let earlier = unpaid(&client, token, &company, "2026-06-19")
        .await
        .unwrap();
    assert_eq!(earlier.balance_total, "259.50");
    let january = unpaid(&client, token, &company, "2026-01-31")
        .await
        .unwrap();
    assert_eq!(
        january
            .invoices
            .iter()
            .map(|i| (
                i.number.as_str(),
                i.balance.as_str(),
                i.days_past_due,
                i.bucket()
            ))
            .collect::<Vec<_>>(),
        [("F-2026-0001", "2030.77", 16, AgeBucket::Days030)]
    );

    // Payments of 2026 as CSV: a row per settled document, payments made negative.
    let stream = client
        .clone()
        .export_payments(bearer(
            ExportPaymentsRequest {
                company_id: company.clone(),
                filter: Some(filter("2026-01-01", "2026-12-31")),
                format: FileFormat::Csv as i32,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    let file = receive(stream, |r| r.chunk).await.unwrap();
    assert_eq!(file.name, "reglements-20260101-20261231.csv");
    let records = csv_records(&file);
    assert_eq!(
        records[0],
        [
            "Date",
            "Sens",
            "Mode",
            "Référence",
            "Tiers",
            "Montant",
            "Pièce réglée",
            "Montant imputé"
        ]
    );
    let rows: Vec<&Vec<String>> = records[1..].iter().filter(|r| !r[0].is_empty()).collect();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().any(|r| r[0] == "10/03/2026"
        && r[1] == "Décaissement"
        && r[5] == "-783,20"
        && r[6] == "M-2026-77"));
    assert!(
        rows.iter()
            .any(|r| r[4] == "Lucía García" && r[6] == "F-2026-0005" && r[7] == "100,00")
    );
    let total = |label: &str| {
        records
            .iter()
            .find(|r| r[0].is_empty() && r[1] == label)
            .map(|r| comma(&r[5]))
    };
    assert_eq!(total("Encaissement"), Some(d("3119.27")));
    assert_eq!(total("Décaissement"), Some(d("-783.20")));
    assert_eq!(comma(&records.last().unwrap()[5]), d("2336.07"));
    // Payments made alone.
    let stream = client
        .clone()
        .export_payments(bearer(
            ExportPaymentsRequest {
                company_id: company.clone(),
                filter: Some(ReportFilter {
                    document_kinds: vec![DocumentKind::PurchaseInvoice as i32],
                    ..filter("2026-01-01", "2026-12-31")
                }),
                format: FileFormat::Xlsx as i32,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    let (range, _) = workbook(receive(stream, |r| r.chunk).await.unwrap(), "Règlements");
    assert_eq!(range.height(), 1 + 1 + 2, "header, one payment, two totals");
    assert_eq!(number_at(&range, 3, 7), d("-783.20"));

    // ExportReport: the revenue list as CSV, read back.
    let file = export_report(
        &client,
        token,
        report_request(
            &books,
            Report::Revenue,
            filter("2026-01-01", "2026-12-31"),
            FileFormat::Csv,
        ),
    )
    .await
    .unwrap();
    assert_eq!(file.name, "recettes-20260101-20261231.csv");
    let records = csv_records(&file);
    let rows: Vec<&Vec<String>> = records[1..].iter().filter(|r| !r[0].is_empty()).collect();
    assert_eq!(rows.len(), 6);
    let csv_net: Decimal = rows.iter().map(|r| comma(&r[5])).sum();
    let csv_vat: Decimal = rows.iter().map(|r| comma(&r[6])).sum();
    assert_eq!((csv_net, csv_vat), (register_net, register_vat));
    let last = records.last().unwrap();
    assert_eq!(
        (
            last[3].as_str(),
            comma(&last[5]),
            comma(&last[6]),
            comma(&last[7])
        ),
        ("Total", register_net, register_vat, d("3038.77"))
    );

    // The unpaid invoices as XLSX: numbers, dates, totals per bucket as formulas.
    let file = export_report(
        &client,
        token,
        report_request(
            &books,
            Report::Unpaid,
            filter("2026-01-01", "2026-06-30"),
            FileFormat::Xlsx,
        ),
    )
    .await
    .unwrap();
    assert_eq!(file.name, "impayes-20260630.xlsx");
    let (range, formulas) = workbook(file, "Impayés");
    assert!(matches!(range.get_value((1, 2)), Some(Data::DateTime(_))));
    assert_eq!(number_at(&range, 1, 6), d("17.50"));
    assert_eq!(number_at(&range, 1, 7), d("102"));
    let last = range.height() - 1;
    assert_eq!(number_at(&range, last, 6), d("159.50"));
    assert_eq!(number_at(&range, 3, 6), d("142.00"), "the not-due bucket");
    assert_eq!(
        formulas
            .get_value((last as u32, 6))
            .cloned()
            .unwrap_or_default(),
        "SUM(G$2:G$3)"
    );
    assert_eq!(
        formulas.get_value((3, 6)).cloned().unwrap_or_default(),
        "SUMIF(I$2:I$3,$I$4,G$2:G$3)"
    );

    // The OSS return of the quarter of the period's start, as XLSX.
    let file = export_report(
        &client,
        token,
        report_request(
            &books,
            Report::Oss,
            filter("2026-04-01", "2026-04-30"),
            FileFormat::Xlsx,
        ),
    )
    .await
    .unwrap();
    assert_eq!(file.name, "oss-2026-T2.xlsx");
    let (range, _) = workbook(file, "OSS");
    assert_eq!(range.height(), 1 + 3 + 1);
    assert_eq!(number_at(&range, 4, 4), d("70.50"));
    assert_eq!(number_at(&range, 4, 3), d("350.00"));

    // The VAT register and the expenses as CSV: the same totals as their RPCs.
    let file = export_report(
        &client,
        token,
        report_request(
            &books,
            Report::VatRegister,
            filter("2026-01-01", "2026-12-31"),
            FileFormat::Csv,
        ),
    )
    .await
    .unwrap();
    let records = csv_records(&file);
    let section = |label: &str| {
        records
            .iter()
            .find(|r| r[0] == label && r[1] == "Total")
            .map(|r| (comma(&r[3]), comma(&r[4])))
    };
    assert_eq!(section("TVA collectée"), Some((register_net, register_vat)));
    assert_eq!(section("TVA déductible"), Some((d("730.00"), d("53.20"))));
    assert_eq!(
        records.last().map(|r| (r[0].as_str(), comma(&r[4]))),
        Some(("TVA nette due", d(&register.vat_due)))
    );
    let file = export_report(
        &client,
        token,
        report_request(
            &books,
            Report::Expenses,
            filter("2026-01-01", "2026-12-31"),
            FileFormat::Csv,
        ),
    )
    .await
    .unwrap();
    let last = csv_records(&file).last().cloned().unwrap();
    assert_eq!(
        (comma(&last[6]), comma(&last[7])),
        (d("53.20"), d("783.20"))
    );
}

#[tokio::test]
async fn bad_input_and_callers_who_may_not_export_are_refused_before_anything_starts() {
    let (harness, export) = start().await;
    let books = Books::open(&harness, "732829320").await;
    let client = ExportServiceClient::new(export.channel().await);
    let company = books.company_id.to_string();

    let quarter = client
        .clone()
        .oss_report(bearer(
            OssReportRequest {
                company_id: company.clone(),
                year: 2026,
                quarter: 5,
            },
            &books.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(quarter.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&quarter), ["quarter"]);

    let backwards = revenue(
        &client,
        &books.token,
        &company,
        ReportFilter {
            document_kinds: vec![DocumentKind::PurchaseInvoice as i32],
            country_code: "france".to_owned(),
            ..filter("2026-02-01", "2026-01-31")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        bad_fields(&backwards),
        [
            "filter.period.end_date",
            "filter.document_kinds[0]",
            "filter.country_code"
        ]
    );
    let bad_date = unpaid(&client, &books.token, &company, "31/12/2026")
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad_date), ["as_of"]);

    let mut request = report_request(
        &books,
        Report::Unspecified,
        filter("2026-02-01", "2026-01-31"),
        FileFormat::Csv,
    );
    request.format = 42;
    let refused = export_report(&client, &books.token, request)
        .await
        .err()
        .expect("refused");
    assert_eq!(
        bad_fields(&refused),
        ["filter.period.end_date", "report", "format"]
    );
    let extra = export_report(
        &client,
        &books.token,
        report_request(
            &books,
            Report::VatRegister,
            ReportFilter {
                status: SettlementStatus::Paid as i32,
                ..filter("2026-01-01", "2026-12-31")
            },
            FileFormat::Csv,
        ),
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(bad_fields(&extra), ["filter.status"]);

    // A member with the Accountant role exports; one with the Sales role may not; a
    // company the caller does not reach is not found.
    let accountant = ScopedToken::new(books.company_id)
        .role(ACCOUNTANT.key)
        .permissions(ACCOUNTANT.permissions)
        .sign(&harness.db)
        .await;
    let firm_accountant = ScopedToken::new(books.company_id)
        .role(ACCOUNTANT.key)
        .permissions(ACCOUNTANT.permissions)
        .through_firm()
        .sign(&harness.db)
        .await;
    let sales = ScopedToken::new(books.company_id)
        .role(SALES.key)
        .permissions(SALES.permissions)
        .sign(&harness.db)
        .await;
    let year = || {
        report_request(
            &books,
            Report::Revenue,
            filter("2026-01-01", "2026-12-31"),
            FileFormat::Xlsx,
        )
    };
    for token in [&accountant, &firm_accountant] {
        let file = export_report(&client, token, year()).await.unwrap();
        assert_eq!(file.name, "recettes-20260101-20261231.xlsx");
        assert!(
            unpaid(&client, token, &company, "")
                .await
                .unwrap()
                .invoices
                .is_empty(),
            "as of today, nothing is open"
        );
    }
    let denied = export_report(&client, &sales, year())
        .await
        .err()
        .expect("refused");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = revenue(
        &client,
        &sales,
        &company,
        filter("2026-01-01", "2026-12-31"),
    )
    .await
    .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let stranger = scoped_token(&harness.db, uuid::Uuid::now_v7(), ACCOUNTANT.permissions).await;
    let hidden = unpaid(&client, &stranger, &company, "2026-06-30")
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let hidden = export_report(&client, &stranger, year())
        .await
        .err()
        .expect("refused");
    assert_eq!(hidden.code(), Code::NotFound);
}
