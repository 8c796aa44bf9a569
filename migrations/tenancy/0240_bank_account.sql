-- The bank account a company is paid into (printed on its invoices, and the payment means
-- of its e-invoices): its IBAN and, optionally, its BIC, both as the service parsed them
-- (comptoir_domain_types::bank): upper case, no spaces, the IBAN's check digits holding.
-- The checks below repeat only their shape, so a row written around the service still
-- cannot hold a BIC without an IBAN or a lower-case, spaced value.

ALTER TABLE company
    ADD COLUMN iban text
        CONSTRAINT company_iban_shape CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    ADD COLUMN bic text
        CONSTRAINT company_bic_shape CHECK (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'),
    ADD CONSTRAINT company_bic_needs_iban CHECK (bic IS NULL OR iban IS NOT NULL);
