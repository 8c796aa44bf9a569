-- Who may act on a company: custom roles, plans, invitations, accounting-firm grants and
-- the firm members assigned to each client (portfolio managers).

-- The plan bounds the number of members (pending invitations included).
ALTER TABLE company ADD COLUMN plan text NOT NULL DEFAULT 'pro' CHECK (plan IN ('pro'));

-- The role key the owner holds is always 'administrator' (checked by the service).
ALTER TABLE membership ADD CONSTRAINT membership_role_key CHECK (role ~ '^[a-z][a-z0-9_]{1,39}$');

CREATE TABLE custom_role (
    company_id  uuid        NOT NULL REFERENCES company (company_id),
    role_key    text        NOT NULL CHECK (role_key ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    permissions text[]      NOT NULL CHECK (cardinality(permissions) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, role_key)
);

CREATE TABLE invitation (
    invitation_id uuid        PRIMARY KEY,
    company_id    uuid        NOT NULL REFERENCES company (company_id),
    email         text        NOT NULL,
    role          text        NOT NULL,
    -- SHA-256 of the single-use token; the token itself is only in the e-mail.
    token_hash    bytea       NOT NULL CONSTRAINT invitation_token_key UNIQUE,
    invited_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    accepted_by   uuid,
    revoked_at    timestamptz,
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);

-- At most one pending invitation per address and company.
CREATE UNIQUE INDEX invitation_pending_email ON invitation (company_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE firm_grant (
    firm_id     uuid        NOT NULL REFERENCES company (company_id),
    company_id  uuid        NOT NULL REFERENCES company (company_id),
    role        text        NOT NULL CHECK (role IN ('accountant', 'administrator')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (firm_id, company_id),
    CHECK (firm_id <> company_id)
);

CREATE INDEX firm_grant_company ON firm_grant (company_id);

CREATE TABLE portfolio_manager (
    firm_id     uuid        NOT NULL,
    company_id  uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (firm_id, company_id, user_id),
    FOREIGN KEY (firm_id, company_id) REFERENCES firm_grant (firm_id, company_id) ON DELETE CASCADE
);

-- Append-only record of every change: who, when, what.
CREATE TABLE audit_event (
    audit_event_id bigserial   PRIMARY KEY,
    company_id     uuid        NOT NULL,
    actor          text        NOT NULL,
    action         text        NOT NULL,
    details        jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_event_company ON audit_event (company_id, audit_event_id);

-- Who may act on which company, in one place: members directly, and a firm's people
-- through its grant when they are a firm Administrator or the client's portfolio
-- manager. A user may appear twice for one company (directly and through a firm);
-- readers prefer the direct row.
CREATE VIEW company_access AS
    SELECT m.user_id, m.company_id, m.role, false AS through_firm, m.created_at AS since
      FROM membership m
    UNION ALL
    SELECT fm.user_id, g.company_id, g.role, true AS through_firm, g.created_at AS since
      FROM firm_grant g
      JOIN membership fm ON fm.company_id = g.firm_id
     WHERE fm.role = 'administrator'
        OR EXISTS (SELECT 1 FROM portfolio_manager p
                    WHERE p.firm_id = g.firm_id AND p.company_id = g.company_id
                      AND p.user_id = fm.user_id);
