-- A company an accounting firm creates for its client (FirmService.CreateClientCompany) is
-- owned by the firm, not by an account: nobody is a member of it until its director
-- accepts their invitation, and the firm's people reach it through the firm's
-- "administrator" grant, created in the same transaction.
--
-- Exactly one owner: an account (`owner_id`, who is also a member and Administrator) or a
-- firm (`owner_firm_id`). Ownership is not access: company_access and the row-level
-- security of 0210 do not read either column, so a firm that disconnects its client
-- (DisconnectClient ending the grant) stays its owner and its people lose access all the
-- same. Ownership moves from the firm to one of the client's Administrators only when the
-- firm disconnects naming them.
--
-- The runtime role's grants of 0200 are table-wide (SELECT, INSERT, UPDATE on company),
-- so the new column needs none of its own.

ALTER TABLE company ALTER COLUMN owner_id DROP NOT NULL;

ALTER TABLE company ADD COLUMN owner_firm_id uuid REFERENCES company (company_id);

ALTER TABLE company ADD CONSTRAINT company_one_owner
    CHECK ((owner_id IS NULL) <> (owner_firm_id IS NULL));

ALTER TABLE company ADD CONSTRAINT company_not_its_own_owner
    CHECK (owner_firm_id <> company_id);

-- The clients a firm owns.
CREATE INDEX company_owner_firm ON company (owner_firm_id) WHERE owner_firm_id IS NOT NULL;
