//! Invoices end to end: drafts, issuing, mandatory mentions, VAT and rounding as the API
//! returns them, credit notes, the lock date (in the service and in the database),
//! bad input with nothing written, permissions and tenant isolation.

use comptoir_domain_types::permissions::{ACCOUNTANT, Permission, SALES};
use comptoir_proto::billing::v1::{
    CreateCreditNoteRequest, CreateInvoiceRequest, DeleteInvoiceRequest, Document, DocumentStatus,
    DraftInput, GetInvoiceRequest, IssueInvoiceRequest, LineInput, ListAuditEventsRequest,
    ListInvoicesRequest, SetLockDateRequest, UpdateInvoiceRequest,
};
use comptoir_test_support::{attempt, bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;

pub(crate) fn line(quantity: &str, unit_price: &str, vat_rate: &str) -> LineInput {
    LineInput {
        description: "Prestation".to_owned(),
        quantity: quantity.to_owned(),
        unit_price: unit_price.to_owned(),
        vat_rate: vat_rate.to_owned(),
        ..Default::default()
    }
}

/// A draft for a professional customer with every mention an invoice needs.
pub(crate) fn draft(customer: Uuid, lines: Vec<LineInput>) -> DraftInput {
    DraftInput {
        party_id: customer.to_string(),
        lines,
        late_penalty_rate: "10".to_owned(),
        recovery_fee: true,
        ..Default::default()
    }
}

pub(crate) async fn create(
    env: &Env,
    token: &str,
    input: DraftInput,
) -> Result<Document, tonic::Status> {
    let mut client = env.invoices().await;
    client
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(input),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().invoice.expect("an invoice"))
}

pub(crate) async fn issue(
    env: &Env,
    token: &str,
    id: &str,
    date: &str,
) -> Result<Document, tonic::Status> {
    let mut client = env.invoices().await;
    client
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: id.to_owned(),
                issue_date: date.to_owned(),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().invoice.expect("an invoice"))
}

async fn count(env: &Env, sql: &str, company: Uuid) -> i64 {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(company)
        .fetch_one(&mut conn)
        .await
        .expect(sql)
}

async fn set_lock_date(env: &Env, token: &str, date: &str) {
    env.client()
        .await
        .set_lock_date(bearer(
            SetLockDateRequest {
                lock_date: date.to_owned(),
                ..Default::default()
            },
            token,
        ))
        .await
        .expect("setting the lock date");
}

#[tokio::test]
async fn an_issued_invoice_is_numbered_frozen_announced_and_audited() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;

    let created = create(
        &env,
        &token,
        draft(
            customer,
            vec![line("3", "19.99", "20"), line("2", "10", "5.5")],
        ),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), DocumentStatus::Draft);
    assert!(created.number.is_empty());
    assert_eq!(created.net_total, "79.97");
    assert_eq!(created.vat_total, "13.09");
    assert_eq!(created.gross_total, "93.06");
    assert_eq!(created.party.as_ref().unwrap().name, "Garage Martin SAS");

    let issued = issue(&env, &token, &created.document_id, "").await.unwrap();
    let year = chrono::Utc::now().format("%Y");
    assert_eq!(issued.number, format!("F-{year}-000001"));
    assert_eq!(issued.status(), DocumentStatus::Issued);
    assert_eq!(issued.balance_due, "93.06");

    // Frozen: no edit, no delete, no second issue.
    let mut client = env.invoices().await;
    let edit = client
        .update_invoice(bearer(
            UpdateInvoiceRequest {
                invoice_id: created.document_id.clone(),
                invoice: Some(draft(customer, vec![line("1", "1", "20")])),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(edit.code(), Code::FailedPrecondition);
    assert_eq!(reason(&edit), "DOCUMENT_FROZEN");
    let delete = client
        .delete_invoice(bearer(
            DeleteInvoiceRequest {
                invoice_id: created.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(delete.code(), Code::FailedPrecondition);
    let again = issue(&env, &token, &created.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    assert_eq!(
        count(&env, "SELECT count(*) FROM billing.outbox WHERE company_id = $1 AND subject = 'comptoir.billing.invoice.issued'", company).await,
        1
    );
    let audit = env
        .client()
        .await
        .list_audit_events(bearer(
            ListAuditEventsRequest {
                subject_id: created.document_id.clone(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["invoice.issued", "invoice.created"]);
    assert!(audit[0].before_json.contains("\"status\":\"draft\""));
    assert!(audit[0].after_json.contains("\"status\":\"issued\""));
    assert_eq!(issued.authorship.unwrap().created_by, audit[1].actor);
}

#[tokio::test]
async fn issuing_refuses_an_invoice_missing_mandatory_mentions_and_names_them() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let mut input = draft(customer, vec![line("1", "100", "0")]);
    input.late_penalty_rate.clear();
    input.recovery_fee = false;
    let created = create(&env, &token, input).await.unwrap();

    let refused = issue(&env, &token, &created.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "MANDATORY_MENTIONS_MISSING");
    assert_eq!(
        bad_fields(&refused),
        ["late_penalty_rate", "recovery_fee", "vat_exemption"]
    );
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document WHERE company_id = $1 AND number IS NOT NULL",
            company
        )
        .await,
        0
    );
    let next: i64 = count(&env, "SELECT next_number FROM billing.numbering_series WHERE company_id = $1 AND document_type = 'invoice'", company).await;
    assert_eq!(next, 1, "a refused issue takes no number");
}

#[tokio::test]
async fn vat_is_computed_per_rate_and_an_oss_sale_uses_the_customers_country() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;

    // Ten lines at 5.5 %: per-line rounding would give 0.50, per-rate gives 0.54.
    let french = env.customer(company, true, "FR").await;
    let many = create(
        &env,
        &token,
        draft(french, (0..10).map(|_| line("1", "0.99", "5.5")).collect()),
    )
    .await
    .unwrap();
    assert_eq!(many.vat_amounts.len(), 1);
    assert_eq!(many.vat_amounts[0].taxable_amount, "9.90");
    assert_eq!(many.vat_amounts[0].vat_amount, "0.54");

    // A discount comes off the line before VAT.
    let mut discounted = line("2", "100", "20");
    discounted.discount = "15.50".to_owned();
    let with_discount = create(&env, &token, draft(french, vec![discounted]))
        .await
        .unwrap();
    assert_eq!(with_discount.lines[0].net_amount, "184.50");
    assert_eq!(with_discount.vat_total, "36.90");

    // A private customer in Germany: German rates, French ones refused.
    let german = env.customer(company, false, "DE").await;
    let oss = create(
        &env,
        &token,
        draft(
            german,
            vec![line("3", "41.50", "19"), line("1", "9.99", "7")],
        ),
    )
    .await
    .unwrap();
    assert!(oss.oss);
    assert_eq!(oss.vat_total, "24.36");
    assert_eq!(oss.gross_total, "158.85");
    let french_rate = create(&env, &token, draft(german, vec![line("1", "10", "20")]))
        .await
        .unwrap_err();
    assert_eq!(french_rate.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&french_rate), ["invoice.lines[0].vat_rate"]);
}

#[tokio::test]
async fn bad_input_is_named_and_writes_nothing() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let cases: Vec<(Vec<LineInput>, &str)> = vec![
        (vec![line("-1", "10", "20")], "invoice.lines[0].quantity"),
        (vec![line("0", "10", "20")], "invoice.lines[0].quantity"),
        (
            vec![line("1", "10.12345", "20")],
            "invoice.lines[0].unit_price",
        ),
        (vec![line("1", "10", "19")], "invoice.lines[0].vat_rate"),
        (vec![line("1", "10", "abc")], "invoice.lines[0].vat_rate"),
        (vec![], "invoice.lines"),
        (
            vec![LineInput {
                discount: "25".to_owned(),
                ..line("2", "10", "20")
            }],
            "invoice.lines[0].discount",
        ),
    ];
    for (lines, field) in cases {
        let status = create(&env, &token, draft(customer, lines))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(bad_fields(&status), [field]);
    }
    let mut bad_date = draft(customer, vec![line("1", "1", "20")]);
    bad_date.document_date = "2026-13-01".to_owned();
    let status = create(&env, &token, bad_date).await.unwrap_err();
    assert_eq!(bad_fields(&status), ["invoice.document_date"]);
    let unknown_customer = create(
        &env,
        &token,
        draft(Uuid::now_v7(), vec![line("1", "1", "20")]),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown_customer.code(), Code::NotFound);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document WHERE company_id = $1",
            company
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document_line WHERE company_id = $1",
            company
        )
        .await,
        0
    );
}

#[tokio::test]
async fn numbering_stays_chronological_and_retries_return_the_first_answer() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let first = create(&env, &token, draft(customer, vec![line("1", "10", "20")]))
        .await
        .unwrap();
    let second = create(&env, &token, draft(customer, vec![line("1", "20", "20")]))
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let issued = issue(&env, &token, &first.document_id, &today.to_string())
        .await
        .unwrap();
    assert!(issued.number.ends_with("000001"));

    let yesterday = (today - chrono::TimeDelta::days(1)).to_string();
    let earlier = issue(&env, &token, &second.document_id, &yesterday)
        .await
        .unwrap_err();
    assert_eq!(earlier.code(), Code::FailedPrecondition);
    assert_eq!(reason(&earlier), "NOT_CHRONOLOGICAL");

    let mut client = env.invoices().await;
    let request = IssueInvoiceRequest {
        invoice_id: second.document_id.clone(),
        issue_date: today.to_string(),
        idempotency_key: "issue-second".to_owned(),
    };
    let once = client
        .issue_invoice(bearer(request.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    let twice = client
        .issue_invoice(bearer(request.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(once, twice);
    assert!(once.invoice.unwrap().number.ends_with("000002"));
    let reused = client
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: first.document_id.clone(),
                ..request
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&reused), ["idempotency_key"]);
}

#[tokio::test]
async fn credit_notes_cite_the_invoice_and_never_exceed_it() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let created = create(
        &env,
        &token,
        draft(customer, vec![line("2", "50", "20"), line("1", "30", "10")]),
    )
    .await
    .unwrap();
    let invoice = issue(&env, &token, &created.document_id, "").await.unwrap();
    assert_eq!(invoice.gross_total, "153.00");

    let mut client = env.invoices().await;
    let partial = client
        .create_credit_note(bearer(
            CreateCreditNoteRequest {
                invoice_id: invoice.document_id.clone(),
                lines: vec![line("1", "50", "20")],
                notes: "Article retourné".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .credit_note
        .unwrap();
    let year = chrono::Utc::now().format("%Y");
    assert_eq!(partial.number, format!("AV-{year}-000001"));
    assert_eq!(partial.credited_number, invoice.number);
    assert_eq!(partial.credited_date, invoice.document_date);
    assert_eq!(partial.gross_total, "60.00");

    let after = client
        .get_invoice(bearer(
            GetInvoiceRequest {
                invoice_id: invoice.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .invoice
        .unwrap();
    assert_eq!(after.balance_due, "93.00");
    assert_eq!(after.status(), DocumentStatus::PartiallyPaid);

    // The whole invoice again would exceed what is left to credit.
    let whole = client
        .create_credit_note(bearer(
            CreateCreditNoteRequest {
                invoice_id: invoice.document_id.clone(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(whole.code(), Code::FailedPrecondition);
    assert_eq!(reason(&whole), "CREDIT_EXCEEDS_INVOICE");

    let listed = client
        .list_invoices(bearer(
            ListInvoicesRequest {
                document_type: comptoir_proto::billing::v1::DocumentType::CreditNote as i32,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .invoices;
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn nothing_dated_in_a_locked_period_changes_even_through_direct_sql() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let mut old = draft(customer, vec![line("1", "10", "20")]);
    old.document_date = "2026-01-15".to_owned();
    let old_draft = create(&env, &token, old.clone()).await.unwrap();
    let mut issued_old = create(&env, &token, old.clone()).await.unwrap();
    issued_old = issue(&env, &token, &issued_old.document_id, "")
        .await
        .unwrap();
    set_lock_date(&env, &token, "2026-01-31").await;

    let mut client = env.invoices().await;
    let created = create(&env, &token, old.clone()).await.unwrap_err();
    assert_eq!(reason(&created), "PERIOD_LOCKED");
    let updated = client
        .update_invoice(bearer(
            UpdateInvoiceRequest {
                invoice_id: old_draft.document_id.clone(),
                invoice: Some(draft(customer, vec![line("1", "99", "20")])),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&updated), "PERIOD_LOCKED");
    let deleted = client
        .delete_invoice(bearer(
            DeleteInvoiceRequest {
                invoice_id: old_draft.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&deleted), "PERIOD_LOCKED");
    let issued = issue(&env, &token, &old_draft.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&issued), "PERIOD_LOCKED");
    let credited = client
        .create_credit_note(bearer(
            CreateCreditNoteRequest {
                invoice_id: issued_old.document_id.clone(),
                issue_date: "2026-01-20".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&credited), "PERIOD_LOCKED");

    // A bug in the service cannot bypass it: the service's own role, straight SQL.
    let mut conn = env.runtime_tx(company).await;
    let id = &old_draft.document_id;
    for sql in [
        format!("UPDATE billing.document SET notes = 'rewritten' WHERE document_id = '{id}'"),
        format!("DELETE FROM billing.document WHERE document_id = '{id}'"),
        // Lines are never updated (the role may not), only replaced while a draft.
        format!("DELETE FROM billing.document_line WHERE document_id = '{id}'"),
    ] {
        let refusal = attempt(&mut conn, &sql).await;
        assert_eq!(refusal.map(|r| r.code).as_deref(), Some("CB001"), "{sql}");
    }
    // Nor can it disable the guard: it owns no table.
    let disable = sqlx::query("ALTER TABLE billing.document DISABLE TRIGGER document_lock_date")
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(disable.to_string().contains("must be owner"), "{disable}");
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();

    // Moving the lock date backwards needs an Administrator; settings.write alone may
    // only move it forward.
    let settings_only = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::SettingsWrite],
        )
        .await;
    let backwards = env
        .client()
        .await
        .set_lock_date(bearer(
            SetLockDateRequest {
                lock_date: "2025-12-31".to_owned(),
                ..Default::default()
            },
            &settings_only,
        ))
        .await
        .unwrap_err();
    assert_eq!(backwards.code(), Code::PermissionDenied);
    set_lock_date(&env, &settings_only, "2026-02-28").await;
    assert_eq!(
        count(&env, "SELECT count(*) FROM billing.outbox WHERE company_id = $1 AND subject = 'comptoir.billing.lock_date.changed'", company).await,
        2
    );
}

#[tokio::test]
async fn each_role_does_only_what_its_permissions_allow() {
    let env = Env::start().await;
    let company = env.company().await;
    let admin = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let created = create(&env, &admin, draft(customer, vec![line("1", "10", "20")]))
        .await
        .unwrap();

    let accountant = env.token_with(company, ACCOUNTANT.permissions).await;
    let sales = env.token_with(company, SALES.permissions).await;
    let writer = env
        .token_with(
            company,
            &[Permission::InvoicesRead, Permission::InvoicesWrite],
        )
        .await;
    for token in [&accountant, &sales] {
        let refused = create(&env, token, draft(customer, vec![line("1", "1", "20")]))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
    for token in [&accountant, &sales, &writer] {
        let refused = issue(&env, token, &created.document_id, "")
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
    // The Accountant reads everything, including the audit trail.
    let mut client = env.invoices().await;
    let read = client
        .get_invoice(bearer(
            GetInvoiceRequest {
                invoice_id: created.document_id.clone(),
            },
            &accountant,
        ))
        .await
        .unwrap();
    assert_eq!(
        read.into_inner().invoice.unwrap().document_id,
        created.document_id
    );
    let trail = env
        .client()
        .await
        .list_audit_events(bearer(
            ListAuditEventsRequest {
                subject_id: created.document_id.clone(),
                ..Default::default()
            },
            &accountant,
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    assert_eq!(trail.len(), 1, "the draft's creation");
    let sales_read = client
        .get_invoice(bearer(
            GetInvoiceRequest {
                invoice_id: created.document_id.clone(),
            },
            &sales,
        ))
        .await
        .unwrap_err();
    assert_eq!(sales_read.code(), Code::PermissionDenied);
    // With invoices.issue the same draft goes out.
    let issuer = env
        .token_with(
            company,
            &[Permission::InvoicesRead, Permission::InvoicesIssue],
        )
        .await;
    issue(&env, &issuer, &created.document_id, "")
        .await
        .unwrap();
}

#[tokio::test]
async fn another_companys_invoices_are_not_found_and_rls_hides_them_from_a_careless_query() {
    let env = Env::start().await;
    let a = env.company().await;
    let b = env.company().await;
    let token_a = env.admin_token(a).await;
    let token_b = env.admin_token(b).await;
    let customer_b = env.customer(b, true, "FR").await;
    let customer_a = env.customer(a, true, "FR").await;
    let of_b = create(
        &env,
        &token_b,
        draft(customer_b, vec![line("1", "10", "20")]),
    )
    .await
    .unwrap();
    create(
        &env,
        &token_a,
        draft(customer_a, vec![line("1", "10", "20")]),
    )
    .await
    .unwrap();

    let mut client = env.invoices().await;
    let get = client
        .get_invoice(bearer(
            GetInvoiceRequest {
                invoice_id: of_b.document_id.clone(),
            },
            &token_a,
        ))
        .await
        .unwrap_err();
    assert_eq!(get.code(), Code::NotFound);
    let issue_foreign = issue(&env, &token_a, &of_b.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(issue_foreign.code(), Code::NotFound);
    let with_foreign_customer = create(
        &env,
        &token_a,
        draft(customer_b, vec![line("1", "1", "20")]),
    )
    .await
    .unwrap_err();
    assert_eq!(with_foreign_customer.code(), Code::NotFound);

    // A query that forgets `WHERE company_id`, run as the service's role.
    let mut conn = env.harness.db.as_role(&comptoir_billing::SPEC).await;
    let careless = "SELECT count(*) FROM billing.document";
    let unset: i64 = sqlx::query_scalar(careless)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(unset, 0, "no company set: no row at all");
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    sqlx::query("SELECT set_config('comptoir.company_id', $1, true)")
        .bind(a.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let companies: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT company_id FROM billing.document")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(companies, [a]);
    let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.document_line")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(lines, 1);
    let smuggled = sqlx::query("UPDATE billing.document SET notes = 'x' WHERE document_id = $1")
        .bind(Uuid::parse_str(&of_b.document_id).unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(smuggled.rows_affected(), 0);
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    let total: i64 = {
        let mut admin = env.harness.db.admin().await;
        sqlx::query_scalar("SELECT count(*) FROM billing.document")
            .fetch_one(&mut admin)
            .await
            .unwrap()
    };
    assert_eq!(total, 2);
}

/// Today in Paris, the zone of a company that sets none, as the database tells it.
async fn paris_today(env: &Env) -> chrono::NaiveDate {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_scalar("SELECT (now() AT TIME ZONE 'Europe/Paris')::date")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_draft_dated_2099_is_refused_at_issuance_and_numbering_goes_on_today() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let mut far = draft(customer, vec![line("1", "10", "20")]);
    far.document_date = "2099-12-31".to_owned();
    // A draft may carry any date; issuing decides.
    let far = create(&env, &token, far).await.unwrap();
    let refused = issue(&env, &token, &far.document_id, "").await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(bad_fields(&refused), ["issue_date"]);

    // Dated today in the company's zone (a draft without a date takes today's UTC date,
    // a day earlier than Paris's between 23:00 and midnight UTC).
    let today = paris_today(&env).await;
    let mut current = draft(customer, vec![line("1", "20", "20")]);
    current.document_date = today.to_string();
    let current = create(&env, &token, current).await.unwrap();
    let requested = issue(&env, &token, &current.document_id, "2099-12-31")
        .await
        .unwrap_err();
    assert_eq!(requested.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&requested), ["issue_date"]);

    // Numbering is undisturbed: today's invoice takes the first number, dated today in
    // the company's zone, and the 2099 draft stays a draft.
    let issued = issue(&env, &token, &current.document_id, "").await.unwrap();
    assert!(issued.number.ends_with("000001"), "{}", issued.number);
    assert_eq!(issued.document_date, today.to_string());
    let kept = crate::payments::invoice(&env, &token, &far.document_id).await;
    assert_eq!(kept.status(), DocumentStatus::Draft);
    assert_eq!(kept.number, "");

    // Same rule for credit notes.
    let credit = env
        .invoices()
        .await
        .create_credit_note(bearer(
            CreateCreditNoteRequest {
                invoice_id: issued.document_id.clone(),
                issue_date: "2099-12-31".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(credit.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&credit), ["issue_date"]);

    // A few days ahead is accepted (three by default).
    let ahead = create(&env, &token, draft(customer, vec![line("1", "30", "20")]))
        .await
        .unwrap();
    let in_three_days = (today + chrono::TimeDelta::days(3)).to_string();
    let issued = issue(&env, &token, &ahead.document_id, &in_three_days)
        .await
        .unwrap();
    assert!(issued.number.ends_with("000002"), "{}", issued.number);
    assert_eq!(issued.document_date, in_three_days);
}
