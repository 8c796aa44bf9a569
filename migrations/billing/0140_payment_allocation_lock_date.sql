-- An allocation changes the balance of the document it settles as of its payment's date,
-- so it obeys the lock date like documents and payments: no allocation of a payment
-- dated on or before the lock date is inserted (SQLSTATE CB001), whatever document it
-- settles. Allocations are append-only already (no update, no delete). A payment dated
-- after the lock date may still settle an invoice of a locked period: that is paying an
-- old invoice, which the open period records.
--
-- Credit notes, the other thing that changes an invoice's balance, are documents dated
-- by their own issue date: the document trigger already guards them.
SET ROLE comptoir_billing_owner;

CREATE FUNCTION refuse_locked_allocation() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    paid_on date;
BEGIN
    SELECT payment_date INTO paid_on FROM payment WHERE payment_id = NEW.payment_id;
    IF is_locked(NEW.company_id, paid_on) THEN
        RAISE EXCEPTION 'the period is locked: payment_allocation of a payment dated % is on or before the lock date',
            paid_on USING ERRCODE = 'CB001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER payment_allocation_lock_date BEFORE INSERT ON payment_allocation
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_allocation();

RESET ROLE;
