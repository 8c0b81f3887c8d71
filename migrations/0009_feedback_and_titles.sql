-- Feedback on answers, and where a conversation's title came from.
--
-- agent_messages.feedback: the user's thumbs up or down on an answer, with an optional
-- comment, as {"rating": "up"|"down", "comment": text|null, "updated_at": iso}; NULL when
-- none was given. Only an answer (role 'assistant') takes one.
-- agent_conversations.title_source: 'auto' (cut from the first message, as every existing
-- conversation's is), 'model' (written by the model after the first message) or 'user' (a
-- rename, which no model title replaces).
-- Row-level security is untouched: the owner's update policy (0003) covers both columns.
-- Idempotent.

alter table api.agent_messages add column if not exists feedback jsonb;
alter table api.agent_messages drop constraint if exists agent_messages_feedback_check;
alter table api.agent_messages add constraint agent_messages_feedback_check check (
    feedback is null
    or (role = 'assistant' and jsonb_typeof(feedback) = 'object'
        and feedback ->> 'rating' in ('up', 'down')));

alter table api.agent_conversations
    add column if not exists title_source text not null default 'auto'
    check (title_source in ('auto', 'model', 'user'));

notify pgrst, 'reload schema';
