-- A token an administrator made for another user's account: who made it. Whatever is done
-- with such a token is traced as the issuer's act. Empty for a user's own token and for
-- tokens made at the command line.
-- The PostgreSQL file of the same number must stay alike (types differ only).

ALTER TABLE api_tokens ADD COLUMN issued_by INTEGER REFERENCES users(id);
