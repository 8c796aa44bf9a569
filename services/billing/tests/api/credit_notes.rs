//! Credit notes reverse what was invoiced: only the VAT rates the invoice charged, and at
//! each rate no more base or VAT than the invoice charged less earlier credit notes.

use comptoir_proto::billing::v1::{CreateCreditNoteRequest, Document, LineInput};
use comptoir_test_support::{bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;
use crate::invoices::{create, draft, issue, line};

const CREDIT_NOTES: &str = "SELECT count(*) FROM billing.document \
     WHERE company_id = $1 AND document_type = 'credit_note'";

/// A company, its Administrator's token and an issued invoice with `lines`.
async fn invoiced(env: &Env, lines: Vec<LineInput>) -> (Uuid, String, Document) {
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let created = create(env, &token, draft(customer, lines)).await.unwrap();
    let invoice = issue(env, &token, &created.document_id, "").await.unwrap();
    (company, token, invoice)
}

async fn credit(
    env: &Env,
    token: &str,
    invoice: &Document,
    lines: Vec<LineInput>,
) -> Result<Document, tonic::Status> {
    env.invoices()
        .await
        .create_credit_note(bearer(
            CreateCreditNoteRequest {
                invoice_id: invoice.document_id.clone(),
                lines,
                ..Default::default()
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().credit_note.expect("a credit note"))
}

async fn credit_notes(env: &Env, company: Uuid) -> i64 {
    crate::quotes::count(env, CREDIT_NOTES, company).await
}

#[tokio::test]
async fn a_credit_note_may_not_credit_a_rate_the_invoice_never_charged() {
    let env = Env::start().await;
    let (company, token, invoice) = invoiced(&env, vec![line("1", "100", "20")]).await;
    let refused = credit(
        &env,
        &token,
        &invoice,
        vec![line("1", "10", "20"), line("1", "10", "10")],
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(bad_fields(&refused), ["lines[1].vat_rate"]);
    assert_eq!(credit_notes(&env, company).await, 0);
}

#[tokio::test]
async fn a_credit_note_may_not_credit_more_base_at_a_rate_than_the_invoice_charged_at_it() {
    let env = Env::start().await;
    let (company, token, invoice) =
        invoiced(&env, vec![line("1", "100", "20"), line("1", "1000", "5.5")]).await;
    assert_eq!(invoice.gross_total, "1175.00");
    // 600 € is less than the invoice's total, but 500 € of base at 20 % was never billed.
    let refused = credit(&env, &token, &invoice, vec![line("1", "500", "20")])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(reason(&refused), "CREDIT_EXCEEDS_INVOICED_RATE");
    assert_eq!(bad_fields(&refused), ["lines[0].vat_rate"]);
    assert_eq!(credit_notes(&env, company).await, 0);
}

#[tokio::test]
async fn a_credit_note_credits_several_rates_in_parts_up_to_what_each_was_invoiced() {
    let env = Env::start().await;
    let (company, token, invoice) =
        invoiced(&env, vec![line("1", "100", "20"), line("1", "1000", "5.5")]).await;
    let first = credit(
        &env,
        &token,
        &invoice,
        vec![line("1", "50", "20"), line("1", "400", "5.5")],
    )
    .await
    .unwrap();
    assert_eq!(first.gross_total, "482.00");

    // Earlier credit notes count: 50 € is left at 20 %.
    let refused = credit(&env, &token, &invoice, vec![line("1", "60", "20")])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(bad_fields(&refused), ["lines[0].vat_rate"]);

    let rest = credit(
        &env,
        &token,
        &invoice,
        vec![line("1", "600", "5.5"), line("1", "50", "20")],
    )
    .await
    .unwrap();
    assert_eq!(rest.gross_total, "693.00");
    assert_eq!(credit_notes(&env, company).await, 2);
}
