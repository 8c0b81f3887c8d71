-- Row-level security: every row belongs to one user, and only that user may see or change it.
-- A message or an action must also belong to one of the caller's own conversations, so nobody
-- can write into someone else's conversation. `anon` gets nothing; `service_role` (Supabase's
-- maintenance role, BYPASSRLS) keeps full access for the sweep and other jobs. Idempotent.

do $$
declare
    t text;
    own text;
    owns_conversation constant text := 'exists (select 1 from api.agent_conversations c'
        ' where c.id = %I.conversation_id and c.user_id = (select auth.uid()))';
begin
    foreach t in array array['agent_conversations', 'agent_messages', 'agent_actions',
                             'contacts', 'projects', 'invoices', 'appointments', 'proposals',
                             'reviews', 'campaigns', 'tasks', 'goals', 'business_settings']
    loop
        -- `(select auth.uid())` is evaluated once per statement, not once per row.
        own := case t
            when 'agent_messages' then
                '(select auth.uid()) = user_id and ' || format(owns_conversation, t)
            when 'agent_actions' then
                '(select auth.uid()) = user_id and (conversation_id is null or '
                || format(owns_conversation, t) || ')'
            else '(select auth.uid()) = user_id'
        end;

        execute format('alter table api.%I enable row level security', t);
        -- The permissive policy some early projects were created with.
        execute format('drop policy if exists "Enable all for authenticated users" on api.%I', t);

        execute format('drop policy if exists %I on api.%I', t || '_select_own', t);
        execute format('create policy %I on api.%I for select to authenticated using (%s)',
                       t || '_select_own', t, own);
        execute format('drop policy if exists %I on api.%I', t || '_insert_own', t);
        execute format('create policy %I on api.%I for insert to authenticated with check (%s)',
                       t || '_insert_own', t, own);
        execute format('drop policy if exists %I on api.%I', t || '_update_own', t);
        execute format('create policy %I on api.%I for update to authenticated using (%s)'
                       ' with check (%s)', t || '_update_own', t, own, own);
        execute format('drop policy if exists %I on api.%I', t || '_delete_own', t);
        execute format('create policy %I on api.%I for delete to authenticated using (%s)',
                       t || '_delete_own', t, own);

        execute format('revoke all on table api.%I from public, anon', t);
        execute format('grant select, insert, update, delete on table api.%I to authenticated',
                       t);
        execute format('grant all on table api.%I to service_role', t);
    end loop;
end;
$$;

revoke all on all functions in schema canvalo_private from public, anon, authenticated;

-- Tell PostgREST (Supabase's and the test stack's) to reload its schema cache.
notify pgrst, 'reload schema';
