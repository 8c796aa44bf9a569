-- Export's runtime role (comptoir_export) no longer owns the schema: provisioning hands
-- the schema and its tables to comptoir_export_owner, which runs the migrations, and the
-- service gets only the rows it reads and writes. A seller profile is kept up to date
-- from tenancy's company events and never deleted.

GRANT SELECT, INSERT, UPDATE ON seller_profile TO comptoir_export;

-- Event plumbing: the relay marks outbox rows sent; the inbox only grows.
GRANT SELECT, INSERT, UPDATE ON outbox TO comptoir_export;
GRANT SELECT, INSERT ON inbox TO comptoir_export;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO comptoir_export;
GRANT USAGE ON SEQUENCE outbox_outbox_id_seq TO comptoir_export;
