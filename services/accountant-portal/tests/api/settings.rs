//! Accounting settings: French defaults until a firm sets its own default, a client's own
//! settings over the firm's, every bad field named, optimistic concurrency, the change
//! published, and a client the caller does not reach answered NOT_FOUND.

use comptoir_domain_types::permissions;
use comptoir_proto::accountant_portal::v1::{
    AccountingSettings, GetAccountingSettingsRequest, GetAccountingSettingsResponse,
    UpdateAccountingSettingsRequest,
};
use comptoir_proto::events::v1::AccountingSettingsChanged;
use comptoir_test_support::{bad_fields, bearer, reason};
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::workspace::{Company, Workspace};

async fn get(
    env: &Workspace,
    token: &str,
    company: Option<Uuid>,
) -> Result<GetAccountingSettingsResponse, tonic::Status> {
    env.portal
        .clone()
        .get_accounting_settings(bearer(
            GetAccountingSettingsRequest {
                company_id: company.map(|c| c.to_string()).unwrap_or_default(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn update(
    env: &Workspace,
    token: &str,
    company: Option<Uuid>,
    settings: AccountingSettings,
    expected_version: i64,
) -> Result<i64, tonic::Status> {
    env.portal
        .clone()
        .update_accounting_settings(bearer(
            UpdateAccountingSettingsRequest {
                company_id: company.map(|c| c.to_string()).unwrap_or_default(),
                settings: Some(settings),
                expected_version,
            },
            token,
        ))
        .await
        .map(|answer| answer.into_inner().version)
}

/// Every `accounting_settings.changed` in the portal's outbox, oldest first.
async fn published(env: &Workspace) -> Vec<AccountingSettingsChanged> {
    let mut db = env.harness.db.admin().await;
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM accountant_portal.outbox \
         WHERE subject LIKE '%accounting_settings.changed' ORDER BY outbox_id",
    )
    .fetch_all(&mut db)
    .await
    .expect("outbox");
    payloads
        .iter()
        .map(|p| AccountingSettingsChanged::decode(p.as_slice()).expect("an event"))
        .collect()
}

async fn firm_and_client(env: &Workspace) -> (Company, Company) {
    let firm = env
        .firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await;
    let client = env
        .granted_client(&firm, "dupont@example.fr", "732829320")
        .await;
    (firm, client)
}

#[tokio::test]
async fn french_defaults_hold_until_the_firm_and_then_the_client_set_their_own() {
    let env = Workspace::start().await;
    let (firm, client) = firm_and_client(&env).await;

    let defaults = get(&env, &firm.token, None).await.unwrap();
    assert!(defaults.is_default);
    assert_eq!(defaults.version, 0);
    let french = defaults.settings.expect("settings");
    let sales = french.sales_journal.clone().unwrap();
    assert_eq!(
        (sales.code.as_str(), sales.label.as_str()),
        ("VT", "Ventes")
    );
    assert_eq!(french.purchases_journal.clone().unwrap().code, "AC");
    assert_eq!(french.bank_journal.clone().unwrap().code, "BQ");
    assert_eq!(
        (
            french.customer_account.as_str(),
            french.supplier_account.as_str(),
            french.bank_account.as_str(),
            french.deductible_vat_account.as_str(),
            french.expense_account.as_str()
        ),
        ("411", "401", "512000", "445660", "607000")
    );
    let rates: Vec<&str> = french.rates.iter().map(|r| r.vat_rate.as_str()).collect();
    assert_eq!(rates, ["20", "10", "5.5", "2.1", "0"]);
    assert!(
        french
            .rates
            .iter()
            .all(|r| r.goods_revenue_account.starts_with("707")
                && r.services_revenue_account.starts_with("706")
                && r.collected_vat_account.starts_with("44571"))
    );
    // A client without settings of its own has the French ones too.
    let inherited = get(&env, &firm.token, Some(client.id)).await.unwrap();
    assert!(inherited.is_default);
    assert_eq!(inherited.settings.as_ref(), Some(&french));

    // The firm's default: version 1, then what its clients inherit.
    let firm_default = AccountingSettings {
        bank_account: "512100".to_owned(),
        ..french.clone()
    };
    assert_eq!(
        update(&env, &firm.token, None, firm_default.clone(), 0)
            .await
            .unwrap(),
        1
    );
    let read = get(&env, &firm.token, None).await.unwrap();
    assert_eq!((read.is_default, read.version), (false, 1));
    let inherited = get(&env, &firm.token, Some(client.id)).await.unwrap();
    assert_eq!((inherited.is_default, inherited.version), (true, 0));
    assert_eq!(inherited.settings.unwrap().bank_account, "512100");

    // The client's own settings override the firm's.
    let own = AccountingSettings {
        bank_account: "512200".to_owned(),
        ..firm_default.clone()
    };
    assert_eq!(
        update(&env, &firm.token, Some(client.id), own.clone(), 0)
            .await
            .unwrap(),
        1
    );
    let read = get(&env, &firm.token, Some(client.id)).await.unwrap();
    assert_eq!((read.is_default, read.version), (false, 1));
    assert_eq!(read.settings.as_ref(), Some(&own));

    // Optimistic concurrency: the version read goes, a stale one is ABORTED.
    let newer = AccountingSettings {
        bank_account: "512300".to_owned(),
        ..own.clone()
    };
    assert_eq!(
        update(&env, &firm.token, Some(client.id), newer.clone(), 1)
            .await
            .unwrap(),
        2
    );
    let stale = update(&env, &firm.token, Some(client.id), own.clone(), 1)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(reason(&stale), "SETTINGS_VERSION_MISMATCH");
    assert_eq!(
        get(&env, &firm.token, Some(client.id))
            .await
            .unwrap()
            .settings
            .unwrap()
            .bank_account,
        "512300"
    );

    // Each change published once, in the same transaction, with its version.
    let events = published(&env).await;
    let seen: Vec<(String, String, bool, i64, String)> = events
        .iter()
        .map(|e| {
            (
                e.meta.clone().unwrap().company_id,
                e.firm_id.clone(),
                e.is_firm_default,
                e.version,
                e.settings.clone().unwrap().bank_account,
            )
        })
        .collect();
    let (f, c) = (firm.id.to_string(), client.id.to_string());
    assert_eq!(
        seen,
        [
            (f.clone(), f.clone(), true, 1, "512100".to_owned()),
            (c.clone(), f.clone(), false, 1, "512200".to_owned()),
            (c.clone(), f.clone(), false, 2, "512300".to_owned()),
        ]
    );
}

#[tokio::test]
async fn bad_settings_are_refused_naming_every_field_and_nothing_changes() {
    let env = Workspace::start().await;
    let (firm, client) = firm_and_client(&env).await;
    let mut bad = get(&env, &firm.token, None)
        .await
        .unwrap()
        .settings
        .unwrap();
    bad.sales_journal.as_mut().unwrap().code = "V-T".to_owned();
    bad.customer_account = "401".to_owned();
    bad.bank_account = "51200A".to_owned();
    bad.rates[2].collected_vat_account = "707300".to_owned();
    bad.rates[3].vat_rate = "20.0".to_owned();
    let refused = update(&env, &firm.token, Some(client.id), bad, 0)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&refused),
        [
            "settings.sales_journal.code",
            "settings.customer_account",
            "settings.bank_account",
            "settings.rates[2].collected_vat_account",
            "settings.rates[3].vat_rate",
        ]
    );
    let missing = env
        .portal
        .clone()
        .update_accounting_settings(bearer(
            UpdateAccountingSettingsRequest {
                company_id: "not-a-company".to_owned(),
                settings: None,
                expected_version: -1,
            },
            &firm.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&missing),
        ["company_id", "settings", "expected_version"]
    );
    assert!(
        get(&env, &firm.token, Some(client.id))
            .await
            .unwrap()
            .is_default
    );
    assert!(published(&env).await.is_empty());
}

#[tokio::test]
async fn a_client_the_caller_does_not_reach_is_not_found() {
    let env = Workspace::start().await;
    let (firm, client) = firm_and_client(&env).await;
    let defaults = get(&env, &firm.token, None)
        .await
        .unwrap()
        .settings
        .unwrap();

    // Another firm: the client is not in its portfolio.
    let other = env
        .firm("autre@example.fr", "Cabinet Autre", "542051180")
        .await;
    for refused in [
        get(&env, &other.token, Some(client.id)).await.unwrap_err(),
        update(&env, &other.token, Some(client.id), defaults.clone(), 0)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
        assert_eq!(reason(&refused), "CLIENT_NOT_FOUND");
    }
    // A collaborator of the firm not assigned to the client; and the firm's default is
    // the firm Administrators' to change.
    let collaborator = env
        .token(Uuid::now_v7(), firm.id, &permissions::ACCOUNTANT)
        .await;
    let refused = get(&env, &collaborator, Some(client.id)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    assert!(get(&env, &collaborator, None).await.is_ok());
    let refused = update(&env, &collaborator, None, defaults, 0)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_firm_without_its_module_enabled_is_refused() {
    let env = Workspace::start().await;
    let firm = env
        .company("cabinet@example.fr", "Cabinet Lefèvre", "552100554", true)
        .await;
    let refused = get(&env, &firm.token, None).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ACCOUNTING_MODULE_DISABLED");
}
