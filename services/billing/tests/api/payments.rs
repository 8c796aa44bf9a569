//! Payments end to end: partial and full settlement of issued invoices, one payment
//! across several invoices, supplier payments, overpayment and the lock date refused with
//! nothing written, idempotent retries, and who may record or read them.

use comptoir_domain_types::permissions::ACCOUNTANT;
use comptoir_proto::billing::v1::{
    Allocation, CreateInvoiceRequest, Document, DocumentStatus, DraftInput, GetInvoiceRequest,
    IssueInvoiceRequest, ListInvoicesRequest, ListPaymentsRequest, Payment, PaymentDirection,
    PaymentMethod, RecordPaymentRequest, SetLockDateRequest,
};
use comptoir_proto::events::v1::PaymentRecorded;
use comptoir_test_support::{attempt, bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;
use crate::purchases::{purchase, record};
use crate::quotes::{count, draft, line, party};

/// An issued invoice of `customer` for `unit_price` excluding VAT at 20 %.
async fn issued_invoice(env: &Env, token: &str, customer: Uuid, unit_price: &str) -> Document {
    issued_invoice_dated(env, token, customer, unit_price, "").await
}

/// Like [`issued_invoice`], its draft dated `date` (today when empty).
async fn issued_invoice_dated(
    env: &Env,
    token: &str,
    customer: Uuid,
    unit_price: &str,
    date: &str,
) -> Document {
    let mut invoices = env.invoices().await;
    let created = invoices
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(DraftInput {
                    document_date: date.to_owned(),
                    ..draft(customer, vec![line("Audit", "1", unit_price, "20")])
                }),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .invoice
        .unwrap();
    invoices
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: created.document_id,
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .invoice
        .unwrap()
}

pub(crate) async fn invoice(env: &Env, token: &str, id: &str) -> Document {
    env.invoices()
        .await
        .get_invoice(bearer(
            GetInvoiceRequest {
                invoice_id: id.to_owned(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .invoice
        .unwrap()
}

fn allocation(document: &Document, amount: &str) -> Allocation {
    Allocation {
        document_id: document.document_id.clone(),
        amount: amount.to_owned(),
        document_number: String::new(),
    }
}

fn received(amount: &str, allocations: Vec<Allocation>) -> RecordPaymentRequest {
    RecordPaymentRequest {
        direction: PaymentDirection::Received as i32,
        method: PaymentMethod::Transfer as i32,
        amount: amount.to_owned(),
        reference: "VIR SEPA 0042".to_owned(),
        allocations,
        ..Default::default()
    }
}

async fn pay(
    env: &Env,
    token: &str,
    request: RecordPaymentRequest,
) -> Result<Payment, tonic::Status> {
    env.payments()
        .await
        .record_payment(bearer(request, token))
        .await
        .map(|r| r.into_inner().payment.expect("a payment"))
}

const PAYMENTS: &str = "SELECT count(*) FROM billing.payment WHERE company_id = $1";
const ALLOCATIONS: &str = "SELECT count(*) FROM billing.payment_allocation WHERE company_id = $1";
const RECORDED: &str = "SELECT count(*) FROM billing.outbox \
     WHERE company_id = $1 AND subject = 'comptoir.billing.payment.recorded'";

/// The `payment.recorded` events in the outbox, oldest first.
async fn recorded_events(env: &Env, company: Uuid) -> Vec<PaymentRecorded> {
    env.outbox(company, "comptoir.billing.payment.recorded")
        .await
}

/// Every invoice listed under `status`, a page of one at a time: each page must hold
/// one invoice, and every one must read as `status`.
async fn listed_as(env: &Env, token: &str, status: DocumentStatus) -> Vec<String> {
    let mut ids = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = env
            .invoices()
            .await
            .list_invoices(bearer(
                ListInvoicesRequest {
                    status: status as i32,
                    page_size: 1,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            page.invoices.len(),
            1,
            "{status:?}: a page of one holds one"
        );
        assert_eq!(page.invoices[0].status(), status);
        ids.push(page.invoices[0].document_id.clone());
        if page.next_page_token.is_empty() {
            return ids;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn listing_by_payment_status_fills_every_page() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    // Oldest first: paid, partially paid, then three with nothing paid (the newest), so
    // a filter applied after paging would return empty first pages for the others.
    let paid = issued_invoice(&env, &token, customer, "100").await;
    let partly = issued_invoice(&env, &token, customer, "100").await;
    let mut unpaid = Vec::new();
    for _ in 0..3 {
        unpaid.push(
            issued_invoice(&env, &token, customer, "100")
                .await
                .document_id,
        );
    }
    pay(
        &env,
        &token,
        received("120.00", vec![allocation(&paid, "120.00")]),
    )
    .await
    .unwrap();
    pay(
        &env,
        &token,
        received("20.00", vec![allocation(&partly, "20.00")]),
    )
    .await
    .unwrap();

    assert_eq!(
        listed_as(&env, &token, DocumentStatus::Paid).await,
        vec![paid.document_id.clone()]
    );
    assert_eq!(
        listed_as(&env, &token, DocumentStatus::PartiallyPaid).await,
        vec![partly.document_id.clone()]
    );
    unpaid.reverse();
    assert_eq!(
        listed_as(&env, &token, DocumentStatus::Issued).await,
        unpaid
    );
}

#[tokio::test]
async fn a_partial_payment_leaves_the_invoice_partially_paid_and_the_rest_pays_it() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let issued = issued_invoice(&env, &token, customer, "1000").await;
    assert_eq!(issued.gross_total, "1200.00");
    assert_eq!(issued.status(), DocumentStatus::Issued);

    let first = pay(
        &env,
        &token,
        received("450.50", vec![allocation(&issued, "450.50")]),
    )
    .await
    .unwrap();
    assert_eq!(first.amount, "450.50");
    assert_eq!(first.direction(), PaymentDirection::Received);
    assert_eq!(first.currency_code, "EUR");
    assert_eq!(first.allocations[0].document_number, issued.number);
    let partly = invoice(&env, &token, &issued.document_id).await;
    assert_eq!(partly.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(partly.balance_due, "749.50");

    pay(
        &env,
        &token,
        RecordPaymentRequest {
            method: PaymentMethod::Cheque as i32,
            ..received("749.50", vec![allocation(&issued, "749.50")])
        },
    )
    .await
    .unwrap();
    let paid = invoice(&env, &token, &issued.document_id).await;
    assert_eq!(paid.status(), DocumentStatus::Paid);
    assert_eq!(paid.balance_due, "0.00");

    let events = recorded_events(&env, company).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].direction, "received");
    assert_eq!(events[0].method, "transfer");
    assert_eq!(
        events[0].party.as_ref().unwrap().party_id,
        customer.to_string()
    );
    assert_eq!(events[0].allocations[0].balance_due, "749.50");
    assert_eq!(events[1].method, "cheque");
    assert_eq!(events[1].allocations[0].balance_due, "0.00");
    assert_eq!(events[1].allocations[0].document_type, "invoice");
}

#[tokio::test]
async fn one_payment_settles_two_invoices_of_the_same_customer() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let first = issued_invoice(&env, &token, customer, "100").await;
    let second = issued_invoice(&env, &token, customer, "250").await;

    let payment = pay(
        &env,
        &token,
        received(
            "320.00",
            vec![allocation(&first, "120"), allocation(&second, "200")],
        ),
    )
    .await
    .unwrap();
    let numbers: Vec<_> = payment
        .allocations
        .iter()
        .map(|a| (a.document_number.as_str(), a.amount.as_str()))
        .collect();
    assert_eq!(
        numbers,
        [
            (first.number.as_str(), "120.00"),
            (second.number.as_str(), "200.00")
        ]
    );
    assert_eq!(
        invoice(&env, &token, &first.document_id).await.status(),
        DocumentStatus::Paid
    );
    let second = invoice(&env, &token, &second.document_id).await;
    assert_eq!(second.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(second.balance_due, "100.00");

    let mut client = env.payments().await;
    let by_document = client
        .list_payments(bearer(
            ListPaymentsRequest {
                document_id: second.document_id.clone(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_document.payments, [payment]);
}

#[tokio::test]
async fn paying_more_than_the_balance_is_an_overpayment_and_writes_nothing() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let first = issued_invoice(&env, &token, customer, "100").await;
    let second = issued_invoice(&env, &token, customer, "100").await;
    pay(
        &env,
        &token,
        received("100", vec![allocation(&second, "100")]),
    )
    .await
    .unwrap();

    let refused = pay(
        &env,
        &token,
        received(
            "140.01",
            vec![allocation(&first, "120"), allocation(&second, "20.01")],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "OVERPAYMENT");
    assert!(refused.message().contains(&second.number), "{refused:?}");
    assert!(refused.message().contains("20.00"), "{refused:?}");
    assert_eq!(count(&env, PAYMENTS, company).await, 1);
    assert_eq!(count(&env, ALLOCATIONS, company).await, 1);
    assert_eq!(count(&env, RECORDED, company).await, 1);
    assert_eq!(
        invoice(&env, &token, &first.document_id).await.balance_due,
        "120.00"
    );
}

#[tokio::test]
async fn a_payment_dated_on_or_before_the_lock_date_is_period_locked() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let issued = issued_invoice(&env, &token, customer, "100").await;
    env.client()
        .await
        .set_lock_date(bearer(
            SetLockDateRequest {
                lock_date: "2025-12-31".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();

    for date in ["2025-12-31", "2025-06-30"] {
        let refused = pay(
            &env,
            &token,
            RecordPaymentRequest {
                payment_date: date.to_owned(),
                ..received("10", vec![allocation(&issued, "10")])
            },
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{date}");
        assert_eq!(reason(&refused), "PERIOD_LOCKED", "{date}");
    }
    assert_eq!(count(&env, PAYMENTS, company).await, 0);
    pay(
        &env,
        &token,
        RecordPaymentRequest {
            payment_date: "2026-01-01".to_owned(),
            ..received("10", vec![allocation(&issued, "10")])
        },
    )
    .await
    .expect("the day after the lock date is open");
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_same_payment_and_records_one() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let issued = issued_invoice(&env, &token, customer, "100").await;
    let request = RecordPaymentRequest {
        idempotency_key: "bank-line-981".to_owned(),
        ..received("60", vec![allocation(&issued, "60")])
    };

    let first = pay(&env, &token, request.clone()).await.unwrap();
    let retry = pay(&env, &token, request.clone()).await.unwrap();
    assert_eq!(retry, first);
    assert_eq!(count(&env, PAYMENTS, company).await, 1);
    assert_eq!(count(&env, RECORDED, company).await, 1);
    assert_eq!(
        invoice(&env, &token, &issued.document_id).await.balance_due,
        "60.00"
    );
    let reused = pay(
        &env,
        &token,
        RecordPaymentRequest {
            amount: "61".to_owned(),
            allocations: vec![allocation(&issued, "61")],
            ..request
        },
    )
    .await
    .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&reused), ["idempotency_key"]);
}

#[tokio::test]
async fn bad_payments_name_their_fields_and_write_nothing() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let other = party(&env, company, "customer", "Boucherie Leroy").await;
    let issued = issued_invoice(&env, &token, customer, "100").await;
    let theirs = issued_invoice(&env, &token, other, "100").await;

    let unbalanced = pay(
        &env,
        &token,
        received("50", vec![allocation(&issued, "30.001")]),
    )
    .await
    .unwrap_err();
    assert_eq!(unbalanced.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&unbalanced), ["allocations[0].amount"]);

    let unbalanced = pay(
        &env,
        &token,
        received("50", vec![allocation(&issued, "30")]),
    )
    .await
    .unwrap_err();
    assert_eq!(bad_fields(&unbalanced), ["allocations"]);

    let empty = pay(
        &env,
        &token,
        RecordPaymentRequest {
            direction: 0,
            method: 0,
            amount: "0".to_owned(),
            payment_date: "31/12/2025".to_owned(),
            ..received("0", vec![])
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        bad_fields(&empty),
        [
            "direction",
            "method",
            "amount",
            "payment_date",
            "allocations"
        ]
    );

    let twice = pay(
        &env,
        &token,
        received(
            "20",
            vec![allocation(&issued, "10"), allocation(&issued, "10")],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(bad_fields(&twice), ["allocations[1].document_id"]);

    let two_customers = pay(
        &env,
        &token,
        received(
            "20",
            vec![allocation(&issued, "10"), allocation(&theirs, "10")],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(two_customers.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&two_customers), ["allocations"]);

    let unknown = pay(
        &env,
        &token,
        received(
            "10",
            vec![Allocation {
                document_id: Uuid::now_v7().to_string(),
                amount: "10".to_owned(),
                document_number: String::new(),
            }],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(count(&env, PAYMENTS, company).await, 0);
}

#[tokio::test]
async fn money_paid_settles_purchase_invoices_and_never_sales_invoices() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let bought = record(
        &env,
        &token,
        purchase(
            supplier,
            "FA-77",
            "",
            draft(supplier, vec![line("Farine", "100", "1", "5.5")]),
        ),
    )
    .await
    .unwrap();
    let sold = issued_invoice(&env, &token, customer, "100").await;

    let wrong_way = pay(
        &env,
        &token,
        received("10", vec![allocation(&bought, "10")]),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong_way.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&wrong_way), ["allocations[0].document_id"]);
    let paid_request = |document: &Document, amount: &str| RecordPaymentRequest {
        direction: PaymentDirection::Paid as i32,
        ..received(amount, vec![allocation(document, amount)])
    };
    let wrong_way = pay(&env, &token, paid_request(&sold, "10"))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&wrong_way), ["allocations[0].document_id"]);

    let paid = pay(&env, &token, paid_request(&bought, "105.50"))
        .await
        .unwrap();
    assert_eq!(paid.direction(), PaymentDirection::Paid);
    let settled = env
        .purchases()
        .await
        .get_purchase_invoice(bearer(
            comptoir_proto::billing::v1::GetPurchaseInvoiceRequest {
                purchase_invoice_id: bought.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .purchase_invoice
        .unwrap();
    assert_eq!(settled.status(), DocumentStatus::Paid);

    let mut client = env.payments().await;
    let outgoing = client
        .list_payments(bearer(
            ListPaymentsRequest {
                direction: PaymentDirection::Paid as i32,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outgoing.payments, [paid]);
    let events = recorded_events(&env, company).await;
    assert_eq!(events[0].direction, "paid");
    assert_eq!(
        events[0].party.as_ref().unwrap().party_id,
        supplier.to_string()
    );
    assert_eq!(events[0].allocations[0].document_type, "purchase_invoice");
}

#[tokio::test]
async fn payments_are_listed_newest_first_a_page_at_a_time() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let issued = issued_invoice(&env, &token, customer, "100").await;
    let mut recorded = Vec::new();
    for amount in ["10", "20", "30"] {
        recorded.push(
            pay(
                &env,
                &token,
                received(amount, vec![allocation(&issued, amount)]),
            )
            .await
            .unwrap(),
        );
    }

    let mut client = env.payments().await;
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_payments(bearer(
                ListPaymentsRequest {
                    page_size: 2,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.payments.into_iter().map(|p| p.amount));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, ["30.00", "20.00", "10.00"]);
}

#[tokio::test]
async fn an_accountant_reads_everything_but_every_write_is_permission_denied() {
    let env = Env::start().await;
    let company = env.company().await;
    let admin = env.admin_token(company).await;
    let accountant = env.token_with(company, ACCOUNTANT.permissions).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;
    let issued = issued_invoice(&env, &admin, customer, "100").await;
    let payment = pay(
        &env,
        &admin,
        received("50", vec![allocation(&issued, "50")]),
    )
    .await
    .unwrap();
    let bought = record(
        &env,
        &admin,
        purchase(
            supplier,
            "FA-1",
            "",
            draft(supplier, vec![line("Farine", "10", "1", "5.5")]),
        ),
    )
    .await
    .unwrap();
    let quote = env
        .quotes()
        .await
        .create_quote(bearer(
            comptoir_proto::billing::v1::CreateQuoteRequest {
                quote: Some(draft(customer, vec![line("Audit", "1", "900", "20")])),
                idempotency_key: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .quote
        .unwrap();

    // Reads.
    assert_eq!(
        invoice(&env, &accountant, &issued.document_id)
            .await
            .status(),
        DocumentStatus::PartiallyPaid
    );
    let listed = env
        .payments()
        .await
        .list_payments(bearer(ListPaymentsRequest::default(), &accountant))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.payments, [payment]);
    env.purchases()
        .await
        .list_purchase_invoices(bearer(
            comptoir_proto::billing::v1::ListPurchaseInvoicesRequest::default(),
            &accountant,
        ))
        .await
        .unwrap();
    env.purchases()
        .await
        .get_purchase_invoice(bearer(
            comptoir_proto::billing::v1::GetPurchaseInvoiceRequest {
                purchase_invoice_id: bought.document_id.clone(),
            },
            &accountant,
        ))
        .await
        .unwrap();
    env.quotes()
        .await
        .get_quote(bearer(
            comptoir_proto::billing::v1::GetQuoteRequest {
                quote_id: quote.document_id.clone(),
            },
            &accountant,
        ))
        .await
        .unwrap();
    env.quotes()
        .await
        .list_quotes(bearer(
            comptoir_proto::billing::v1::ListQuotesRequest::default(),
            &accountant,
        ))
        .await
        .unwrap();

    // Writes.
    let denied = |result: Result<(), tonic::Status>, what: &str| {
        let status = result.expect_err(what);
        assert_eq!(status.code(), Code::PermissionDenied, "{what}: {status:?}");
    };
    denied(
        pay(
            &env,
            &accountant,
            received("10", vec![allocation(&issued, "10")]),
        )
        .await
        .map(drop),
        "RecordPayment",
    );
    denied(
        record(
            &env,
            &accountant,
            purchase(
                supplier,
                "FA-2",
                "",
                draft(supplier, vec![line("Farine", "10", "1", "5.5")]),
            ),
        )
        .await
        .map(drop),
        "RecordPurchaseInvoice",
    );
    let mut quotes = env.quotes().await;
    denied(
        quotes
            .create_quote(bearer(
                comptoir_proto::billing::v1::CreateQuoteRequest {
                    quote: Some(draft(customer, vec![line("Audit", "1", "900", "20")])),
                    idempotency_key: String::new(),
                },
                &accountant,
            ))
            .await
            .map(drop),
        "CreateQuote",
    );
    denied(
        quotes
            .send_quote(bearer(
                comptoir_proto::billing::v1::SendQuoteRequest {
                    quote_id: quote.document_id.clone(),
                },
                &accountant,
            ))
            .await
            .map(drop),
        "SendQuote",
    );
    denied(
        quotes
            .convert_quote_to_invoice(bearer(
                comptoir_proto::billing::v1::ConvertQuoteToInvoiceRequest {
                    quote_id: quote.document_id.clone(),
                    idempotency_key: String::new(),
                },
                &accountant,
            ))
            .await
            .map(drop),
        "ConvertQuoteToInvoice",
    );
    denied(
        env.invoices()
            .await
            .create_invoice(bearer(
                CreateInvoiceRequest {
                    invoice: Some(draft(customer, vec![line("Audit", "1", "900", "20")])),
                    idempotency_key: String::new(),
                },
                &accountant,
            ))
            .await
            .map(drop),
        "CreateInvoice",
    );
    assert_eq!(count(&env, PAYMENTS, company).await, 1);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document WHERE company_id = $1",
            company
        )
        .await,
        3
    );
}

#[tokio::test]
async fn two_concurrent_payments_never_spend_one_balance_twice() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let issued = issued_invoice(&env, &token, customer, "100").await;

    let attempts = (0..4).map(|_| {
        pay(
            &env,
            &token,
            received("70", vec![allocation(&issued, "70")]),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let paid = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(paid, 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(reason(refused), "OVERPAYMENT");
    }
    assert_eq!(count(&env, PAYMENTS, company).await, 1);
    assert_eq!(
        invoice(&env, &token, &issued.document_id).await.balance_due,
        "50.00"
    );
}

#[tokio::test]
async fn an_allocation_of_a_payment_dated_in_a_locked_period_is_refused_even_through_direct_sql() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let january = issued_invoice_dated(&env, &token, customer, "100", "2026-01-05").await;
    let payment = pay(
        &env,
        &token,
        RecordPaymentRequest {
            payment_date: "2026-01-10".to_owned(),
            ..received("10", vec![allocation(&january, "10")])
        },
    )
    .await
    .unwrap();
    let recent = issued_invoice(&env, &token, customer, "100").await;
    env.client()
        .await
        .set_lock_date(bearer(
            SetLockDateRequest {
                lock_date: "2026-01-31".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();

    // Through the API: a payment dated in the locked period settles nothing, one dated
    // after it may settle an invoice of the locked period.
    let refused = pay(
        &env,
        &token,
        RecordPaymentRequest {
            payment_date: "2026-01-20".to_owned(),
            ..received("10", vec![allocation(&recent, "10")])
        },
    )
    .await
    .unwrap_err();
    assert_eq!(reason(&refused), "PERIOD_LOCKED");
    pay(
        &env,
        &token,
        received("20", vec![allocation(&january, "20")]),
    )
    .await
    .expect("a payment of today settles an invoice of a locked period");
    assert_eq!(count(&env, ALLOCATIONS, company).await, 2);

    // The service's own role cannot move a locked payment onto another document: the
    // balance it would change is the locked period's.
    let mut conn = env.runtime_tx(company).await;
    let moved = attempt(
        &mut conn,
        &format!(
            "INSERT INTO billing.payment_allocation (payment_id, document_id, company_id, amount) \
             VALUES ('{}', '{}', '{company}', 5)",
            payment.payment_id, recent.document_id
        ),
    )
    .await
    .map(|refusal| refusal.code);
    assert_eq!(moved.as_deref(), Some("CB001"));
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    assert_eq!(count(&env, ALLOCATIONS, company).await, 2);
}
