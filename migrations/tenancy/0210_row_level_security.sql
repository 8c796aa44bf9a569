-- Row-level security on tenancy's tenant tables (membership, custom_role, invitation,
-- firm_grant, portfolio_manager, audit_event), enabled and forced as in billing: the
-- owner is bound too, so the company_access view (which runs with its owner's rights)
-- answers exactly what the runtime role may see.
--
-- Tenancy reads across companies by design (a user's list of companies, a firm's grants,
-- the access check identity asks for a user and a company), so a row is not visible only
-- to "the company": every transaction declares who acts, and a row is visible when
--   * its company is the acting company (`comptoir.company_id`), or
--   * it is the acting user's own (`comptoir.user_id`): their memberships and portfolio
--     assignments, and the grants of a firm that reach them (as a firm Administrator or
--     the client's portfolio manager), which is what company_access follows, or
--   * (invitation) its token hash is the one the transaction names
--     (`comptoir.invitation_token`, hex): the acceptor is no member yet, so acceptance
--     reads that one invitation, then acts as its company.
-- Writes are narrower: a row is written only for the acting company (a grant is the
-- client's row: created by the client, removed by either end; a portfolio assignment is
-- the firm's). An unset or empty setting matches nothing, so a transaction that declares
-- nothing sees nothing.
--
-- Not covered: `company`, the aggregate itself, whose SIRET is unique platform-wide and
-- which firms and acceptors look up by id before acting on it (it holds a legal identity,
-- published in company events, not tenant data); and `account`, one e-mail per user fed
-- by identity's user.registered, which belongs to no company.
--
-- The invitation lookup is a setting rather than a SECURITY DEFINER function: FORCE binds
-- the owner to the same policies, and a policy exempting the owner would undo FORCE.

-- The acting company; NULL (so no row matches) when unset or empty.
CREATE FUNCTION current_company() RETURNS uuid
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT nullif(current_setting('comptoir.company_id', true), '')::uuid
$$;

-- The acting user; NULL when unset or empty.
CREATE FUNCTION acting_user() RETURNS uuid
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT nullif(current_setting('comptoir.user_id', true), '')::uuid
$$;

-- The SHA-256 of the invitation token being accepted; NULL when unset or empty.
CREATE FUNCTION invitation_token() RETURNS bytea
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT decode(nullif(current_setting('comptoir.invitation_token', true), ''), 'hex')
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['membership', 'custom_role', 'invitation', 'firm_grant',
                             'portfolio_manager', 'audit_event']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;

-- Permissive policies add up per command: FOR ALL gives reads and writes of the acting
-- company's rows; the FOR SELECT ones only widen what is read.
CREATE POLICY tenant_rows ON membership
    USING (company_id = current_company()) WITH CHECK (company_id = current_company());
CREATE POLICY own_rows ON membership FOR SELECT
    USING (user_id = acting_user());

CREATE POLICY tenant_rows ON custom_role
    USING (company_id = current_company()) WITH CHECK (company_id = current_company());

CREATE POLICY tenant_rows ON invitation
    USING (company_id = current_company()) WITH CHECK (company_id = current_company());
CREATE POLICY opened_by_token ON invitation FOR SELECT
    USING (token_hash = invitation_token());

CREATE POLICY tenant_rows ON firm_grant
    USING (company_id = current_company() OR firm_id = current_company())
    WITH CHECK (company_id = current_company());
-- The grants through which the acting user reaches a client, as company_access follows
-- them (membership and portfolio_manager are read under their own policies: the acting
-- user's rows).
CREATE POLICY reaching_rows ON firm_grant FOR SELECT
    USING (EXISTS (SELECT 1 FROM membership m
                    WHERE m.company_id = firm_grant.firm_id AND m.user_id = acting_user()
                      AND (m.role = 'administrator'
                           OR EXISTS (SELECT 1 FROM portfolio_manager p
                                       WHERE p.firm_id = firm_grant.firm_id
                                         AND p.company_id = firm_grant.company_id
                                         AND p.user_id = m.user_id))));

CREATE POLICY tenant_rows ON portfolio_manager
    USING (firm_id = current_company()) WITH CHECK (firm_id = current_company());
CREATE POLICY client_or_own_rows ON portfolio_manager FOR SELECT
    USING (company_id = current_company() OR user_id = acting_user());

-- The audit trail is read and appended to for the acting company only (the grants and
-- the trigger of 0200 keep it append-only).
CREATE POLICY tenant_reads ON audit_event FOR SELECT
    USING (company_id = current_company());
CREATE POLICY tenant_appends ON audit_event FOR INSERT
    WITH CHECK (company_id = current_company());

-- The view answers with the caller's rights and policies, as a plain query would.
ALTER VIEW company_access SET (security_invoker = true);
