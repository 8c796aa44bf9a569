-- Signing keys at rest: the private key is kept sealed with the key-encryption key from
-- COMPTOIR_KEY_ENCRYPTION_KEY (XChaCha20-Poly1305: a 24-byte nonce, then the ciphertext
-- and its tag; the kid is the associated data, so a sealed key cannot be moved to another
-- row). `private_der` holds a key in clear only in a development deployment without a
-- key-encryption key; identity seals such keys when it starts with one. Each row has
-- exactly one of the two.

ALTER TABLE signing_key
    ALTER COLUMN private_der DROP NOT NULL,
    ADD COLUMN sealed_private bytea,
    ADD CONSTRAINT signing_key_private_once
        CHECK ((private_der IS NULL) <> (sealed_private IS NULL));
