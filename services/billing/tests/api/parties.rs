//! Customers and suppliers: validation naming each bad field, idempotent creation, field
//! masks, keyset listing with search, tenant isolation, role-dependent permissions, the
//! `customer.changed` event and the audit trail.

use comptoir_proto::billing::v1::{
    ArchivePartyRequest, CreatePartyRequest, GetPartyRequest, ListPartiesRequest, Party,
    PartyInput, PartyKind, PartyRole, PostalAddress, UpdatePartyRequest,
};
use comptoir_proto::events::v1::CustomerChanged;
use comptoir_test_support::{bad_fields, bearer, reason};
use prost::Message;
use tonic::Code;
use uuid::Uuid;

use crate::Env;

const CUSTOMER_CHANGED: &str = "comptoir.billing.customer.changed";

/// A French business customer with a valid SIREN and the VAT number of that SIREN.
fn customer(name: &str) -> PartyInput {
    PartyInput {
        role: PartyRole::Customer as i32,
        kind: PartyKind::Professional as i32,
        name: name.to_owned(),
        siren: "552100554".to_owned(),
        vat_number: "FR96552100554".to_owned(),
        address: Some(PostalAddress {
            line1: "13 quai Alphonse Le Gallo".to_owned(),
            line2: String::new(),
            postal_code: "92100".to_owned(),
            city: "Boulogne-Billancourt".to_owned(),
            country_code: "FR".to_owned(),
        }),
        email: "compta@example.fr".to_owned(),
        payment_terms_days: 30,
        accounting_code: "411RENAULT".to_owned(),
    }
}

/// A German supplier: no SIREN, a German VAT number.
fn supplier(name: &str) -> PartyInput {
    PartyInput {
        role: PartyRole::Supplier as i32,
        kind: PartyKind::Professional as i32,
        name: name.to_owned(),
        siren: String::new(),
        vat_number: "DE123456789".to_owned(),
        address: Some(PostalAddress {
            line1: "Unter den Linden 1".to_owned(),
            line2: String::new(),
            postal_code: "10117".to_owned(),
            city: "Berlin".to_owned(),
            country_code: "DE".to_owned(),
        }),
        email: String::new(),
        payment_terms_days: 45,
        accounting_code: "401MEHL".to_owned(),
    }
}

fn create(party: PartyInput, key: &str) -> CreatePartyRequest {
    CreatePartyRequest {
        party: Some(party),
        idempotency_key: key.to_owned(),
    }
}

fn list(role: PartyRole, query: &str, page_size: i32, page_token: &str) -> ListPartiesRequest {
    ListPartiesRequest {
        role: role as i32,
        query: query.to_owned(),
        include_archived: false,
        page_size,
        page_token: page_token.to_owned(),
    }
}

async fn create_party(env: &Env, token: &str, party: PartyInput) -> Party {
    env.parties()
        .await
        .create_party(bearer(create(party, ""), token))
        .await
        .expect("creating a party")
        .into_inner()
        .party
        .expect("a party")
}

/// Runs a `SELECT count(*)` with the company as `$1`, as superuser.
async fn count(env: &Env, sql: &'static str, company: Uuid) -> i64 {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_scalar(sql)
        .bind(company)
        .fetch_one(&mut conn)
        .await
        .expect(sql)
}

async fn parties_of(env: &Env, company: Uuid) -> i64 {
    count(
        env,
        "SELECT count(*) FROM billing.party WHERE company_id = $1",
        company,
    )
    .await
}

async fn customer_events(env: &Env, company: Uuid) -> Vec<CustomerChanged> {
    let mut conn = env.harness.db.admin().await;
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM billing.outbox WHERE company_id = $1 AND subject = $2 \
         ORDER BY created_at, event_id",
    )
    .bind(company)
    .bind(CUSTOMER_CHANGED)
    .fetch_all(&mut conn)
    .await
    .expect("reading the outbox");
    payloads
        .iter()
        .map(|p| CustomerChanged::decode(p.as_slice()).expect("a CustomerChanged"))
        .collect()
}

/// The `sub` claim of a JWT: the user the audit trail must name.
fn user_of(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in payload.bytes() {
        let v = alphabet.iter().position(|&a| a == c).expect("base64url") as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    let claims: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["sub"].as_str().expect("a sub claim").to_owned()
}

#[tokio::test]
async fn a_company_whose_books_are_not_open_gets_books_not_found_and_nothing_is_written() {
    let env = Env::start().await;
    // A company billing has never heard of: tenancy's `company.created` never came.
    let company = Uuid::now_v7();
    let token = env.admin_token(company).await;
    let status = env
        .parties()
        .await
        .create_party(bearer(create(customer("Renault SAS"), "first"), &token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(reason(&status), "BOOKS_NOT_FOUND");
    assert!(
        status.message().contains(&company.to_string()),
        "{status:?}"
    );
    assert_eq!(
        env.harness
            .count("SELECT count(*) FROM billing.party")
            .await,
        0
    );
}

#[tokio::test]
async fn a_customer_is_created_read_updated_through_its_mask_and_archived() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.parties().await;

    let created = create_party(&env, &token, customer("  Renault SAS ")).await;
    assert_eq!(created.name, "Renault SAS");
    assert_eq!(created.role(), PartyRole::Customer);
    assert_eq!(created.kind(), PartyKind::Professional);
    assert_eq!(created.company_id, company.to_string());
    assert_eq!(created.siren, "552100554");
    assert_eq!(created.vat_number, "FR96552100554");
    assert_eq!(created.payment_terms_days, 30);
    assert!(!created.archived);
    let authorship = created.authorship.clone().unwrap();
    assert_eq!(authorship.created_by, user_of(&token));
    assert!(!authorship.create_time.is_empty());

    let read = client
        .get_party(bearer(
            GetPartyRequest {
                party_id: created.party_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .party
        .unwrap();
    assert_eq!(read, created);

    // Only the masked fields change: the e-mail given outside the mask is ignored.
    let mut changes = customer("Renault Group");
    changes.payment_terms_days = 45;
    changes.email = "ignored@example.fr".to_owned();
    changes.address.as_mut().unwrap().city = "Paris".to_owned();
    let updated = client
        .update_party(bearer(
            UpdatePartyRequest {
                party_id: created.party_id.clone(),
                party: Some(changes),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec![
                        "name".to_owned(),
                        "payment_terms_days".to_owned(),
                        "address.city".to_owned(),
                    ],
                }),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .party
        .unwrap();
    assert_eq!(updated.name, "Renault Group");
    assert_eq!(updated.payment_terms_days, 45);
    assert_eq!(updated.email, "compta@example.fr");
    let address = updated.address.clone().unwrap();
    assert_eq!(
        (address.city.as_str(), address.postal_code.as_str()),
        ("Paris", "92100")
    );

    // The role never changes, and an unknown field is named.
    let refused = client
        .update_party(bearer(
            UpdatePartyRequest {
                party_id: created.party_id.clone(),
                party: Some(supplier("Renault")),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["role".to_owned()],
                }),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&refused), ["update_mask"]);

    let archived = client
        .archive_party(bearer(
            ArchivePartyRequest {
                party_id: created.party_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .party
        .unwrap();
    assert!(archived.archived);
    assert_eq!(archived.name, "Renault Group");

    let listed = client
        .list_parties(bearer(list(PartyRole::Customer, "", 0, ""), &token))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.parties.is_empty(), "an archived party is hidden");
    let mut with_archived = list(PartyRole::Customer, "", 0, "");
    with_archived.include_archived = true;
    let listed = client
        .list_parties(bearer(with_archived, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.parties, [archived]);
}

#[tokio::test]
async fn parties_are_listed_by_name_a_page_at_a_time_and_searched_by_name_siren_vat_number_or_code()
{
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    for name in ["delta", "Alpha", "charlie", "Bravo", "Echo 50% off"] {
        let mut input = customer(name);
        input.accounting_code = format!("411{}", name.split(' ').next().unwrap().to_uppercase());
        create_party(&env, &token, input).await;
    }
    let mut other = customer("Foxtrot");
    other.siren = "542051180".to_owned();
    other.vat_number = "FR59542051180".to_owned();
    create_party(&env, &token, other).await;
    create_party(&env, &token, supplier("Alpha Mühle")).await;
    let mut client = env.parties().await;

    let mut names = Vec::new();
    let mut token_page = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_parties(bearer(
                list(PartyRole::Customer, "", 4, &token_page),
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        names.extend(page.parties.into_iter().map(|p| p.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token_page = page.next_page_token;
    }
    assert_eq!(pages, 2);
    assert_eq!(
        names,
        [
            "Alpha",
            "Bravo",
            "charlie",
            "delta",
            "Echo 50% off",
            "Foxtrot"
        ]
    );

    let search = async |query: &str, role: PartyRole| -> Vec<String> {
        let mut client = env.parties().await;
        let mut names: Vec<String> = client
            .list_parties(bearer(list(role, query, 0, ""), &token))
            .await
            .unwrap()
            .into_inner()
            .parties
            .into_iter()
            .map(|p| p.name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(search("ALP", PartyRole::Customer).await, ["Alpha"]);
    assert_eq!(search("ALP", PartyRole::Supplier).await, ["Alpha Mühle"]);
    assert_eq!(search("542051", PartyRole::Customer).await, ["Foxtrot"]);
    assert_eq!(search("fr59", PartyRole::Customer).await, ["Foxtrot"]);
    assert_eq!(search("411brav", PartyRole::Customer).await, ["Bravo"]);
    // `%` and `_` are matched literally, not as wildcards.
    assert_eq!(search("50%", PartyRole::Customer).await, ["Echo 50% off"]);
    assert!(search("_", PartyRole::Customer).await.is_empty());

    let bad = client
        .list_parties(bearer(list(PartyRole::Unspecified, "", -1, "%%"), &token))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad), ["role", "page_size"]);
}

#[tokio::test]
async fn a_retried_create_returns_the_same_party_and_another_request_with_the_same_key_is_refused()
{
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.parties().await;

    let first = client
        .create_party(bearer(create(customer("Renault"), "key-1"), &token))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .create_party(bearer(create(customer("Renault"), "key-1"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    assert_eq!(parties_of(&env, company).await, 1);
    assert_eq!(customer_events(&env, company).await.len(), 1);

    let other = client
        .create_party(bearer(create(customer("Peugeot"), "key-1"), &token))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&other), ["idempotency_key"]);
    assert_eq!(parties_of(&env, company).await, 1);

    // Another caller's key is their own.
    let colleague = env.admin_token(company).await;
    let theirs = client
        .create_party(bearer(create(customer("Peugeot"), "key-1"), &colleague))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(
        theirs.party.unwrap().party_id,
        first.party.unwrap().party_id
    );
}

#[tokio::test]
async fn each_bad_party_field_is_named_and_nothing_is_written() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.parties().await;

    let with = |change: &dyn Fn(&mut PartyInput)| {
        let mut input = customer("Renault");
        change(&mut input);
        input
    };
    let cases: Vec<(PartyInput, Vec<&str>)> = vec![
        (
            with(&|p| p.siren = "552100555".to_owned()),
            vec!["party.siren"],
        ),
        (
            with(&|p| p.vat_number = "FR97552100554".to_owned()),
            vec!["party.vat_number"],
        ),
        (
            with(&|p| p.vat_number = "FR59542051180".to_owned()),
            vec!["party.vat_number"],
        ),
        (
            with(&|p| p.address = None),
            vec![
                "party.address.line1",
                "party.address.country_code",
                "party.address.postal_code",
                "party.address.city",
            ],
        ),
        (
            with(&|p| p.address.as_mut().unwrap().country_code = "XX".to_owned()),
            vec!["party.address.country_code"],
        ),
        (
            with(&|p| p.address.as_mut().unwrap().postal_code = "9210".to_owned()),
            vec!["party.address.postal_code"],
        ),
        (
            with(&|p| {
                p.siren = String::new();
                p.vat_number = String::new();
            }),
            vec!["party.siren"],
        ),
        (
            with(&|p| {
                p.role = 0;
                p.kind = 0;
                p.name = " ".to_owned();
                p.email = "compta".to_owned();
                p.payment_terms_days = 90;
                p.accounting_code = "411 RENAULT".to_owned();
            }),
            vec![
                "party.role",
                "party.kind",
                "party.name",
                "party.email",
                "party.payment_terms_days",
                "party.accounting_code",
            ],
        ),
    ];
    for (input, expected) in cases {
        let status = client
            .create_party(bearer(create(input.clone(), ""), &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{input:?}");
        assert_eq!(bad_fields(&status), expected, "{input:?}");
    }

    // La Poste's SIREN is valid although it predates the usual key rules for its sites.
    let mut la_poste = customer("La Poste");
    la_poste.siren = "356000000".to_owned();
    la_poste.vat_number = "FR39356000000".to_owned();
    assert_eq!(parties_of(&env, company).await, 0);
    create_party(&env, &token, la_poste).await;

    assert_eq!(parties_of(&env, company).await, 1);
    assert_eq!(customer_events(&env, company).await.len(), 1);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.audit_event WHERE company_id = $1",
            company
        )
        .await,
        1
    );
}

#[tokio::test]
async fn another_company_s_party_answers_not_found() {
    let env = Env::start().await;
    let mine = env.company().await;
    let theirs = env.company().await;
    let party = create_party(&env, &env.admin_token(theirs).await, customer("Renault")).await;
    let token = env.admin_token(mine).await;
    let mut client = env.parties().await;

    let get = client
        .get_party(bearer(
            GetPartyRequest {
                party_id: party.party_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    let update = client
        .update_party(bearer(
            UpdatePartyRequest {
                party_id: party.party_id.clone(),
                party: Some(customer("Stolen")),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".to_owned()],
                }),
            },
            &token,
        ))
        .await
        .unwrap_err();
    let archive = client
        .archive_party(bearer(
            ArchivePartyRequest {
                party_id: party.party_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    for status in [get, update, archive] {
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(reason(&status), "PARTY_NOT_FOUND");
        assert!(!status.message().contains("Renault"));
    }
    let listed = client
        .list_parties(bearer(list(PartyRole::Customer, "", 0, ""), &token))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.parties.is_empty());
}

#[tokio::test]
async fn an_accountant_reads_parties_but_every_write_is_permission_denied() {
    let env = Env::start().await;
    let company = env.company().await;
    let admin = env.admin_token(company).await;
    let customer_party = create_party(&env, &admin, customer("Renault")).await;
    let supplier_party = create_party(&env, &admin, supplier("Mühle")).await;
    let accountant = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::InvoicesRead],
        )
        .await;
    let mut client = env.parties().await;

    for party in [&customer_party, &supplier_party] {
        let read = client
            .get_party(bearer(
                GetPartyRequest {
                    party_id: party.party_id.clone(),
                },
                &accountant,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.party.as_ref(), Some(party));
    }
    let listed = client
        .list_parties(bearer(list(PartyRole::Supplier, "", 0, ""), &accountant))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.parties.len(), 1);

    let mut refusals = vec![
        client
            .create_party(bearer(create(customer("Peugeot"), ""), &accountant))
            .await
            .unwrap_err(),
        client
            .create_party(bearer(create(supplier("Mehl"), ""), &accountant))
            .await
            .unwrap_err(),
    ];
    for party in [&customer_party, &supplier_party] {
        refusals.push(
            client
                .update_party(bearer(
                    UpdatePartyRequest {
                        party_id: party.party_id.clone(),
                        party: Some(customer("Changed")),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["name".to_owned()],
                        }),
                    },
                    &accountant,
                ))
                .await
                .unwrap_err(),
        );
        refusals.push(
            client
                .archive_party(bearer(
                    ArchivePartyRequest {
                        party_id: party.party_id.clone(),
                    },
                    &accountant,
                ))
                .await
                .unwrap_err(),
        );
    }
    for status in refusals {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    assert_eq!(parties_of(&env, company).await, 2);
}

#[tokio::test]
async fn sales_may_create_a_customer_but_not_a_supplier_and_purchasing_only_suppliers() {
    let env = Env::start().await;
    let company = env.company().await;
    let sales = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::QuotesWrite],
        )
        .await;
    let purchasing = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::PurchasesWrite],
        )
        .await;
    let mut client = env.parties().await;

    let customer_party = create_party(&env, &sales, customer("Renault")).await;
    let refused = client
        .create_party(bearer(create(supplier("Mühle"), ""), &sales))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    let supplier_party = create_party(&env, &purchasing, supplier("Mühle")).await;
    let refused = client
        .create_party(bearer(create(customer("Peugeot"), ""), &purchasing))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // Each reads its own side: Sales its customers, Purchasing its suppliers.
    let read = client
        .get_party(bearer(
            GetPartyRequest {
                party_id: customer_party.party_id.clone(),
            },
            &sales,
        ))
        .await
        .unwrap();
    assert_eq!(read.into_inner().party.unwrap(), customer_party);
    let read = client
        .get_party(bearer(
            GetPartyRequest {
                party_id: supplier_party.party_id.clone(),
            },
            &purchasing,
        ))
        .await
        .unwrap();
    assert_eq!(read.into_inner().party.unwrap(), supplier_party);
    let archive = client
        .archive_party(bearer(
            ArchivePartyRequest {
                party_id: supplier_party.party_id.clone(),
            },
            &sales,
        ))
        .await
        .unwrap_err();
    assert_eq!(archive.code(), Code::PermissionDenied);
    assert_eq!(parties_of(&env, company).await, 2);
}

#[tokio::test]
async fn each_change_to_a_customer_enqueues_one_customer_changed_and_suppliers_publish_nothing() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.parties().await;

    let party = create_party(&env, &token, customer("Renault")).await;
    let mask = |paths: &[&str]| {
        Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        })
    };
    client
        .update_party(bearer(
            UpdatePartyRequest {
                party_id: party.party_id.clone(),
                party: Some(customer("Renault Group")),
                update_mask: mask(&["name"]),
            },
            &token,
        ))
        .await
        .unwrap();
    // Setting the same values again changes nothing, so announces nothing.
    client
        .update_party(bearer(
            UpdatePartyRequest {
                party_id: party.party_id.clone(),
                party: Some(customer("Renault Group")),
                update_mask: mask(&["name", "siren"]),
            },
            &token,
        ))
        .await
        .unwrap();
    for _ in 0..2 {
        client
            .archive_party(bearer(
                ArchivePartyRequest {
                    party_id: party.party_id.clone(),
                },
                &token,
            ))
            .await
            .unwrap();
    }
    create_party(&env, &token, supplier("Mühle")).await;

    let events = customer_events(&env, company).await;
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            let customer = e.customer.as_ref().unwrap();
            (customer.name.as_str(), e.archived)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Renault", false),
            ("Renault Group", false),
            ("Renault Group", true)
        ]
    );
    let last = events.last().unwrap();
    let customer = last.customer.as_ref().unwrap();
    assert_eq!(customer.party_id, party.party_id);
    assert_eq!(customer.kind, "professional");
    assert_eq!(customer.siren, "552100554");
    assert_eq!(customer.address_country_code, "FR");
    let meta = last.meta.as_ref().unwrap();
    assert_eq!(meta.company_id, company.to_string());
    assert_eq!(meta.actor, user_of(&token));
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.outbox WHERE company_id = $1",
            company
        )
        .await,
        3,
        "the supplier published nothing"
    );
}

#[tokio::test]
async fn the_audit_trail_records_who_created_changed_and_archived_a_party() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::InvoicesWrite],
        )
        .await;
    let user = user_of(&token);
    let mut client = env.parties().await;

    let party = create_party(&env, &token, customer("Renault")).await;
    client
        .update_party(bearer(
            UpdatePartyRequest {
                party_id: party.party_id.clone(),
                party: Some(PartyInput {
                    email: "factures@example.fr".to_owned(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["email".to_owned()],
                }),
            },
            &token,
        ))
        .await
        .unwrap();
    client
        .archive_party(bearer(
            ArchivePartyRequest {
                party_id: party.party_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap();

    let mut conn = env.harness.db.admin().await;
    let trail: Vec<(String, String, String, Option<serde_json::Value>)> = sqlx::query_as(
        "SELECT action, actor, subject_type, after FROM billing.audit_event \
         WHERE company_id = $1 AND subject_id = $2 ORDER BY audit_event_id",
    )
    .bind(company)
    .bind(Uuid::parse_str(&party.party_id).unwrap())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let actions: Vec<_> = trail
        .iter()
        .map(|(action, actor, subject, _)| (action.as_str(), actor.as_str(), subject.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("party.created", user.as_str(), "party"),
            ("party.updated", user.as_str(), "party"),
            ("party.archived", user.as_str(), "party"),
        ]
    );
    assert_eq!(trail[1].3.as_ref().unwrap()["email"], "factures@example.fr");
}
