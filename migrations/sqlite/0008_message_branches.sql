-- The same change as migrations/0008_message_branches.sql: a parent per message (every
-- version of a message is kept) and each conversation's active leaf (the last message of
-- the branch the user sees). Existing conversations are one branch: each message follows the
-- one written before it, and the newest message is the leaf. SQLite cannot add a foreign key
-- on two columns to a table, so a trigger keeps a parent in its message's conversation.
-- The parent's key has no cascade: SQLite would follow it as nested triggers, one level per
-- message of the chain, and fail past 1,000 ("too many levels of trigger recursion"). The
-- conversation's own cascade deletes all its messages in one statement, and the key is
-- checked when that statement ends, so deleting a conversation always succeeds; no single
-- message is ever deleted on its own.

ALTER TABLE agent_messages ADD COLUMN parent_id TEXT REFERENCES agent_messages (id);
ALTER TABLE agent_conversations ADD COLUMN active_leaf_id TEXT;
CREATE INDEX IF NOT EXISTS agent_messages_children ON agent_messages (conversation_id, parent_id);

UPDATE agent_messages
   SET parent_id = (SELECT earlier.id FROM agent_messages AS earlier
                     WHERE earlier.conversation_id = agent_messages.conversation_id
                       AND (earlier.created_at, earlier.rowid)
                           < (agent_messages.created_at, agent_messages.rowid)
                     ORDER BY earlier.created_at DESC, earlier.rowid DESC
                     LIMIT 1)
 WHERE parent_id IS NULL;
UPDATE agent_conversations
   SET active_leaf_id = (SELECT m.id FROM agent_messages AS m
                          WHERE m.conversation_id = agent_conversations.id
                          ORDER BY m.created_at DESC, m.rowid DESC
                          LIMIT 1)
 WHERE active_leaf_id IS NULL;

-- A new message is the conversation's leaf, in the same transaction as the message.
DROP TRIGGER IF EXISTS agent_messages_after_insert;
CREATE TRIGGER agent_messages_after_insert AFTER INSERT ON agent_messages
BEGIN
    UPDATE agent_conversations
       SET message_count = message_count + 1,
           last_message_at = NEW.created_at,
           updated_at = NEW.created_at,
           active_leaf_id = NEW.id
     WHERE id = NEW.conversation_id;
END;

-- A parent is a message of the same conversation (so also the same user's).
CREATE TRIGGER IF NOT EXISTS agent_messages_parent_in_conversation
BEFORE INSERT ON agent_messages
WHEN NEW.parent_id IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM agent_messages AS parent
                  WHERE parent.id = NEW.parent_id
                    AND parent.conversation_id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'parent_id is not a message of this conversation');
END;
CREATE TRIGGER IF NOT EXISTS agent_messages_parent_stays_in_conversation
BEFORE UPDATE OF parent_id, conversation_id ON agent_messages
WHEN NEW.parent_id IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM agent_messages AS parent
                  WHERE parent.id = NEW.parent_id
                    AND parent.conversation_id = NEW.conversation_id)
BEGIN
    SELECT RAISE(ABORT, 'parent_id is not a message of this conversation');
END;
