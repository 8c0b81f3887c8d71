-- One message per send: a user's client_message_id names at most one message, so a copy of a
-- send that reaches the database second (from another worker or instance) is refused with a
-- unique violation instead of storing the question twice. Idempotent.

-- Sends that raced before this index existed may have stored one client_message_id twice:
-- the earliest message keeps it, the later copies stay in their conversations without it.
update api.agent_messages later
   set client_message_id = null
 where later.client_message_id is not null
   and exists (select 1 from api.agent_messages earlier
                where earlier.user_id = later.user_id
                  and earlier.client_message_id = later.client_message_id
                  and (earlier.created_at, earlier.id) < (later.created_at, later.id));

create unique index if not exists agent_messages_user_client_message
    on api.agent_messages (user_id, client_message_id)
    where client_message_id is not null;

-- The index of 0001 served lookups by conversation; every lookup is by user, as above.
drop index if exists api.agent_messages_client_message;
