-- What an invoice or credit note prints besides what the reports read: the seller's whole
-- legal identity (kept from tenancy's company events' `identity`), and per document the
-- customer's identity and address, the lines, the mentions (VAT exemption, late-payment
-- penalty rate, the 40 € recovery fee) and, for a credit note, the credited invoice's
-- number and date. Details and lines are their own tables, written by the same consumer
-- as `document` and, like it, frozen once written: a redelivery or a replay writes
-- nothing new, and a document held before this migration gets its details the next time
-- its event is delivered. Row-level security is keyed by company as in 0300.

ALTER TABLE seller_profile
    ADD COLUMN siret                   text NOT NULL DEFAULT '',
    ADD COLUMN legal_form              text NOT NULL DEFAULT '',
    ADD COLUMN vat_number              text NOT NULL DEFAULT '',
    ADD COLUMN rcs_city                text NOT NULL DEFAULT '',
    -- Decimal text with at most 2 decimals; empty when not provided.
    ADD COLUMN share_capital_amount    text NOT NULL DEFAULT '',
    ADD COLUMN share_capital_currency  text NOT NULL DEFAULT '',
    ADD COLUMN address_line1           text NOT NULL DEFAULT '',
    ADD COLUMN address_line2           text NOT NULL DEFAULT '',
    ADD COLUMN address_postal_code     text NOT NULL DEFAULT '',
    ADD COLUMN address_city            text NOT NULL DEFAULT '',
    ADD COLUMN address_country_code    text NOT NULL DEFAULT '';

CREATE TABLE document_detail (
    document_id           uuid           PRIMARY KEY,
    company_id            uuid           NOT NULL,
    currency_code         text           NOT NULL,
    party_siren           text           NOT NULL,
    party_address_line1   text           NOT NULL,
    party_address_line2   text           NOT NULL,
    party_postal_code     text           NOT NULL,
    party_city            text           NOT NULL,
    -- The VAT exemption or reverse-charge mention; empty when none.
    vat_exemption         text           NOT NULL,
    -- Percent per year; None when billing sent none.
    late_penalty_rate     numeric(7, 2),
    recovery_fee          boolean        NOT NULL,
    -- For a credit note: the credited invoice's number (empty when none) and date.
    credited_number       text           NOT NULL,
    credited_date         date,
    created_at            timestamptz    NOT NULL DEFAULT now()
);

CREATE TABLE document_line (
    document_id   uuid           NOT NULL,
    company_id    uuid           NOT NULL,
    line_number   integer        NOT NULL CHECK (line_number > 0),
    description   text           NOT NULL,
    quantity      numeric        NOT NULL,
    unit_price    numeric        NOT NULL,
    discount      numeric(14, 2) NOT NULL,
    vat_rate      numeric(5, 2)  NOT NULL,
    net_amount    numeric(14, 2) NOT NULL,
    PRIMARY KEY (document_id, line_number)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['document_detail', 'document_line']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY company_isolation ON %I '
                       'USING (company_id = current_company()) '
                       'WITH CHECK (company_id = current_company())', t);
    END LOOP;
END $$;

-- Details and lines are only added.
GRANT SELECT, INSERT ON document_detail, document_line TO comptoir_export;
