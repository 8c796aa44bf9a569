//! Reading a bulk import of client companies, a CSV file as firms export it from their
//! spreadsheets and former software: decoding its bytes (UTF-8, with or without a BOM, or
//! Windows-1252), finding its separator (`;` or `,`) and its columns (a header row in
//! French or English, case, accents and spacing ignored), then checking each row.
//!
//! A malformed file is refused as a whole ([`FileError`], with its line): bytes neither
//! encoding decodes, no header, an unknown, repeated or missing mandatory column, a row
//! whose number of cells is not the header's. Otherwise each row is checked with the very
//! rules of `CreateClientCompany` ([`RawClient::parse`]), then against the rest of the
//! file (a code dossier or SIRET repeated: the later row is refused) and against the
//! firm's portfolio ([`Portfolio`]: a code dossier already used, a portfolio manager who
//! is not a member of the firm). Every refusal names the row's line (the header is line
//! 1) and the column, by its English name (`siren`, `postal_code`).
//!
//! The portfolio manager column holds a user id: the portal knows the firm's members by
//! id only (tenancy's member list carries no e-mail), so an e-mail there is refused as
//! not a user id. A SIRET already registered is not known to the portal either (its
//! directory holds SIRENs); tenancy refuses it when the row is created, and the import
//! reports that row then.

use std::collections::{HashMap, HashSet};

use comptoir_domain_types::fields::Violations;
use comptoir_domain_types::party::RawAddress;
use uuid::Uuid;

use crate::domain::client::{NewClient, RawClient};
use crate::domain::clients::search_key;

/// Largest file an import takes, in bytes.
pub(crate) const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// Country of a row whose country column is absent or empty.
const DEFAULT_COUNTRY: &str = "FR";

/// The bytes Windows-1252 leaves undefined: a file holding one is in neither encoding.
const UNDEFINED_IN_WINDOWS_1252: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// UTF-8's byte order mark, which spreadsheets put before a file they save as UTF-8.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A column of the file, named in reports by its English name ([`Column::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Column {
    /// Raison sociale.
    LegalName,
    /// Code dossier.
    FileCode,
    /// SIREN.
    Siren,
    /// NIC.
    Nic,
    /// APE/NAF code.
    ApeCode,
    /// First line of the registered address.
    Address,
    /// Second line of the registered address.
    AddressLine2,
    /// Postal code.
    PostalCode,
    /// City.
    City,
    /// Country (ISO code); FR when absent or empty.
    Country,
    /// Director's name.
    DirectorName,
    /// Director's e-mail.
    DirectorEmail,
    /// Director's phone.
    DirectorPhone,
    /// Portfolio manager (chef de mission), a firm member's user id.
    PortfolioManager,
}

impl Column {
    /// Every column, in the order a missing one is listed.
    const ALL: [Self; 14] = [
        Self::LegalName,
        Self::FileCode,
        Self::Siren,
        Self::Nic,
        Self::ApeCode,
        Self::Address,
        Self::AddressLine2,
        Self::PostalCode,
        Self::City,
        Self::Country,
        Self::DirectorName,
        Self::DirectorEmail,
        Self::DirectorPhone,
        Self::PortfolioManager,
    ];

    /// The English name: a report's field.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::LegalName => "legal_name",
            Self::FileCode => "file_code",
            Self::Siren => "siren",
            Self::Nic => "nic",
            Self::ApeCode => "ape_code",
            Self::Address => "address",
            Self::AddressLine2 => "address_line2",
            Self::PostalCode => "postal_code",
            Self::City => "city",
            Self::Country => "country",
            Self::DirectorName => "director_name",
            Self::DirectorEmail => "director_email",
            Self::DirectorPhone => "director_phone",
            Self::PortfolioManager => "portfolio_manager",
        }
    }

    /// Whether a file without this column is refused: the fields a client cannot be
    /// created without. The others may be absent (empty in every row).
    fn mandatory(self) -> bool {
        matches!(
            self,
            Self::LegalName
                | Self::FileCode
                | Self::Siren
                | Self::Nic
                | Self::ApeCode
                | Self::Address
                | Self::PostalCode
                | Self::City
        )
    }

    /// The headings naming this column, as [`heading_key`] makes them.
    fn headings(self) -> &'static [&'static str] {
        match self {
            Self::LegalName => &["raisonsociale", "legalname", "name", "denomination"],
            Self::FileCode => &["codedossier", "filecode"],
            Self::Siren => &["siren"],
            Self::Nic => &["nic"],
            Self::ApeCode => &["ape", "codeape", "naf", "codenaf", "apecode", "apenaf"],
            Self::Address => &["adresse", "address", "adresse1", "address1", "addressline1"],
            Self::AddressLine2 => &["adresse2", "address2", "addressline2"],
            Self::PostalCode => &["codepostal", "postalcode"],
            Self::City => &["ville", "city"],
            Self::Country => &["pays", "country", "countrycode"],
            Self::DirectorName => &["dirigeant", "directorname"],
            Self::DirectorEmail => &["emaildirigeant", "directoremail"],
            Self::DirectorPhone => &["telephonedirigeant", "directorphone"],
            Self::PortfolioManager => &[
                "chefdemission",
                "gestionnaire",
                "portfoliomanager",
                "portfoliomanagerid",
            ],
        }
    }

    /// The column a heading names, if any.
    fn of_heading(heading: &str) -> Option<Self> {
        let key = heading_key(heading);
        Self::ALL
            .into_iter()
            .find(|column| column.headings().contains(&key.as_str()))
    }
}

/// A heading reduced to what tells columns apart: lower case and without accents (as the
/// client list's search keys are), letters and digits only. "Code Postal", "code_postal"
/// and "CODE-POSTAL" are one key; "Téléphone dirigeant" is "telephonedirigeant".
fn heading_key(heading: &str) -> String {
    search_key(heading)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The column a field of the client's checks (or of tenancy's refusal, under `client.`)
/// is reported under; a field of no column keeps its name.
pub(crate) fn column_of(field: &str) -> String {
    let field = field.strip_prefix("client.").unwrap_or(field);
    let column = match field {
        "address.line1" => Column::Address,
        "address.line2" => Column::AddressLine2,
        "address.postal_code" => Column::PostalCode,
        "address.city" => Column::City,
        "address.country_code" => Column::Country,
        "portfolio_manager_id" => Column::PortfolioManager,
        other => {
            return Column::ALL
                .into_iter()
                .find(|column| column.name() == other)
                .map_or_else(|| other.to_owned(), |column| column.name().to_owned());
        }
    };
    column.name().to_owned()
}

/// Why a file is refused as a whole; each message says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FileError {
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("is larger than {max} bytes: split it into smaller files")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// A byte neither UTF-8 nor Windows-1252 decodes.
    #[error(
        "line {line}: byte {offset} (0x{byte:02X}) is neither UTF-8 nor Windows-1252; \
         save the file as UTF-8 or Windows-1252"
    )]
    Undecodable {
        /// Offset of the byte in the file, from 0.
        offset: usize,
        /// The byte.
        byte: u8,
        /// Its line.
        line: u32,
    },
    /// Nothing but blank lines.
    #[error("is empty: line 1 must be a header row naming the columns")]
    Empty,
    /// The first row names no known column: the header row is missing.
    #[error(
        "line {line} is not a header row (it names none of the columns, e.g. \
         \"raison sociale\" or \"legal_name\"): the first row must name the columns"
    )]
    NoHeader {
        /// The first row's line.
        line: u32,
    },
    /// A heading names no known column.
    #[error("line {line}: column {position} \"{heading}\" is not a known column")]
    UnknownColumn {
        /// The header's line.
        line: u32,
        /// Position of the column, from 1.
        position: usize,
        /// The heading as written.
        heading: String,
    },
    /// Two headings name the same column.
    #[error("line {line}: the column {column} is named twice")]
    RepeatedColumn {
        /// The header's line.
        line: u32,
        /// The column.
        column: &'static str,
    },
    /// Mandatory columns are missing from the header.
    #[error("line {line}: the header lacks the mandatory column(s) {}", .columns.join(", "))]
    MissingColumns {
        /// The header's line.
        line: u32,
        /// The missing columns' names.
        columns: Vec<&'static str>,
    },
    /// A row has another number of cells than the header.
    #[error("line {line} has {found} columns where the header has {expected}")]
    ColumnCount {
        /// The row's line.
        line: u32,
        /// The header's number of columns.
        expected: usize,
        /// The row's.
        found: usize,
    },
    /// The CSV reader failed (a text already decoded leaves little to fail).
    #[error("line {line} cannot be read as CSV: {reason}")]
    Unreadable {
        /// The line it failed at.
        line: u32,
        /// Why.
        reason: String,
    },
}

/// Adds the next chunk of a file streamed in to the bytes received so far, refusing the
/// file as soon as it grows past [`MAX_FILE_BYTES`], before holding more of it.
pub(crate) fn append_chunk(file: &mut Vec<u8>, chunk: &[u8]) -> Result<(), FileError> {
    if file.len() + chunk.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            max: MAX_FILE_BYTES,
        });
    }
    file.extend_from_slice(chunk);
    Ok(())
}

/// The line (from 1) of byte `offset` of `bytes`.
fn line_of(bytes: &[u8], offset: usize) -> u32 {
    let newlines = bytes[..offset].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// The text of a file: UTF-8 when its bytes are valid UTF-8 (a BOM dropped), else
/// Windows-1252, which decodes every byte but five (see [`UNDEFINED_IN_WINDOWS_1252`]). A
/// file that starts with a UTF-8 BOM says it is UTF-8: an invalid sequence after it is
/// refused rather than read as Windows-1252.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, FileError> {
    let undecodable = |offset: usize| FileError::Undecodable {
        offset,
        byte: bytes[offset],
        line: line_of(bytes, offset),
    };
    if let Some(text) = bytes.strip_prefix(UTF8_BOM) {
        return std::str::from_utf8(text)
            .map(str::to_owned)
            .map_err(|err| undecodable(UTF8_BOM.len() + err.valid_up_to()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    if let Some(offset) = bytes
        .iter()
        .position(|b| UNDEFINED_IN_WINDOWS_1252.contains(b))
    {
        return Err(undecodable(offset));
    }
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    Ok(text.into_owned())
}

/// The separator of a file whose first line is `header`: `;` or `,`, whichever appears
/// more often there outside quotes; `;` (the French spreadsheets' choice) on a tie.
fn separator(header: &str) -> u8 {
    let (mut semicolons, mut commas, mut quoted) = (0_usize, 0_usize, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if commas > semicolons { b',' } else { b';' }
}

/// A data row: its line (where it starts) and its cells, in the header's order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    line: u32,
    cells: Vec<String>,
}

/// A well-formed file: which column each cell position holds, and the data rows.
#[derive(Debug, Clone)]
pub(crate) struct ImportFile {
    /// Column of each position; None for a position with a blank heading (a trailing
    /// separator), whose cells are ignored.
    columns: Vec<Option<Column>>,
    /// The data rows, rows of blank cells left out.
    rows: Vec<Row>,
}

/// The line of a CSV record, from 1.
fn record_line(record: &csv::StringRecord) -> u32 {
    record.position().map_or(1, |position| {
        u32::try_from(position.line()).unwrap_or(u32::MAX)
    })
}

impl ImportFile {
    /// Reads a whole file, or refuses it as malformed.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, FileError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(FileError::TooLarge {
                max: MAX_FILE_BYTES,
            });
        }
        // Lines end with "\n" from here on: the CSV reader counts a record's line from its
        // "\n"s only, and would number every row after a "\r\n" one line short.
        let text = decode(bytes)?.replace("\r\n", "\n");
        let first_line = text
            .lines()
            .find(|line| !line.is_empty())
            .ok_or(FileError::Empty)?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator(first_line))
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let unreadable = |err: csv::Error| FileError::Unreadable {
            line: err
                .position()
                .map_or(1, |p| u32::try_from(p.line()).unwrap_or(u32::MAX)),
            reason: err.to_string(),
        };
        let header = records
            .next()
            .ok_or(FileError::Empty)?
            .map_err(unreadable)?;
        let columns = Self::columns(&header)?;
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(unreadable)?;
            let line = record_line(&record);
            if record.len() != columns.len() {
                return Err(FileError::ColumnCount {
                    line,
                    expected: columns.len(),
                    found: record.len(),
                });
            }
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            rows.push(Row {
                line,
                cells: record.iter().map(str::to_owned).collect(),
            });
        }
        Ok(Self { columns, rows })
    }

    /// The column of each heading of `header`, refusing an unknown, repeated or missing
    /// mandatory one.
    fn columns(header: &csv::StringRecord) -> Result<Vec<Option<Column>>, FileError> {
        let line = record_line(header);
        let mut columns = Vec::with_capacity(header.len());
        let mut unknown = None;
        for (index, heading) in header.iter().enumerate() {
            if heading.trim().is_empty() {
                columns.push(None);
                continue;
            }
            let column = Column::of_heading(heading);
            if column.is_none() && unknown.is_none() {
                unknown = Some((index + 1, heading.trim().to_owned()));
            }
            if let Some(column) = column
                && columns.contains(&Some(column))
            {
                return Err(FileError::RepeatedColumn {
                    line,
                    column: column.name(),
                });
            }
            columns.push(column);
        }
        if columns.iter().all(Option::is_none) {
            return Err(FileError::NoHeader { line });
        }
        if let Some((position, heading)) = unknown {
            return Err(FileError::UnknownColumn {
                line,
                position,
                heading,
            });
        }
        let missing: Vec<_> = Column::ALL
            .into_iter()
            .filter(|column| column.mandatory() && !columns.contains(&Some(*column)))
            .map(Column::name)
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns {
                line,
                columns: missing,
            });
        }
        Ok(columns)
    }

    /// The cell of `row` in `column`; empty when the file has no such column.
    fn cell<'a>(&self, row: &'a Row, column: Column) -> &'a str {
        self.columns
            .iter()
            .position(|c| *c == Some(column))
            .map_or("", |index| row.cells[index].as_str())
    }

    /// `row`'s fields as `CreateClientCompany` takes them, the country FR when empty.
    fn raw<'a>(&'a self, row: &'a Row) -> RawClient<'a> {
        let cell = |column| self.cell(row, column);
        let country = cell(Column::Country);
        RawClient {
            legal_name: cell(Column::LegalName),
            file_code: cell(Column::FileCode),
            siren: cell(Column::Siren),
            nic: cell(Column::Nic),
            ape_code: cell(Column::ApeCode),
            address: RawAddress {
                line1: cell(Column::Address),
                line2: cell(Column::AddressLine2),
                postal_code: cell(Column::PostalCode),
                city: cell(Column::City),
                country_code: if country.trim().is_empty() {
                    DEFAULT_COUNTRY
                } else {
                    country
                },
            },
            director_name: cell(Column::DirectorName),
            director_email: cell(Column::DirectorEmail),
            director_phone: cell(Column::DirectorPhone),
            portfolio_manager_id: cell(Column::PortfolioManager),
        }
    }
}

/// What the firm's portfolio holds, as the checks of a row against it need it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Portfolio {
    /// The codes dossier of the firm's clients.
    pub(crate) file_codes: HashSet<String>,
    /// The firm's members: who may be a portfolio manager.
    pub(crate) members: HashSet<Uuid>,
}

/// A refused field of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    /// The row's line in the file (the header is line 1).
    pub(crate) line: u32,
    /// The column, by its English name.
    pub(crate) field: String,
    /// Why.
    pub(crate) reason: String,
}

/// A row that passed every check.
#[derive(Debug, Clone)]
pub(crate) struct ValidRow {
    /// Its line in the file.
    pub(crate) line: u32,
    /// The client it describes.
    pub(crate) client: NewClient,
}

/// The verdict on one row.
#[derive(Debug, Clone)]
pub(crate) enum Checked {
    /// To create.
    Valid(Box<ValidRow>),
    /// Refused, with every bad field (at least one).
    Invalid(Vec<RowError>),
}

/// Checks every row of `file`, in order: with `CreateClientCompany`'s rules (the
/// director's e-mail required when `invite_director`), then against `portfolio` (a code
/// dossier the firm already uses, a portfolio manager who is not its member), then
/// against the rows before it that passed (the same code dossier or SIRET: the later row
/// is refused, and the earlier one stays valid). One verdict per data row.
pub(crate) fn check_rows(
    file: &ImportFile,
    invite_director: bool,
    portfolio: &Portfolio,
) -> Vec<Checked> {
    let mut file_codes: HashMap<String, u32> = HashMap::new();
    let mut sirets: HashMap<String, u32> = HashMap::new();
    file.rows
        .iter()
        .map(|row| {
            let mut violations = Violations::new();
            let parsed = file.raw(row).parse(invite_director, &mut violations);
            let refuse = |field: &str, reason: String| RowError {
                line: row.line,
                field: field.to_owned(),
                reason,
            };
            let Some(client) = parsed else {
                return Checked::Invalid(
                    violations
                        .into_iter()
                        .map(|(field, reason)| refuse(&column_of(&field), reason))
                        .collect(),
                );
            };
            let mut errors = Vec::new();
            let file_code = client.file_code.as_str();
            if portfolio.file_codes.contains(file_code) {
                errors.push(refuse(
                    Column::FileCode.name(),
                    format!("{file_code} is already in the firm's portfolio"),
                ));
            }
            if let Some(manager) = client.portfolio_manager
                && !portfolio.members.contains(&manager)
            {
                errors.push(refuse(
                    Column::PortfolioManager.name(),
                    format!("{manager} is not a member of the firm"),
                ));
            }
            if errors.is_empty() {
                let siret = client.siret.to_string();
                if let Some(first) = file_codes.get(file_code) {
                    errors.push(refuse(
                        Column::FileCode.name(),
                        format!("{file_code} repeats the code dossier of line {first}"),
                    ));
                }
                if let Some(first) = sirets.get(&siret) {
                    errors.push(refuse(
                        "siret",
                        format!("{siret} repeats the SIRET of line {first}"),
                    ));
                }
                if errors.is_empty() {
                    file_codes.insert(file_code.to_owned(), row.line);
                    sirets.insert(siret, row.line);
                }
            }
            if errors.is_empty() {
                Checked::Valid(Box::new(ValidRow {
                    line: row.line,
                    client,
                }))
            } else {
                Checked::Invalid(errors)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANAGER: &str = "0190a0c0-0000-7000-8000-000000000001";

    const HEADER: &str = "Raison sociale;Code dossier;SIREN;NIC;Code APE;Adresse;Code postal;\
                          Ville;Dirigeant;E-mail dirigeant;Chef de mission";

    fn row(name: &str, code: &str, nic: &str, manager: &str) -> String {
        format!(
            "{name};{code};732829320;{nic};70.22Z;1 rue de la Paix;75002;Paris;\
             Jeanne Dupont;jeanne@dupont.example;{manager}"
        )
    }

    fn file(lines: &[String]) -> Vec<u8> {
        let mut text = HEADER.to_owned();
        for line in lines {
            text.push_str("\r\n");
            text.push_str(line);
        }
        text.into_bytes()
    }

    fn portfolio() -> Portfolio {
        Portfolio {
            file_codes: HashSet::from(["OLD-1".to_owned()]),
            members: HashSet::from([Uuid::parse_str(MANAGER).unwrap()]),
        }
    }

    fn verdicts(bytes: &[u8]) -> Vec<Result<u32, Vec<(u32, String)>>> {
        let file = ImportFile::parse(bytes).expect("a well-formed file");
        check_rows(&file, false, &portfolio())
            .into_iter()
            .map(|checked| match checked {
                Checked::Valid(row) => Ok(row.line),
                Checked::Invalid(errors) => Err(errors
                    .into_iter()
                    .map(|error| (error.line, error.field))
                    .collect()),
            })
            .collect()
    }

    fn refusal(bytes: &[u8]) -> FileError {
        ImportFile::parse(bytes).expect_err("a malformed file")
    }

    #[test]
    fn a_good_file_gives_one_valid_client_per_row_with_its_line() {
        let bytes = file(&[
            row("Dupont", "DUP-1", "00017", MANAGER),
            row("Dupont Lyon", "DUP-2", "00025", ""),
        ]);
        assert_eq!(verdicts(&bytes), [Ok(2), Ok(3)]);
        let file = ImportFile::parse(&bytes).unwrap();
        let Checked::Valid(first) = &check_rows(&file, false, &portfolio())[0] else {
            panic!("valid");
        };
        assert_eq!(first.client.siret.to_string(), "73282932000017");
        assert_eq!(first.client.ape_code.as_str(), "7022Z");
        assert_eq!(first.client.address.country_code, "FR");
        assert_eq!(first.client.portfolio_manager.unwrap().to_string(), MANAGER);
    }

    #[test]
    fn headings_are_read_in_french_or_english_whatever_their_case_accents_and_spacing() {
        for (heading, column) in [
            ("Raison sociale", Column::LegalName),
            ("legal_name", Column::LegalName),
            ("NAME", Column::LegalName),
            ("code_dossier", Column::FileCode),
            ("Code APE", Column::ApeCode),
            ("naf", Column::ApeCode),
            ("ape_code", Column::ApeCode),
            ("Adresse 2", Column::AddressLine2),
            ("address_line2", Column::AddressLine2),
            ("CODE-POSTAL", Column::PostalCode),
            ("Pays", Column::Country),
            ("E-mail dirigeant", Column::DirectorEmail),
            ("Téléphone  dirigeant", Column::DirectorPhone),
            ("telephone dirigeant", Column::DirectorPhone),
            ("Chef de mission", Column::PortfolioManager),
            ("gestionnaire", Column::PortfolioManager),
            (" portfolio_manager ", Column::PortfolioManager),
        ] {
            assert_eq!(Column::of_heading(heading), Some(column), "{heading}");
        }
        assert_eq!(Column::of_heading("siret"), None);
    }

    #[test]
    fn a_comma_separated_file_with_quotes_reads_as_a_semicolon_one() {
        let text = "legal_name,file_code,siren,nic,ape_code,address,postal_code,city\n\
                    \"Dupont, père et fils\",DUP-1,732829320,00017,7022Z,\"1 rue de la Paix\",75002,Paris\n";
        let file = ImportFile::parse(text.as_bytes()).unwrap();
        let checked = check_rows(&file, false, &Portfolio::default());
        let Checked::Valid(row) = &checked[0] else {
            panic!("valid: {checked:?}");
        };
        assert_eq!(row.client.legal_name, "Dupont, père et fils");
    }

    #[test]
    fn utf8_with_or_without_bom_and_windows_1252_decode_to_the_same_text() {
        let text = "Société Générale;Crème brûlée";
        let with_bom = [UTF8_BOM, text.as_bytes()].concat();
        let (windows_1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        assert_ne!(windows_1252.as_ref(), text.as_bytes());
        for bytes in [text.as_bytes(), &with_bom, &windows_1252] {
            assert_eq!(decode(bytes).unwrap(), text);
        }
    }

    #[test]
    fn a_byte_undefined_in_windows_1252_is_refused_with_its_offset_and_line() {
        let bytes = b"legal_name\nabc\x81def";
        assert_eq!(
            decode(bytes),
            Err(FileError::Undecodable {
                offset: 14,
                byte: 0x81,
                line: 2
            })
        );
        // After a UTF-8 BOM the file says it is UTF-8: an invalid sequence is refused.
        let bytes = [UTF8_BOM, b"ab\xE9"].concat();
        assert_eq!(
            decode(&bytes),
            Err(FileError::Undecodable {
                offset: 5,
                byte: 0xE9,
                line: 1
            })
        );
    }

    #[test]
    fn malformed_files_are_refused_whole_with_their_line() {
        assert_eq!(refusal(b""), FileError::Empty);
        assert_eq!(refusal(b"\n\n"), FileError::Empty);
        assert_eq!(
            refusal(row("Dupont", "DUP-1", "00017", "").as_bytes()),
            FileError::NoHeader { line: 1 }
        );
        assert_eq!(
            refusal(format!("{HEADER};Remarques\n").as_bytes()),
            FileError::UnknownColumn {
                line: 1,
                position: 12,
                heading: "Remarques".to_owned()
            }
        );
        assert_eq!(
            refusal(format!("{HEADER};legal_name\n").as_bytes()),
            FileError::RepeatedColumn {
                line: 1,
                column: "legal_name"
            }
        );
        assert_eq!(
            refusal(b"Raison sociale;SIREN;Ville\n"),
            FileError::MissingColumns {
                line: 1,
                columns: vec!["file_code", "nic", "ape_code", "address", "postal_code"]
            }
        );
        let short = file(&[
            row("Dupont", "DUP-1", "00017", ""),
            "Dupont;DUP-2;732829320".to_owned(),
        ]);
        assert_eq!(
            refusal(&short),
            FileError::ColumnCount {
                line: 3,
                expected: 11,
                found: 3
            }
        );
        assert_eq!(
            refusal(&vec![b'a'; MAX_FILE_BYTES + 1]),
            FileError::TooLarge {
                max: MAX_FILE_BYTES
            }
        );
    }

    #[test]
    fn a_file_streamed_in_is_refused_once_past_the_limit() {
        let mut file = Vec::new();
        let chunk = vec![b'a'; MAX_FILE_BYTES / 2];
        append_chunk(&mut file, &chunk).unwrap();
        append_chunk(&mut file, &chunk).unwrap();
        assert_eq!(
            append_chunk(&mut file, b"a"),
            Err(FileError::TooLarge {
                max: MAX_FILE_BYTES
            })
        );
        assert_eq!(file.len(), MAX_FILE_BYTES);
    }

    #[test]
    fn blank_lines_and_rows_of_blank_cells_are_skipped_and_lines_still_counted() {
        let bytes = file(&[
            String::new(),
            ";;;;;;;;;;".to_owned(),
            row("Dupont", "DUP-1", "00017", ""),
        ]);
        assert_eq!(verdicts(&bytes), [Ok(4)]);
    }

    #[test]
    fn a_row_spanning_lines_is_numbered_by_its_first_line() {
        let bytes = file(&[
            row("\"Dupont\net fils\"", "DUP-1", "00017", ""),
            row("Dupont Lyon", "DUP-2", "0002", ""),
        ]);
        assert_eq!(verdicts(&bytes), [Ok(2), Err(vec![(4, "nic".to_owned())])]);
    }

    #[test]
    fn a_trailing_separator_in_the_header_makes_an_ignored_column() {
        let bytes = format!("{HEADER};\n{};\n", row("Dupont", "DUP-1", "00017", ""));
        assert_eq!(verdicts(bytes.as_bytes()), [Ok(2)]);
    }

    #[test]
    fn bad_fields_are_reported_under_their_column_names() {
        let bad_address = "Dupont;DUP-9;732829320;00017;7022Z;;7500;Paris;;;".to_owned();
        let bytes = file(&[
            row("Dupont", "DUP-1", "0001", ""),
            row("Dupont", "DUP-2", "00017", "someone@firm.example"),
            bad_address,
        ]);
        assert_eq!(
            verdicts(&bytes),
            [
                Err(vec![(2, "nic".to_owned())]),
                Err(vec![(3, "portfolio_manager".to_owned())]),
                Err(vec![
                    (4, "address".to_owned()),
                    (4, "postal_code".to_owned())
                ]),
            ]
        );
    }

    #[test]
    fn the_country_defaults_to_france_and_a_given_one_is_checked() {
        let header = "legal_name;file_code;siren;nic;ape_code;address;postal_code;city;country";
        let text = format!(
            "{header}\nA;A-1;732829320;00017;7022Z;1 rue X;75002;Paris;\n\
             B;B-1;732829320;00025;7022Z;1 Main St;SW1A 1AA;London;GB\n\
             C;C-1;732829320;00033;7022Z;1 rue X;75002;Paris;ZZ\n"
        );
        let file = ImportFile::parse(text.as_bytes()).unwrap();
        let checked = check_rows(&file, false, &Portfolio::default());
        let countries: Vec<_> = checked
            .iter()
            .map(|checked| match checked {
                Checked::Valid(row) => row.client.address.country_code.clone(),
                Checked::Invalid(errors) => errors[0].field.clone(),
            })
            .collect();
        assert_eq!(countries, ["FR", "GB", "country"]);
    }

    #[test]
    fn repeats_in_the_file_refuse_the_later_row_and_the_portfolio_is_checked() {
        let unknown = "0190a0c0-0000-7000-8000-000000000002";
        let bytes = file(&[
            row("Dupont", "DUP-1", "00017", ""),
            row("Dupont bis", "DUP-1", "00025", ""),
            row("Dupont ter", "DUP-3", "00017", ""),
            row("Dupont", "OLD-1", "00033", ""),
            row("Dupont", "DUP-5", "00041", unknown),
            row("Dupont", "DUP-6", "0005", ""),
            row("Dupont", "DUP-6", "00058", ""),
        ]);
        assert_eq!(
            verdicts(&bytes),
            [
                Ok(2),
                Err(vec![(3, "file_code".to_owned())]),
                Err(vec![(4, "siret".to_owned())]),
                Err(vec![(5, "file_code".to_owned())]),
                Err(vec![(6, "portfolio_manager".to_owned())]),
                Err(vec![(7, "nic".to_owned())]),
                // Line 7 was refused, so line 8 is the first valid DUP-6.
                Ok(8),
            ]
        );
    }

    #[test]
    fn the_directors_email_is_required_when_the_directors_are_invited() {
        let bytes =
            file(&["Dupont;DUP-1;732829320;00017;7022Z;1 rue X;75002;Paris;Jeanne;;".to_owned()]);
        let file = ImportFile::parse(&bytes).unwrap();
        assert!(matches!(
            check_rows(&file, false, &portfolio())[0],
            Checked::Valid(_)
        ));
        let Checked::Invalid(errors) = &check_rows(&file, true, &portfolio())[0] else {
            panic!("invalid");
        };
        assert_eq!(errors[0].field, "director_email");
    }

    #[test]
    fn fields_of_the_client_and_of_tenancy_map_to_columns() {
        assert_eq!(column_of("siren"), "siren");
        assert_eq!(column_of("address.postal_code"), "postal_code");
        assert_eq!(column_of("client.address.line1"), "address");
        assert_eq!(
            column_of("client.portfolio_manager_id"),
            "portfolio_manager"
        );
        assert_eq!(column_of("client.director_email"), "director_email");
        assert_eq!(column_of("something"), "something");
    }
}
