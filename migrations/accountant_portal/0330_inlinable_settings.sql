-- The acting firm and the acting consumer are read by the row-level security policies of
-- every portal table, once per row a statement looks at. Declared with a pinned
-- search_path (a SET clause), PostgreSQL cannot inline them, so each row paid a function
-- call with a settings save and restore: listing a manager's 2,500 clients spent about
-- half its time there. They only read a setting through pg_catalog's current_setting and
-- nullif (always searched first), and the runtime role can create nothing anywhere, so
-- the clause protected nothing: without it they inline into the policies.

ALTER FUNCTION acting_firm() RESET ALL;
ALTER FUNCTION acting_consumer() RESET ALL;
