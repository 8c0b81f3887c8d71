-- Branches: regenerating an answer or editing a user message keeps every version.
--
-- agent_messages.parent_id: the message this one follows (NULL for the first message of a
-- conversation, and for an edited first message). A regenerated answer follows the same user
-- message as the answer it replaces; an edited user message follows the same message as the
-- one it replaces: such messages are siblings, the versions of one message. A parent is a
-- message of the same conversation (a foreign key on both columns), so it is also the same
-- user's. As in SQLite's 0008, the key has no cascade: a conversation's delete removes all
-- its messages in one statement (checked when it ends), and no message is deleted alone.
-- agent_conversations.active_leaf_id: the last message of the branch the user sees and the
-- model is given. Every new message becomes the leaf in its own insert (the trigger below);
-- switching branch moves it (the owner's update policy of 0003 covers it).
-- Existing conversations are one branch: each message follows the one written before it,
-- and the newest message is the leaf. Idempotent.

alter table api.agent_messages add column if not exists parent_id uuid;
alter table api.agent_conversations add column if not exists active_leaf_id uuid;

-- The backfill changes no conversation's place in the list: updated_at stays as it was.
alter table api.agent_messages disable trigger agent_messages_set_updated_at;
alter table api.agent_conversations disable trigger agent_conversations_set_updated_at;
-- Only conversations without a leaf yet: a second run leaves later branches alone.
update api.agent_messages m
   set parent_id = earlier.previous_id
  from (select id, lag(id) over (partition by conversation_id order by created_at, id)
                   as previous_id
          from api.agent_messages) earlier
 where m.id = earlier.id
   and earlier.previous_id is not null
   and m.parent_id is null
   and m.conversation_id in (select id from api.agent_conversations
                              where active_leaf_id is null);
update api.agent_conversations c
   set active_leaf_id = (select m.id from api.agent_messages m
                          where m.conversation_id = c.id
                          order by m.created_at desc, m.id desc
                          limit 1)
 where c.active_leaf_id is null
   and exists (select 1 from api.agent_messages m where m.conversation_id = c.id);
alter table api.agent_messages enable trigger agent_messages_set_updated_at;
alter table api.agent_conversations enable trigger agent_conversations_set_updated_at;

alter table api.agent_messages drop constraint if exists agent_messages_parent_in_conversation;
alter table api.agent_messages drop constraint if exists agent_messages_conversation_message;
alter table api.agent_messages
    add constraint agent_messages_conversation_message unique (conversation_id, id);
alter table api.agent_messages
    add constraint agent_messages_parent_in_conversation
    foreign key (conversation_id, parent_id)
    references api.agent_messages (conversation_id, id);
-- The children of a message (its versions, and what follows it).
create index if not exists agent_messages_children
    on api.agent_messages (conversation_id, parent_id);

-- A new message is the conversation's leaf, in the same transaction as the message.
create or replace function canvalo_private.bump_conversation_activity() returns trigger
language plpgsql set search_path = '' as $$
begin
    update api.agent_conversations
       set message_count = message_count + 1,
           last_message_at = new.created_at,
           active_leaf_id = new.id
     where id = new.conversation_id;
    return null;
end;
$$;

notify pgrst, 'reload schema';
