//! Access ends at once, in every service: a token billing has already accepted (and
//! remembers as verified) is refused within a second of its session or its membership
//! being revoked (a firm's membership too, for the firm's clients), and within two
//! seconds when the revocation comes right after a nats-server restart.

use std::time::Duration;

use comptoir_proto::billing::v1::{
    CreateInvoiceRequest, CreatePartyRequest, DocumentType, DraftInput, GetInvoiceRequest,
    LineInput, ListNumberingSeriesRequest, ListQuotesRequest, PartyInput, PartyKind, PartyRole,
    PostalAddress, UpdateNumberingSeriesRequest, billing_service_client::BillingServiceClient,
    invoice_service_client::InvoiceServiceClient, party_service_client::PartyServiceClient,
    quote_service_client::QuoteServiceClient,
};
use comptoir_proto::identity::v1::{
    LogoutRequest, RequestPasswordResetRequest, ResetPasswordRequest,
    identity_service_client::IdentityServiceClient,
};
use comptoir_proto::tenancy::v1::{
    ChangeMemberRoleRequest, CompanyKind, CreateCompanyRequest, GrantFirmAccessRequest,
    InviteMemberRequest, RemoveMemberRequest, firm_service_client::FirmServiceClient,
    member_service_client::MemberServiceClient,
};
use comptoir_test_support::{PrivateNats, TestNats, bearer, eventually};
use tokio::time::Instant;
use tonic::Code;

use crate::platform::{Platform, company_request};
use crate::{claims, link_token};

/// A company of Jeanne's with its books open, and Paul, invited as `role`, switched to it.
struct Team {
    company: String,
    /// Jeanne's token, scoped to the company (owner, Administrator).
    owner: String,
    /// Paul's account.
    paul_id: String,
    /// Paul's token, scoped to the company.
    paul: String,
}

async fn team(platform: &Platform, role: &str) -> Team {
    team_in(
        platform,
        role,
        company_request("Boulangerie Dupont", "732829320"),
    )
    .await
}

/// Like [`team`], for the company `request` creates.
async fn team_in(platform: &Platform, role: &str, request: CreateCompanyRequest) -> Team {
    let login = platform.user_token("jeanne@example.fr").await;
    let company = platform.create_company_with(&login, request).await;
    let owner = platform.switch(&login, &company).await.expect("switching");
    let mut members = MemberServiceClient::new(platform.tenancy.channel().await);
    members
        .invite_member(bearer(
            InviteMemberRequest {
                email: "paul@example.fr".to_owned(),
                role: role.to_owned(),
                idempotency_key: String::new(),
                open_link: false,
            },
            &owner,
        ))
        .await
        .expect("inviting Paul");
    let mail = platform.mailbox.newest_to("paul@example.fr").await;
    let invitation = link_token(&mail.body);
    let paul_login = platform.user_token("paul@example.fr").await;
    platform.accept_invitation(&invitation, &paul_login).await;
    let paul = platform
        .switch(&paul_login, &company)
        .await
        .expect("Paul switches");
    eventually("the books to open", || async {
        series(platform, &owner, &company)
            .await
            .is_ok()
            .then_some(())
    })
    .await;
    Team {
        company,
        owner,
        paul_id: claims(&paul)["sub"].as_str().expect("a subject").to_owned(),
        paul,
    }
}

impl Team {
    /// Paul reads the books, as he could before anything was revoked.
    async fn paul_reads(&self, platform: &Platform) {
        series(platform, &self.paul, &self.company)
            .await
            .expect("Paul reads the books");
    }

    /// Jeanne, whose access nothing touched, still reads the books.
    async fn owner_reads(&self, platform: &Platform) {
        series(platform, &self.owner, &self.company)
            .await
            .expect("the owner still reads");
    }

    /// Jeanne removes Paul from the company.
    async fn remove_paul(&self, platform: &Platform) {
        MemberServiceClient::new(platform.tenancy.channel().await)
            .remove_member(bearer(
                RemoveMemberRequest {
                    user_id: self.paul_id.clone(),
                },
                &self.owner,
            ))
            .await
            .expect("removing Paul");
    }

    /// Paul's read of the books is refused with `code` within `within` of `since`.
    async fn pauls_read_refused(
        &self,
        platform: &Platform,
        what: &str,
        since: Instant,
        within: Duration,
        code: Code,
    ) {
        refused_within(what, since, within, code, || {
            series(platform, &self.paul, &self.company)
        })
        .await;
    }
}

/// A billing read needing `invoices.read`: the numbering series of `company`.
async fn series(platform: &Platform, token: &str, company: &str) -> Result<(), tonic::Status> {
    BillingServiceClient::new(platform.billing.channel().await)
        .list_numbering_series(bearer(
            ListNumberingSeriesRequest {
                company_id: company.to_owned(),
                ..Default::default()
            },
            token,
        ))
        .await
        .map(|_| ())
}

/// A billing write needing `settings.write`.
async fn rename_series(platform: &Platform, token: &str) -> Result<(), tonic::Status> {
    BillingServiceClient::new(platform.billing.channel().await)
        .update_numbering_series(bearer(
            UpdateNumberingSeriesRequest {
                document_type: DocumentType::Invoice as i32,
                prefix: "FAC".to_owned(),
                include_year: true,
            },
            token,
        ))
        .await
        .map(|_| ())
}

/// A billing read a Sales member may make (`quotes.write`).
async fn quotes(platform: &Platform, token: &str) -> Result<(), tonic::Status> {
    QuoteServiceClient::new(platform.billing.channel().await)
        .list_quotes(bearer(ListQuotesRequest::default(), token))
        .await
        .map(|_| ())
}

/// Polls `call` until it fails with `code`; panics if it has not within `within` of
/// `since` (when the call that revoked returned, so its commit is done). Prints how long
/// it took.
async fn refused_within<F, Fut>(
    what: &str,
    since: Instant,
    within: Duration,
    code: Code,
    mut call: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    loop {
        let answer = call().await;
        let elapsed = since.elapsed();
        match answer {
            Err(status) if status.code() == code => {
                println!("{what}: refused with {code:?} {elapsed:?} after the revocation");
                return;
            }
            Err(status) if status.code() != Code::Ok => {
                panic!("{what}: expected {code:?}, got {status:?}")
            }
            _ => {}
        }
        assert!(
            elapsed < within,
            "{what}: still accepted {elapsed:?} after the revocation (deadline {within:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const ONE_SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_removed_members_token_is_refused_by_billing_within_a_second() {
    let platform = Platform::start().await;
    let team = team(&platform, "user").await;
    team.paul_reads(&platform).await;

    team.remove_paul(&platform).await;
    let removed = Instant::now();
    team.pauls_read_refused(
        &platform,
        "the removed member's read",
        removed,
        ONE_SECOND,
        Code::PermissionDenied,
    )
    .await;
    team.owner_reads(&platform).await;
    platform.stop().await;
}

#[tokio::test]
async fn a_logged_out_sessions_token_is_refused_by_billing_within_a_second() {
    let platform = Platform::start().await;
    let team = team(&platform, "user").await;
    team.paul_reads(&platform).await;

    IdentityServiceClient::new(platform.identity.channel().await)
        .logout(bearer(LogoutRequest {}, &team.paul))
        .await
        .expect("logging out");
    let logged_out = Instant::now();
    team.pauls_read_refused(
        &platform,
        "the logged-out session's read",
        logged_out,
        ONE_SECOND,
        Code::Unauthenticated,
    )
    .await;
    team.owner_reads(&platform).await;
    platform.stop().await;
}

#[tokio::test]
async fn a_password_reset_ends_every_token_of_the_account_in_billing_within_a_second() {
    let platform = Platform::start().await;
    let team = team(&platform, "user").await;
    team.paul_reads(&platform).await;

    let mut identity = IdentityServiceClient::new(platform.identity.channel().await);
    identity
        .request_password_reset(RequestPasswordResetRequest {
            email: "paul@example.fr".to_owned(),
        })
        .await
        .expect("asking for a reset");
    // The invitation was mailed to Paul before: wait for the reset mail itself.
    let mail = eventually("the reset mail", || async {
        Some(platform.mailbox.newest_to("paul@example.fr").await)
            .filter(|mail| mail.body.contains("reset-password?token="))
    })
    .await;
    identity
        .reset_password(ResetPasswordRequest {
            token: link_token(&mail.body),
            new_password: "a brand new passphrase".to_owned(),
        })
        .await
        .expect("resetting the password");
    let reset = Instant::now();
    team.pauls_read_refused(
        &platform,
        "the reset account's read",
        reset,
        ONE_SECOND,
        Code::Unauthenticated,
    )
    .await;

    // A login right after the reset starts a new session, which is not refused.
    let login = identity
        .login(comptoir_proto::identity::v1::LoginRequest {
            email: "paul@example.fr".to_owned(),
            password: "a brand new passphrase".to_owned(),
        })
        .await
        .expect("logging in with the new password")
        .into_inner();
    let fresh = platform
        .switch(&login.access_token, &team.company)
        .await
        .expect("switching again");
    series(&platform, &fresh, &team.company)
        .await
        .expect("the new session reads");
    platform.stop().await;
}

#[tokio::test]
async fn an_administrator_demoted_to_sales_loses_billing_writes_within_a_second_but_keeps_quote_reads()
 {
    let platform = Platform::start().await;
    let team = team(&platform, "administrator").await;
    rename_series(&platform, &team.paul)
        .await
        .expect("an Administrator changes the numbering");
    quotes(&platform, &team.paul)
        .await
        .expect("an Administrator lists quotes");

    MemberServiceClient::new(platform.tenancy.channel().await)
        .change_member_role(bearer(
            ChangeMemberRoleRequest {
                user_id: team.paul_id.clone(),
                role: "sales".to_owned(),
            },
            &team.owner,
        ))
        .await
        .expect("demoting Paul");
    let demoted = Instant::now();
    refused_within(
        "the demoted member's write",
        demoted,
        ONE_SECOND,
        Code::PermissionDenied,
        || rename_series(&platform, &team.paul),
    )
    .await;
    quotes(&platform, &team.paul)
        .await
        .expect("Sales still lists quotes with the same token");
    assert_eq!(
        series(&platform, &team.paul, &team.company)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied,
        "Sales does not read the books"
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_membership_revoked_right_after_a_nats_restart_is_refused_by_billing_within_two_seconds()
{
    let mut nats = PrivateNats::start().await;
    let platform = Platform::start_on(TestNats {
        url: nats.url.clone(),
        prefix: "revocation".to_owned(),
    })
    .await;
    let team = team(&platform, "user").await;
    team.paul_reads(&platform).await;

    nats.restart().await;
    team.remove_paul(&platform).await;
    let removed = Instant::now();
    team.pauls_read_refused(
        &platform,
        "the removed member's read after a NATS restart",
        removed,
        2 * ONE_SECOND,
        Code::PermissionDenied,
    )
    .await;
    platform.stop().await;
}

/// A draft invoice of the company `token` is scoped to, for a new private customer;
/// returns its id.
pub(crate) async fn draft_invoice(platform: &Platform, token: &str) -> String {
    let address = PostalAddress {
        line1: "3 rue des Lilas".to_owned(),
        postal_code: "75019".to_owned(),
        city: "Paris".to_owned(),
        country_code: "FR".to_owned(),
        ..Default::default()
    };
    let party = PartyInput {
        role: PartyRole::Customer as i32,
        kind: PartyKind::Private as i32,
        name: "Claire Martin".to_owned(),
        address: Some(address),
        ..Default::default()
    };
    let customer = PartyServiceClient::new(platform.billing.channel().await)
        .create_party(bearer(
            CreatePartyRequest {
                party: Some(party),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .expect("creating a customer")
        .into_inner()
        .party
        .expect("a party")
        .party_id;
    let line = LineInput {
        description: "Pièce montée".to_owned(),
        quantity: "1".to_owned(),
        unit_price: "120".to_owned(),
        vat_rate: "5.5".to_owned(),
        ..Default::default()
    };
    let draft = DraftInput {
        party_id: customer,
        lines: vec![line],
        ..Default::default()
    };
    InvoiceServiceClient::new(platform.billing.channel().await)
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(draft),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .expect("creating a draft invoice")
        .into_inner()
        .invoice
        .expect("an invoice")
        .document_id
}

/// A billing read needing `invoices.read`: one invoice.
async fn read_invoice(
    platform: &Platform,
    token: &str,
    invoice: &str,
) -> Result<(), tonic::Status> {
    InvoiceServiceClient::new(platform.billing.channel().await)
        .get_invoice(bearer(
            GetInvoiceRequest {
                invoice_id: invoice.to_owned(),
            },
            token,
        ))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_firm_administrator_removed_from_the_firm_loses_its_clients_in_billing_within_a_second() {
    let platform = Platform::start().await;
    // Jeanne's firm, of which Paul is an Administrator.
    let firm = team_in(
        &platform,
        "administrator",
        CreateCompanyRequest {
            kind: CompanyKind::Firm as i32,
            ..company_request("Cabinet Lefèvre", "552100554")
        },
    )
    .await;

    // Marc's bakery gives the firm a grant; Marc drafts an invoice.
    let marc = platform.user_token("marc@example.fr").await;
    let client = platform
        .create_company(&marc, "Boulangerie Dupont", "732829320")
        .await;
    let client_owner = platform.switch(&marc, &client).await.expect("switching");
    FirmServiceClient::new(platform.tenancy.channel().await)
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: firm.company.clone(),
                role: "accountant".to_owned(),
            },
            &client_owner,
        ))
        .await
        .expect("granting the firm");
    eventually("the client's books to open", || async {
        series(&platform, &client_owner, &client)
            .await
            .is_ok()
            .then_some(())
    })
    .await;
    let invoice = draft_invoice(&platform, &client_owner).await;

    // Paul, through the firm, switches to the client and reads the invoice.
    let paul = platform
        .switch(&firm.paul, &client)
        .await
        .expect("Paul switches to the firm's client");
    read_invoice(&platform, &paul, &invoice)
        .await
        .expect("the firm's Administrator reads the client's invoice");

    // Jeanne removes Paul from the firm: his token for the client, which names the client
    // and not the firm, is refused.
    firm.remove_paul(&platform).await;
    let removed = Instant::now();
    refused_within(
        "the removed firm Administrator's read of a client invoice",
        removed,
        ONE_SECOND,
        Code::PermissionDenied,
        || read_invoice(&platform, &paul, &invoice),
    )
    .await;
    read_invoice(&platform, &client_owner, &invoice)
        .await
        .expect("the client's owner still reads");
    platform.stop().await;
}
