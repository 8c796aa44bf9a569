-- A quote makes one invoice: ConvertQuoteToInvoice looks up the invoice already made from
-- a quote, by this index, before making another.
SET ROLE comptoir_billing_owner;

CREATE INDEX document_by_quote ON document (company_id, quote_id)
    WHERE quote_id IS NOT NULL;

RESET ROLE;
