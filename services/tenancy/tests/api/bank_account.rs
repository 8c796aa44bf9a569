//! A company's bank account: its IBAN and BIC parsed (ISO 13616 check digits and country
//! length, ISO 9362 shape) and refused by field path, stored upper case without spaces,
//! read back, set, changed and cleared through UpdateCompany's mask, and carried by the
//! company events.

use comptoir_proto::events::v1::{CompanyCreated, CompanyUpdated};
use comptoir_proto::tenancy::v1::{
    Company, CreateCompanyRequest, GetCompanyRequest, UpdateCompanyRequest,
};
use comptoir_proto::types::v1::BankAccount;
use comptoir_test_support::{bad_fields, bearer};
use prost::Message;
use prost_types::FieldMask;
use tonic::Code;

use crate::Env;
use crate::legal_identity::{company_request, published};

fn account(iban: &str, bic: &str) -> Option<BankAccount> {
    Some(BankAccount {
        iban: iban.to_owned(),
        bic: bic.to_owned(),
    })
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// The `(iban, bic)` columns of every company, as superuser.
async fn stored(env: &Env) -> Vec<(Option<String>, Option<String>)> {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_as("SELECT iban, bic FROM tenancy.company ORDER BY created_at")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

async fn get(env: &Env, token: &str, company_id: &str) -> Company {
    env.client()
        .await
        .get_company(bearer(
            GetCompanyRequest {
                company_id: company_id.to_owned(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap()
}

#[tokio::test]
async fn a_bank_account_is_stored_upper_case_without_spaces_read_back_and_published() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let created = env
        .client()
        .await
        .create_company(bearer(
            CreateCompanyRequest {
                bank_account: account("fr76 3000 6000 0112 3456 7890 189", " bnpa fr pp "),
                ..company_request("Martin Conseil", "732829320")
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let expected = account("FR7630006000011234567890189", "BNPAFRPP");
    assert_eq!(created.bank_account, expected);
    assert_eq!(
        get(&env, &token, &created.company_id).await.bank_account,
        expected
    );
    assert_eq!(
        stored(&env).await,
        [(
            Some("FR7630006000011234567890189".to_owned()),
            Some("BNPAFRPP".to_owned())
        )]
    );
    let events = published(&env, 1).await;
    let event = CompanyCreated::decode(events[0].1.as_slice()).unwrap();
    assert_eq!(event.bank_account, expected);

    // Without one, none is stored, read or published.
    let bare = env
        .client()
        .await
        .create_company(bearer(company_request("Sans Banque", "552100554"), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(bare.bank_account, None);
    let events = published(&env, 2).await;
    assert_eq!(
        CompanyCreated::decode(events[1].1.as_slice())
            .unwrap()
            .bank_account,
        None
    );
}

#[tokio::test]
async fn a_bad_iban_or_bic_is_named_with_its_reason_and_nothing_is_written() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let cases = [
        // The last two digits swapped: the mod 97 check fails.
        (
            account("FR7630006000011234567890198", ""),
            vec!["bank_account.iban"],
            "ISO 13616 check digits",
        ),
        (
            account("FR763000600001123456789018", ""),
            vec!["bank_account.iban"],
            "27 characters long for FR",
        ),
        (
            account("DE8937040044053201300", ""),
            vec!["bank_account.iban"],
            "22 characters long for DE",
        ),
        (
            account("ZZ7630006000011234567890189", ""),
            vec!["bank_account.iban"],
            "country code",
        ),
        (
            account("not an iban", ""),
            vec!["bank_account.iban"],
            "2 check digits",
        ),
        (
            account("FR7630006000011234567890189", "BNPAFR"),
            vec!["bank_account.bic"],
            "8 or 11 characters",
        ),
        (
            account("", "BNPAFRPP"),
            vec!["bank_account.iban"],
            "required with a BIC",
        ),
        (
            account("FR7630006000011234567890188", "BNP4FRPP"),
            vec!["bank_account.iban", "bank_account.bic"],
            "bank_account.bic: must be a BIC",
        ),
    ];
    for (bank_account, fields, why) in cases {
        let status = client
            .create_company(bearer(
                CreateCompanyRequest {
                    bank_account,
                    ..company_request("Martin Conseil", "732829320")
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{fields:?}");
        assert_eq!(bad_fields(&status), fields);
        assert!(status.message().contains(why), "{}", status.message());
    }
    assert_eq!(env.count("SELECT count(*) FROM tenancy.company").await, 0);
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 0);
}

#[tokio::test]
async fn the_update_mask_sets_changes_and_clears_the_bank_account() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let company_id = client
        .create_company(bearer(
            company_request("Martin Conseil", "732829320"),
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap()
        .company_id;
    let update = |bank_account: Option<BankAccount>, paths: &[&str], key: &str| {
        bearer(
            UpdateCompanyRequest {
                company_id: company_id.clone(),
                bank_account,
                update_mask: mask(paths),
                idempotency_key: key.to_owned(),
                ..Default::default()
            },
            &token,
        )
    };

    // One field of the account starts one; the BIC in the request but not in the mask
    // is ignored.
    let company = client
        .update_company(update(
            account("DE89 3704 0044 0532 0130 00", "COBADEFFXXX"),
            &["bank_account.iban"],
            "iban",
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(company.bank_account, account("DE89370400440532013000", ""));
    let company = client
        .update_company(update(
            account("", "cobadeffxxx"),
            &["bank_account.bic"],
            "bic",
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(
        company.bank_account,
        account("DE89370400440532013000", "COBADEFFXXX")
    );

    // A bad IBAN is refused by path and changes nothing.
    let status = client
        .update_company(update(
            account("DE89370400440532013001", ""),
            &["bank_account.iban"],
            "bad",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["bank_account.iban"]);
    assert!(status.message().contains("mod 97"), "{}", status.message());
    assert_eq!(
        get(&env, &token, &company_id).await.bank_account,
        account("DE89370400440532013000", "COBADEFFXXX")
    );

    // The whole account replaced, then cleared by naming it without sending one.
    let company = client
        .update_company(update(
            account("FR7630006000011234567890189", ""),
            &["bank_account"],
            "replace",
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(
        company.bank_account,
        account("FR7630006000011234567890189", "")
    );
    let company = client
        .update_company(update(None, &["bank_account"], "clear"))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(company.bank_account, None);
    assert_eq!(stored(&env).await, [(None, None)]);

    // Each change was published with the account as it became.
    let events = published(&env, 5).await;
    let accounts: Vec<(Option<BankAccount>, Vec<String>)> = events[1..]
        .iter()
        .map(|(subject, payload)| {
            assert_eq!(subject, "comptoir.tenancy.company.updated");
            let event = CompanyUpdated::decode(payload.as_slice()).unwrap();
            (event.bank_account, event.changed_fields)
        })
        .collect();
    assert_eq!(
        accounts,
        [
            (
                account("DE89370400440532013000", ""),
                vec!["bank_account.iban".to_owned()]
            ),
            (
                account("DE89370400440532013000", "COBADEFFXXX"),
                vec!["bank_account.bic".to_owned()]
            ),
            (
                account("FR7630006000011234567890189", ""),
                vec!["bank_account".to_owned()]
            ),
            (None, vec!["bank_account".to_owned()]),
        ]
    );
}

#[tokio::test]
async fn the_database_refuses_a_bic_without_an_iban_or_a_spaced_iban() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    env.client()
        .await
        .create_company(bearer(
            company_request("Martin Conseil", "732829320"),
            &token,
        ))
        .await
        .unwrap();
    let mut conn = env.harness.db.admin().await;
    for (sql, constraint) in [
        (
            "UPDATE tenancy.company SET bic = 'BNPAFRPP'",
            "company_bic_needs_iban",
        ),
        (
            "UPDATE tenancy.company SET iban = 'FR76 3000 6000 0112 3456 7890 189'",
            "company_iban_shape",
        ),
        (
            "UPDATE tenancy.company SET iban = 'FR7630006000011234567890189', bic = 'bnpafrpp'",
            "company_bic_shape",
        ),
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert_eq!(
            err.as_database_error().and_then(|e| e.constraint()),
            Some(constraint),
            "{sql}"
        );
    }
}
