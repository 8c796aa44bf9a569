-- Companies (and accounting firms) with their legal identity, and who belongs to them.
-- The service parses every field before writing; the checks here are the last line, so a
-- bug can never store an identifier an invoice could not print.

CREATE TABLE company (
    company_id     uuid          PRIMARY KEY,
    legal_name     text          NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    legal_form     text          CHECK (length(legal_form) BETWEEN 1 AND 60),
    siren          char(9)       NOT NULL CHECK (siren ~ '^[0-9]{9}$'),
    nic            char(5)       NOT NULL CHECK (nic ~ '^[0-9]{5}$'),
    ape_code       char(5)       CHECK (ape_code ~ '^[0-9]{4}[A-Z]$'),
    vat_number     text          CHECK (vat_number ~ '^[A-Z]{2}[0-9A-Z]{2,13}$'),
    rcs_city       text          CHECK (length(rcs_city) BETWEEN 1 AND 100),
    share_capital  numeric(20, 2) CHECK (share_capital >= 0),
    share_capital_currency char(3) CHECK (share_capital_currency ~ '^[A-Z]{3}$'),
    address_line1  text          NOT NULL CHECK (length(address_line1) BETWEEN 1 AND 200),
    address_line2  text          CHECK (length(address_line2) BETWEEN 1 AND 200),
    postal_code    text          NOT NULL CHECK (length(postal_code) BETWEEN 1 AND 16),
    city           text          NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    country_code   char(2)       NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    director_name  text          CHECK (length(director_name) BETWEEN 1 AND 200),
    director_email text          CHECK (length(director_email) BETWEEN 3 AND 254),
    director_phone text          CHECK (length(director_phone) BETWEEN 1 AND 20),
    kind           text          NOT NULL CHECK (kind IN ('company', 'firm')),
    owner_id       uuid          NOT NULL,
    created_by     text          NOT NULL,
    created_at     timestamptz   NOT NULL DEFAULT now(),
    updated_at     timestamptz   NOT NULL DEFAULT now(),
    -- One registration per establishment: the same SIREN with another NIC is another
    -- establishment of the same legal unit, and may be registered separately.
    CONSTRAINT company_siret_key UNIQUE (siren, nic),
    CONSTRAINT company_share_capital_currency
        CHECK ((share_capital IS NULL) = (share_capital_currency IS NULL))
);

CREATE TABLE membership (
    company_id  uuid        NOT NULL REFERENCES company (company_id),
    user_id     uuid        NOT NULL,
    role        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, user_id)
);

CREATE INDEX membership_user ON membership (user_id, created_at, company_id);
