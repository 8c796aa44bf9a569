-- The bank account a seller is paid into, kept from tenancy's company events
-- (`bank_account`, field 26) with the rest of its identity: printed in an invoice's
-- payment terms and carried as the payment means (BG-16/BG-17) of its e-invoice. NULL
-- when the company has none, or when its last event came before the field existed; a
-- BIC only beside an IBAN. Values are as tenancy checked them (upper case, no spaces).

ALTER TABLE seller_profile
    ADD COLUMN iban text,
    ADD COLUMN bic  text,
    ADD CONSTRAINT seller_profile_bic_needs_iban CHECK (bic IS NULL OR iban IS NOT NULL);
