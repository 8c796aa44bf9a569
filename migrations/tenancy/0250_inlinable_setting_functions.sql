-- The acting company, the acting user and the invitation being accepted are read by the
-- row-level security policies of every tenant table, once per row a statement looks at.
-- Declared with a pinned search_path (a SET clause), PostgreSQL cannot inline them, so
-- each row paid a function call with a settings save and restore. They only read a
-- setting through pg_catalog's current_setting, nullif and decode (always searched
-- first), and the runtime role can create nothing anywhere, so the clause protected
-- nothing: without it they inline into the policies, as the portal's did in its 0330.

ALTER FUNCTION current_company() RESET ALL;
ALTER FUNCTION acting_user() RESET ALL;
ALTER FUNCTION invitation_token() RESET ALL;
