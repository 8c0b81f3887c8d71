-- Full-text search over message text and conversation titles (GET /api/search), as
-- migrations/0010_message_search.sql does for PostgreSQL. Two FTS5 external-content tables:
-- the text stays in agent_messages and agent_conversations; the index follows it through
-- triggers, so an answer's text is searchable while it streams (each save updates it).
-- Words are Unicode letters and digits, matched case- and accent-insensitively, no stemming
-- (as PostgreSQL's 'simple' configuration).
--
-- The index refers to rows by rowid. A VACUUM may renumber the rowids of these tables (their
-- keys are text), so after one run: INSERT INTO message_search(message_search) VALUES ('rebuild');
-- and the same for conversation_search.

CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(
    content, content = 'agent_messages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS message_search_insert AFTER INSERT ON agent_messages
BEGIN
    INSERT INTO message_search (rowid, content) VALUES (NEW.rowid, NEW.content);
END;
CREATE TRIGGER IF NOT EXISTS message_search_delete AFTER DELETE ON agent_messages
BEGIN
    INSERT INTO message_search (message_search, rowid, content)
    VALUES ('delete', OLD.rowid, OLD.content);
END;
CREATE TRIGGER IF NOT EXISTS message_search_update AFTER UPDATE OF content ON agent_messages
BEGIN
    INSERT INTO message_search (message_search, rowid, content)
    VALUES ('delete', OLD.rowid, OLD.content);
    INSERT INTO message_search (rowid, content) VALUES (NEW.rowid, NEW.content);
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

-- The rows written before this migration.
INSERT INTO message_search (message_search) VALUES ('rebuild');
INSERT INTO conversation_search (conversation_search) VALUES ('rebuild');
