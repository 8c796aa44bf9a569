-- The e-mail of each account, learnt from identity's user.registered, so an invitation is
-- accepted only by the account of the invited address. `event_id` is the last event
-- applied (a UUIDv7: a later event sorts after), so a late copy never wins.
CREATE TABLE account (
    user_id     uuid        PRIMARY KEY,
    email       text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    event_id    uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON account TO comptoir_tenancy;

-- An open link may be accepted by any account; the inviter chooses it explicitly.
ALTER TABLE invitation ADD COLUMN open_link boolean NOT NULL DEFAULT false;
