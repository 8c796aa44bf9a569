-- Billing's runtime role (comptoir_billing) is no longer a member of
-- comptoir_billing_owner nor the owner of the schema (provisioning revokes both and runs
-- the migrations as the owner), so the grants below are all it holds:
-- * drafts are deleted with their lines and VAT amounts; lines are replaced, never
--   updated; payments and their allocations are only added;
-- * the audit trail is written by its triggers only: the trigger function runs as the
--   owner, and the runtime role may read the trail but not write a row of its own.
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

RESET ROLE;
