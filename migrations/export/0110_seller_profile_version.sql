-- The version of the company's identity a seller profile holds, as tenancy counts it (1
-- at creation, one more at each change). Company events may arrive out of order or
-- twice; export applies one only when it is not older than this, so the newest stays.
ALTER TABLE seller_profile ADD COLUMN version bigint NOT NULL DEFAULT 0 CHECK (version >= 0);
