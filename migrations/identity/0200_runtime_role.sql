-- Identity's runtime role (comptoir_identity) no longer owns the schema: provisioning
-- hands the schema and its tables to comptoir_identity_owner, which runs the migrations,
-- and the service gets only the rows it reads and writes. Nothing is deleted but expired
-- or used credentials (refresh tokens, password resets, login failures) and idempotency
-- keys past their retention.

GRANT SELECT, INSERT, UPDATE ON account, signing_key, session TO comptoir_identity;
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_token, password_reset, login_failure
    TO comptoir_identity;

-- Event plumbing: the relay marks outbox rows sent; the inbox only grows.
GRANT SELECT, INSERT, UPDATE ON outbox TO comptoir_identity;
GRANT SELECT, INSERT ON inbox TO comptoir_identity;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO comptoir_identity;
GRANT USAGE ON SEQUENCE outbox_outbox_id_seq TO comptoir_identity;
