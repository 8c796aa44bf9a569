-- Sessions and their refresh tokens, password resets, and the failed logins that
-- throttle guessing. Every replica reads and writes these, so no limit lives in memory.

-- One login: it lives until logout, a password change or reset, or a refresh-token reuse.
CREATE TABLE session (
    session_id        uuid        PRIMARY KEY,
    account_id        uuid        NOT NULL REFERENCES account ON DELETE CASCADE,
    -- The company the session's access tokens are scoped to; none right after login.
    active_company_id uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Set once; a revoked session's refresh tokens all stop working.
    revoked_at        timestamptz,
    revoked_reason    text        CHECK (revoked_reason IN
                                  ('logout', 'password_changed', 'password_reset', 'refresh_token_reused')),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);

CREATE INDEX session_live_by_account ON session (account_id) WHERE revoked_at IS NULL;

-- Opaque refresh tokens, stored as SHA-256 hashes only. Each is used once; a second use
-- revokes its session.
CREATE TABLE refresh_token (
    token_hash  bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id  uuid        NOT NULL REFERENCES session ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE INDEX refresh_token_by_session ON refresh_token (session_id);

-- Single-use password reset tokens, stored as SHA-256 hashes only.
CREATE TABLE password_reset (
    token_hash  bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id  uuid        NOT NULL REFERENCES account ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE INDEX password_reset_by_account ON password_reset (account_id, created_at);

-- One row per failed login, counted per e-mail and per client address over a sliding
-- window. Keyed by the e-mail as typed (normalised), not the account, so an unknown
-- e-mail is throttled exactly like a known one and the answers stay the same. A
-- successful login clears `email` (the account's counter) but keeps the row for the
-- address's counter.
CREATE TABLE login_failure (
    login_failure_id bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email            text,
    client_addr      text        NOT NULL,
    failed_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_failure_by_email ON login_failure (email, failed_at) WHERE email IS NOT NULL;
CREATE INDEX login_failure_by_addr ON login_failure (client_addr, failed_at);
CREATE INDEX login_failure_by_time ON login_failure (failed_at);
