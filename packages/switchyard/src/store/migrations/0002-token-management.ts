import type { Migration } from './types.js';

export const tokenManagement: Migration = {
  version: 2,
  name: 'API tokens: description, creator, expiry, last use, who revoked; one active token per name',
  statements: [
    `ALTER TABLE api_tokens ADD COLUMN description text`,
    // Tokens from before this migration were made by the server itself on its first start.
    `ALTER TABLE api_tokens ADD COLUMN created_by text NOT NULL DEFAULT 'system'`,
    `ALTER TABLE api_tokens ALTER COLUMN created_by DROP DEFAULT`,
    `ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz`,
    // Written at most once a minute per token (see findTokenBySecret), not once per request.
    `ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz`,
    `ALTER TABLE api_tokens ADD COLUMN revoked_by text`,
    // A name says who acted in the audit log, so two usable tokens never share one.
    `CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL`,
  ],
};
