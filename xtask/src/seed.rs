//! The demo data `cargo xtask up` leaves behind: one user, an accounting firm and two
//! client companies, each client with a customer, an item and one issued invoice, created
//! through the public gRPC APIs only. Running it again changes nothing: an existing
//! account is logged into, existing companies are kept, a company that already has
//! invoices gets no more.

use std::time::Duration;

use anyhow::{Context, Result};
use comptoir_proto::billing::v1::invoice_service_client::InvoiceServiceClient;
use comptoir_proto::billing::v1::item_service_client::ItemServiceClient;
use comptoir_proto::billing::v1::party_service_client::PartyServiceClient;
use comptoir_proto::billing::v1::{
    CreateInvoiceRequest, CreateItemRequest, CreatePartyRequest, DraftInput, IssueInvoiceRequest,
    ItemInput, ItemKind, LineInput, ListInvoicesRequest, PartyInput, PartyKind, PartyRole,
    PostalAddress,
};
use comptoir_proto::identity::v1::identity_service_client::IdentityServiceClient;
use comptoir_proto::identity::v1::{LoginRequest, SignUpRequest, SwitchCompanyRequest};
use comptoir_proto::tenancy::v1::tenancy_service_client::TenancyServiceClient;
use comptoir_proto::tenancy::v1::{
    Address, CompanyKind, CreateCompanyRequest, ListMyCompaniesRequest,
};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::services::{BILLING, IDENTITY, TENANCY};

pub(crate) const DEMO_EMAIL: &str = "demo@comptoir.example";
pub(crate) const DEMO_PASSWORD: &str = "comptoir-demo-password";
const DEMO_NAME: &str = "Camille Demo";

/// One demo company's legal identity.
struct DemoCompany {
    legal_name: &'static str,
    legal_form: &'static str,
    siren: &'static str,
    /// With the SIREN, a SIRET passing its check digit.
    nic: &'static str,
    ape_code: &'static str,
    /// The French VAT number of the SIREN (its key checks out).
    vat_number: &'static str,
    postal_code: &'static str,
    city: &'static str,
    kind: CompanyKind,
}

const COMPANIES: [DemoCompany; 3] = [
    DemoCompany {
        legal_name: "Cabinet Demo Expertise",
        legal_form: "SAS",
        siren: "732829320",
        nic: "00009",
        ape_code: "6920Z",
        vat_number: "FR44732829320",
        postal_code: "75002",
        city: "Paris",
        kind: CompanyKind::Firm,
    },
    DemoCompany {
        legal_name: "Boulangerie Demo",
        legal_form: "SARL",
        siren: "552100554",
        nic: "00005",
        ape_code: "1071C",
        vat_number: "FR96552100554",
        postal_code: "69002",
        city: "Lyon",
        kind: CompanyKind::Company,
    },
    DemoCompany {
        legal_name: "Menuiserie Demo",
        legal_form: "EI",
        siren: "542051180",
        nic: "00009",
        ape_code: "4332A",
        vat_number: "FR59542051180",
        postal_code: "33000",
        city: "Bordeaux",
        kind: CompanyKind::Company,
    },
];

/// What the demo consists of, for the summary.
pub(crate) struct Demo {
    pub(crate) access_token: String,
    pub(crate) expires_in_seconds: i64,
    /// Legal name and id of each demo company.
    pub(crate) companies: Vec<(String, String)>,
}

pub(crate) async fn seed() -> Result<Demo> {
    let identity = IdentityServiceClient::new(connect(&IDENTITY.url()).await?);
    let tenancy = TenancyServiceClient::new(connect(&TENANCY.url()).await?);

    let sign_up = SignUpRequest {
        email: DEMO_EMAIL.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        name: DEMO_NAME.to_owned(),
    };
    match retry(&[Code::Unavailable], || {
        let mut identity = identity.clone();
        let request = sign_up.clone();
        async move { identity.sign_up(request).await }
    })
    .await
    {
        // SignUp answers alike whether the account is new or already there.
        Ok(_) => println!("xtask: {DEMO_EMAIL} is signed up"),
        Err(status) => return Err(status_error("SignUp", &status)),
    }

    let login = retry(&[Code::Unavailable], || {
        let mut identity = identity.clone();
        let request = LoginRequest {
            email: DEMO_EMAIL.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
        };
        async move { identity.login(request).await }
    })
    .await
    .map_err(|status| status_error("Login", &status))?
    .into_inner();
    let bearer: MetadataValue<Ascii> = format!("Bearer {}", login.access_token)
        .parse()
        .context("the access token is not a valid header value")?;

    let mut existing = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = retry(&[Code::Unavailable], || {
            let mut tenancy = tenancy.clone();
            let request = authorised(
                ListMyCompaniesRequest {
                    page_size: 200,
                    page_token: page_token.clone(),
                },
                &bearer,
            );
            async move { tenancy.list_my_companies(request).await }
        })
        .await
        .map_err(|status| status_error("ListMyCompanies", &status))?
        .into_inner();
        existing.extend(
            page.companies
                .into_iter()
                .filter_map(|membership| membership.company),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }

    let mut companies = Vec::new();
    for demo in COMPANIES {
        let siret = format!("{}{}", demo.siren, demo.nic);
        if let Some(company) = existing.iter().find(|c| c.siret == siret) {
            companies.push((company.legal_name.clone(), company.company_id.clone()));
            continue;
        }
        let create = CreateCompanyRequest {
            legal_name: demo.legal_name.to_owned(),
            legal_form: demo.legal_form.to_owned(),
            siren: demo.siren.to_owned(),
            nic: demo.nic.to_owned(),
            ape_code: demo.ape_code.to_owned(),
            vat_number: demo.vat_number.to_owned(),
            address: Some(Address {
                line1: "1 place de la Demo".to_owned(),
                line2: String::new(),
                postal_code: demo.postal_code.to_owned(),
                city: demo.city.to_owned(),
                country_code: "FR".to_owned(),
            }),
            kind: demo.kind as i32,
            // Makes a retry after a lost answer harmless.
            idempotency_key: format!("demo-seed-{siret}"),
            ..Default::default()
        };
        let created = retry(&[Code::Unavailable], || {
            let mut tenancy = tenancy.clone();
            let request = authorised(create.clone(), &bearer);
            async move { tenancy.create_company(request).await }
        })
        .await
        .map_err(|status| status_error("CreateCompany", &status))?
        .into_inner()
        .company
        .context("CreateCompany answered without a company")?;
        println!("xtask: created {} (SIRET {siret})", demo.legal_name);
        companies.push((created.legal_name, created.company_id));
    }

    for (demo, (name, company_id)) in COMPANIES.iter().zip(&companies) {
        if demo.kind == CompanyKind::Company {
            let switched = retry(&[Code::Unavailable], || {
                let mut identity = identity.clone();
                let request = authorised(
                    SwitchCompanyRequest {
                        company_id: company_id.clone(),
                    },
                    &bearer,
                );
                async move { identity.switch_company(request).await }
            })
            .await
            .map_err(|status| status_error("SwitchCompany", &status))?
            .into_inner();
            let scoped: MetadataValue<Ascii> = format!("Bearer {}", switched.access_token)
                .parse()
                .context("the access token is not a valid header value")?;
            seed_books(name, &format!("{}{}", demo.siren, demo.nic), &scoped).await?;
        }
    }

    Ok(Demo {
        access_token: login.access_token,
        expires_in_seconds: login.expires_in_seconds,
        companies,
    })
}

/// A customer, an item and one issued invoice in the company `scoped` acts on, unless it
/// already has invoices. Billing opens a company's books when tenancy's event arrives, so
/// the first call waits for that.
async fn seed_books(name: &str, siret: &str, scoped: &MetadataValue<Ascii>) -> Result<()> {
    let channel = connect(&BILLING.url()).await?;
    let mut invoices = InvoiceServiceClient::new(channel.clone());
    let existing = retry(&[Code::Unavailable], || {
        let mut invoices = invoices.clone();
        let request = authorised(
            ListInvoicesRequest {
                page_size: 1,
                ..Default::default()
            },
            scoped,
        );
        async move { invoices.list_invoices(request).await }
    })
    .await
    .map_err(|status| status_error("ListInvoices", &status))?
    .into_inner()
    .invoices;
    if !existing.is_empty() {
        return Ok(());
    }
    let party = PartyInput {
        role: PartyRole::Customer as i32,
        kind: PartyKind::Professional as i32,
        name: "Hôtel du Port SARL".to_owned(),
        siren: "542051180".to_owned(),
        vat_number: "FR59542051180".to_owned(),
        address: Some(PostalAddress {
            line1: "4 quai des Chartrons".to_owned(),
            postal_code: "33000".to_owned(),
            city: "Bordeaux".to_owned(),
            country_code: "FR".to_owned(),
            ..Default::default()
        }),
        payment_terms_days: 30,
        ..Default::default()
    };
    // Billing answers NOT_FOUND until tenancy's company.created has opened the books.
    let customer = retry(&[Code::NotFound, Code::Unavailable], || {
        let mut parties = PartyServiceClient::new(channel.clone());
        let request = authorised(
            CreatePartyRequest {
                party: Some(party.clone()),
                idempotency_key: format!("demo-customer-{siret}"),
            },
            scoped,
        );
        async move { parties.create_party(request).await }
    })
    .await
    .map_err(|status| status_error("CreateParty", &status))?
    .into_inner()
    .party
    .context("a party")?;
    let item = ItemServiceClient::new(channel.clone())
        .create_item(authorised(
            CreateItemRequest {
                item: Some(ItemInput {
                    label: "Pain de campagne (lot de 10)".to_owned(),
                    unit: "lot".to_owned(),
                    unit_price: "18.50".to_owned(),
                    vat_rate: "5.5".to_owned(),
                    kind: ItemKind::Goods as i32,
                    ..Default::default()
                }),
                idempotency_key: format!("demo-item-{siret}"),
            },
            scoped,
        ))
        .await
        .map_err(|status| status_error("CreateItem", &status))?
        .into_inner()
        .item
        .context("an item")?;
    let draft = invoices
        .create_invoice(authorised(
            CreateInvoiceRequest {
                invoice: Some(DraftInput {
                    party_id: customer.party_id,
                    lines: vec![
                        LineInput {
                            item_id: item.item_id,
                            quantity: "12".to_owned(),
                            ..Default::default()
                        },
                        LineInput {
                            description: "Livraison".to_owned(),
                            quantity: "1".to_owned(),
                            unit_price: "25".to_owned(),
                            vat_rate: "20".to_owned(),
                            ..Default::default()
                        },
                    ],
                    late_penalty_rate: "10".to_owned(),
                    recovery_fee: true,
                    ..Default::default()
                }),
                idempotency_key: format!("demo-invoice-{siret}"),
            },
            scoped,
        ))
        .await
        .map_err(|status| status_error("CreateInvoice", &status))?
        .into_inner()
        .invoice
        .context("an invoice")?;
    let issued = invoices
        .issue_invoice(authorised(
            IssueInvoiceRequest {
                invoice_id: draft.document_id,
                issue_date: String::new(),
                idempotency_key: format!("demo-issue-{siret}"),
            },
            scoped,
        ))
        .await
        .map_err(|status| status_error("IssueInvoice", &status))?
        .into_inner()
        .invoice
        .context("an invoice")?;
    println!(
        "xtask: {name} issued invoice {} ({} EUR incl. VAT)",
        issued.number, issued.gross_total
    );
    Ok(())
}

/// A request carrying the demo user's access token.
fn authorised<T>(message: T, bearer: &MetadataValue<Ascii>) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", bearer.clone());
    request
}

async fn connect(url: &str) -> Result<Channel> {
    tonic::transport::Endpoint::from_shared(url.to_owned())?
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("could not connect to {url}"))
}

/// Retries a call for up to ten seconds while the service answers one of `waiting_on`:
/// UNAVAILABLE while a dependency such as identity's signing keys warms up right after
/// SERVING, NOT_FOUND while billing waits for tenancy's event to open a company's books.
async fn retry<T, F, Fut>(waiting_on: &[Code], mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(status) if waiting_on.contains(&status.code()) && attempt < 40 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            result => return result,
        }
    }
}

fn status_error(rpc: &str, status: &tonic::Status) -> anyhow::Error {
    let message = format!(
        "seeding the demo: {rpc} failed: {:?}: {}",
        status.code(),
        status.message()
    );
    if status.code() == Code::Unauthenticated && rpc == "Login" {
        return anyhow::anyhow!(
            "{message} (the account {DEMO_EMAIL} exists with another password?)"
        );
    }
    anyhow::anyhow!(message)
}
