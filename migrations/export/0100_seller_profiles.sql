-- The legal identity printed on every export, projected from tenancy's events.

CREATE TABLE seller_profile (
    company_id  uuid        PRIMARY KEY,
    legal_name  text        NOT NULL,
    siren       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
