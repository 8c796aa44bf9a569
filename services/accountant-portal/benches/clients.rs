//! Benchmark: `ListClients` of a firm with 5,000 clients (imported), a page of 50
//! filtered by portfolio manager and text, side by side in one run with tenancy's
//! `GetCompany` (a token-verified one-row read) and with the same listing of a firm of
//! 16 clients, against the real identity, tenancy and portal (the integration tests'
//! workspace). Prints p50 / p95 / mean of each, their ratios and the import's time;
//! target: the large firm's listing takes at most 2× the small firm's.
//!
//! `cargo bench -p comptoir-accountant-portal --bench clients` (PostgreSQL and NATS found
//! like the tests: DATABASE_URL / NATS_URL). `BENCH_CLIENTS` sets the number of clients
//! of the large firm (default 5000), `BENCH_ITERATIONS` the number of timed calls of
//! each kind (default 300).

use std::future::Future;
use std::time::{Duration, Instant};

use comptoir_proto::accountant_portal::v1::{
    ClientFilter, ImportClientCompaniesRequest, ListClientsRequest, ListClientsResponse,
};
use comptoir_proto::tenancy::v1::{
    AcceptInvitationRequest, GetCompanyRequest, InviteMemberRequest,
    member_service_client::MemberServiceClient, tenancy_service_client::TenancyServiceClient,
};
use comptoir_test_support::bench::env_number;
use comptoir_test_support::{bearer, eventually};
use tonic::Code;
use uuid::Uuid;

// The integration tests' workspace and import files, shared rather than copied.
#[allow(dead_code)]
#[path = "../tests/api/workspace.rs"]
mod workspace;

#[allow(dead_code)]
#[path = "../tests/api/import/files.rs"]
mod files;

use files::{Row, csv};
use workspace::{Company, Workspace};

/// The trades the clients' names start with, one after another: the first only is
/// searched for, so the text filter matches one client in as many as there are trades.
/// No trade is a part of another, and none holds a digit (codes dossier and SIRENs are
/// searched too).
const TRADES: [&str; 49] = [
    "Tonnellerie",
    "Boulangerie",
    "Pâtisserie",
    "Boucherie",
    "Charcuterie",
    "Fromagerie",
    "Poissonnerie",
    "Épicerie",
    "Librairie",
    "Pharmacie",
    "Quincaillerie",
    "Menuiserie",
    "Plomberie",
    "Serrurerie",
    "Carrosserie",
    "Garage",
    "Imprimerie",
    "Bijouterie",
    "Horlogerie",
    "Cordonnerie",
    "Droguerie",
    "Mercerie",
    "Parfumerie",
    "Papeterie",
    "Brasserie",
    "Crêperie",
    "Pizzeria",
    "Restaurant",
    "Auberge",
    "Hôtel",
    "Cabinet",
    "Atelier",
    "Studio",
    "Agence",
    "Transports",
    "Maçonnerie",
    "Couverture",
    "Électricité",
    "Peinture",
    "Jardinerie",
    "Fleuriste",
    "Opticien",
    "Laverie",
    "Coiffure",
    "Institut",
    "Taxi",
    "Ambulances",
    "Vignoble",
    "Ferronnerie",
];

/// What the text filter looks for: the first trade, written as a user would type it.
const SEARCHED: &str = "tonnel";

/// Calls of each kind before timing.
const WARM_UP: usize = 30;

/// The project's target: the large firm's listing at most this many times the small
/// firm's.
const TARGET: f64 = 2.0;

#[tokio::main]
async fn main() {
    let clients = env_number("BENCH_CLIENTS", 5000);
    let iterations = usize::try_from(env_number("BENCH_ITERATIONS", 300)).expect("a count");
    let env = Workspace::start().await;

    // The large firm and its two portfolio managers, members of the small firm too.
    let large = env
        .firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await;
    let small = env
        .firm("petit@example.fr", "Cabinet Martin", "356000000")
        .await;
    let mut managers = Vec::new();
    for email in ["ana@example.fr", "bob@example.fr"] {
        let manager = member(&env, &large, email).await;
        assert_eq!(member(&env, &small, email).await, manager);
        managers.push(manager);
    }

    // The clients, imported: half assigned to each manager, one in as many as there are
    // trades named for the searched trade.
    let imported = import(&env, &large, 5, clients, &managers).await;
    import(&env, &small, 6, 16, &managers).await;
    let started = Instant::now();
    listed_in_full(&env, &large, clients).await;
    listed_in_full(&env, &small, 16).await;
    let projection = started.elapsed();

    let filtered = ListClientsRequest {
        filter: Some(ClientFilter {
            portfolio_manager_id: managers[0].to_string(),
            text: SEARCHED.to_owned(),
            ..Default::default()
        }),
        page_size: 50,
        ..Default::default()
    };
    let expected = (0..clients).filter(|n| n % 49 == 0 && n % 2 == 0).count();
    let page = list(&env, &large, &filtered).await;
    assert_eq!(usize::try_from(page.total_size).unwrap(), expected);
    assert_eq!(page.clients.len(), expected.min(50));
    assert_eq!(list(&env, &small, &filtered).await.total_size, 1);

    // One of the large firm's clients, read by the firm's owner from tenancy.
    let read = GetCompanyRequest {
        company_id: page.clients[0].company_id.clone(),
    };
    let mut tenancy = TenancyServiceClient::new(env.tenancy.channel().await);

    let mut timings = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..WARM_UP + iterations {
        let times = [
            timed(list(&env, &large, &filtered)).await,
            timed(async {
                tenancy
                    .get_company(bearer(read.clone(), &large.token))
                    .await
                    .expect("GetCompany")
            })
            .await,
            timed(list(&env, &small, &filtered)).await,
        ];
        if round >= WARM_UP {
            for (timing, time) in timings.iter_mut().zip(times) {
                timing.push(time);
            }
        }
    }
    let [large_list, get_company, small_list] = timings.map(Summary::of);

    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut env.harness.db.admin().await)
        .await
        .expect("the database's name");
    println!(
        "database {database}, large firm {}, manager {} (to EXPLAIN the listing)",
        large.id, managers[0]
    );
    println!("clients: {clients}; timed calls of each kind: {iterations} (after {WARM_UP})");
    println!(
        "import of {clients} rows: {:.0} ms; then until listed in full: {:.0} ms",
        ms(imported),
        ms(projection)
    );
    println!(
        "listing: manager and text \"{SEARCHED}\", page of 50: {expected} of {clients} clients"
    );
    println!("                                          p50      p95     mean (ms)");
    large_list.print(&format!("(a) ListClients, {clients} clients"));
    get_company.print("(b) tenancy GetCompany");
    small_list.print("(c) ListClients, 16 clients");
    let against_small = large_list.p50 / small_list.p50;
    println!(
        "(a)/(b): {:.2} (p50), {:.2} (mean)",
        large_list.p50 / get_company.p50,
        large_list.mean / get_company.mean
    );
    println!(
        "(a)/(c): {against_small:.2} (p50), {:.2} (mean) (target ≤ {TARGET}) {}",
        large_list.mean / small_list.mean,
        if against_small <= TARGET {
            "met"
        } else {
            "MISSED"
        }
    );
}

/// `email` signs up, is invited to `firm` as an accountant and accepts; their account.
/// Tenancy learns of a new account from identity's event and answers UNAVAILABLE until
/// then.
async fn member(env: &Workspace, firm: &Company, email: &str) -> Uuid {
    let members = MemberServiceClient::new(env.tenancy.channel().await);
    members
        .clone()
        .invite_member(bearer(
            InviteMemberRequest {
                email: email.to_owned(),
                role: "accountant".to_owned(),
                idempotency_key: String::new(),
                open_link: false,
            },
            &firm.token,
        ))
        .await
        .expect("the invitation");
    let mail = env.mailbox.newest_to(email).await;
    let invitation = mail
        .body
        .split("token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a link with a token")
        .to_owned();
    let login = env.harness.token(email).await;
    eventually("tenancy to take the acceptance", || {
        let mut members = members.clone();
        let request = AcceptInvitationRequest {
            token: invitation.clone(),
        };
        let login = login.clone();
        async move {
            match members.accept_invitation(bearer(request, &login)).await {
                Ok(_) => Some(()),
                Err(status) if status.code() == Code::Unavailable => None,
                Err(status) => panic!("accepting the invitation: {status:?}"),
            }
        }
    })
    .await;
    env.account(email).await
}

/// Imports `count` clients of SIREN `series` into `firm`, the `n`th named for trade
/// `n % 49` and managed by `managers[n % 2]` (49 being odd, each manager gets half of
/// every trade); the time the import took.
async fn import(
    env: &Workspace,
    firm: &Company,
    series: u32,
    count: u32,
    managers: &[Uuid],
) -> Duration {
    let rows: Vec<Row> = (0..count)
        .map(|n| {
            let manager = managers[usize::try_from(n % 2).unwrap()].to_string();
            let mut row = Row::good(series, n, &manager);
            row.name = format!("{} Dupont {n}", TRADES[usize::try_from(n % 49).unwrap()]);
            row
        })
        .collect();
    let chunks: Vec<_> = csv(&rows)
        .into_bytes()
        .chunks(64 * 1024)
        .map(|chunk| ImportClientCompaniesRequest {
            chunk: chunk.to_vec(),
            ..Default::default()
        })
        .collect();
    let started = Instant::now();
    let mut reports = env
        .portal
        .clone()
        .import_client_companies(bearer(futures::stream::iter(chunks), &firm.token))
        .await
        .expect("the import starts")
        .into_inner();
    let mut done = None;
    while let Some(report) = reports.message().await.expect("a report") {
        if report.done {
            done = Some(report);
        }
    }
    let took = started.elapsed();
    let done = done.expect("the last report");
    assert_eq!(
        done.rows_created,
        i32::try_from(count).unwrap(),
        "{:?}",
        done.errors
    );
    took
}

/// Waits until the firm's unfiltered list counts `count` clients: the list is a
/// projection of tenancy's events, so it catches up with the import after a while.
async fn listed_in_full(env: &Workspace, firm: &Company, count: u32) {
    let deadline = Instant::now() + Duration::from_secs(600);
    let everyone = ListClientsRequest {
        page_size: 1,
        ..Default::default()
    };
    loop {
        let total = list(env, firm, &everyone).await.total_size;
        if u32::try_from(total).unwrap() == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the list shows {total} clients of {count}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A page of the firm's list, as its owner (an Administrator) sees it.
async fn list(
    env: &Workspace,
    firm: &Company,
    request: &ListClientsRequest,
) -> ListClientsResponse {
    env.portal
        .clone()
        .list_clients(bearer(request.clone(), &firm.token))
        .await
        .expect("ListClients")
        .into_inner()
}

/// How long `call` took.
async fn timed<T>(call: impl Future<Output = T>) -> Duration {
    let started = Instant::now();
    call.await;
    started.elapsed()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The timings of one kind of call, in milliseconds.
struct Summary {
    p50: f64,
    p95: f64,
    mean: f64,
}

impl Summary {
    fn of(mut times: Vec<Duration>) -> Self {
        times.sort_unstable();
        let at = |q: f64| {
            // The nearest rank: the smallest time at least a `q` share of calls reached.
            let rank = (q * times.len() as f64).ceil() as usize;
            ms(times[rank.clamp(1, times.len()) - 1])
        };
        let total: Duration = times.iter().sum();
        Self {
            p50: at(0.50),
            p95: at(0.95),
            mean: ms(total) / times.len() as f64,
        }
    }

    fn print(&self, what: &str) {
        println!(
            "{what:<38} {:>8.2} {:>8.2} {:>8.2}",
            self.p50, self.p95, self.mean
        );
    }
}
