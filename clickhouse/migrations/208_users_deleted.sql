-- Deleting a user (auth/users.ts deleteUser) appends a version with deleted = 1 (and disabled = 1,
-- which ends sessions and sign-in); the row's history stays, its tokens stop working, and the email
-- can be given to a new user. (An auth table in the 200 range: it came with the governance and
-- identity work of issue 14, which was given migrations 206–209.)
ALTER TABLE users {{on_cluster}} ADD COLUMN IF NOT EXISTS deleted UInt8 DEFAULT 0;
