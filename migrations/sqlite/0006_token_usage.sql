-- The same change as migrations/0006_token_usage.sql: model tokens per answer, kept apart
-- from the messages so that deleting a conversation does not give them back to the quota.

CREATE TABLE IF NOT EXISTS token_usage (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS token_usage_user ON token_usage (user_id, created_at);

INSERT OR IGNORE INTO token_usage (id, user_id, input_tokens, output_tokens, created_at, updated_at)
SELECT id, user_id,
       COALESCE(json_extract(metadata, '$.usage.input_tokens'), 0),
       COALESCE(json_extract(metadata, '$.usage.output_tokens'), 0),
       created_at, created_at
  FROM agent_messages
 WHERE role = 'assistant' AND json_extract(metadata, '$.usage') IS NOT NULL;
