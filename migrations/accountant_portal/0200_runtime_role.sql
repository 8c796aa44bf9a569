-- The accountant portal's runtime role (comptoir_accountant_portal) no longer owns the
-- schema: provisioning hands the schema and its tables to
-- comptoir_accountant_portal_owner, which runs the migrations, and the service gets only
-- the rows it reads and writes. A directory entry is kept up to date from tenancy's
-- company events and never deleted.

GRANT SELECT, INSERT, UPDATE ON directory_company TO comptoir_accountant_portal;

-- Event plumbing: the relay marks outbox rows sent; the inbox only grows.
GRANT SELECT, INSERT, UPDATE ON outbox TO comptoir_accountant_portal;
GRANT SELECT, INSERT ON inbox TO comptoir_accountant_portal;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO comptoir_accountant_portal;
GRANT USAGE ON SEQUENCE outbox_outbox_id_seq TO comptoir_accountant_portal;
