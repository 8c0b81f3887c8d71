-- Model tokens per answer, kept apart from the messages: deleting a conversation does not
-- give its tokens back to the monthly quota (USER_MONTHLY_TOKEN_QUOTA), and GET /api/usage
-- still counts them. One row per answer, its id the answer's message id. Idempotent.

create table if not exists api.token_usage (
    id uuid primary key,
    user_id uuid not null default auth.uid(),
    input_tokens integer not null default 0 check (input_tokens >= 0),
    output_tokens integer not null default 0 check (output_tokens >= 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index if not exists token_usage_user on api.token_usage (user_id, created_at);

-- The answers written before this table: their counts are in their metadata.
insert into api.token_usage (id, user_id, input_tokens, output_tokens, created_at, updated_at)
select m.id, m.user_id,
       coalesce((m.metadata -> 'usage' ->> 'input_tokens')::integer, 0),
       coalesce((m.metadata -> 'usage' ->> 'output_tokens')::integer, 0),
       m.created_at, m.created_at
  from api.agent_messages m
 where m.role = 'assistant' and m.metadata ? 'usage'
on conflict (id) do nothing;

-- The owner reads, adds and (deleting all their data) removes their rows; nobody changes one.
alter table api.token_usage enable row level security;
drop policy if exists token_usage_select_own on api.token_usage;
create policy token_usage_select_own on api.token_usage for select to authenticated
    using ((select auth.uid()) = user_id);
drop policy if exists token_usage_insert_own on api.token_usage;
create policy token_usage_insert_own on api.token_usage for insert to authenticated
    with check ((select auth.uid()) = user_id);
drop policy if exists token_usage_delete_own on api.token_usage;
create policy token_usage_delete_own on api.token_usage for delete to authenticated
    using ((select auth.uid()) = user_id);
revoke all on table api.token_usage from public, anon;
grant select, insert, delete on table api.token_usage to authenticated;
grant all on table api.token_usage to service_role;

notify pgrst, 'reload schema';
