-- Why the lock date last moved, as SetLockDate was told: required when it moves
-- backwards (or is cleared). Kept on the book, so the audit trail's row for the change
-- (written by book_audit) carries it beside the dates before and after. The database
-- refuses a move back (SQLSTATE CB003) without a reason, or outside a transaction that
-- names the action SetLockDate names (`lock_date.changed`) and an actor, so a careless
-- UPDATE fails and every move back is in the audit trail with both dates, the reason and
-- who asked: no code path can reopen a period silently. The runtime role can set those
-- settings itself: what the database guarantees is the record, not who was allowed to
-- ask (the service checks that).
SET ROLE comptoir_billing_owner;

ALTER TABLE book ADD COLUMN lock_date_reason text NOT NULL DEFAULT ''
    CHECK (char_length(lock_date_reason) <= 500);

CREATE FUNCTION refuse_lock_date_backwards_without_reason() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.lock_date IS NOT NULL
       AND (NEW.lock_date IS NULL OR NEW.lock_date < OLD.lock_date)
       AND (btrim(NEW.lock_date_reason) = ''
            OR coalesce(current_setting('comptoir.action', true), '') <> 'lock_date.changed'
            OR coalesce(current_setting('comptoir.actor', true), '') = '') THEN
        RAISE EXCEPTION 'the lock date of company % moves back from % to % only through SetLockDate, with a reason',
            OLD.company_id, OLD.lock_date, coalesce(NEW.lock_date::text, 'none')
            USING ERRCODE = 'CB003';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER book_lock_date_reason BEFORE UPDATE OF lock_date ON book
    FOR EACH ROW EXECUTE FUNCTION refuse_lock_date_backwards_without_reason();

RESET ROLE;
