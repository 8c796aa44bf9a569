-- Wakes the outbox relays of the schema's service as soon as events commit, instead of
-- their polling the table: a NOTIFY is delivered at commit (never for a rolled-back
-- insert) and only to sessions listening on the channel, one per schema
-- (`comptoir_outbox_<schema>`), so the replicas of one service wake each other while
-- other services' relays sleep on. Several notifications of one transaction with the same
-- payload are delivered once. The function runs as the inserting role, which needs no
-- grant to notify.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('comptoir_outbox_' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
