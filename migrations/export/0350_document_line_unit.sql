-- The unit of a printed line, as billing's user entered it (free text: "h", "jour",
-- "kg"): the e-invoice maps it to a UN/ECE Recommendation 20 code. Lines held before
-- keep an empty unit (printed and coded as "one", C62).

ALTER TABLE document_line ADD COLUMN unit text NOT NULL DEFAULT '';
