-- What a painting contractor runs the business on: payments with their method and date (so
-- money collected can be counted by period), sent invoices and proposals, when a proposal was
-- accepted and a project completed, proposal sections and terms, task assignees, a project's
-- crew and materials, a review's draft reply, and whether the business gets e-mail
-- notifications.
-- Row-level security as for every business table (0003). Idempotent.

create table if not exists api.payments (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    invoice_id uuid not null references api.invoices (id) on delete cascade,
    amount numeric(12, 2) not null check (amount > 0),
    method text not null default 'other' check (method in
        ('cash', 'check', 'card', 'bank_transfer', 'other')),
    paid_on date not null,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index if not exists payments_user on api.payments (user_id, paid_on);
create index if not exists payments_invoice on api.payments (invoice_id);

alter table api.invoices add column if not exists sent_at timestamptz;
alter table api.proposals add column if not exists sections jsonb not null default '[]'::jsonb;
alter table api.proposals add column if not exists terms text;
alter table api.proposals add column if not exists sent_at timestamptz;
alter table api.proposals add column if not exists accepted_at timestamptz;
alter table api.tasks add column if not exists assignee text;
alter table api.projects add column if not exists crew jsonb not null default '[]'::jsonb;
alter table api.projects add column if not exists materials jsonb not null default '[]'::jsonb;
alter table api.projects add column if not exists completed_on date;
alter table api.reviews add column if not exists draft_response text;
alter table api.business_settings add column if not exists email_notifications boolean not null default true;
create index if not exists tasks_project on api.tasks (user_id, project_id);

-- A project already completed is dated by its planned finish (else its last change), and a
-- proposal already accepted by its last change: the best dates there are for them.
update api.projects set completed_on = coalesce(end_date, updated_at::date)
 where status = 'completed' and completed_on is null;
update api.proposals set accepted_at = updated_at
 where status = 'accepted' and accepted_at is null;

-- Money already recorded on an invoice becomes one payment, dated when the invoice last changed.
insert into api.payments (user_id, invoice_id, amount, method, paid_on, notes)
select i.user_id, i.id, i.amount_paid, 'other', i.updated_at::date,
       'Recorded before payments were itemised'
  from api.invoices i
 where i.amount_paid > 0
   and not exists (select 1 from api.payments p where p.invoice_id = i.id);

create or replace trigger payments_set_updated_at before update on api.payments
    for each row execute function canvalo_private.set_updated_at();

alter table api.payments enable row level security;
drop policy if exists payments_select_own on api.payments;
create policy payments_select_own on api.payments for select to authenticated
    using ((select auth.uid()) = user_id);
drop policy if exists payments_insert_own on api.payments;
-- A payment must also be of one of the caller's own invoices.
create policy payments_insert_own on api.payments for insert to authenticated
    with check ((select auth.uid()) = user_id and exists (select 1 from api.invoices i where i.id = invoice_id and i.user_id = (select auth.uid())));
drop policy if exists payments_update_own on api.payments;
create policy payments_update_own on api.payments for update to authenticated
    using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id and exists (select 1 from api.invoices i where i.id = invoice_id and i.user_id = (select auth.uid())));
drop policy if exists payments_delete_own on api.payments;
create policy payments_delete_own on api.payments for delete to authenticated
    using ((select auth.uid()) = user_id);
revoke all on table api.payments from public, anon;
grant select, insert, update, delete on table api.payments to authenticated;
grant all on table api.payments to service_role;

notify pgrst, 'reload schema';
