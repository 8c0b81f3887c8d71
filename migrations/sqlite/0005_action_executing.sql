-- A new action status, `executing`: the user confirmed the action and its tool is running
-- (it ends confirmed or failed).
-- SQLite cannot alter a CHECK, so the table is rebuilt: create the new one, copy the rows,
-- drop the old one, rename, and create its index again. The runner turns foreign keys off
-- around it (dropping the old table must not cascade) and checks them before committing.

CREATE TABLE agent_actions_new (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    conversation_id TEXT REFERENCES agent_conversations (id) ON DELETE CASCADE,
    message_id TEXT,
    agent_type TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    input TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'executing', 'confirmed', 'cancelled', 'expired', 'failed')),
    result TEXT,
    expires_at TEXT NOT NULL,
    resolved_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO agent_actions_new
       (id, user_id, conversation_id, message_id, agent_type, tool_name, input, summary,
        status, result, expires_at, resolved_at, created_at, updated_at)
SELECT id, user_id, conversation_id, message_id, agent_type, tool_name, input, summary,
       status, result, expires_at, resolved_at, created_at, updated_at
  FROM agent_actions;
DROP TABLE agent_actions;
ALTER TABLE agent_actions_new RENAME TO agent_actions;
CREATE INDEX agent_actions_user ON agent_actions (user_id, status);
