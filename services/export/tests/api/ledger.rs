//! The double-entry projection of billing's events: one balanced entry per document and
//! payment with the accounts of the settings in force, lettering once settled, and the
//! same rows whatever the order, redeliveries or a replay from the start; the documents
//! and payments the reports read come out the same way.

use comptoir_proto::accountant_portal::v1 as portal;
use comptoir_proto::export::v1::{
    Period, ReportFilter, RevenueListRequest, SettlementStatus,
    export_service_client::ExportServiceClient,
};
use comptoir_test_support::{Harness, bearer, eventually};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::books::{Books, day, document, line, noon, party, payment, publish_again};
use crate::start;

/// The projection of `company_id`, every column but timestamps, one text per row, in a
/// stable order: what must come out identical from the same events.
pub(crate) async fn snapshot(conn: &mut PgConnection, company_id: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT format('entry %s %s %s %s %s %s %s %s %s %s %s %s %s %s', entry_id, source, \
             journal, journal_code, journal_label, entry_date, piece_ref, piece_date, label, \
             party_id, party_code, party_name, occurred_at, settings_version) \
         FROM export.entry WHERE company_id = $1 \
         UNION ALL \
         SELECT format('line %s %s %s %s %s %s %s %s %s %s %s %s', entry_id, line_number, role, \
             vat_rate, supply, account_number, account_label, aux_number, aux_label, debit, \
             credit, document_id) \
         FROM export.entry_line WHERE company_id = $1 \
         UNION ALL \
         SELECT format('lettering %s %s %s', document_id, code, lettered_on) \
         FROM export.lettering WHERE company_id = $1 \
         UNION ALL \
         SELECT format('document %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s', \
             document_id, kind, number, document_date, due_date, party_id, party_name, \
             party_kind, party_country_code, party_vat_number, net_total, vat_total, \
             gross_total, oss, consumption_country, credited_document_id) \
         FROM export.document WHERE company_id = $1 \
         UNION ALL \
         SELECT format('document_vat %s %s %s %s %s', document_id, vat_rate, supply, \
             taxable_amount, vat_amount) \
         FROM export.document_vat WHERE company_id = $1 \
         UNION ALL \
         SELECT format('document_detail %s %s %s %s %s %s %s %s %s %s %s %s', document_id, \
             currency_code, party_siren, party_address_line1, party_address_line2, \
             party_postal_code, party_city, vat_exemption, late_penalty_rate, recovery_fee, \
             credited_number, credited_date) \
         FROM export.document_detail WHERE company_id = $1 \
         UNION ALL \
         SELECT format('document_line %s %s %s %s %s %s %s %s', document_id, line_number, \
             description, quantity, unit_price, discount, vat_rate, net_amount) \
         FROM export.document_line WHERE company_id = $1 \
         UNION ALL \
         SELECT format('payment %s %s %s %s %s %s %s %s', payment_id, direction, payment_date, \
             method, amount, reference, party_id, party_name) \
         FROM export.payment WHERE company_id = $1 \
         UNION ALL \
         SELECT format('allocation %s %s %s %s', payment_id, document_id, document_number, \
             amount) \
         FROM export.payment_allocation WHERE company_id = $1 \
         ORDER BY 1",
    )
    .bind(company_id)
    .fetch_all(conn)
    .await
    .expect("snapshot of the projection")
}

/// Waits until `company_id` has `entries` entries and `letterings` letterings.
pub(crate) async fn wait_for(harness: &Harness, company_id: Uuid, entries: i64, letterings: i64) {
    eventually("the projection to catch up", || async {
        let mut conn = harness.db.admin().await;
        let (e, l): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM export.entry WHERE company_id = $1), \
                    (SELECT count(*) FROM export.lettering WHERE company_id = $1)",
        )
        .bind(company_id)
        .fetch_one(&mut conn)
        .await
        .expect("counting entries");
        (e == entries && l == letterings).then_some(())
    })
    .await;
}

/// The lines of the entry of `entry_id`: (account, debit, credit, lettering code).
async fn lines_of(
    harness: &Harness,
    entry_id: &str,
) -> Vec<(String, String, String, Option<String>)> {
    let mut conn = harness.db.admin().await;
    sqlx::query_as(
        "SELECT l.account_number, l.debit::text, l.credit::text, t.code \
         FROM export.entry_line l \
         LEFT JOIN export.lettering t ON t.company_id = l.company_id \
             AND t.document_id = l.document_id AND l.role IN ('customer', 'supplier') \
         WHERE l.entry_id = $1::uuid ORDER BY l.line_number",
    )
    .bind(entry_id)
    .fetch_all(&mut conn)
    .await
    .expect("entry lines")
}

fn owned(
    lines: &[(&str, &str, &str, Option<&str>)],
) -> Vec<(String, String, String, Option<String>)> {
    lines
        .iter()
        .map(|(a, d, c, l)| {
            (
                a.to_string(),
                d.to_string(),
                c.to_string(),
                l.map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_document_and_payment_posts_one_balanced_entry_lettered_once_settled() {
    let (harness, _export) = start().await;
    let mut books = Books::open(&harness, "732829320").await;
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    let invoice = document(
        "invoice",
        "F-2026-0001",
        "2026-02-10",
        &dupont,
        vec![
            line("20", "goods", "100.00"),
            line("10", "services", "50.00"),
            line("5.5", "goods", "33.33"),
            line("2.1", "goods", "10.00"),
            line("0", "services", "40.00"),
        ],
    );
    let credit_note = document(
        "credit_note",
        "A-2026-0001",
        "2026-02-20",
        &dupont,
        vec![line("20", "goods", "10.00")],
    );
    let supplier = party("Moulin SA", "MOULIN", "FR");
    let purchase = document(
        "purchase_invoice",
        "M-77",
        "2026-02-12",
        &supplier,
        vec![line("5.5", "goods", "200.00")],
    );
    books.issue(&harness, &invoice).await;
    books.issue(&harness, &credit_note).await;
    books.issue(&harness, &purchase).await;
    books
        .pay(
            &harness,
            payment("received", "2026-03-01", &dupont, &[(&invoice, "100.00")]),
        )
        .await;
    wait_for(&harness, books.company_id, 4, 0).await;
    // Partly paid: nothing lettered yet.
    let z = "0.00";
    assert_eq!(
        lines_of(&harness, &invoice.document_id).await,
        owned(&[
            ("411DUPONT", "260.37", z, None),
            ("707100", z, "100.00", None),
            ("706200", z, "50.00", None),
            ("707300", z, "33.33", None),
            ("707400", z, "10.00", None),
            ("706500", z, "40.00", None),
            ("445711", z, "20.00", None),
            ("445712", z, "5.00", None),
            ("445713", z, "1.83", None),
            ("445714", z, "0.21", None),
        ])
    );
    assert_eq!(
        lines_of(&harness, &credit_note.document_id).await,
        owned(&[
            ("411DUPONT", z, "12.00", None),
            ("707100", "10.00", z, None),
            ("445711", "2.00", z, None)
        ])
    );
    assert_eq!(
        lines_of(&harness, &purchase.document_id).await,
        owned(&[
            ("607000", "200.00", z, None),
            ("445660", "11.00", z, None),
            ("401MOULIN", z, "211.00", None)
        ])
    );

    let rest = payment("received", "2026-03-15", &dupont, &[(&invoice, "160.37")]);
    let rest_id = rest.payment_id.clone();
    books.pay(&harness, rest).await;
    let paid = payment("paid", "2026-03-05", &supplier, &[(&purchase, "211.00")]);
    let paid_id = paid.payment_id.clone();
    books.pay(&harness, paid).await;
    wait_for(&harness, books.company_id, 6, 2).await;
    let invoice_lines = lines_of(&harness, &invoice.document_id).await;
    assert_eq!(
        invoice_lines[0].3.as_deref(),
        Some("AA"),
        "the invoice is lettered with both payments"
    );
    assert_eq!(
        lines_of(&harness, &rest_id).await,
        owned(&[
            ("512000", "160.37", z, None),
            ("411DUPONT", z, "160.37", Some("AA"))
        ])
    );
    assert_eq!(
        lines_of(&harness, &paid_id).await,
        owned(&[
            ("512000", z, "211.00", None),
            ("401MOULIN", "211.00", z, Some("AB"))
        ])
    );
    let mut conn = harness.db.admin().await;
    let (lettered_on, unbalanced): (chrono::NaiveDate, i64) = sqlx::query_as(
        "SELECT (SELECT lettered_on FROM export.lettering WHERE document_id = $1::uuid), \
                (SELECT count(*) FROM (SELECT entry_id FROM export.entry_line \
                     GROUP BY entry_id HAVING sum(debit) <> sum(credit)) u)",
    )
    .bind(&invoice.document_id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        lettered_on,
        day("2026-03-15"),
        "DateLet is the settling payment's date"
    );
    assert_eq!(unbalanced, 0);
}

#[tokio::test]
async fn redelivered_and_out_of_order_events_give_what_a_replay_from_the_start_gives() {
    let (harness, export) = start().await;
    let mut books = Books::open(&harness, "732829320").await;
    let dupont = party("Dupont SARL", "", "FR");
    let invoice = document(
        "invoice",
        "F-1",
        "2026-01-05",
        &dupont,
        vec![line("20", "services", "500.00")],
    );
    let second = document(
        "invoice",
        "F-2",
        "2026-01-06",
        &dupont,
        vec![line("10", "goods", "80.00")],
    );
    // The payments arrive before the invoices they settle.
    books
        .pay(
            &harness,
            payment(
                "received",
                "2026-01-20",
                &dupont,
                &[(&invoice, "600.00"), (&second, "20.00")],
            ),
        )
        .await;
    books.issue(&harness, &invoice).await;
    books
        .pay(
            &harness,
            payment("received", "2026-01-25", &dupont, &[(&second, "68.00")]),
        )
        .await;
    books.issue(&harness, &second).await;
    wait_for(&harness, books.company_id, 4, 2).await;
    let mut conn = harness.db.admin().await;
    let first = snapshot(&mut conn, books.company_id).await;
    assert_eq!(
        first
            .iter()
            .filter(|row| row.starts_with("document "))
            .count(),
        2,
        "both invoices are kept for the reports"
    );
    assert_eq!(
        first
            .iter()
            .filter(|row| row.starts_with("document_line "))
            .count(),
        2,
        "each invoice keeps its line to print"
    );
    assert!(
        first
            .iter()
            .any(|row| row.starts_with("allocation ") && row.contains(&invoice.document_id)),
        "a payment before its invoice keeps its allocation"
    );
    // ... and both invoices read as paid, the payments having come first.
    let revenue = ExportServiceClient::new(export.channel().await)
        .revenue_list(bearer(
            RevenueListRequest {
                company_id: books.company_id.to_string(),
                filter: Some(ReportFilter {
                    period: Some(Period {
                        start_date: "2026-01-01".to_owned(),
                        end_date: "2026-01-31".to_owned(),
                    }),
                    ..Default::default()
                }),
            },
            &books.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let statuses: Vec<(&str, SettlementStatus)> = revenue
        .documents
        .iter()
        .map(|doc| (doc.number.as_str(), doc.status()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("F-1", SettlementStatus::Paid),
            ("F-2", SettlementStatus::Paid),
        ]
    );
    assert!(first.iter().any(|row| row.starts_with(&format!("lettering {} AA 2026-01-20", invoice.document_id))));
    assert!(
        first
            .iter()
            .any(|row| row.starts_with(&format!("lettering {} AB 2026-01-25", second.document_id)))
    );
    assert!(
        first
            .iter()
            .any(|row| row.contains(" customer  ") && row.contains("411000 Clients"))
    );

    // Every event delivered again (a new delivery of the same event): nothing changes.
    for event in books.published.clone() {
        publish_again(&harness, &event).await;
    }
    let marker = document(
        "invoice",
        "F-3",
        "2026-01-30",
        &dupont,
        vec![line("20", "goods", "1.00")],
    );
    books.issue(&harness, &marker).await;
    wait_for(&harness, books.company_id, 5, 2).await;
    let mut again = snapshot(&mut conn, books.company_id).await;
    again.retain(|row| !row.contains(&marker.document_id));
    assert_eq!(again, first, "redeliveries leave the projection unchanged");

    // A replay from the start into an empty projection rebuilds the same rows.
    let rebuilt_from = snapshot(&mut conn, books.company_id).await;
    // The ledger's tables and its inbox emptied, as a rebuild starts.
    sqlx::raw_sql(
        "TRUNCATE export.lettering, export.entry_line, export.entry, export.document_vat, \
             export.document, export.document_detail, export.document_line, \
             export.payment_allocation, export.payment; \
         DELETE FROM export.inbox WHERE consumer = 'ledger'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for event in books.published.clone() {
        publish_again(&harness, &event).await;
    }
    wait_for(&harness, books.company_id, 5, 2).await;
    assert_eq!(snapshot(&mut conn, books.company_id).await, rebuilt_from);
}

/// The French defaults with the 20 % goods revenue on `goods_20` and a collective
/// customer account.
fn settings(goods_20: &str) -> portal::AccountingSettings {
    let journal = |code: &str, label: &str| {
        Some(portal::Journal {
            code: code.into(),
            label: label.into(),
        })
    };
    portal::AccountingSettings {
        sales_journal: journal("VE", "Ventes"),
        purchases_journal: journal("HA", "Achats"),
        bank_journal: journal("BQ1", "Banque populaire"),
        customer_accounts: portal::CustomerAccounts::Collective as i32,
        customer_account: "411000".into(),
        supplier_account: "401".into(),
        bank_account: "512100".into(),
        deductible_vat_account: "445660".into(),
        rates: vec![portal::RateAccounts {
            vat_rate: "20".into(),
            goods_revenue_account: goods_20.into(),
            services_revenue_account: "706100".into(),
            collected_vat_account: "445711".into(),
        }],
        expense_account: "607000".into(),
    }
}

#[tokio::test]
async fn entries_take_the_settings_in_force_when_their_event_happened_even_when_they_arrive_late() {
    let (harness, _export) = start().await;
    let mut books = Books::open(&harness, "732829320").await;
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    let january = document(
        "invoice",
        "F-1",
        "2026-01-10",
        &dupont,
        vec![line("20", "goods", "100.00")],
    );
    let march = document(
        "invoice",
        "F-2",
        "2026-03-10",
        &dupont,
        vec![line("20", "goods", "100.00")],
    );
    books.issue(&harness, &january).await;
    books.issue(&harness, &march).await;
    wait_for(&harness, books.company_id, 2, 0).await;
    assert_eq!(
        lines_of(&harness, &march.document_id).await[1].0,
        "707100",
        "French defaults"
    );

    // Settings of February arrive after both invoices: only March's entry takes them.
    books
        .change_settings(&harness, settings("707010"), 1, noon("2026-02-01"))
        .await;
    eventually("the settings to reach the March entry", || async {
        (lines_of(&harness, &march.document_id).await[1].0 == "707010").then_some(())
    })
    .await;
    let march_lines = lines_of(&harness, &march.document_id).await;
    assert_eq!(march_lines[0].0, "411000", "collective customer account");
    assert_eq!(
        lines_of(&harness, &january.document_id).await[1].0,
        "707100"
    );
    // An older version arriving later changes nothing after the newer one's time.
    books
        .change_settings(&harness, settings("707999"), 2, noon("2026-02-15"))
        .await;
    books
        .change_settings(&harness, settings("707555"), 1, noon("2026-01-01"))
        .await;
    let april = document(
        "invoice",
        "F-3",
        "2026-04-10",
        &dupont,
        vec![line("20", "goods", "1.00")],
    );
    books.issue(&harness, &april).await;
    wait_for(&harness, books.company_id, 3, 0).await;
    eventually("version 2 to reach March", || async {
        (lines_of(&harness, &march.document_id).await[1].0 == "707999").then_some(())
    })
    .await;
    assert_eq!(lines_of(&harness, &april.document_id).await[1].0, "707999");
    assert_eq!(
        lines_of(&harness, &january.document_id).await[1].0,
        "707100",
        "version 1 was already held"
    );
    let mut conn = harness.db.admin().await;
    let journal: String =
        sqlx::query_scalar("SELECT journal_code FROM export.entry WHERE entry_id = $1::uuid")
            .bind(&march.document_id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(journal, "VE");
}

#[tokio::test]
async fn the_runtime_role_sees_only_the_entries_of_the_company_it_acts_for() {
    let (harness, _export) = start().await;
    let mut books = Books::open(&harness, "732829320").await;
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    books
        .issue(
            &harness,
            &document(
                "invoice",
                "F-1",
                "2026-01-10",
                &dupont,
                vec![line("20", "goods", "100.00")],
            ),
        )
        .await;
    wait_for(&harness, books.company_id, 1, 0).await;
    let count = async |company: Uuid| -> i64 {
        let mut tx = harness
            .db
            .runtime_tx(
                &comptoir_export::SPEC,
                &[("comptoir.company_id", &company.to_string())],
            )
            .await;
        // Entry lines, and the documents and VAT rows the reports read.
        sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM entry_line) + (SELECT count(*) FROM document) \
                    + (SELECT count(*) FROM document_vat)",
        )
        .fetch_one(&mut tx)
        .await
        .unwrap()
    };
    assert_eq!(count(books.company_id).await, 3 + 1 + 1);
    assert_eq!(count(Uuid::now_v7()).await, 0);
}

#[tokio::test]
async fn a_document_whose_totals_do_not_balance_is_refused_and_posts_nothing() {
    let (harness, _export) = start().await;
    let mut books = Books::open(&harness, "732829320").await;
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    let mut broken = document(
        "invoice",
        "F-1",
        "2026-01-10",
        &dupont,
        vec![line("20", "goods", "100.00")],
    );
    broken.gross_total = "120.01".to_owned();
    books.issue(&harness, &broken).await;
    let next = document(
        "invoice",
        "F-2",
        "2026-01-11",
        &dupont,
        vec![line("20", "goods", "100.00")],
    );
    books.issue(&harness, &next).await;
    // The next invoice is posted: the broken one was set aside, not retried forever.
    wait_for(&harness, books.company_id, 1, 0).await;
    assert_eq!(lines_of(&harness, &broken.document_id).await, []);
    assert_eq!(lines_of(&harness, &next.document_id).await.len(), 3);
}
