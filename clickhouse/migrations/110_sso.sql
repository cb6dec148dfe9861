-- Single sign-on (OpenID Connect, auth/oidc/): a user created on first sign-in through a provider
-- carries that provider's id and the subject (`sub`) it knows them by; that pair, never the email,
-- is who they are. Such users have no password (password_hash ''). Local users keep both empty.
ALTER TABLE users {{on_cluster}} ADD COLUMN IF NOT EXISTS sso_provider String DEFAULT '';
ALTER TABLE users {{on_cluster}} ADD COLUMN IF NOT EXISTS sso_subject String DEFAULT '';

-- Sign-in settings an admin changes in the console (auth/oidc/settings.ts), e.g. whether local
-- passwords work for everyone or only for break-glass admins. Each change is a new row; the
-- latest version of a key wins.
CREATE TABLE IF NOT EXISTS auth_settings {{on_cluster}} (
    key String,
    value String,
    updated_by String,
    updated_at DateTime64(3),
    version UInt64
) ENGINE = {{engine:auth_settings}}
ORDER BY key;
