-- Billing's runtime role (comptoir_billing) is no longer a member of
-- comptoir_billing_owner nor the owner of the schema (provisioning revokes both and runs
-- the migrations as the owner), so the grants below are all it holds:
-- * drafts are deleted with their lines and VAT amounts; lines are replaced, never
--   updated; payments and their allocations are only added;
-- * the audit trail is written by its triggers only: the trigger function runs as the
--   owner, and the runtime role may read the trail but not write a row of its own;
-- * the lock date moves back only the way SetLockDate moves it (below).
SET ROLE comptoir_billing_owner;

REVOKE ALL ON book, numbering_series, party, item, document, document_line, document_vat,
    payment, payment_allocation, audit_event, outbox, inbox, idempotency_key
    FROM comptoir_billing;
GRANT SELECT, INSERT, UPDATE ON book, numbering_series, party, item TO comptoir_billing;
GRANT SELECT, INSERT, UPDATE, DELETE ON document TO comptoir_billing;
GRANT SELECT, INSERT, DELETE ON document_line, document_vat TO comptoir_billing;
GRANT SELECT, INSERT ON payment, payment_allocation TO comptoir_billing;
GRANT SELECT ON audit_event TO comptoir_billing;
REVOKE ALL ON SEQUENCE audit_event_audit_event_id_seq FROM comptoir_billing;

-- Event plumbing: the relay marks outbox rows sent; the inbox only grows.
GRANT SELECT, INSERT, UPDATE ON outbox TO comptoir_billing;
GRANT SELECT, INSERT ON inbox TO comptoir_billing;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO comptoir_billing;

-- The audit trigger writes as the owner; its search path names the schema and puts
-- temporary objects last, so nothing a session creates can stand in for audit_event.
-- Row-level security lets the owner add any row: a change made without naming a company
-- (a superuser's repair) is recorded too, under the company of the row it changed.
ALTER FUNCTION record_audit_event() SECURITY DEFINER SET search_path = billing, pg_temp;
CREATE POLICY written_by_trigger ON audit_event FOR INSERT TO comptoir_billing_owner
    WITH CHECK (true);

-- Moving the lock date back (or clearing it) needs a reason (0160) and, now, a
-- transaction that names the action SetLockDate names (`lock_date.changed`) and an actor,
-- so a careless UPDATE fails and every move back is in the audit trail with both dates,
-- the reason and who asked. The runtime role can set those settings itself: what the
-- database guarantees is the record, not who was allowed to ask (the service checks
-- that).
CREATE OR REPLACE FUNCTION refuse_lock_date_backwards_without_reason() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.lock_date IS NOT NULL
       AND (NEW.lock_date IS NULL OR NEW.lock_date < OLD.lock_date)
       AND (btrim(NEW.lock_date_reason) = ''
            OR coalesce(current_setting('comptoir.action', true), '') <> 'lock_date.changed'
            OR coalesce(current_setting('comptoir.actor', true), '') = '') THEN
        RAISE EXCEPTION 'the lock date of company % moves back from % to % only through SetLockDate, with a reason',
            OLD.company_id, OLD.lock_date, coalesce(NEW.lock_date::text, 'none')
            USING ERRCODE = 'CB003';
    END IF;
    RETURN NEW;
END $$;

RESET ROLE;
