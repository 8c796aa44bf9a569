//! Quotes end to end: draft, sent with the next number of the quote series, the
//! customer's answer with `quote.accepted` in the outbox, conversion into a draft
//! invoice, expiry, and who may do what.

use chrono::{TimeDelta, Utc};
use comptoir_domain_types::permissions::SALES;
use comptoir_proto::billing::v1::{
    AcceptQuoteRequest, ArchivePartyRequest, ConvertQuoteToInvoiceRequest, CreateInvoiceRequest,
    CreateQuoteRequest, DeleteInvoiceRequest, Document, DocumentStatus, DocumentType, DraftInput,
    GetQuoteRequest, IssueInvoiceRequest, LineInput, ListQuotesRequest, PartyRole,
    RefuseQuoteRequest, SendQuoteRequest, UpdateQuoteRequest,
};
use comptoir_test_support::{attempt, bearer, french_business, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;

/// A party of `company` in `role` ("customer" or "supplier"): a French business with
/// 30-day payment terms, created through PartyService.
pub(crate) async fn party(env: &Env, company: Uuid, role: &str, name: &str) -> Uuid {
    let role = match role {
        "customer" => PartyRole::Customer,
        "supplier" => PartyRole::Supplier,
        other => panic!("no party role {other}"),
    };
    env.create_party(company, french_business(role, name)).await
}

pub(crate) fn line(description: &str, quantity: &str, unit_price: &str, rate: &str) -> LineInput {
    LineInput {
        description: description.to_owned(),
        quantity: quantity.to_owned(),
        unit_price: unit_price.to_owned(),
        vat_rate: rate.to_owned(),
        ..Default::default()
    }
}

/// A draft for a professional customer with every mention an invoice needs.
pub(crate) fn draft(party: Uuid, lines: Vec<LineInput>) -> DraftInput {
    DraftInput {
        party_id: party.to_string(),
        lines,
        late_penalty_rate: "10".to_owned(),
        recovery_fee: true,
        ..Default::default()
    }
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + TimeDelta::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn create(env: &Env, token: &str, input: DraftInput) -> Result<Document, tonic::Status> {
    env.quotes()
        .await
        .create_quote(bearer(
            CreateQuoteRequest {
                quote: Some(input),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().quote.expect("a quote"))
}

async fn send(env: &Env, token: &str, id: &str) -> Result<Document, tonic::Status> {
    env.quotes()
        .await
        .send_quote(bearer(
            SendQuoteRequest {
                quote_id: id.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().quote.expect("a quote"))
}

async fn accept(env: &Env, token: &str, id: &str) -> Result<Document, tonic::Status> {
    env.quotes()
        .await
        .accept_quote(bearer(
            AcceptQuoteRequest {
                quote_id: id.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().quote.expect("a quote"))
}

async fn convert(env: &Env, token: &str, id: &str, key: &str) -> Result<Document, tonic::Status> {
    env.quotes()
        .await
        .convert_quote_to_invoice(bearer(
            ConvertQuoteToInvoiceRequest {
                quote_id: id.to_owned(),
                idempotency_key: key.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().invoice.expect("an invoice"))
}

async fn get(env: &Env, token: &str, id: &str) -> Result<Document, tonic::Status> {
    env.quotes()
        .await
        .get_quote(bearer(
            GetQuoteRequest {
                quote_id: id.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().quote.expect("a quote"))
}

/// Counts `sql` (with `$1` the company) as superuser.
pub(crate) async fn count(env: &Env, sql: &str, company: Uuid) -> i64 {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(company)
        .fetch_one(&mut conn)
        .await
        .expect(sql)
}

const QUOTES_ACCEPTED: &str = "SELECT count(*) FROM billing.outbox \
     WHERE company_id = $1 AND subject = 'comptoir.billing.quote.accepted'";

fn assert_denied(result: Result<Document, tonic::Status>, what: &str) {
    let status = result.expect_err(what);
    assert_eq!(status.code(), Code::PermissionDenied, "{what}: {status:?}");
}

/// A company, its Administrator's token and a sent quote of 900 € to a business customer.
async fn sent_quote(env: &Env) -> (Uuid, String, Document) {
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(env, company, "customer", "Garage Martin SAS").await;
    let quote = create(
        env,
        &token,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap();
    send(env, &token, &quote.document_id).await.unwrap();
    (company, token, quote)
}

#[tokio::test]
async fn a_quote_is_sent_numbered_accepted_and_converted_into_a_draft_invoice_with_its_lines() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;

    let quote = create(
        &env,
        &token,
        draft(
            customer,
            vec![
                line("Pose de carrelage", "12.5", "40", "10"),
                line("Fourniture", "3", "19.99", "20"),
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(quote.status(), DocumentStatus::Draft);
    assert_eq!(quote.document_type(), DocumentType::Quote);
    assert!(quote.number.is_empty());
    assert_eq!(quote.due_date, day(30), "valid 30 days by default");
    assert_eq!(quote.net_total, "559.97");
    assert_eq!(quote.vat_total, "61.99");

    let sent = send(&env, &token, &quote.document_id).await.unwrap();
    assert_eq!(sent.status(), DocumentStatus::Sent);
    assert_eq!(
        sent.number,
        format!("D-{}-000001", Utc::now().date_naive().format("%Y"))
    );
    let again = send(&env, &token, &quote.document_id).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "QUOTE_NOT_DRAFT");

    let accepted = accept(&env, &token, &quote.document_id).await.unwrap();
    assert_eq!(accepted.status(), DocumentStatus::Accepted);
    assert_eq!(accepted.number, sent.number);
    assert_eq!(count(&env, QUOTES_ACCEPTED, company).await, 1);

    let invoice = convert(&env, &token, &quote.document_id, "").await.unwrap();
    assert_eq!(invoice.document_type(), DocumentType::Invoice);
    assert_eq!(invoice.status(), DocumentStatus::Draft);
    assert!(invoice.number.is_empty());
    assert_eq!(invoice.quote_id, quote.document_id);
    assert_ne!(invoice.document_id, quote.document_id);
    assert_eq!(
        invoice.party.as_ref().unwrap().party_id,
        customer.to_string()
    );
    assert_eq!(invoice.document_date, day(0));
    assert_eq!(invoice.due_date, day(30), "the customer's payment terms");
    assert_eq!(invoice.lines, quote.lines);
    assert_eq!(invoice.vat_amounts, quote.vat_amounts);
    assert_eq!(invoice.gross_total, quote.gross_total);
    assert_eq!(invoice.late_penalty_rate, "10");
    assert!(invoice.recovery_fee);

    let after = get(&env, &token, &quote.document_id).await.unwrap();
    assert_eq!(after.status(), DocumentStatus::Accepted);
    assert_eq!(
        count(&env, QUOTES_ACCEPTED, company).await,
        1,
        "an accepted quote is not accepted again by its conversion"
    );
    let issued = env
        .invoices()
        .await
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: invoice.document_id.clone(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .invoice
        .unwrap();
    assert_eq!(issued.quote_id, quote.document_id);
}

#[tokio::test]
async fn converting_a_sent_quote_accepts_it_and_a_retry_returns_the_same_invoice() {
    let env = Env::start().await;
    let (company, token, quote) = sent_quote(&env).await;

    let first = convert(&env, &token, &quote.document_id, "convert-1")
        .await
        .unwrap();
    let retry = convert(&env, &token, &quote.document_id, "convert-1")
        .await
        .unwrap();
    assert_eq!(retry, first);
    assert_eq!(
        get(&env, &token, &quote.document_id)
            .await
            .unwrap()
            .status(),
        DocumentStatus::Accepted
    );
    assert_eq!(count(&env, QUOTES_ACCEPTED, company).await, 1);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document WHERE company_id = $1 AND quote_id IS NOT NULL",
            company
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_quote_makes_one_invoice_until_its_draft_is_deleted() {
    let env = Env::start().await;
    let (company, token, quote) = sent_quote(&env).await;
    let invoices = "SELECT count(*) FROM billing.document \
                    WHERE company_id = $1 AND document_type = 'invoice'";

    let first = convert(&env, &token, &quote.document_id, "").await.unwrap();
    let again = convert(&env, &token, &quote.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "QUOTE_ALREADY_CONVERTED");
    assert!(
        again.message().contains(&first.document_id),
        "{}",
        again.message()
    );
    assert_eq!(count(&env, invoices, company).await, 1);

    // Once its draft is gone, the (accepted) quote converts again.
    env.invoices()
        .await
        .delete_invoice(bearer(
            DeleteInvoiceRequest {
                invoice_id: first.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let second = convert(&env, &token, &quote.document_id, "").await.unwrap();
    assert_ne!(second.document_id, first.document_id);
    assert_eq!(second.quote_id, quote.document_id);
    assert_eq!(count(&env, invoices, company).await, 1);
    assert_eq!(count(&env, QUOTES_ACCEPTED, company).await, 1);
}

#[tokio::test]
async fn a_refused_quote_can_be_neither_accepted_nor_converted() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let quote = create(
        &env,
        &token,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap();

    let draft_refused = env
        .quotes()
        .await
        .refuse_quote(bearer(
            RefuseQuoteRequest {
                quote_id: quote.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(draft_refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&draft_refused), "QUOTE_NOT_SENT");

    send(&env, &token, &quote.document_id).await.unwrap();
    let refused = env
        .quotes()
        .await
        .refuse_quote(bearer(
            RefuseQuoteRequest {
                quote_id: quote.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .quote
        .unwrap();
    assert_eq!(refused.status(), DocumentStatus::Refused);

    let accepted = accept(&env, &token, &quote.document_id).await.unwrap_err();
    assert_eq!(accepted.code(), Code::FailedPrecondition);
    assert_eq!(reason(&accepted), "QUOTE_NOT_SENT");
    let converted = convert(&env, &token, &quote.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(converted.code(), Code::FailedPrecondition);
    assert_eq!(count(&env, QUOTES_ACCEPTED, company).await, 0);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document WHERE company_id = $1 AND document_type = 'invoice'",
            company
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_draft_quote_is_updated_but_a_sent_one_is_not() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let quote = create(
        &env,
        &token,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap();
    let update = |lines: Vec<LineInput>| UpdateQuoteRequest {
        quote_id: quote.document_id.clone(),
        quote: Some(DraftInput {
            due_date: day(60),
            ..draft(customer, lines)
        }),
    };

    let updated = env
        .quotes()
        .await
        .update_quote(bearer(
            update(vec![
                line("Audit", "2", "900", "20"),
                line("Rapport", "1", "150", "20"),
            ]),
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .quote
        .unwrap();
    assert_eq!(updated.lines.len(), 2);
    assert_eq!(updated.net_total, "1950.00");
    assert_eq!(updated.due_date, day(60));

    send(&env, &token, &quote.document_id).await.unwrap();
    let refused = env
        .quotes()
        .await
        .update_quote(bearer(update(vec![line("Audit", "1", "1", "20")]), &token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "QUOTE_NOT_DRAFT");
    let kept = get(&env, &token, &quote.document_id).await.unwrap();
    assert_eq!(kept.net_total, "1950.00");
}

#[tokio::test]
async fn a_sent_quote_past_its_validity_reads_as_expired_and_cannot_be_accepted() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let old = create(
        &env,
        &token,
        DraftInput {
            document_date: day(-40),
            due_date: day(-10),
            ..draft(customer, vec![line("Audit", "1", "900", "20")])
        },
    )
    .await
    .unwrap();
    send(&env, &token, &old.document_id).await.unwrap();
    let fresh = create(
        &env,
        &token,
        draft(customer, vec![line("Audit", "1", "800", "20")]),
    )
    .await
    .unwrap();
    send(&env, &token, &fresh.document_id).await.unwrap();

    assert_eq!(
        get(&env, &token, &old.document_id).await.unwrap().status(),
        DocumentStatus::Expired
    );
    let refused = accept(&env, &token, &old.document_id).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "QUOTE_EXPIRED");

    let list = |status: DocumentStatus, page_size: i32, page_token: String| ListQuotesRequest {
        status: status as i32,
        page_size,
        page_token,
        ..Default::default()
    };
    let mut client = env.quotes().await;
    let expired = client
        .list_quotes(bearer(
            list(DocumentStatus::Expired, 0, String::new()),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = expired.quotes.iter().map(|q| &q.document_id).collect();
    assert_eq!(ids, [&old.document_id]);
    let sent = client
        .list_quotes(bearer(list(DocumentStatus::Sent, 0, String::new()), &token))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = sent.quotes.iter().map(|q| &q.document_id).collect();
    assert_eq!(ids, [&fresh.document_id]);
    // The status is filtered before paging: a page of one holds the expired quote even
    // though a newer sent one exists.
    let expired_first = client
        .list_quotes(bearer(
            list(DocumentStatus::Expired, 1, String::new()),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = expired_first
        .quotes
        .iter()
        .map(|q| &q.document_id)
        .collect();
    assert_eq!(ids, [&old.document_id]);

    let first = client
        .list_quotes(bearer(
            list(DocumentStatus::Unspecified, 1, String::new()),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.quotes[0].document_id, fresh.document_id,
        "newest first"
    );
    let second = client
        .list_quotes(bearer(
            list(DocumentStatus::Unspecified, 1, first.next_page_token),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.quotes[0].document_id, old.document_id);
    assert!(second.next_page_token.is_empty());
}

#[tokio::test]
async fn a_sales_token_creates_and_sends_quotes_but_cannot_convert_them_or_issue_invoices() {
    let env = Env::start().await;
    let company = env.company().await;
    let admin = env.admin_token(company).await;
    let sales = env.token_with(company, SALES.permissions).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;

    let quote = create(
        &env,
        &sales,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap();
    send(&env, &sales, &quote.document_id).await.unwrap();
    accept(&env, &sales, &quote.document_id).await.unwrap();
    get(&env, &sales, &quote.document_id).await.unwrap();
    assert_denied(
        convert(&env, &sales, &quote.document_id, "").await,
        "a Sales token converting a quote",
    );

    let mut invoices = env.invoices().await;
    let created = invoices
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(draft(customer, vec![line("Audit", "1", "900", "20")])),
                idempotency_key: String::new(),
            },
            &sales,
        ))
        .await
        .map(|r| r.into_inner().invoice.unwrap());
    assert_denied(created, "a Sales token creating an invoice");
    let invoice = convert(&env, &admin, &quote.document_id, "").await.unwrap();
    let issued = invoices
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: invoice.document_id.clone(),
                ..Default::default()
            },
            &sales,
        ))
        .await
        .map(|r| r.into_inner().invoice.unwrap());
    assert_denied(issued, "a Sales token issuing an invoice");
}

#[tokio::test]
async fn another_companys_quote_answers_not_found() {
    let env = Env::start().await;
    let company = env.company().await;
    let other = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let quote = create(
        &env,
        &token,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap();

    let stranger = env.admin_token(other).await;
    assert_eq!(
        get(&env, &stranger, &quote.document_id)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        send(&env, &stranger, &quote.document_id)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let theirs = create(
        &env,
        &stranger,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap_err();
    assert_eq!(theirs.code(), Code::NotFound, "another company's customer");
}

#[tokio::test]
async fn a_quote_whose_customer_was_archived_is_not_converted() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let quote = create(
        &env,
        &token,
        draft(customer, vec![line("Audit", "1", "900", "20")]),
    )
    .await
    .unwrap();
    send(&env, &token, &quote.document_id).await.unwrap();
    env.parties()
        .await
        .archive_party(bearer(
            ArchivePartyRequest {
                party_id: customer.to_string(),
            },
            &token,
        ))
        .await
        .unwrap();

    let refused = convert(&env, &token, &quote.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "PARTY_ARCHIVED");
    assert_eq!(
        get(&env, &token, &quote.document_id)
            .await
            .unwrap()
            .status(),
        DocumentStatus::Sent,
        "nothing written"
    );
    assert_eq!(count(&env, QUOTES_ACCEPTED, company).await, 0);
}

#[tokio::test]
async fn a_sent_quote_gains_no_line_after_a_status_change_in_the_same_transaction() {
    let env = Env::start().await;
    let (company, _token, quote) = sent_quote(&env).await;
    let id = Uuid::parse_str(&quote.document_id).unwrap();

    // The service's own role, in one transaction: a status-only change writes the row
    // again, which must not make the quote look created in this transaction. (Not under
    // a savepoint: the row would then carry the subtransaction's id.)
    let mut conn = env.runtime_tx(company).await;
    sqlx::query("UPDATE billing.document SET status = 'accepted' WHERE document_id = $1")
        .bind(id)
        .execute(&mut conn)
        .await
        .unwrap();
    for sql in [
        format!(
            "INSERT INTO billing.document_line (document_id, line_number, company_id, \
                 description, quantity, unit_price, vat_rate, net_amount) \
             VALUES ('{id}', 2, '{company}', 'Ajout', 1, 5000, 20, 5000)"
        ),
        format!(
            "INSERT INTO billing.document_vat (document_id, vat_rate, company_id, \
                 taxable_amount, vat_amount) VALUES ('{id}', 10, '{company}', 5000, 500)"
        ),
    ] {
        let refusal = attempt(&mut conn, &sql).await;
        assert_eq!(refusal.map(|r| r.code).as_deref(), Some("CB002"), "{sql}");
    }
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
}
