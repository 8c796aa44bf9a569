-- The version of a company: 1 when registered, one more at each change of its identity,
-- carried by company.created and company.updated so consumers apply them in order, and
-- whatever the order they arrive in.
ALTER TABLE company ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
