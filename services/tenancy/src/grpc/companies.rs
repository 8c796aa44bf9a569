//! The `comptoir.tenancy.v1.TenancyService` implementation: a company's legal identity
//! and bank account decoded from its request (every bad field named by its path) and
//! encoded back, and one `app::companies` call per RPC.

use comptoir_proto::tenancy::v1 as pb;
use comptoir_proto::types::v1 as types;
use comptoir_runtime::error;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::page;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};

use super::user_of;
use crate::app::{self, companies::UpdateCompany};
use crate::domain::{
    Address, ApeCode, BankAccount, CompanyKind, CountryCode, Director, Email, LegalForm,
    LegalIdentity, LegalName, NewCompany, Nic, Phone, PostalCode, ShareCapital, Siren, Siret, Text,
    VatNumber,
};
use crate::error::Error;
use crate::store::companies::CompanyRow;

pub(crate) fn server(deps: Deps) -> pb::tenancy_service_server::TenancyServiceServer<Tenancy> {
    pb::tenancy_service_server::TenancyServiceServer::new(Tenancy { deps })
}

pub(crate) struct Tenancy {
    deps: Deps,
}

/// The legal-identity fields of a request as received, before parsing. Create and update
/// name them alike, so one parser serves both and names the same paths.
#[derive(Debug, Clone, Default)]
struct RawIdentity {
    legal_name: String,
    legal_form: String,
    nic: String,
    ape_code: String,
    vat_number: String,
    rcs_city: String,
    share_capital: Option<pb::Money>,
    address: pb::Address,
    director: pb::Director,
    bank_account: Option<types::BankAccount>,
}

impl From<&pb::CreateCompanyRequest> for RawIdentity {
    fn from(request: &pb::CreateCompanyRequest) -> Self {
        Self {
            legal_name: request.legal_name.clone(),
            legal_form: request.legal_form.clone(),
            nic: request.nic.clone(),
            ape_code: request.ape_code.clone(),
            vat_number: request.vat_number.clone(),
            rcs_city: request.rcs_city.clone(),
            share_capital: request.share_capital.clone(),
            address: request.address.clone().unwrap_or_default(),
            director: request.director.clone().unwrap_or_default(),
            bank_account: request.bank_account.clone(),
        }
    }
}

impl From<pb::Company> for RawIdentity {
    fn from(company: pb::Company) -> Self {
        Self {
            legal_name: company.legal_name,
            legal_form: company.legal_form,
            nic: company.nic,
            ape_code: company.ape_code,
            vat_number: company.vat_number,
            rcs_city: company.rcs_city,
            share_capital: company.share_capital,
            address: company.address.unwrap_or_default(),
            director: company.director.unwrap_or_default(),
            bank_account: company.bank_account,
        }
    }
}

/// Blank means absent; anything else must parse.
fn optional<T, E>(input: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<Option<T>, E> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        parse(input).map(Some)
    }
}

/// Parses every field of `raw`, recording each bad one by its path, in the order of the
/// request's fields. `siren` gives the company's SIREN (parsed from a create request, or
/// the stored one); when it is refused (and recorded), the checks that need it (SIRET
/// key, VAT number) are skipped.
fn parse_identity(
    raw: &RawIdentity,
    siren: impl FnOnce(&mut FieldViolations) -> Option<Siren>,
    violations: &mut FieldViolations,
) -> Option<LegalIdentity> {
    let legal_name = violations.check("legal_name", LegalName::parse(&raw.legal_name));
    let siren = siren(violations);
    let siren = siren.as_ref();
    let legal_form = violations.check("legal_form", LegalForm::parse_optional(&raw.legal_form));
    let siret = violations
        .check("nic", Nic::parse(&raw.nic))
        .zip(siren)
        .and_then(|(nic, siren)| violations.check("nic", Siret::new(siren, &nic)));
    let ape_code = violations.check("ape_code", optional(&raw.ape_code, ApeCode::parse));
    let vat_number = siren.and_then(|siren| {
        violations.check(
            "vat_number",
            optional(&raw.vat_number, |v| VatNumber::parse_for(v, siren)),
        )
    });
    let rcs_city = violations.check("rcs_city", Text::parse_optional(&raw.rcs_city));
    let share_capital = match &raw.share_capital {
        Some(money) if !(money.amount.trim().is_empty() && money.currency_code.is_empty()) => {
            let amount = violations.check(
                "share_capital.amount",
                ShareCapital::parse_amount(&money.amount),
            );
            let currency = violations.check(
                "share_capital.currency_code",
                ShareCapital::parse_currency(&money.currency_code),
            );
            amount
                .zip(currency)
                .map(|(amount, currency)| Some(ShareCapital { amount, currency }))
        }
        _ => Some(None),
    };
    let address = parse_address(&raw.address, violations);
    let director = parse_director(&raw.director, violations);
    let bank_account = parse_bank_account(raw.bank_account.as_ref(), violations);
    if !violations.is_empty() {
        return None;
    }
    Some(LegalIdentity {
        legal_name: legal_name?,
        legal_form: legal_form?,
        siret: siret?,
        ape_code: ape_code?,
        vat_number: vat_number?,
        rcs_city: rcs_city?,
        share_capital: share_capital?,
        address: address?,
        director: director?,
        bank_account: bank_account?,
    })
}

/// An absent account, or one with a blank IBAN and BIC, is none; otherwise the IBAN is
/// required and both must parse, each refused under `bank_account.`.
fn parse_bank_account(
    account: Option<&types::BankAccount>,
    violations: &mut FieldViolations,
) -> Option<Option<BankAccount>> {
    let Some(account) = account else {
        return Some(None);
    };
    let mut refused = comptoir_domain_types::fields::Violations::new();
    let parsed = BankAccount::parse(&account.iban, &account.bic, &mut refused);
    for (field, reason) in refused {
        violations.add(format!("bank_account.{field}"), reason);
    }
    parsed
}

fn parse_address(address: &pb::Address, violations: &mut FieldViolations) -> Option<Address> {
    let line1 = violations.check("address.line1", Text::parse(&address.line1));
    let line2 = violations.check("address.line2", Text::parse_optional(&address.line2));
    let country = violations.check(
        "address.country_code",
        CountryCode::parse(&address.country_code),
    );
    // With an unknown country, the postal code still gets the loose check.
    let postal_code = violations.check(
        "address.postal_code",
        PostalCode::parse_for(&address.postal_code, country.as_ref()),
    );
    let city = violations.check("address.city", Text::parse(&address.city));
    Some(Address {
        line1: line1?,
        line2: line2?,
        postal_code: postal_code?,
        city: city?,
        country: country?,
    })
}

fn parse_director(director: &pb::Director, violations: &mut FieldViolations) -> Option<Director> {
    let name = violations.check("director.name", Text::parse_optional(&director.name));
    let email = violations.check("director.email", optional(&director.email, Email::parse));
    let phone = violations.check("director.phone", optional(&director.phone, Phone::parse));
    Some(Director {
        name: name?,
        email: email?,
        phone: phone?,
    })
}

impl TryFrom<&pb::CreateCompanyRequest> for NewCompany {
    type Error = FieldViolations;

    fn try_from(request: &pb::CreateCompanyRequest) -> Result<Self, Self::Error> {
        let mut violations = FieldViolations::new();
        let identity = parse_identity(
            &RawIdentity::from(request),
            |violations| violations.check("siren", Siren::parse(&request.siren)),
            &mut violations,
        );
        let kind = match pb::CompanyKind::try_from(request.kind) {
            Ok(pb::CompanyKind::Company) => Some(CompanyKind::Company),
            Ok(pb::CompanyKind::Firm) => Some(CompanyKind::Firm),
            Ok(pb::CompanyKind::Unspecified) | Err(_) => {
                violations.add("kind", "must be COMPANY_KIND_COMPANY or COMPANY_KIND_FIRM");
                None
            }
        };
        match (identity, kind) {
            (Some(identity), Some(kind)) if violations.is_empty() => {
                Ok(NewCompany { identity, kind })
            }
            _ => Err(violations),
        }
    }
}

/// A field an update mask may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UpdatePath {
    LegalName,
    LegalForm,
    Nic,
    ApeCode,
    VatNumber,
    RcsCity,
    ShareCapital,
    Address,
    AddressLine1,
    AddressLine2,
    AddressPostalCode,
    AddressCity,
    AddressCountryCode,
    Director,
    DirectorName,
    DirectorEmail,
    DirectorPhone,
    BankAccount,
    BankAccountIban,
    BankAccountBic,
}

impl UpdatePath {
    fn parse(path: &str) -> Result<Self, String> {
        Ok(match path {
            "legal_name" => Self::LegalName,
            "legal_form" => Self::LegalForm,
            "nic" => Self::Nic,
            "ape_code" => Self::ApeCode,
            "vat_number" => Self::VatNumber,
            "rcs_city" => Self::RcsCity,
            "share_capital" => Self::ShareCapital,
            "address" => Self::Address,
            "address.line1" => Self::AddressLine1,
            "address.line2" => Self::AddressLine2,
            "address.postal_code" => Self::AddressPostalCode,
            "address.city" => Self::AddressCity,
            "address.country_code" => Self::AddressCountryCode,
            "director" => Self::Director,
            "director.name" => Self::DirectorName,
            "director.email" => Self::DirectorEmail,
            "director.phone" => Self::DirectorPhone,
            "bank_account" => Self::BankAccount,
            "bank_account.iban" => Self::BankAccountIban,
            "bank_account.bic" => Self::BankAccountBic,
            "siren" | "kind" => return Err(format!("`{path}` cannot change")),
            _ => return Err(format!("`{path}` is not a field that can change")),
        })
    }

    /// Copies this field of `request` over `raw`.
    fn apply(self, request: &pb::UpdateCompanyRequest, raw: &mut RawIdentity) {
        let address = request.address.clone().unwrap_or_default();
        let director = request.director.clone().unwrap_or_default();
        let account = request.bank_account.clone().unwrap_or_default();
        match self {
            Self::LegalName => raw.legal_name.clone_from(&request.legal_name),
            Self::LegalForm => raw.legal_form.clone_from(&request.legal_form),
            Self::Nic => raw.nic.clone_from(&request.nic),
            Self::ApeCode => raw.ape_code.clone_from(&request.ape_code),
            Self::VatNumber => raw.vat_number.clone_from(&request.vat_number),
            Self::RcsCity => raw.rcs_city.clone_from(&request.rcs_city),
            Self::ShareCapital => raw.share_capital.clone_from(&request.share_capital),
            Self::Address => raw.address = address,
            Self::AddressLine1 => raw.address.line1 = address.line1,
            Self::AddressLine2 => raw.address.line2 = address.line2,
            Self::AddressPostalCode => raw.address.postal_code = address.postal_code,
            Self::AddressCity => raw.address.city = address.city,
            Self::AddressCountryCode => raw.address.country_code = address.country_code,
            Self::Director => raw.director = director,
            Self::DirectorName => raw.director.name = director.name,
            Self::DirectorEmail => raw.director.email = director.email,
            Self::DirectorPhone => raw.director.phone = director.phone,
            // Absent clears the account; one of its fields changes it, or starts one.
            Self::BankAccount => raw.bank_account.clone_from(&request.bank_account),
            Self::BankAccountIban => raw.bank_account.get_or_insert_default().iban = account.iban,
            Self::BankAccountBic => raw.bank_account.get_or_insert_default().bic = account.bic,
        }
    }
}

/// The paths of an update mask; an empty mask is refused rather than read as "every
/// field", so a client that forgets it never blanks a company.
fn parse_mask(
    mask: Option<&prost_types::FieldMask>,
    violations: &mut FieldViolations,
) -> Vec<UpdatePath> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        violations.add("update_mask", "must name at least one field");
    }
    paths
        .iter()
        .filter_map(|path| violations.check("update_mask", UpdatePath::parse(path)))
        .collect()
}

fn money(amount: rust_decimal::Decimal, currency: &str) -> pb::Money {
    pb::Money {
        amount: amount.to_string(),
        currency_code: currency.to_owned(),
    }
}

impl From<&CompanyRow> for pb::Company {
    fn from(row: &CompanyRow) -> Self {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        pb::Company {
            company_id: row.company_id.to_string(),
            legal_name: row.legal_name.clone(),
            siren: row.siren.clone(),
            kind: match row.kind() {
                CompanyKind::Company => pb::CompanyKind::Company,
                CompanyKind::Firm => pb::CompanyKind::Firm,
            } as i32,
            create_time: Some(timestamp(row.created_at)),
            nic: row.nic.clone(),
            siret: format!("{}{}", row.siren, row.nic),
            legal_form: text(&row.legal_form),
            ape_code: text(&row.ape_code),
            vat_number: text(&row.vat_number),
            rcs_city: text(&row.rcs_city),
            share_capital: row
                .share_capital
                .zip(row.share_capital_currency.as_deref())
                .map(|(amount, currency)| money(amount, currency)),
            address: Some(row.address().into()),
            director: Some(pb::Director {
                name: text(&row.director_name),
                email: text(&row.director_email),
                phone: text(&row.director_phone),
            }),
            update_time: Some(timestamp(row.updated_at)),
            bank_account: row.bank_account().as_ref().map(Into::into),
        }
    }
}

#[tonic::async_trait]
impl pb::tenancy_service_server::TenancyService for Tenancy {
    async fn create_company(
        &self,
        request: Request<pb::CreateCompanyRequest>,
    ) -> Result<Response<pb::CreateCompanyResponse>, Status> {
        let owner = user_of(&request)?;
        let request = request.into_inner();
        let new = NewCompany::try_from(&request)?;
        let response = app::companies::create_company(
            &self.deps,
            owner,
            &new,
            (&request.idempotency_key, &request),
            |company| pb::CreateCompanyResponse {
                company: Some(company.into()),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn get_company(
        &self,
        request: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::GetCompanyResponse>, Status> {
        let user = user_of(&request)?;
        let company_id = error::required_uuid("company_id", &request.get_ref().company_id)?;
        let company = app::companies::get_company(&self.deps.pool, user, company_id).await?;
        Ok(Response::new(pb::GetCompanyResponse {
            company: Some((&company).into()),
        }))
    }

    async fn update_company(
        &self,
        request: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::UpdateCompanyResponse>, Status> {
        let user = user_of(&request)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let paths = parse_mask(request.update_mask.as_ref(), &mut violations);
        violations.into_result()?;
        let update = UpdateCompany {
            company_id: company_id.unwrap_or_default(),
            changed_fields: request
                .update_mask
                .as_ref()
                .map(|m| m.paths.clone())
                .unwrap_or_default(),
        };
        let response = app::companies::update_company(
            &self.deps,
            user,
            update,
            (&request.idempotency_key, &request),
            |current| revise(current, &paths, &request),
            |company| pb::UpdateCompanyResponse {
                company: Some(company.into()),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn list_my_companies(
        &self,
        request: Request<pb::ListMyCompaniesRequest>,
    ) -> Result<Response<pb::ListMyCompaniesResponse>, Status> {
        let user = user_of(&request)?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows =
            app::companies::list_my_companies(&self.deps.pool, user, after, page.fetch_limit())
                .await?;
        let next_page_token = page.finish(&mut rows, |row| {
            page::time_id_cursor(row.joined_at, row.company.company_id)
        });
        Ok(Response::new(pb::ListMyCompaniesResponse {
            companies: rows
                .iter()
                .map(|row| pb::CompanyMembership {
                    company: Some((&row.company).into()),
                    role: row.role.clone(),
                })
                .collect(),
            next_page_token,
        }))
    }
}

/// The identity `current` takes on with the masked fields of `request`. The stored
/// identity is valid; the masked fields are overlaid and the whole is parsed again, so a
/// change is checked against what it does not change (a postal code against the stored
/// country, a NIC against the SIREN).
fn revise(
    current: &CompanyRow,
    paths: &[UpdatePath],
    request: &pb::UpdateCompanyRequest,
) -> Result<LegalIdentity, Error> {
    let mut raw = RawIdentity::from(pb::Company::from(current));
    for path in paths {
        path.apply(request, &mut raw);
    }
    let siren = Siren::parse(&current.siren).ok();
    let mut violations = FieldViolations::new();
    parse_identity(&raw, |_| siren, &mut violations)
        .filter(|_| violations.is_empty())
        .ok_or(Error::InvalidArgument(violations))
}
