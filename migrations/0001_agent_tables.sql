-- Chat storage: conversations, their messages and the destructive actions waiting for the
-- user's confirmation. Same tables and columns as migrations/sqlite/ (SQLite).
--
-- Runs on a Supabase project (which provides the roles anon, authenticated, service_role and
-- auth.uid()) and on the local test stack (scripts/pgstack.py creates the same). Idempotent:
-- every statement may run again. Row-level security is in 0003.

create schema if not exists api;
grant usage on schema api to anon, authenticated, service_role;

-- Trigger functions live outside the exposed schema so PostgREST never offers them as RPC.
create schema if not exists canvalo_private;

create or replace function canvalo_private.set_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create table if not exists api.agent_conversations (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    title text not null default 'New conversation',
    metadata jsonb not null default '{}'::jsonb,
    message_count integer not null default 0,
    last_message_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
-- The conversation list: one user's rows, newest activity first.
create index if not exists agent_conversations_user_activity
    on api.agent_conversations (user_id, last_message_at desc nulls last, updated_at desc);

create table if not exists api.agent_messages (
    id uuid primary key default gen_random_uuid(),
    conversation_id uuid not null references api.agent_conversations (id) on delete cascade,
    user_id uuid not null default auth.uid(),
    role text not null check (role in ('user', 'assistant')),
    content text not null default '',
    agent_type text,
    status text not null default 'complete'
        check (status in ('complete', 'streaming', 'interrupted', 'error')),
    metadata jsonb not null default '{}'::jsonb,
    client_message_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index if not exists agent_messages_history
    on api.agent_messages (conversation_id, created_at);
-- The sweep looks for rows a killed worker left streaming; there are few, so keep them apart.
create index if not exists agent_messages_streaming
    on api.agent_messages (updated_at) where status = 'streaming';
create index if not exists agent_messages_client_message
    on api.agent_messages (conversation_id, client_message_id)
    where client_message_id is not null;

create table if not exists api.agent_actions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    conversation_id uuid references api.agent_conversations (id) on delete cascade,
    message_id uuid,
    agent_type text not null,
    tool_name text not null,
    input jsonb not null default '{}'::jsonb,
    summary text not null,
    status text not null default 'pending'
        check (status in ('pending', 'confirmed', 'cancelled', 'expired', 'failed')),
    result jsonb,
    expires_at timestamptz not null,
    resolved_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index if not exists agent_actions_user on api.agent_actions (user_id, status);

-- Keep the conversation's activity counters current on every new message. It runs with the
-- caller's rights: under row-level security the owner may update their own conversation, and
-- a message can only be inserted into the caller's own conversation (see 0003).
create or replace function canvalo_private.bump_conversation_activity() returns trigger
language plpgsql set search_path = '' as $$
begin
    update api.agent_conversations
       set message_count = message_count + 1,
           last_message_at = new.created_at
     where id = new.conversation_id;
    return null;
end;
$$;

create or replace trigger agent_messages_after_insert
    after insert on api.agent_messages
    for each row execute function canvalo_private.bump_conversation_activity();

create or replace trigger agent_conversations_set_updated_at
    before update on api.agent_conversations
    for each row execute function canvalo_private.set_updated_at();
create or replace trigger agent_messages_set_updated_at
    before update on api.agent_messages
    for each row execute function canvalo_private.set_updated_at();
create or replace trigger agent_actions_set_updated_at
    before update on api.agent_actions
    for each row execute function canvalo_private.set_updated_at();
