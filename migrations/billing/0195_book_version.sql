-- The version of the company's identity the book holds, as tenancy counts it (1 at
-- creation, one more at each change). Company events may arrive out of order or twice;
-- billing applies one only when it is not older than this, so the newest identity stays.
SET ROLE comptoir_billing_owner;

ALTER TABLE book ADD COLUMN identity_version bigint NOT NULL DEFAULT 0
    CHECK (identity_version >= 0);

RESET ROLE;
