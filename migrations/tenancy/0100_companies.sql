-- Companies (and accounting firms) with their legal identity, and who belongs to them.

CREATE TABLE company (
    company_id  uuid        PRIMARY KEY,
    legal_name  text        NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    siren       char(9)     NOT NULL CONSTRAINT company_siren_key UNIQUE,
    kind        text        NOT NULL CHECK (kind IN ('company', 'firm')),
    owner_id    uuid        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE membership (
    company_id  uuid        NOT NULL REFERENCES company (company_id),
    user_id     uuid        NOT NULL,
    role        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, user_id)
);

CREATE INDEX membership_user ON membership (user_id, created_at, company_id);
