-- Each company's books, opened when tenancy announces the company, and their numbering
-- series (one per document type; numbers are assigned when a document is issued).

CREATE TABLE book (
    company_id  uuid        PRIMARY KEY,
    legal_name  text        NOT NULL,
    siren       text        NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE numbering_series (
    company_id    uuid        NOT NULL REFERENCES book (company_id),
    document_type text        NOT NULL CHECK (document_type IN ('invoice', 'credit_note', 'quote')),
    prefix        text        NOT NULL,
    next_number   bigint      NOT NULL DEFAULT 1 CHECK (next_number >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, document_type)
);
