-- A sent quote's lines never change, even in the transaction that changes its status.
-- `guard_document_part` let a line in when the document row had been written by the
-- current transaction (its xmin), meaning "created here"; but a status-only update of a
-- sent quote writes the row too, after which the quote took new lines and VAT amounts.
-- The document now records the transaction that inserted it, which no later update
-- changes: once a document is past its draft, the frozen-document trigger refuses any
-- change but its status.
SET ROLE comptoir_billing_owner;

-- Documents inserted before this migration were not created by any transaction still
-- running, so NULL ("not here") is right for them.
ALTER TABLE document ADD COLUMN created_xact xid8;
ALTER TABLE document ALTER COLUMN created_xact SET DEFAULT pg_current_xact_id();

CREATE OR REPLACE FUNCTION guard_document_part() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    parent document%ROWTYPE;
BEGIN
    SELECT * INTO parent FROM document
     WHERE document_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.document_id ELSE NEW.document_id END;
    IF NOT FOUND THEN
        -- The document is being deleted (cascade): its own triggers decided.
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF parent.status <> 'draft'
       AND NOT (TG_OP = 'INSERT'
                AND coalesce(parent.created_xact = pg_current_xact_id(), false)) THEN
        RAISE EXCEPTION 'the lines of % % never change once it is past its draft',
            parent.document_type, coalesce(parent.number, parent.document_id::text)
            USING ERRCODE = 'CB002';
    END IF;
    IF is_locked(parent.company_id, parent.document_date) THEN
        RAISE EXCEPTION 'the period is locked: document dated % is on or before the lock date',
            parent.document_date USING ERRCODE = 'CB001';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

RESET ROLE;
