-- The documents and payments the reports read, projected from the same billing events as
-- the ledger, with what the ledger does not keep: due dates, the party's kind, country and
-- VAT number, the OSS flag and country of consumption, VAT per rate split into goods and
-- services, and each payment's allocations. A document is frozen once billing publishes
-- it, so a redelivered or replayed event writes nothing new. What a document has been paid
-- is summed from the allocations when a report reads it, so a payment recorded before its
-- document arrives still counts. Row-level security is keyed by company as in 0300.

CREATE TABLE document (
    document_id           uuid           PRIMARY KEY,
    company_id            uuid           NOT NULL,
    kind                  text           NOT NULL
        CHECK (kind IN ('invoice', 'credit_note', 'purchase_invoice')),
    number                text           NOT NULL,
    document_date         date           NOT NULL,
    -- None when billing sent none: due on receipt.
    due_date              date,
    party_id              uuid,
    party_name            text           NOT NULL,
    party_kind            text           NOT NULL CHECK (party_kind IN ('professional', 'private')),
    party_country_code    text           NOT NULL,
    party_vat_number      text           NOT NULL,
    net_total             numeric(14, 2) NOT NULL,
    vat_total             numeric(14, 2) NOT NULL,
    gross_total           numeric(14, 2) NOT NULL,
    -- An EU B2C distance sale declared through the OSS, and its member state of
    -- consumption (the customer's country); empty when not an OSS sale.
    oss                   boolean        NOT NULL,
    consumption_country   text           NOT NULL,
    -- For a credit note: the invoice it corrects, when billing named it.
    credited_document_id  uuid,
    created_at            timestamptz    NOT NULL DEFAULT now(),
    CHECK (oss = (consumption_country <> ''))
);
CREATE INDEX document_company_date ON document (company_id, kind, document_date);
CREATE INDEX document_credited ON document (company_id, credited_document_id)
    WHERE credited_document_id IS NOT NULL;

-- A document's taxable amount and VAT per rate and supply (the rate's VAT shared between
-- goods and services in proportion to their nets, to the cent).
CREATE TABLE document_vat (
    document_id     uuid           NOT NULL REFERENCES document ON DELETE CASCADE,
    company_id      uuid           NOT NULL,
    vat_rate        numeric(5, 2)  NOT NULL,
    supply          text           NOT NULL CHECK (supply IN ('goods', 'services')),
    taxable_amount  numeric(14, 2) NOT NULL,
    vat_amount      numeric(14, 2) NOT NULL,
    PRIMARY KEY (document_id, vat_rate, supply)
);

CREATE TABLE payment (
    payment_id    uuid           PRIMARY KEY,
    company_id    uuid           NOT NULL,
    direction     text           NOT NULL CHECK (direction IN ('received', 'paid')),
    payment_date  date           NOT NULL,
    method        text           NOT NULL,
    amount        numeric(14, 2) NOT NULL,
    reference     text           NOT NULL,
    party_id      uuid,
    party_name    text           NOT NULL,
    created_at    timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX payment_company_date ON payment (company_id, payment_date);

-- The part of a payment settling one document; the document may not have arrived yet, so
-- no foreign key to it.
CREATE TABLE payment_allocation (
    payment_id       uuid           NOT NULL REFERENCES payment ON DELETE CASCADE,
    document_id      uuid           NOT NULL,
    company_id       uuid           NOT NULL,
    document_number  text           NOT NULL,
    amount           numeric(14, 2) NOT NULL,
    PRIMARY KEY (payment_id, document_id)
);
CREATE INDEX payment_allocation_document ON payment_allocation (company_id, document_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['document', 'document_vat', 'payment', 'payment_allocation']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY company_isolation ON %I '
                       'USING (company_id = current_company()) '
                       'WITH CHECK (company_id = current_company())', t);
    END LOOP;
END $$;

-- Documents and payments are only added.
GRANT SELECT, INSERT ON document, document_vat, payment, payment_allocation TO comptoir_export;
