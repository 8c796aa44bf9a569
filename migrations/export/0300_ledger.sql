-- The double-entry projection of billing's events: one accounting entry per document and
-- per payment, its lines with the accounts resolved from the company's accounting
-- settings in force when the event happened, and the lettering of settled documents.
-- Every row belongs to one company and row-level security shows a transaction only the
-- rows of the company it names (`comptoir.company_id`): requests name the company they
-- read, consumers the company of the event they apply.

CREATE FUNCTION current_company() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('comptoir.company_id', true), '')::uuid
$$;

-- Accounting settings as the accountant portal publishes them, every version kept with
-- the time it took effect, so an entry gets the settings in force at its event's time
-- whatever order the two streams deliver in. `company_id` is the client, or the firm for
-- its default (`is_firm_default`).
CREATE TABLE accounting_settings (
    company_id               uuid        NOT NULL,
    is_firm_default          boolean     NOT NULL,
    version                  bigint      NOT NULL CHECK (version > 0),
    firm_id                  uuid        NOT NULL,
    effective_at             timestamptz NOT NULL,
    sales_journal_code       text        NOT NULL,
    sales_journal_label      text        NOT NULL,
    purchases_journal_code   text        NOT NULL,
    purchases_journal_label  text        NOT NULL,
    bank_journal_code        text        NOT NULL,
    bank_journal_label       text        NOT NULL,
    customer_accounts        text        NOT NULL CHECK (customer_accounts IN ('per_customer', 'collective')),
    customer_account         text        NOT NULL,
    supplier_account         text        NOT NULL,
    bank_account             text        NOT NULL,
    deductible_vat_account   text        NOT NULL,
    expense_account          text        NOT NULL,
    -- Per VAT rate, the same index in each array.
    rate_vat_rates           numeric[]   NOT NULL,
    rate_goods_accounts      text[]      NOT NULL,
    rate_services_accounts   text[]      NOT NULL,
    rate_collected_accounts  text[]      NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, is_firm_default, version)
);

-- One entry per billing document or payment, keyed by its id.
CREATE TABLE entry (
    entry_id          uuid        PRIMARY KEY,
    company_id        uuid        NOT NULL,
    source            text        NOT NULL CHECK (source IN ('invoice', 'credit_note',
                                      'purchase_invoice', 'payment_received', 'payment_paid')),
    journal           text        NOT NULL CHECK (journal IN ('sales', 'purchases', 'bank')),
    journal_code      text        NOT NULL,
    journal_label     text        NOT NULL,
    entry_date        date        NOT NULL,
    piece_ref         text        NOT NULL CHECK (piece_ref <> ''),
    piece_date        date        NOT NULL,
    label             text        NOT NULL,
    party_id          uuid,
    party_code        text        NOT NULL,
    party_name        text        NOT NULL,
    -- When the event happened (the settings in force are those of this time), and the
    -- settings' version the accounts were resolved with (0: the French defaults).
    occurred_at       timestamptz NOT NULL,
    settings_version  bigint      NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entry_company_date ON entry (company_id, entry_date);

CREATE TABLE entry_line (
    entry_id        uuid          NOT NULL REFERENCES entry ON DELETE CASCADE,
    line_number     integer       NOT NULL CHECK (line_number > 0),
    company_id      uuid          NOT NULL,
    role            text          NOT NULL CHECK (role IN ('customer', 'supplier', 'bank', 'revenue',
                                      'collected_vat', 'expense', 'deductible_vat')),
    vat_rate        numeric(5, 2),
    supply          text          CHECK (supply IN ('goods', 'services')),
    account_number  text          NOT NULL,
    account_label   text          NOT NULL,
    aux_number      text          NOT NULL,
    aux_label       text          NOT NULL,
    debit           numeric(14, 2) NOT NULL CHECK (debit >= 0),
    credit          numeric(14, 2) NOT NULL CHECK (credit >= 0),
    -- On a customer or supplier line: the document it belongs to or settles.
    document_id     uuid,
    PRIMARY KEY (entry_id, line_number),
    CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX entry_line_document ON entry_line (company_id, document_id) WHERE document_id IS NOT NULL;

-- A settled document's lettering code, shared by its own line and the payment lines
-- settling it; `lettered_on` is the date of the payment that completed it.
CREATE TABLE lettering (
    company_id   uuid        NOT NULL,
    document_id  uuid        NOT NULL,
    code         text        NOT NULL,
    lettered_on  date        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, document_id),
    UNIQUE (company_id, code)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['seller_profile', 'accounting_settings', 'entry', 'entry_line',
                             'lettering']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY company_isolation ON %I '
                       'USING (company_id = current_company()) '
                       'WITH CHECK (company_id = current_company())', t);
    END LOOP;
END $$;

-- Settings versions are only added; an entry is rewritten when settings for its time
-- arrive late; lettering is only added.
GRANT SELECT, INSERT ON accounting_settings TO comptoir_export;
GRANT SELECT, INSERT, UPDATE ON entry TO comptoir_export;
GRANT SELECT, INSERT, UPDATE ON entry_line TO comptoir_export;
GRANT SELECT, INSERT ON lettering TO comptoir_export;
