//! The files of the import tests and of the import benchmark: rows of valid clients
//! (SIRENs and SIRETs made valid by the legal rules themselves), spoilt one field at a
//! time by the tests, written as a spreadsheet writes them.

use comptoir_domain_types::legal::Siren;

use crate::workspace::first_nic;

/// The header of the test files, in French with accents and spaces.
pub(crate) const HEADER: &str = "Raison sociale;Code dossier;SIREN;NIC;Code APE;Adresse;Code postal;Ville;\
                      Pays;Dirigeant;E-mail dirigeant;Téléphone dirigeant;Chef de mission";

/// The `n`th SIREN of a series: 8 digits from `n`, then the key that makes it valid.
pub(crate) fn siren(series: u32, n: u32) -> String {
    let body = format!("{:08}", series * 1_000_000 + n);
    (0..10)
        .map(|key| format!("{body}{key}"))
        .find(|candidate| Siren::parse(candidate).is_ok())
        .expect("a key")
}

/// A good row of the test files, its fields in the order of [`HEADER`].
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) code: String,
    pub(crate) siren: String,
    pub(crate) nic: String,
    pub(crate) ape: String,
    pub(crate) postal_code: String,
    pub(crate) email: String,
    pub(crate) manager: String,
}

impl Row {
    pub(crate) fn good(series: u32, n: u32, manager: &str) -> Self {
        let siren = siren(series, n);
        Self {
            name: format!("Société {n} Crème brûlée"),
            code: format!("C{series}-{n:04}"),
            nic: first_nic(&siren),
            siren,
            ape: "70.22Z".to_owned(),
            postal_code: "75002".to_owned(),
            email: format!("dirigeant{n}@example.fr"),
            manager: manager.to_owned(),
        }
    }

    fn line(&self) -> String {
        format!(
            "{};{};{};{};{};{} rue de la Paix;{};Paris;;Jeanne Dupont;{};+33 1 23 45 67 89;{}",
            self.name,
            self.code,
            self.siren,
            self.nic,
            self.ape,
            self.code,
            self.postal_code,
            self.email,
            self.manager,
        )
    }
}

/// The file of `rows`, lines ending in CRLF as spreadsheets write them.
pub(crate) fn csv(rows: &[Row]) -> String {
    let mut text = HEADER.to_owned();
    for row in rows {
        text.push_str("\r\n");
        text.push_str(&row.line());
    }
    text.push_str("\r\n");
    text
}

/// `text` in Windows-1252 (the characters the tests use).
pub(crate) fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'Œ' => 0x8C,
            'œ' => 0x9C,
            '€' => 0x80,
            c => u8::try_from(u32::from(c)).expect("a Latin-1 character"),
        })
        .collect()
}
