//! A company's legal identity: every field parsed and named when bad, SIRET uniqueness,
//! UpdateCompany with its field mask and its rights, and the events that carry it.

use std::time::Duration;

use comptoir_proto::events::v1::{CompanyCreated, CompanyUpdated};
use comptoir_proto::tenancy::v1::{
    Address, CompanyKind, CreateCompanyRequest, CreateRoleRequest, Director, GetCompanyRequest,
    Money, UpdateCompanyRequest,
};
use comptoir_runtime::events::Names;
use comptoir_tenancy::domain::{Nic, Siren, Siret};
use comptoir_test_support::{bad_fields, bearer, reason};
use futures::StreamExt;
use prost::Message;
use prost_types::FieldMask;
use tonic::Code;

use crate::Env;

/// The first NIC that makes a valid SIRET with `siren` ("00000" when the SIREN itself is
/// invalid, so a test of a bad SIREN sees only that field refused).
pub(crate) fn first_nic(siren: &str) -> String {
    let Ok(siren) = Siren::parse(siren) else {
        return "00000".to_owned();
    };
    (1..100)
        .map(|n| format!("{n:05}"))
        .find(|nic| Siret::new(&siren, &Nic::parse(nic).unwrap()).is_ok())
        .expect("a NIC below 100")
}

/// A request to create a company with the required identity: `siren`'s first valid NIC
/// and a Paris address.
pub(crate) fn company_request(legal_name: &str, siren: &str) -> CreateCompanyRequest {
    CreateCompanyRequest {
        legal_name: legal_name.to_owned(),
        siren: siren.to_owned(),
        nic: first_nic(siren),
        kind: CompanyKind::Company as i32,
        address: Some(Address {
            line1: "12 rue de la Paix".to_owned(),
            line2: String::new(),
            postal_code: "75002".to_owned(),
            city: "Paris".to_owned(),
            country_code: "FR".to_owned(),
        }),
        ..Default::default()
    }
}

/// A company with every field of its identity set, in the loose forms clients send.
fn full_identity() -> CreateCompanyRequest {
    CreateCompanyRequest {
        legal_form: " SAS ".to_owned(),
        ape_code: "70.22Z".to_owned(),
        vat_number: "fr 44 732829320".to_owned(),
        rcs_city: "Paris".to_owned(),
        share_capital: Some(Money {
            amount: "10000.5".to_owned(),
            currency_code: String::new(),
        }),
        address: Some(Address {
            line1: "12 rue de la Paix".to_owned(),
            line2: "3e étage".to_owned(),
            postal_code: "75002".to_owned(),
            city: "Paris".to_owned(),
            country_code: "fr".to_owned(),
        }),
        director: Some(Director {
            name: "Ada Martin".to_owned(),
            email: "ada@Example.FR".to_owned(),
            phone: "+33 1 23 45 67 89".to_owned(),
        }),
        ..company_request("Martin Conseil", "732829320")
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Every message on the tenancy stream, in order, as (unprefixed subject, payload).
pub(crate) async fn published(env: &Env, expected: usize) -> Vec<(String, Vec<u8>)> {
    let names = Names::new(&env.harness.nats.prefix);
    let js = env.harness.nats.client().await;
    let stream = js.get_stream(names.stream("tenancy")).await.unwrap();
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < expected {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("the event is published")
            .unwrap()
            .unwrap();
        seen.push((
            names.strip(message.subject.as_str()).to_owned(),
            message.payload.to_vec(),
        ));
    }
    seen
}

#[tokio::test]
async fn each_bad_legal_identity_field_is_named_and_nothing_is_written() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let good = full_identity();
    let mut cases: Vec<(CreateCompanyRequest, Vec<&str>, &str)> = vec![
        (
            CreateCompanyRequest {
                siren: "732829321".to_owned(),
                vat_number: String::new(),
                ..good.clone()
            },
            vec!["siren"],
            "Luhn",
        ),
        (
            CreateCompanyRequest {
                ape_code: "70222".to_owned(),
                ..good.clone()
            },
            vec!["ape_code"],
            "4 digits and a letter",
        ),
        (
            CreateCompanyRequest {
                vat_number: "FR45732829320".to_owned(),
                ..good.clone()
            },
            vec!["vat_number"],
            "expected FR44732829320",
        ),
        (
            CreateCompanyRequest {
                vat_number: "FR96552100554".to_owned(),
                ..good.clone()
            },
            vec!["vat_number"],
            "SIREN 732829320",
        ),
        (
            CreateCompanyRequest {
                nic: "0009".to_owned(),
                ..good.clone()
            },
            vec!["nic"],
            "5 digits",
        ),
        (
            CreateCompanyRequest {
                nic: "00010".to_owned(),
                ..good.clone()
            },
            vec!["nic"],
            "SIRET check digit",
        ),
        (
            CreateCompanyRequest {
                share_capital: Some(Money {
                    amount: "10000.125".to_owned(),
                    currency_code: "EUR".to_owned(),
                }),
                ..good.clone()
            },
            vec!["share_capital.amount"],
            "2 decimals",
        ),
        (
            CreateCompanyRequest {
                share_capital: Some(Money {
                    amount: "-5".to_owned(),
                    currency_code: "euros".to_owned(),
                }),
                ..good.clone()
            },
            vec!["share_capital.amount", "share_capital.currency_code"],
            "non-negative",
        ),
        (
            CreateCompanyRequest {
                legal_form: "x".repeat(61),
                rcs_city: "y".repeat(101),
                ..good.clone()
            },
            vec!["legal_form", "rcs_city"],
            "at most 60",
        ),
        (
            CreateCompanyRequest {
                director: Some(Director {
                    name: String::new(),
                    email: "ada@example".to_owned(),
                    phone: "12 34".to_owned(),
                }),
                ..good.clone()
            },
            vec!["director.email", "director.phone"],
            "e-mail",
        ),
        (
            CreateCompanyRequest {
                address: None,
                ..good.clone()
            },
            vec![
                "address.line1",
                "address.country_code",
                "address.postal_code",
                "address.city",
            ],
            "ISO 3166-1",
        ),
        (
            CreateCompanyRequest {
                nic: String::new(),
                ..good.clone()
            },
            vec!["nic"],
            "5 digits",
        ),
    ];
    let mut bad_postal_code = good.clone();
    bad_postal_code.address.as_mut().unwrap().postal_code = "7502".to_owned();
    cases.push((
        bad_postal_code,
        vec!["address.postal_code"],
        "5 digits in FR",
    ));
    let mut bad_country = good.clone();
    bad_country.address.as_mut().unwrap().country_code = "XX".to_owned();
    cases.push((bad_country, vec!["address.country_code"], "alpha-2"));

    for (request, fields, why) in cases {
        let status = client
            .create_company(bearer(request, &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{fields:?}");
        assert_eq!(bad_fields(&status), fields);
        assert!(status.message().contains(why), "{}", status.message());
    }
    for table in ["company", "membership", "outbox", "audit_event"] {
        let count = match table {
            "company" => env.count("SELECT count(*) FROM tenancy.company").await,
            "membership" => env.count("SELECT count(*) FROM tenancy.membership").await,
            "outbox" => env.count("SELECT count(*) FROM tenancy.outbox").await,
            _ => env.count("SELECT count(*) FROM tenancy.audit_event").await,
        };
        assert_eq!(count, 0, "nothing written in {table}");
    }
}

#[tokio::test]
async fn a_full_legal_identity_is_stored_normalised_and_read_back() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(full_identity(), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(created.siret, "73282932000009");
    assert_eq!(created.legal_form, "SAS");
    assert_eq!(created.ape_code, "7022Z", "INSEE's dot is dropped");
    assert_eq!(created.vat_number, "FR44732829320");
    assert_eq!(created.rcs_city, "Paris");
    assert_eq!(
        created.share_capital,
        Some(Money {
            amount: "10000.50".to_owned(),
            currency_code: "EUR".to_owned(),
        })
    );
    let address = created.address.clone().unwrap();
    assert_eq!(
        (address.line2.as_str(), address.country_code.as_str()),
        ("3e étage", "FR")
    );
    assert_eq!(
        created.director,
        Some(Director {
            name: "Ada Martin".to_owned(),
            email: "ada@example.fr".to_owned(),
            phone: "+33123456789".to_owned(),
        })
    );
    let read = client
        .get_company(bearer(
            GetCompanyRequest {
                company_id: created.company_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(read, created);

    // Optional fields may stay empty.
    let minimal = client
        .create_company(bearer(company_request("Minimal", "552100554"), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(minimal.share_capital, None);
    assert_eq!(minimal.vat_number, "");
    assert_eq!(minimal.director, Some(Director::default()));
}

#[tokio::test]
async fn a_la_poste_siret_is_accepted_with_its_own_check() {
    let env = Env::start().await;
    let token = env.token("postmaster@example.fr").await;
    let mut client = env.client().await;
    // 35600000049837 fails Luhn, but its digits add up to 45.
    let created = client
        .create_company(bearer(
            CreateCompanyRequest {
                nic: "49837".to_owned(),
                vat_number: "FR39356000000".to_owned(),
                ..company_request("La Poste", "356000000")
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(created.siret, "35600000049837");
    // 35600000049838 neither passes Luhn nor adds up to a multiple of 5.
    let status = client
        .create_company(bearer(
            CreateCompanyRequest {
                nic: "49838".to_owned(),
                ..company_request("La Poste", "356000000")
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["nic"]);
}

#[tokio::test]
async fn the_same_siret_twice_is_already_exists_but_another_establishment_is_not() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let other = env.token("other@example.fr").await;
    let mut client = env.client().await;
    client
        .create_company(bearer(company_request("ACME", "732829320"), &token))
        .await
        .unwrap();
    let status = client
        .create_company(bearer(company_request("ACME bis", "732 829 320"), &other))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "SIRET_TAKEN");
    assert!(status.message().contains("73282932000009"));
    assert_eq!(env.count("SELECT count(*) FROM tenancy.company").await, 1);
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 1);

    // The same SIREN with another NIC is another establishment of the same legal unit.
    let branch = client
        .create_company(bearer(
            CreateCompanyRequest {
                nic: "00017".to_owned(),
                ..company_request("ACME Lyon", "732829320")
            },
            &other,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(branch.siret, "73282932000017");
    assert_eq!(env.count("SELECT count(*) FROM tenancy.company").await, 2);

    // Moving an establishment onto a SIRET already registered is refused too.
    let status = client
        .update_company(bearer(
            UpdateCompanyRequest {
                company_id: branch.company_id,
                nic: "00009".to_owned(),
                update_mask: mask(&["nic"]),
                ..Default::default()
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "SIRET_TAKEN");
}

#[tokio::test]
async fn the_created_event_carries_the_legal_identity() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(full_identity(), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let events = published(&env, 1).await;
    assert_eq!(events[0].0, "comptoir.tenancy.company.created");
    let event = CompanyCreated::decode(events[0].1.as_slice()).unwrap();
    assert_eq!(event.meta.as_ref().unwrap().company_id, created.company_id);
    let expected = [
        ("legal_name", "Martin Conseil"),
        ("siren", "732829320"),
        ("nic", "00009"),
        ("siret", "73282932000009"),
        ("legal_form", "SAS"),
        ("ape_code", "7022Z"),
        ("vat_number", "FR44732829320"),
        ("rcs_city", "Paris"),
        ("share_capital_amount", "10000.50"),
        ("share_capital_currency_code", "EUR"),
        ("address_line1", "12 rue de la Paix"),
        ("address_line2", "3e étage"),
        ("address_postal_code", "75002"),
        ("address_city", "Paris"),
        ("address_country_code", "FR"),
        ("director_name", "Ada Martin"),
        ("director_email", "ada@example.fr"),
        ("director_phone", "+33123456789"),
    ];
    let actual = [
        ("legal_name", event.legal_name.as_str()),
        ("siren", &event.siren),
        ("nic", &event.nic),
        ("siret", &event.siret),
        ("legal_form", &event.legal_form),
        ("ape_code", &event.ape_code),
        ("vat_number", &event.vat_number),
        ("rcs_city", &event.rcs_city),
        ("share_capital_amount", &event.share_capital_amount),
        (
            "share_capital_currency_code",
            &event.share_capital_currency_code,
        ),
        ("address_line1", &event.address_line1),
        ("address_line2", &event.address_line2),
        ("address_postal_code", &event.address_postal_code),
        ("address_city", &event.address_city),
        ("address_country_code", &event.address_country_code),
        ("director_name", &event.director_name),
        ("director_email", &event.director_email),
        ("director_phone", &event.director_phone),
    ];
    assert_eq!(actual, expected);
    assert!(!event.is_firm);
    assert!(!event.owner_user_id.is_empty());
}

#[tokio::test]
async fn an_administrator_updates_only_the_masked_fields_and_an_event_says_so() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(full_identity(), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let updated = client
        .update_company(bearer(
            UpdateCompanyRequest {
                company_id: created.company_id.clone(),
                legal_name: "Martin Conseil & Associés".to_owned(),
                // Not in the mask: ignored.
                ape_code: "70222".to_owned(),
                rcs_city: String::new(),
                share_capital: Some(Money {
                    amount: "20000".to_owned(),
                    currency_code: "EUR".to_owned(),
                }),
                address: Some(Address {
                    city: "Lyon".to_owned(),
                    postal_code: "69002".to_owned(),
                    ..Default::default()
                }),
                director: Some(Director {
                    email: "direction@martin.fr".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&[
                    "legal_name",
                    "rcs_city",
                    "share_capital",
                    "address.city",
                    "address.postal_code",
                    "director.email",
                ]),
                idempotency_key: "move-to-lyon".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(updated.legal_name, "Martin Conseil & Associés");
    assert_eq!(
        updated.rcs_city, "",
        "an optional field in the mask is cleared"
    );
    assert_eq!(updated.share_capital.as_ref().unwrap().amount, "20000.00");
    let address = updated.address.clone().unwrap();
    assert_eq!(
        (
            address.line1.as_str(),
            address.postal_code.as_str(),
            address.city.as_str()
        ),
        ("12 rue de la Paix", "69002", "Lyon"),
        "the other address fields stay"
    );
    let director = updated.director.clone().unwrap();
    assert_eq!(
        (director.name.as_str(), director.email.as_str()),
        ("Ada Martin", "direction@martin.fr")
    );
    assert_eq!(
        (updated.ape_code.as_str(), updated.siret.as_str()),
        ("7022Z", "73282932000009")
    );
    assert_eq!(updated.create_time, created.create_time);
    let seconds = |company: &comptoir_proto::tenancy::v1::Company| {
        let t = company.update_time.unwrap();
        (t.seconds, t.nanos)
    };
    assert!(seconds(&updated) > seconds(&created));

    let events = published(&env, 2).await;
    assert_eq!(events[1].0, "comptoir.tenancy.company.updated");
    let event = CompanyUpdated::decode(events[1].1.as_slice()).unwrap();
    assert_eq!(event.meta.unwrap().company_id, created.company_id);
    assert_eq!(
        (
            event.legal_name.as_str(),
            event.siret.as_str(),
            event.address_city.as_str(),
            event.address_line1.as_str(),
            event.share_capital_amount.as_str(),
            event.vat_number.as_str(),
            event.rcs_city.as_str(),
        ),
        (
            "Martin Conseil & Associés",
            "73282932000009",
            "Lyon",
            "12 rue de la Paix",
            "20000.00",
            "FR44732829320",
            "",
        )
    );
    assert_eq!(
        event.changed_fields,
        [
            "legal_name",
            "rcs_city",
            "share_capital",
            "address.city",
            "address.postal_code",
            "director.email"
        ]
    );
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.outbox").await,
        2,
        "one created, one updated"
    );
    assert_eq!(
        env.count(
            "SELECT count(*) FROM tenancy.audit_event WHERE action = 'company.updated' \
             AND details -> 'changed_fields' ? 'address.city'"
        )
        .await,
        1,
        "the change is in the audit trail"
    );
}

#[tokio::test]
async fn siren_and_kind_cannot_change_and_the_mask_is_required() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(company_request("ACME", "732829320"), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    for (paths, why) in [
        (vec!["siren"], "`siren` cannot change"),
        (vec!["legal_name", "kind"], "`kind` cannot change"),
        (vec!["owner"], "not a field that can change"),
        (vec![], "at least one field"),
    ] {
        let status = client
            .update_company(bearer(
                UpdateCompanyRequest {
                    company_id: created.company_id.clone(),
                    legal_name: "Renamed".to_owned(),
                    update_mask: mask(&paths),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{paths:?}");
        assert_eq!(bad_fields(&status), ["update_mask"]);
        assert!(status.message().contains(why), "{}", status.message());
    }
    let read = client
        .get_company(bearer(
            GetCompanyRequest {
                company_id: created.company_id,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(read.legal_name, "ACME");
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 1);
}

#[tokio::test]
async fn a_bad_update_names_each_field_and_changes_nothing() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(company_request("ACME", "732829320"), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let status = client
        .update_company(bearer(
            UpdateCompanyRequest {
                company_id: created.company_id.clone(),
                legal_name: " ".to_owned(),
                nic: "0009".to_owned(),
                ape_code: "70222".to_owned(),
                vat_number: "FR45732829320".to_owned(),
                share_capital: Some(Money {
                    amount: "1.999".to_owned(),
                    currency_code: String::new(),
                }),
                // Checked against the stored country, FR.
                address: Some(Address {
                    postal_code: "690".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&[
                    "legal_name",
                    "nic",
                    "ape_code",
                    "vat_number",
                    "share_capital",
                    "address.postal_code",
                ]),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&status),
        [
            "legal_name",
            "nic",
            "ape_code",
            "vat_number",
            "share_capital.amount",
            "address.postal_code"
        ]
    );
    let read = client
        .get_company(bearer(
            GetCompanyRequest {
                company_id: created.company_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(read, created);
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 1);
}

#[tokio::test]
async fn a_stranger_gets_not_found_and_a_member_without_settings_write_is_denied() {
    let env = Env::start().await;
    let owner = env.token("owner@example.fr").await;
    let stranger = env.token("stranger@example.fr").await;
    let accountant = env.token("accountant@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(company_request("ACME", "732829320"), &owner))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    // The accountant's own company reveals their account id; make them a plain member of
    // ACME.
    let theirs = client
        .create_company(bearer(company_request("Cabinet", "552100554"), &accountant))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let mut admin = env.harness.db.admin().await;
    sqlx::query(
        "INSERT INTO tenancy.membership (company_id, user_id, role) \
         SELECT $1::uuid, user_id, 'accountant' FROM tenancy.membership WHERE company_id = $2::uuid",
    )
    .bind(&created.company_id)
    .bind(&theirs.company_id)
    .execute(&mut admin)
    .await
    .unwrap();

    let rename = |token: &str, company_id: &str| {
        bearer(
            UpdateCompanyRequest {
                company_id: company_id.to_owned(),
                legal_name: "Hijacked".to_owned(),
                update_mask: mask(&["legal_name"]),
                ..Default::default()
            },
            token,
        )
    };
    let status = client
        .update_company(rename(&stranger, &created.company_id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(!status.message().contains("ACME"));
    let status = client
        .update_company(rename(&stranger, "0198c1f4-0000-7000-8000-000000000000"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::NotFound,
        "the same answer for no company at all"
    );
    let status = client
        .update_company(rename(&accountant, &created.company_id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "PERMISSION_DENIED");
    assert!(status.message().contains("settings.write"));

    let read = client
        .get_company(bearer(
            GetCompanyRequest {
                company_id: created.company_id.clone(),
            },
            &owner,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(read.legal_name, "ACME");
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 2);
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.audit_event WHERE action = 'company.updated'")
            .await,
        0
    );
}

/// A request renaming the company to `legal_name`.
fn rename(company_id: &str, legal_name: &str) -> UpdateCompanyRequest {
    UpdateCompanyRequest {
        company_id: company_id.to_owned(),
        legal_name: legal_name.to_owned(),
        update_mask: mask(&["legal_name"]),
        ..Default::default()
    }
}

/// The company's legal name as its owner reads it.
async fn legal_name(env: &Env, owner: &str, company_id: &str) -> String {
    env.client()
        .await
        .get_company(bearer(
            GetCompanyRequest {
                company_id: company_id.to_owned(),
            },
            owner,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap()
        .legal_name
}

#[tokio::test]
async fn a_member_whose_custom_role_carries_settings_write_updates_the_company() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    env.members()
        .await
        .create_role(bearer(
            CreateRoleRequest {
                key: "office_manager".to_owned(),
                name: "Office manager".to_owned(),
                permissions: vec!["settings.write".to_owned()],
                idempotency_key: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let invitation = env
        .invite(&admin, "office@example.fr", "office_manager")
        .await
        .unwrap();
    let manager = env.join("office@example.fr", &invitation).await.unwrap();
    let manager = env.scoped(manager, &company).await;

    let updated = env
        .client()
        .await
        .update_company(bearer(rename(&company, "ACME Industries"), &manager))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(updated.legal_name, "ACME Industries");
    assert_eq!(legal_name(&env, &admin, &company).await, "ACME Industries");
    assert_eq!(
        company_updates(&env).await,
        (1, 1),
        "one audit entry, one event"
    );
}

#[tokio::test]
async fn a_sales_member_is_denied_settings_write_and_the_company_is_unchanged() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let invitation = env
        .invite(&admin, "paul@example.fr", "sales")
        .await
        .unwrap();
    let paul = env.join("paul@example.fr", &invitation).await.unwrap();
    let sales = env.scoped(paul, &company).await;

    let status = env
        .client()
        .await
        .update_company(bearer(
            UpdateCompanyRequest {
                idempotency_key: "rename-once".to_owned(),
                ..rename(&company, "Hijacked")
            },
            &sales,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "PERMISSION_DENIED");
    assert!(
        status.message().contains("settings.write"),
        "{}",
        status.message()
    );

    assert_eq!(legal_name(&env, &admin, &company).await, "ACME");
    assert_eq!(
        company_updates(&env).await,
        (0, 0),
        "no audit entry, no event"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.idempotency_key")
            .await,
        0,
        "a refused request keeps no idempotency key"
    );
}

/// How many `company.updated` audit entries and outbox events tenancy holds.
async fn company_updates(env: &Env) -> (i64, i64) {
    (
        env.count("SELECT count(*) FROM tenancy.audit_event WHERE action = 'company.updated'")
            .await,
        env.count(
            "SELECT count(*) FROM tenancy.outbox WHERE subject = 'comptoir.tenancy.company.updated'",
        )
        .await,
    )
}
