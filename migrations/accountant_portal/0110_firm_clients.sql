-- The directory is scoped: a firm sees the companies it holds a grant on, projected from
-- tenancy's firm_grant events. Events may arrive late, twice or out of order, so each
-- projected row remembers how new it is: a company its version (tenancy counts it, one
-- more at each identity change), a grant the id of the last event applied to it (a
-- UUIDv7, so a later event sorts after an earlier one). A revoked grant stays as a row
-- with granted = false, so a late copy of the grant cannot bring the client back.

ALTER TABLE directory_company ADD COLUMN version bigint NOT NULL DEFAULT 0
    CHECK (version >= 0);

CREATE TABLE firm_client (
    firm_id     uuid        NOT NULL,
    company_id  uuid        NOT NULL,
    granted     boolean     NOT NULL,
    event_id    uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (firm_id, company_id)
);

GRANT SELECT, INSERT, UPDATE ON firm_client TO comptoir_accountant_portal;
