-- Export jobs: an export run in the background (StartExport), its progress, and the file
-- it produced, kept in the row (at most 512 MiB, the service's cap, below bytea's 1 GiB
-- limit) until a download reads it. The request is kept as the protobuf bytes of
-- StartExportRequest, so a job is decoded again by the RPC's own decoder when a worker
-- runs it. Row-level security is keyed by company as in 0300: the worker acts for the
-- job's company.
CREATE TABLE export_job (
    export_id     uuid         PRIMARY KEY,
    company_id    uuid         NOT NULL,
    requested_by  text         NOT NULL,
    request       bytea        NOT NULL,
    state         text         NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'succeeded', 'failed')),
    rows_done     bigint       NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    rows_total    bigint       NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    file_name     text         NOT NULL DEFAULT '',
    content_type  text         NOT NULL DEFAULT '',
    file          bytea,
    size_bytes    bigint       NOT NULL DEFAULT 0,
    error         text         NOT NULL DEFAULT '',
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CHECK ((state = 'running') = (finished_at IS NULL)),
    CHECK (state <> 'succeeded' OR file IS NOT NULL)
);
CREATE INDEX export_job_company ON export_job (company_id, created_at);

ALTER TABLE export_job ENABLE ROW LEVEL SECURITY;
ALTER TABLE export_job FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON export_job
    USING (company_id = current_company())
    WITH CHECK (company_id = current_company());

-- The jobs still to run, with their lease. A worker claims the oldest job whose lease is
-- free or expired (FOR UPDATE SKIP LOCKED), renews the lease while it works, and deletes
-- the row in the job's final transaction; a job whose worker died is claimed again once
-- its lease expires. It holds only ids, so a worker that does not yet know the company
-- can find its next job: it has no row-level security and no company data.
CREATE TABLE export_job_queue (
    export_id         uuid         PRIMARY KEY REFERENCES export_job ON DELETE CASCADE,
    company_id        uuid         NOT NULL,
    -- Who holds the lease (a fresh id per claim); NULL before the first claim.
    claim_id          uuid,
    lease_expires_at  timestamptz,
    attempts          integer      NOT NULL DEFAULT 0,
    created_at        timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX export_job_queue_order ON export_job_queue (created_at);

GRANT SELECT, INSERT, UPDATE ON export_job TO comptoir_export;
GRANT SELECT, INSERT, UPDATE, DELETE ON export_job_queue TO comptoir_export;
