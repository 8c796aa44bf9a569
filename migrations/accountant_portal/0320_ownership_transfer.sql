-- A company's owner may change after its creation: tenancy's `ownership.transferred`
-- (a firm that owned its client hands it to one of the client's Administrators as it
-- disconnects, or an owner hands the company to another account). The new owner is
-- always an account, so once a company has been transferred no firm owns it any more:
-- the transfer clears `owner_firm_id`, and `ownership_event_id` keeps the id of the
-- latest transfer applied (a UUIDv7: a later event sorts after). `company.created`, which
-- names the creating firm as owner, sets `owner_firm_id` only while no transfer is
-- recorded, so a late creation cannot bring the firm's ownership back. The same event
-- clears `firm_client.owned_by_firm` of the firm that handed the company over.
--
-- A transfer may come before the company's first announcement: it then adds the
-- company's row at version 0 with an empty name, which the announcement (version 1 and
-- up) fills in.

ALTER TABLE directory_company ADD COLUMN ownership_event_id uuid;

-- The consumer that follows transfers (`ownership`) writes company rows as the other
-- projectors of migration 0300 do; the firm rows it clears are the handing firm's,
-- which it acts for (`firm_rows`). Row-level security stays forced on both tables.
CREATE POLICY projected_by_ownership ON directory_company
    USING (acting_consumer() = 'ownership') WITH CHECK (acting_consumer() = 'ownership');

-- The runtime role: the rows are inserted and updated, never deleted (unchanged).
GRANT SELECT, INSERT, UPDATE ON directory_company, firm_client TO comptoir_accountant_portal;
