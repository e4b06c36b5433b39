-- People who sign in. E-mail addresses are unique whatever their case; the hash says how it was
-- made (scrypt$N$r$p$salt$hash), so its cost can be raised later without a migration.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  roles         text[] NOT NULL CHECK (roles <@ ARRAY['customer', 'admin']::text[] AND cardinality(roles) > 0),
  created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Failed sign-ins by e-mail (lower-cased, whether or not an account has it), and the e-mails
-- refused for a while after too many of them.
CREATE TABLE login_failures (
  email_key text NOT NULL,
  failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email_key, failed_at);

CREATE TABLE login_locks (
  email_key    text PRIMARY KEY,
  locked_until timestamptz NOT NULL
);

-- oidc-provider's state (sessions, interactions, grants, codes, refresh tokens): one row per model
-- and id, with the columns its adapter looks rows up by. A row without expiry never expires.
CREATE TABLE oidc_models (
  model       text NOT NULL,
  id          text NOT NULL,
  payload     jsonb NOT NULL,
  grant_id    text,
  user_code   text,
  uid         text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_by_grant ON oidc_models (model, grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_by_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_by_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_by_expiry ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

-- The keys tokens are signed with: the newest signs, older ones stay published in the JWKS until
-- every token they signed has expired.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  alg         text NOT NULL,
  private_jwk jsonb NOT NULL,
  created_at  timestamptz NOT NULL
);
