-- The company's time zone, in which issuing reads "today": an invoice is dated the day
-- it is issued where the company is, not in UTC (an invoice issued in Paris at 00:30 is
-- dated that day, not the day before). Tenancy has no time-zone setting yet, so every
-- company is in Europe/Paris until its events carry one.
SET ROLE comptoir_billing_owner;

ALTER TABLE book ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Paris'
    CHECK (time_zone <> '');

RESET ROLE;
