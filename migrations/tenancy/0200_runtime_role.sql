-- Tenancy's runtime role (comptoir_tenancy) no longer owns the schema: provisioning hands
-- the schema and its tables to comptoir_tenancy_owner, which runs the migrations, and the
-- service gets only the rows it reads and writes. Members, custom roles, firm grants and
-- portfolio assignments are removed; companies and invitations only change; the audit
-- trail only grows, and the database refuses any change to it, whoever asks.

GRANT SELECT, INSERT, UPDATE ON company, invitation TO comptoir_tenancy;
GRANT SELECT, INSERT, UPDATE, DELETE ON membership, custom_role, firm_grant
    TO comptoir_tenancy;
GRANT SELECT, INSERT, DELETE ON portfolio_manager TO comptoir_tenancy;
GRANT SELECT, INSERT ON audit_event TO comptoir_tenancy;
GRANT USAGE ON SEQUENCE audit_event_audit_event_id_seq TO comptoir_tenancy;
GRANT SELECT ON company_access TO comptoir_tenancy;

CREATE FUNCTION refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'CT002';
END $$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();

-- Event plumbing: the relay marks outbox rows sent; the inbox only grows.
GRANT SELECT, INSERT, UPDATE ON outbox TO comptoir_tenancy;
GRANT SELECT, INSERT ON inbox TO comptoir_tenancy;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO comptoir_tenancy;
GRANT USAGE ON SEQUENCE outbox_outbox_id_seq TO comptoir_tenancy;
