-- The file a purchase invoice was imported from (ImportPurchaseInvoice): a supplier's
-- Factur-X PDF, CII XML or UBL XML, kept byte for byte with its name, media type, the
-- format it was read as and its SHA-256, one per purchase invoice. Like the purchase
-- invoice it belongs to, it is written once and never changed: the runtime role may
-- insert and read it, nothing more. Row-level security (enabled and forced) shows a
-- transaction only its company's files.
--
-- Suppliers are found by SIREN or VAT number when a file is imported: two indexes on
-- the company's parties make that a lookup.
SET ROLE comptoir_billing_owner;

CREATE TABLE purchase_attachment (
    document_id  uuid        PRIMARY KEY REFERENCES document (document_id),
    company_id   uuid        NOT NULL REFERENCES book (company_id),
    file_name    text        NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type text        NOT NULL CHECK (content_type IN ('application/pdf', 'application/xml')),
    format       text        NOT NULL CHECK (format IN ('facturx', 'cii', 'ubl')),
    content      bytea       NOT NULL,
    byte_size    integer     NOT NULL CHECK (byte_size = length(content)),
    sha256       bytea       NOT NULL CHECK (length(sha256) = 32),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE purchase_attachment ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchase_attachment FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON purchase_attachment
    USING (company_id = current_company())
    WITH CHECK (company_id = current_company());

-- Append-only, as the purchase invoice itself is frozen from its first statement.
CREATE TRIGGER purchase_attachment_append_only BEFORE UPDATE OR DELETE ON purchase_attachment
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE INDEX party_by_siren ON party (company_id, role, siren) WHERE siren <> '';
CREATE INDEX party_by_vat_number ON party (company_id, role, vat_number) WHERE vat_number <> '';

REVOKE ALL ON purchase_attachment FROM comptoir_billing;
GRANT SELECT, INSERT ON purchase_attachment TO comptoir_billing;

RESET ROLE;
