-- A new action status, `executing`: the user confirmed the action and its tool is running
-- (it ends confirmed or failed).
-- 0001 declared the check inline, so PostgreSQL named it agent_actions_status_check.
-- Row-level security and grants are untouched. Idempotent.

alter table api.agent_actions drop constraint if exists agent_actions_status_check;
alter table api.agent_actions add constraint agent_actions_status_check
    check (status in ('pending', 'executing', 'confirmed', 'cancelled', 'expired', 'failed'));
