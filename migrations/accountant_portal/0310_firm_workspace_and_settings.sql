-- A firm's workspace and its accounting settings.
--
-- firm_workspace: one row per firm that enabled its accounting module (enabling again
-- finds the row and changes nothing). The other firm RPCs refuse a firm without it.
--
-- accounting_settings and accounting_rate: the journals and accounts exports use, per
-- client of a firm, and the firm's own default (company_id = firm_id, so the key is the
-- same pair whichever it is, as the `accounting_settings.changed` event's company is).
-- Settings are replaced whole: the row is updated and its rates rewritten, and `version`
-- counts the replacements (optimistic concurrency: an update names the version it read).
-- A rate is kept in the caller's order (`position`) and appears once per settings.
--
-- Every table is a tenant table: row-level security, enabled and forced, lets a
-- transaction see and write only the rows of the firm it names (acting_firm(), from
-- `comptoir.firm_id`, set by the service's store::begin); a transaction naming no firm
-- sees nothing. A firm also reads its own directory entry, to learn that it is a firm.

CREATE TABLE firm_workspace (
    firm_id     uuid        PRIMARY KEY,
    enabled_at  timestamptz NOT NULL DEFAULT now(),
    enabled_by  text        NOT NULL
);

CREATE TABLE accounting_settings (
    firm_id                  uuid        NOT NULL,
    -- The client, or the firm itself for its default.
    company_id               uuid        NOT NULL,
    sales_journal_code       text        NOT NULL,
    sales_journal_label      text        NOT NULL,
    purchases_journal_code   text        NOT NULL,
    purchases_journal_label  text        NOT NULL,
    bank_journal_code        text        NOT NULL,
    bank_journal_label       text        NOT NULL,
    customer_accounts        text        NOT NULL
        CHECK (customer_accounts IN ('per_customer', 'collective')),
    customer_account         text        NOT NULL CHECK (customer_account ~ '^41[0-9]{1,10}$'),
    supplier_account         text        NOT NULL CHECK (supplier_account ~ '^40[0-9]{1,10}$'),
    bank_account             text        NOT NULL CHECK (bank_account ~ '^51[0-9]{1,10}$'),
    deductible_vat_account   text        NOT NULL CHECK (deductible_vat_account ~ '^4[0-9]{2,11}$'),
    expense_account          text        NOT NULL CHECK (expense_account ~ '^6[0-9]{2,11}$'),
    version                  bigint      NOT NULL CHECK (version > 0),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    updated_by               text        NOT NULL,
    PRIMARY KEY (firm_id, company_id)
);

CREATE TABLE accounting_rate (
    firm_id                   uuid     NOT NULL,
    company_id                uuid     NOT NULL,
    position                  smallint NOT NULL CHECK (position >= 0),
    vat_rate                  numeric  NOT NULL
        CHECK (vat_rate >= 0 AND vat_rate <= 100 AND scale(vat_rate) <= 2),
    goods_revenue_account     text     NOT NULL CHECK (goods_revenue_account ~ '^7[0-9]{2,11}$'),
    services_revenue_account  text     NOT NULL CHECK (services_revenue_account ~ '^7[0-9]{2,11}$'),
    collected_vat_account     text     NOT NULL CHECK (collected_vat_account ~ '^4[0-9]{2,11}$'),
    PRIMARY KEY (firm_id, company_id, position),
    CONSTRAINT accounting_rate_once UNIQUE (firm_id, company_id, vat_rate),
    FOREIGN KEY (firm_id, company_id)
        REFERENCES accounting_settings (firm_id, company_id) ON DELETE CASCADE
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['firm_workspace', 'accounting_settings', 'accounting_rate']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY firm_rows ON %I '
                       'USING (firm_id = acting_firm()) WITH CHECK (firm_id = acting_firm())', t);
    END LOOP;
END $$;

CREATE POLICY own_entry ON directory_company FOR SELECT USING (company_id = acting_firm());

-- The runtime role: a workspace is only ever added; settings are replaced (their rates
-- deleted and written again).
GRANT SELECT, INSERT ON firm_workspace TO comptoir_accountant_portal;
GRANT SELECT, INSERT, UPDATE ON accounting_settings TO comptoir_accountant_portal;
GRANT SELECT, INSERT, DELETE ON accounting_rate TO comptoir_accountant_portal;
