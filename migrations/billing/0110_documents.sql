-- Each company's documents: customers and suppliers, items, quotes, invoices, credit
-- notes, purchase invoices, payments, the lock date and the audit trail.
--
-- Three rules are enforced by the database itself, so a bug in the service cannot bypass
-- them:
-- * tenant isolation: every table carries company_id and row-level security (enabled and
--   forced) shows a transaction only the rows of the company named by its
--   `comptoir.company_id` setting; a transaction that sets none sees nothing;
-- * the lock date: nothing dated on or before a company's lock date is inserted, changed
--   or deleted (SQLSTATE CB001);
-- * frozen documents: an issued invoice or credit note, a recorded purchase invoice and
--   the lines of anything past its draft never change (SQLSTATE CB002); payments and
--   the audit trail are append-only.
--
-- The tables belong to comptoir_billing_owner (a role that cannot log in), not to the
-- service's login role: the service gets plain DML grants, so it can neither disable
-- row-level security nor drop a trigger. The provisioning step creates that role and
-- lets the service role switch to it for migrations only.

-- Hand the tables created so far to the owner role, then build as the owner.
ALTER TABLE book OWNER TO comptoir_billing_owner;
ALTER TABLE numbering_series OWNER TO comptoir_billing_owner;
ALTER TABLE outbox OWNER TO comptoir_billing_owner;
ALTER TABLE inbox OWNER TO comptoir_billing_owner;
ALTER TABLE idempotency_key OWNER TO comptoir_billing_owner;
SET ROLE comptoir_billing_owner;

-- The company of the current transaction; NULL (so no row matches) when unset.
CREATE FUNCTION current_company() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('comptoir.company_id', true), '')::uuid
$$;

-- The seller's legal identity, kept from tenancy's company events for the mandatory
-- mentions, and the lock date.
ALTER TABLE book
    ADD COLUMN legal_form           text NOT NULL DEFAULT '',
    ADD COLUMN nic                  text NOT NULL DEFAULT '',
    ADD COLUMN ape_code             text NOT NULL DEFAULT '',
    ADD COLUMN vat_number           text NOT NULL DEFAULT '',
    ADD COLUMN rcs_city             text NOT NULL DEFAULT '',
    ADD COLUMN share_capital_amount text NOT NULL DEFAULT '',
    ADD COLUMN address_line1        text NOT NULL DEFAULT '',
    ADD COLUMN address_line2        text NOT NULL DEFAULT '',
    ADD COLUMN address_postal_code  text NOT NULL DEFAULT '',
    ADD COLUMN address_city         text NOT NULL DEFAULT '',
    ADD COLUMN address_country_code text NOT NULL DEFAULT '',
    ADD COLUMN lock_date            date;

-- Series format and the date that keeps numbering chronological.
ALTER TABLE numbering_series
    ADD COLUMN include_year    boolean NOT NULL DEFAULT true,
    ADD COLUMN last_issue_date date;

CREATE TABLE party (
    party_id             uuid        PRIMARY KEY,
    company_id           uuid        NOT NULL REFERENCES book (company_id),
    role                 text        NOT NULL CHECK (role IN ('customer', 'supplier')),
    kind                 text        NOT NULL CHECK (kind IN ('professional', 'private')),
    name                 text        NOT NULL CHECK (name <> ''),
    siren                text        NOT NULL DEFAULT '',
    vat_number           text        NOT NULL DEFAULT '',
    address_line1        text        NOT NULL,
    address_line2        text        NOT NULL DEFAULT '',
    address_postal_code  text        NOT NULL,
    address_city         text        NOT NULL,
    address_country_code text        NOT NULL CHECK (address_country_code ~ '^[A-Z]{2}$'),
    email                text        NOT NULL DEFAULT '',
    payment_terms_days   integer     NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 60),
    accounting_code      text        NOT NULL DEFAULT '',
    archived_at          timestamptz,
    created_by           text        NOT NULL,
    updated_by           text        NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX party_by_name ON party (company_id, role, lower(name), party_id);

CREATE TABLE item (
    item_id     uuid          PRIMARY KEY,
    company_id  uuid          NOT NULL REFERENCES book (company_id),
    label       text          NOT NULL CHECK (label <> ''),
    unit        text          NOT NULL DEFAULT '',
    unit_price  numeric(16,4) NOT NULL CHECK (unit_price >= 0),
    vat_rate    numeric(5,2)  NOT NULL CHECK (vat_rate >= 0 AND vat_rate < 100),
    kind        text          NOT NULL CHECK (kind IN ('goods', 'services')),
    category    text          NOT NULL DEFAULT '',
    archived_at timestamptz,
    created_by  text          NOT NULL,
    updated_by  text          NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX item_by_label ON item (company_id, lower(label), item_id);

-- Quotes, invoices, credit notes and purchase invoices share one shape. The party is
-- copied onto the document, so an issued document keeps the party as it was.
CREATE TABLE document (
    document_id          uuid          PRIMARY KEY,
    company_id           uuid          NOT NULL REFERENCES book (company_id),
    document_type        text          NOT NULL
        CHECK (document_type IN ('invoice', 'credit_note', 'quote', 'purchase_invoice')),
    status               text          NOT NULL
        CHECK (status IN ('draft', 'sent', 'accepted', 'refused', 'issued')),
    -- Position in its series (sales documents), assigned when issued or sent.
    sequence             bigint,
    number               text,
    party_id             uuid          NOT NULL REFERENCES party (party_id),
    party_kind           text          NOT NULL,
    party_name           text          NOT NULL,
    party_siren          text          NOT NULL DEFAULT '',
    party_vat_number     text          NOT NULL DEFAULT '',
    party_address_line1  text          NOT NULL DEFAULT '',
    party_address_line2  text          NOT NULL DEFAULT '',
    party_postal_code    text          NOT NULL DEFAULT '',
    party_city           text          NOT NULL DEFAULT '',
    party_country_code   text          NOT NULL DEFAULT '',
    document_date        date          NOT NULL,
    due_date             date,
    currency_code        text          NOT NULL DEFAULT 'EUR',
    net_total            numeric(16,2) NOT NULL,
    vat_total            numeric(16,2) NOT NULL,
    gross_total          numeric(16,2) NOT NULL,
    vat_exemption        text          NOT NULL DEFAULT '',
    late_penalty_rate    numeric(6,2),
    recovery_fee         boolean       NOT NULL DEFAULT false,
    notes                text          NOT NULL DEFAULT '',
    oss                  boolean       NOT NULL DEFAULT false,
    category             text          NOT NULL DEFAULT '',
    credited_document_id uuid          REFERENCES document (document_id),
    credited_number      text          NOT NULL DEFAULT '',
    credited_date        date,
    quote_id             uuid          REFERENCES document (document_id),
    issued_at            timestamptz,
    created_by           text          NOT NULL,
    updated_by           text          NOT NULL,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    updated_at           timestamptz   NOT NULL DEFAULT now(),
    CHECK ((sequence IS NULL) = (number IS NULL) OR document_type = 'purchase_invoice')
);
CREATE UNIQUE INDEX document_sequence ON document (company_id, document_type, sequence)
    WHERE sequence IS NOT NULL;
CREATE UNIQUE INDEX document_number ON document (company_id, document_type, number)
    WHERE number IS NOT NULL AND document_type <> 'purchase_invoice';
CREATE UNIQUE INDEX document_supplier_number ON document (company_id, party_id, number)
    WHERE document_type = 'purchase_invoice';
CREATE INDEX document_listing ON document (company_id, document_type, created_at DESC, document_id DESC);
CREATE INDEX document_credit_notes ON document (credited_document_id)
    WHERE credited_document_id IS NOT NULL;

CREATE TABLE document_line (
    document_id uuid          NOT NULL REFERENCES document (document_id) ON DELETE CASCADE,
    line_number integer       NOT NULL CHECK (line_number >= 1),
    company_id  uuid          NOT NULL REFERENCES book (company_id),
    item_id     uuid          REFERENCES item (item_id),
    description text          NOT NULL,
    quantity    numeric(16,3) NOT NULL CHECK (quantity > 0),
    unit        text          NOT NULL DEFAULT '',
    unit_price  numeric(16,4) NOT NULL CHECK (unit_price >= 0),
    discount    numeric(16,2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    vat_rate    numeric(5,2)  NOT NULL CHECK (vat_rate >= 0 AND vat_rate < 100),
    net_amount  numeric(16,2) NOT NULL,
    PRIMARY KEY (document_id, line_number)
);

-- VAT per rate, computed once on the sum of the line nets at that rate.
CREATE TABLE document_vat (
    document_id    uuid          NOT NULL REFERENCES document (document_id) ON DELETE CASCADE,
    vat_rate       numeric(5,2)  NOT NULL,
    company_id     uuid          NOT NULL REFERENCES book (company_id),
    taxable_amount numeric(16,2) NOT NULL,
    vat_amount     numeric(16,2) NOT NULL,
    PRIMARY KEY (document_id, vat_rate)
);

CREATE TABLE payment (
    payment_id    uuid          PRIMARY KEY,
    company_id    uuid          NOT NULL REFERENCES book (company_id),
    direction     text          NOT NULL CHECK (direction IN ('received', 'paid')),
    payment_date  date          NOT NULL,
    method        text          NOT NULL
        CHECK (method IN ('transfer', 'card', 'cheque', 'cash', 'direct_debit', 'other')),
    amount        numeric(16,2) NOT NULL CHECK (amount > 0),
    currency_code text          NOT NULL DEFAULT 'EUR',
    reference     text          NOT NULL DEFAULT '',
    created_by    text          NOT NULL,
    created_at    timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX payment_listing ON payment (company_id, created_at DESC, payment_id DESC);

CREATE TABLE payment_allocation (
    payment_id  uuid          NOT NULL REFERENCES payment (payment_id),
    document_id uuid          NOT NULL REFERENCES document (document_id),
    company_id  uuid          NOT NULL REFERENCES book (company_id),
    amount      numeric(16,2) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (payment_id, document_id)
);
CREATE INDEX payment_allocation_by_document ON payment_allocation (document_id);

-- Who changed what, when, with the row before and after. Written by triggers, so no
-- change escapes it; append-only.
CREATE TABLE audit_event (
    audit_event_id bigserial   PRIMARY KEY,
    company_id     uuid        NOT NULL,
    subject_type   text        NOT NULL,
    subject_id     uuid        NOT NULL,
    action         text        NOT NULL,
    actor          text        NOT NULL,
    before         jsonb,
    after          jsonb,
    occurred_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_event_by_subject ON audit_event (company_id, subject_id, audit_event_id DESC);
CREATE INDEX audit_event_by_actor ON audit_event (company_id, actor, audit_event_id DESC);

-- Row-level security on every tenant table.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['book', 'numbering_series', 'party', 'item', 'document',
                             'document_line', 'document_vat', 'payment',
                             'payment_allocation', 'audit_event']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY company_isolation ON %I '
                       'USING (company_id = current_company()) '
                       'WITH CHECK (company_id = current_company())', t);
    END LOOP;
END $$;

-- The lock date: a document's document_date, a payment's payment_date.
-- Functions that read tables pin the search path they were created with, so a session
-- with another search path (an administrator's, a migration's) runs them unchanged.
CREATE FUNCTION is_locked(company uuid, day date) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT coalesce(day <= (SELECT lock_date FROM book WHERE company_id = company), false)
$$;

CREATE FUNCTION refuse_locked_period() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    old_day date;
    new_day date;
BEGIN
    -- Fields are read directly (not through to_jsonb): this runs on every write.
    IF TG_OP <> 'INSERT' THEN
        IF TG_TABLE_NAME = 'payment' THEN
            old_day := OLD.payment_date;
        ELSE
            old_day := OLD.document_date;
        END IF;
        IF is_locked(OLD.company_id, old_day) THEN
            RAISE EXCEPTION 'the period is locked: % dated % is on or before the lock date',
                TG_TABLE_NAME, old_day USING ERRCODE = 'CB001';
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF TG_TABLE_NAME = 'payment' THEN
            new_day := NEW.payment_date;
        ELSE
            new_day := NEW.document_date;
        END IF;
        IF (TG_OP = 'INSERT' OR new_day IS DISTINCT FROM old_day)
           AND is_locked(NEW.company_id, new_day) THEN
            RAISE EXCEPTION 'the period is locked: % dated % is on or before the lock date',
                TG_TABLE_NAME, new_day USING ERRCODE = 'CB001';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER document_lock_date BEFORE INSERT OR UPDATE OR DELETE ON document
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_period();
CREATE TRIGGER payment_lock_date BEFORE INSERT OR UPDATE OR DELETE ON payment
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_period();

-- Issued documents never change; a sent quote changes only its status (accepted,
-- refused).
CREATE FUNCTION refuse_frozen_document() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    status_only constant text[] := ARRAY['status', 'updated_by', 'updated_at'];
BEGIN
    IF OLD.status <> 'draft'
       AND OLD.document_type IN ('invoice', 'credit_note', 'purchase_invoice') THEN
        RAISE EXCEPTION '% % is issued and never changes', OLD.document_type,
            coalesce(OLD.number, OLD.document_id::text) USING ERRCODE = 'CB002';
    END IF;
    IF OLD.status <> 'draft' AND OLD.document_type = 'quote' THEN
        IF TG_OP = 'DELETE'
           OR to_jsonb(NEW) - status_only IS DISTINCT FROM to_jsonb(OLD) - status_only THEN
            RAISE EXCEPTION 'quote % is sent: only its status changes', OLD.number
                USING ERRCODE = 'CB002';
        END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER document_frozen BEFORE UPDATE OR DELETE ON document
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_document();

-- Lines and VAT amounts follow their document: they change only while it is a draft (or
-- in the transaction that creates it) and never in a locked period.
CREATE FUNCTION guard_document_part() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    parent document%ROWTYPE;
    created_here boolean;
BEGIN
    SELECT * INTO parent FROM document
     WHERE document_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.document_id ELSE NEW.document_id END;
    IF NOT FOUND THEN
        -- The document is being deleted (cascade): its own triggers decided.
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    SELECT d.xmin::text = (pg_current_xact_id()::xid)::text INTO created_here
      FROM document d WHERE d.document_id = parent.document_id;
    IF parent.status <> 'draft' AND NOT (TG_OP = 'INSERT' AND created_here) THEN
        RAISE EXCEPTION 'the lines of % % never change once it is past its draft',
            parent.document_type, coalesce(parent.number, parent.document_id::text)
            USING ERRCODE = 'CB002';
    END IF;
    IF is_locked(parent.company_id, parent.document_date) THEN
        RAISE EXCEPTION 'the period is locked: document dated % is on or before the lock date',
            parent.document_date USING ERRCODE = 'CB001';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER document_line_guard BEFORE INSERT OR UPDATE OR DELETE ON document_line
    FOR EACH ROW EXECUTE FUNCTION guard_document_part();
CREATE TRIGGER document_vat_guard BEFORE INSERT OR UPDATE OR DELETE ON document_vat
    FOR EACH ROW EXECUTE FUNCTION guard_document_part();

-- Append-only tables.
CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'CB002';
END $$;

CREATE TRIGGER payment_append_only BEFORE UPDATE OR DELETE ON payment
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER payment_allocation_append_only BEFORE UPDATE OR DELETE ON payment_allocation
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The audit trail. The service names the actor and the action in transaction settings
-- (`comptoir.actor`, `comptoir.action`); a change made without them is still recorded,
-- under the database role. TG_ARGV[0] names the row's identifier column.
CREATE FUNCTION record_audit_event() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    before_json jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    after_json jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    row_json jsonb := coalesce(after_json, before_json);
BEGIN
    INSERT INTO audit_event (company_id, subject_type, subject_id, action, actor, before, after)
    VALUES ((row_json ->> 'company_id')::uuid,
            TG_TABLE_NAME,
            (row_json ->> TG_ARGV[0])::uuid,
            coalesce(nullif(current_setting('comptoir.action', true), ''),
                     TG_TABLE_NAME || '.' || lower(TG_OP)),
            coalesce(nullif(current_setting('comptoir.actor', true), ''),
                     'database:' || session_user),
            before_json,
            after_json);
    RETURN NULL;
END $$;

CREATE TRIGGER party_audit AFTER INSERT OR UPDATE OR DELETE ON party
    FOR EACH ROW EXECUTE FUNCTION record_audit_event('party_id');
CREATE TRIGGER item_audit AFTER INSERT OR UPDATE OR DELETE ON item
    FOR EACH ROW EXECUTE FUNCTION record_audit_event('item_id');
CREATE TRIGGER document_audit AFTER INSERT OR UPDATE OR DELETE ON document
    FOR EACH ROW EXECUTE FUNCTION record_audit_event('document_id');
CREATE TRIGGER payment_audit AFTER INSERT ON payment
    FOR EACH ROW EXECUTE FUNCTION record_audit_event('payment_id');
CREATE TRIGGER book_audit AFTER UPDATE ON book
    FOR EACH ROW EXECUTE FUNCTION record_audit_event('company_id');
CREATE TRIGGER numbering_series_audit AFTER UPDATE ON numbering_series
    FOR EACH ROW
    WHEN (OLD.prefix IS DISTINCT FROM NEW.prefix OR OLD.include_year IS DISTINCT FROM NEW.include_year)
    EXECUTE FUNCTION record_audit_event('company_id');

-- What the service's login role may do: rows only, never the schema.
GRANT SELECT, INSERT, UPDATE ON book, numbering_series, party, item TO comptoir_billing;
GRANT SELECT, INSERT, UPDATE, DELETE ON document, document_line, document_vat TO comptoir_billing;
GRANT SELECT, INSERT ON payment, payment_allocation, audit_event TO comptoir_billing;
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox, inbox, idempotency_key TO comptoir_billing;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA billing TO comptoir_billing;

RESET ROLE;
