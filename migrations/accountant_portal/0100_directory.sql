-- The portal's directory of companies and firms, projected from tenancy's events.

CREATE TABLE directory_company (
    company_id  uuid        PRIMARY KEY,
    legal_name  text        NOT NULL,
    siren       text        NOT NULL,
    is_firm     boolean     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX directory_company_order ON directory_company (created_at, company_id);
