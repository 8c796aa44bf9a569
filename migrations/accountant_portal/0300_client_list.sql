-- The firm's client list: what each client row shows, projected from tenancy's and
-- billing's events so that listing asks no other service, and the firm's own facts about
-- its clients (code dossier, ownership, portfolio managers), written by the portal.
--
-- Two kinds of tables:
--   * the firm's (firm_client, client_manager): tenant tables keyed by firm_id, read and
--     written only for the acting firm (`comptoir.firm_id`, set by the service's
--     store::begin for a request, and per event by the firm grants consumer, which acts
--     as the firm the grant names);
--   * the client company's facts (directory_company, client_activity, client_member,
--     client_turnover): no firm in their key, since every firm of the client shares
--     them. A firm reads them only for the companies it has a firm_client row for (so
--     another firm's clients stay invisible), and only the consumer projecting a table
--     writes it: a consumer's transaction names itself (`comptoir.consumer`), a request's
--     never does, so no request can write a company's facts, and a consumer writes only
--     its own tables.
-- An unset or empty setting matches nothing: a transaction that declares nothing sees
-- nothing. Like tenancy's, these settings guard against a forgotten filter, not against
-- SQL of the service's own choosing (the runtime role can set any setting).
--
-- Order-safety: a company row keeps tenancy's version (newer or equal wins); a
-- membership, a grant and a lock date keep the id of the last event applied to them (a
-- UUIDv7: a later event sorts after), so a late or replayed older event changes nothing.
-- The last invoice date only moves forward. The turnover is a sum: the runtime's inbox
-- applies each event once, so a redelivery never adds twice.

-- The acting firm; NULL (so no row matches) when unset or empty.
CREATE FUNCTION acting_firm() RETURNS uuid
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT nullif(current_setting('comptoir.firm_id', true), '')::uuid
$$;

-- The consumer whose transaction this is; NULL when unset or empty (every request).
CREATE FUNCTION acting_consumer() RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT nullif(current_setting('comptoir.consumer', true), '')
$$;

-- The company's identity as the list shows and searches it. `create_time` is when
-- tenancy created the company (company.created's time), NULL until that event comes;
-- `search_name` is the legal name normalised by the service's domain (lower case, no
-- accents), so a search ignores both; `owner_firm_id` the firm that created it.
ALTER TABLE directory_company
    ADD COLUMN create_time   timestamptz,
    ADD COLUMN search_name   text NOT NULL DEFAULT '',
    ADD COLUMN owner_firm_id uuid;

-- The firm's own facts: its code dossier for the client (empty for a client that
-- invited the firm), normalised for search as the name is, and whether the firm owns
-- the company. Written by client creation (store::clients::record_client).
ALTER TABLE firm_client
    ADD COLUMN file_code     text    NOT NULL DEFAULT '',
    ADD COLUMN search_code   text    NOT NULL DEFAULT '',
    ADD COLUMN owned_by_firm boolean NOT NULL DEFAULT false;

CREATE UNIQUE INDEX firm_client_file_code ON firm_client (firm_id, file_code)
    WHERE file_code <> '';

-- The firm's members assigned to a client (portfolio managers / chefs de mission).
CREATE TABLE client_manager (
    firm_id     uuid        NOT NULL,
    company_id  uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (firm_id, company_id, user_id),
    FOREIGN KEY (firm_id, company_id) REFERENCES firm_client (firm_id, company_id)
);

CREATE INDEX client_manager_user ON client_manager (firm_id, user_id);

-- The client's own members, one row per user ever granted: `active` until revoked.
CREATE TABLE client_member (
    company_id  uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    active      boolean     NOT NULL,
    event_id    uuid        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, user_id)
);

-- The client's activity: its number of users (the active client_member rows, counted
-- again at each membership event), its lock date (and the event that set it), and the
-- issue date of its last invoice.
CREATE TABLE client_activity (
    company_id         uuid        PRIMARY KEY,
    user_count         integer     NOT NULL DEFAULT 0 CHECK (user_count >= 0),
    lock_date          date,
    lock_event_id      uuid,
    last_invoice_date  date,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Net turnover per calendar year of issue: invoices less credit notes, in euros.
CREATE TABLE client_turnover (
    company_id  uuid          NOT NULL,
    year        integer       NOT NULL,
    net_amount  numeric(18,2) NOT NULL,
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, year)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['firm_client', 'client_manager', 'directory_company',
                             'client_member', 'client_activity', 'client_turnover']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;

-- The firm's tables: the acting firm's rows only, for reads and writes.
CREATE POLICY firm_rows ON firm_client
    USING (firm_id = acting_firm()) WITH CHECK (firm_id = acting_firm());
CREATE POLICY firm_rows ON client_manager
    USING (firm_id = acting_firm()) WITH CHECK (firm_id = acting_firm());

-- A company's facts: read by a firm for its clients (connected or not); read and
-- written by the one consumer that projects them. Permissive policies add up per
-- command, so the FOR SELECT policy only widens reads.
DO $$
DECLARE
    t text;
    projector text;
BEGIN
    FOR t, projector IN VALUES ('directory_company', 'companies'),
                               ('client_member', 'memberships'),
                               ('client_activity', 'memberships'),
                               ('client_activity', 'client_activity'),
                               ('client_turnover', 'client_activity')
    LOOP
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (acting_consumer() = %L) '
            'WITH CHECK (acting_consumer() = %L)',
            'projected_by_' || projector, t, projector, projector);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['directory_company', 'client_member', 'client_activity',
                             'client_turnover']
    LOOP
        EXECUTE format(
            'CREATE POLICY firm_clients ON %I FOR SELECT USING (EXISTS ('
            'SELECT 1 FROM firm_client f WHERE f.company_id = %I.company_id '
            'AND f.firm_id = acting_firm()))', t, t);
    END LOOP;
END $$;

-- The runtime role: reads and writes of the projection, never deletes except a
-- portfolio assignment (assignments are replaced).
GRANT SELECT, INSERT, UPDATE ON client_member, client_activity, client_turnover
    TO comptoir_accountant_portal;
GRANT SELECT, INSERT, DELETE ON client_manager TO comptoir_accountant_portal;
GRANT EXECUTE ON FUNCTION acting_firm(), acting_consumer() TO comptoir_accountant_portal;
