-- Full-text search over message text and conversation titles (GET /api/search), as
-- migrations/0010_message_search.sql does for PostgreSQL. Two FTS5 external-content tables:
-- the text stays in agent_messages and agent_conversations; the index follows it through
-- triggers. A message is indexed once it is finished (its status is not 'streaming'): the
-- saves of a streaming answer's text, about one a second, touch no FTS table.
-- Words are Unicode letters and digits, matched case- and accent-insensitively, no stemming
-- (as PostgreSQL's 'simple' configuration, which does not fold accents).
--
-- The index refers to rows by rowid. A VACUUM may renumber the rowids of these tables (their
-- keys are text), so after one run the four statements at the end of this file again (not
-- FTS5's 'rebuild': it would index the streaming answers too).

CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(
    content, content = 'agent_messages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS message_search_insert AFTER INSERT ON agent_messages
WHEN NEW.status <> 'streaming'
BEGIN
    INSERT INTO message_search (rowid, content) VALUES (NEW.rowid, NEW.content);
END;
CREATE TRIGGER IF NOT EXISTS message_search_delete AFTER DELETE ON agent_messages
WHEN OLD.status <> 'streaming'
BEGIN
    INSERT INTO message_search (message_search, rowid, content)
    VALUES ('delete', OLD.rowid, OLD.content);
END;
-- One trigger for both halves, so the old entry always goes before the new one comes.
CREATE TRIGGER IF NOT EXISTS message_search_update AFTER UPDATE OF content, status
    ON agent_messages
WHEN OLD.status <> 'streaming' OR NEW.status <> 'streaming'
BEGIN
    INSERT INTO message_search (message_search, rowid, content)
    SELECT 'delete', OLD.rowid, OLD.content WHERE OLD.status <> 'streaming';
    INSERT INTO message_search (rowid, content)
    SELECT NEW.rowid, NEW.content WHERE NEW.status <> 'streaming';
END;

CREATE VIRTUAL TABLE IF NOT EXISTS conversation_search USING fts5(
    title, content = 'agent_conversations', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS conversation_search_insert AFTER INSERT ON agent_conversations
BEGIN
    INSERT INTO conversation_search (rowid, title) VALUES (NEW.rowid, NEW.title);
END;
CREATE TRIGGER IF NOT EXISTS conversation_search_delete AFTER DELETE ON agent_conversations
BEGIN
    INSERT INTO conversation_search (conversation_search, rowid, title)
    VALUES ('delete', OLD.rowid, OLD.title);
END;
CREATE TRIGGER IF NOT EXISTS conversation_search_update AFTER UPDATE OF title
    ON agent_conversations
BEGIN
    INSERT INTO conversation_search (conversation_search, rowid, title)
    VALUES ('delete', OLD.rowid, OLD.title);
    INSERT INTO conversation_search (rowid, title) VALUES (NEW.rowid, NEW.title);
END;

-- The rows written before this migration (a streaming answer is indexed when it ends),
-- into empty indexes: run again, this gives the same indexes.
INSERT INTO message_search (message_search) VALUES ('delete-all');
INSERT INTO conversation_search (conversation_search) VALUES ('delete-all');
INSERT INTO message_search (rowid, content)
    SELECT rowid, content FROM agent_messages WHERE status <> 'streaming';
INSERT INTO conversation_search (rowid, title) SELECT rowid, title FROM agent_conversations;
