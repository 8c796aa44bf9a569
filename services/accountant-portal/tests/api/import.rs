//! The bulk import of client companies, against the real portal and tenancy: a file of a
//! thousand rows with a dozen bad ones of different kinds, run twice; a Windows-1252 file
//! and its UTF-8 twin; malformed files, refused whole; a dry run. What was created is
//! read from tenancy's own table.

mod files;

use comptoir_proto::accountant_portal::v1::{
    ImportClientCompaniesRequest, ImportClientCompaniesResponse, ImportRowError,
};
use comptoir_test_support::{bad_fields, bearer};
use tonic::Code;
use tonic_types::StatusExt;
use uuid::Uuid;

use self::files::{HEADER, Row, csv, siren, windows_1252};
use crate::firm::firm;
use crate::workspace::{Workspace, client_input, creation, first_nic};

/// Companies tenancy holds for a firm.
const OWNED: &str = "SELECT count(*) FROM tenancy.company WHERE owner_firm_id = $1";

/// Clients in the firm's portfolio.
const PORTFOLIO: &str = "SELECT count(*) FROM accountant_portal.firm_client WHERE firm_id = $1";

/// Streams `file` in chunks of 64 KiB (the options on the first) and gathers every
/// report; the call's own refusal, or one arriving in the stream, as an error.
async fn import(
    env: &Workspace,
    token: &str,
    file: &[u8],
    dry_run: bool,
) -> Result<Vec<ImportClientCompaniesResponse>, tonic::Status> {
    let chunks: Vec<_> = file
        .chunks(64 * 1024)
        .enumerate()
        .map(|(i, chunk)| ImportClientCompaniesRequest {
            chunk: chunk.to_vec(),
            dry_run: i == 0 && dry_run,
            invite_director: 0,
        })
        .collect();
    let mut reports = env
        .portal
        .clone()
        .import_client_companies(bearer(futures::stream::iter(chunks), token))
        .await?
        .into_inner();
    let mut all = Vec::new();
    while let Some(report) = reports.message().await? {
        all.push(report);
    }
    Ok(all)
}

/// The last report, which must say it is the last, after progress at least every 100
/// rows.
fn last(reports: &[ImportClientCompaniesResponse], rows: i32) -> &ImportClientCompaniesResponse {
    let done = reports.last().expect("a report");
    assert!(done.done, "the last report is done: {done:?}");
    assert_eq!(reports.iter().filter(|r| r.done).count(), 1);
    assert!(
        reports.len() > usize::try_from(rows / 100).unwrap(),
        "progress at least every 100 rows: {} reports",
        reports.len()
    );
    for pair in reports.windows(2) {
        assert!(pair[0].rows_read <= pair[1].rows_read);
        assert!(pair[0].rows_created <= pair[1].rows_created);
    }
    assert_eq!(done.rows_read, rows);
    done
}

/// Every refused (line, field) of a report.
fn refused(report: &ImportClientCompaniesResponse) -> Vec<(i32, String)> {
    report
        .errors
        .iter()
        .map(|ImportRowError { line, field, .. }| (*line, field.clone()))
        .collect()
}

/// The reason of the refusal on field `file`.
fn file_refusal(status: &tonic::Status) -> String {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(bad_fields(status), ["file"]);
    status.get_details_bad_request().unwrap().field_violations[0]
        .description
        .clone()
}

#[tokio::test]
async fn a_thousand_rows_with_twelve_bad_ones_create_the_rest_and_a_second_run_creates_nothing() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let manager = firm.owner.to_string();

    // A client already in the portfolio, created as CreateClientCompany creates one.
    let existing_siren = siren(9, 1);
    env.portal
        .clone()
        .create_client_company(bearer(
            creation(client_input("EXIST-1", &existing_siren), false),
            &firm.token,
        ))
        .await
        .expect("the existing client");
    assert_eq!(env.count_for(OWNED, firm.id).await, 1);

    let mut rows: Vec<Row> = (0..1000)
        .map(|n| Row::good(1, n, if n % 3 == 0 { &manager } else { "" }))
        .collect();
    // Twelve bad rows, each of another kind; row n is on line n + 2.
    let mut expected = Vec::new();
    let mut spoil = |n: usize, field: &str, change: &dyn Fn(&mut Row)| {
        change(&mut rows[n]);
        expected.push((i32::try_from(n).unwrap() + 2, field.to_owned()));
    };
    spoil(10, "siren", &|row| {
        let last = row.siren.pop().unwrap();
        let wrong = if last == '9' {
            '0'
        } else {
            char::from(last as u8 + 1)
        };
        row.siren.push(wrong);
    });
    spoil(95, "nic", &|row| row.nic = "0001".to_owned());
    spoil(180, "ape_code", &|row| row.ape = String::new());
    spoil(260, "ape_code", &|row| row.ape = "70.2Z".to_owned());
    spoil(333, "file_code", &|row| row.code = "C1-0007".to_owned());
    spoil(401, "siret", &|row| {
        row.siren = existing_siren.clone();
        row.nic = first_nic(&existing_siren);
    });
    spoil(512, "director_email", &|row| {
        row.email = "dirigeant.example.fr".to_owned();
    });
    spoil(600, "portfolio_manager", &|row| {
        row.manager = Uuid::now_v7().to_string();
    });
    spoil(702, "postal_code", &|row| {
        row.postal_code = "7500".to_owned()
    });
    spoil(777, "legal_name", &|row| row.name = String::new());
    spoil(850, "file_code", &|row| row.code = "EXIST-1".to_owned());
    spoil(999, "siret", &|row| {
        row.siren = siren(1, 5);
        row.nic = first_nic(&row.siren);
    });
    let file = csv(&rows);

    let reports = import(&env, &firm.token, file.as_bytes(), false)
        .await
        .expect("the import runs");
    let done = last(&reports, 1000);
    assert_eq!(refused(done), expected, "{:#?}", done.errors);
    assert_eq!(
        (done.rows_valid, done.rows_created, done.rows_failed),
        (989, 988, 12),
        "the SIRET already registered passes the checks and is refused by tenancy"
    );
    let reason = |line: i32| {
        done.errors
            .iter()
            .find(|error| error.line == line)
            .map(|error| error.reason.clone())
            .unwrap()
    };
    assert!(reason(335).contains("line 9"), "{}", reason(335));
    assert!(
        reason(403).contains("already registered"),
        "{}",
        reason(403)
    );
    assert!(reason(852).contains("portfolio"), "{}", reason(852));
    assert!(reason(1001).contains("line 7"), "{}", reason(1001));
    assert_eq!(env.count_for(OWNED, firm.id).await, 989);
    assert_eq!(env.count_for(PORTFOLIO, firm.id).await, 989);
    // The good rows' managers were assigned.
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.client_manager WHERE firm_id = $1",
            firm.id
        )
        .await,
        i64::try_from(
            rows.iter()
                .enumerate()
                .filter(|(n, row)| row.manager == manager
                    && !expected.iter().any(|(line, _)| *line == (*n as i32) + 2))
                .count()
        )
        .unwrap()
    );

    // Again: every row is refused (already in the portfolio, or still bad), none created.
    let reports = import(&env, &firm.token, file.as_bytes(), false)
        .await
        .expect("the second run runs");
    let again = last(&reports, 1000);
    assert_eq!(again.rows_created, 0);
    assert_eq!(again.rows_failed, 1000);
    let in_portfolio = again
        .errors
        .iter()
        .filter(|error| error.field == "file_code" && error.reason.contains("portfolio"))
        .count();
    assert!(
        in_portfolio >= 988,
        "{in_portfolio} rows already in the portfolio"
    );
    assert_eq!(env.count_for(OWNED, firm.id).await, 989);
}

#[tokio::test]
async fn a_windows_1252_file_imports_the_same_names_as_its_utf8_twin() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let names = [
        "Société Générale de Boulangerie",
        "Crème Brûlée & Fils",
        "Château d'Œuvre",
        "Ça coûte 5 €",
    ];
    let twin = |series: u32| -> Vec<Row> {
        names
            .iter()
            .enumerate()
            .map(|(n, name)| Row {
                name: (*name).to_owned(),
                ..Row::good(series, u32::try_from(n).unwrap(), "")
            })
            .collect()
    };
    let utf8 = csv(&twin(1));
    let cp1252 = windows_1252(&csv(&twin(2)));
    assert!(std::str::from_utf8(&cp1252).is_err(), "not UTF-8");

    for (file, series) in [(utf8.into_bytes(), 1), (cp1252, 2)] {
        let reports = import(&env, &firm.token, &file, false).await.unwrap();
        let done = last(&reports, 4);
        assert!(done.errors.is_empty(), "{:?}", done.errors);
        assert_eq!(done.rows_created, 4);
        let mut db = env.harness.db.admin().await;
        let sirens: Vec<String> = (0..4).map(|n| siren(series, n)).collect();
        let created: Vec<String> = sqlx::query_scalar(
            "SELECT legal_name FROM tenancy.company WHERE siren = ANY($1) ORDER BY siren",
        )
        .bind(&sirens)
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert_eq!(created, names, "series {series}");
    }
}

#[tokio::test]
async fn a_malformed_file_is_refused_whole_with_its_line_and_nothing_is_created() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let rows: Vec<Row> = (0..3).map(|n| Row::good(1, n, "")).collect();
    let good = csv(&rows);

    let short_row = format!("{good}Dupont;D-1;732829320\r\n");
    let refused = import(&env, &firm.token, short_row.as_bytes(), false)
        .await
        .unwrap_err();
    assert!(file_refusal(&refused).contains("line 5"), "{refused:?}");

    let mut undecodable = good.clone().into_bytes();
    undecodable.insert(HEADER.len() + 2, 0x81);
    let refused = import(&env, &firm.token, &undecodable, false)
        .await
        .unwrap_err();
    let reason = file_refusal(&refused);
    assert!(
        reason.contains("line 2") && reason.contains("0x81"),
        "{reason}"
    );

    let headless: String = good
        .lines()
        .skip(1)
        .map(|line| format!("{line}\n"))
        .collect();
    let refused = import(&env, &firm.token, headless.as_bytes(), false)
        .await
        .unwrap_err();
    assert!(file_refusal(&refused).contains("header"), "{refused:?}");

    let unknown = good.replacen("Ville", "Remarques", 1);
    let refused = import(&env, &firm.token, unknown.as_bytes(), false)
        .await
        .unwrap_err();
    assert!(file_refusal(&refused).contains("Remarques"), "{refused:?}");

    let refused = import(&env, &firm.token, b"", false).await.unwrap_err();
    assert!(file_refusal(&refused).contains("empty"), "{refused:?}");

    assert_eq!(env.count_for(OWNED, firm.id).await, 0);
    assert_eq!(env.count_for(PORTFOLIO, firm.id).await, 0);

    // The same file, well formed, goes through.
    let reports = import(&env, &firm.token, good.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(last(&reports, 3).rows_created, 3);
}

#[tokio::test]
async fn a_dry_run_checks_every_row_and_creates_nothing() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let mut rows: Vec<Row> = (0..150).map(|n| Row::good(1, n, "")).collect();
    rows[20].nic = "123456".to_owned();
    rows[120].code = rows[3].code.clone();
    let reports = import(&env, &firm.token, csv(&rows).as_bytes(), true)
        .await
        .unwrap();
    let done = last(&reports, 150);
    assert_eq!(
        refused(done),
        [(22, "nic".to_owned()), (122, "file_code".to_owned())]
    );
    assert_eq!(
        (done.rows_valid, done.rows_created, done.rows_failed),
        (148, 0, 2)
    );
    assert_eq!(env.count_for(OWNED, firm.id).await, 0);
    assert_eq!(env.count_for(PORTFOLIO, firm.id).await, 0);
}

#[tokio::test]
async fn only_a_firm_administrator_may_import() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let collaborator = env
        .token(
            Uuid::now_v7(),
            firm.id,
            &comptoir_domain_types::permissions::ACCOUNTANT,
        )
        .await;
    let rows: Vec<Row> = (0..2).map(|n| Row::good(1, n, "")).collect();
    let refused = import(&env, &collaborator, csv(&rows).as_bytes(), false)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(env.count_for(OWNED, firm.id).await, 0);
}
