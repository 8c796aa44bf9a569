-- Plumbing every service schema carries (events and idempotency keys), applied before
-- the service's own migrations, which are numbered from 0100. Only the runtime crate's
-- outbox relay, consumers and idempotency helper touch these tables.

-- Events written in the same transaction as the change they describe; the relay
-- publishes them in outbox_id order and marks them sent once JetStream has acked.
CREATE TABLE outbox (
    outbox_id     bigserial   PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    -- Subject without the deployment's prefix, e.g. comptoir.tenancy.company.created.
    subject       text        NOT NULL,
    payload       bytea       NOT NULL,
    company_id    uuid,
    -- W3C trace context of the change, so the publish joins the caller's trace.
    trace_context jsonb       NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);

CREATE INDEX outbox_unsent ON outbox (outbox_id) WHERE sent_at IS NULL;

-- Events a consumer has applied, recorded in the same transaction as their effect, so
-- a redelivered event is recognised and skipped.
CREATE TABLE inbox (
    consumer   text        NOT NULL,
    event_id   uuid        NOT NULL,
    subject    text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Answers to mutations that carried an idempotency key, so a retry gets the first
-- answer. `scope` is the caller and method; `request_hash` tells a retry from a
-- different request reusing the key. Rows older than the retention are purged.
CREATE TABLE idempotency_key (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
