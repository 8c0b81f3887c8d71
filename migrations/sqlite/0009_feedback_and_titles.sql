-- The same change as migrations/0009_feedback_and_titles.sql: the feedback on an answer
-- ({"rating": "up"|"down", "comment", "updated_at"}, answers only) and where a
-- conversation's title came from ('auto' for every existing one).

ALTER TABLE agent_messages ADD COLUMN feedback TEXT
    CHECK (feedback IS NULL
           OR (role = 'assistant' AND json_extract(feedback, '$.rating') IN ('up', 'down')));
ALTER TABLE agent_conversations ADD COLUMN title_source TEXT NOT NULL DEFAULT 'auto'
    CHECK (title_source IN ('auto', 'model', 'user'));
