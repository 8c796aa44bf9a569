-- People and the keys that sign their access tokens.

CREATE TABLE account (
    account_id    uuid        PRIMARY KEY,
    -- Trimmed and lower-cased by the service; one account per address.
    email         text        NOT NULL CONSTRAINT account_email_key UNIQUE
                              CHECK (email = lower(btrim(email))),
    name          text        NOT NULL,
    -- argon2id PHC string; never the password.
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Ed25519 signing keys. The newest unretired key signs; every key retired less than a
-- token lifetime ago still verifies.
CREATE TABLE signing_key (
    kid          text        PRIMARY KEY,
    private_der  bytea       NOT NULL,
    public_x     text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);
