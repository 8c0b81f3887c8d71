-- The business records the domain agents work on, one table per domain plus the business
-- profile. Same tables and columns as migrations/sqlite/ (SQLite): dates are `date`,
-- instants `timestamptz`, money numeric(12,2), line items jsonb. Idempotent.

create table if not exists api.contacts (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    first_name text not null,
    last_name text,
    company text,
    email text,
    phone text,
    contact_type text not null default 'lead' check (contact_type in
        ('lead', 'client', 'past_client', 'vendor', 'subcontractor', 'partner')),
    address text,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.projects (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    name text not null,
    client_name text,
    contact_id uuid,
    address text,
    status text not null default 'planning' check (status in
        ('planning', 'in_progress', 'on_hold', 'completed', 'cancelled')),
    start_date date,
    end_date date,
    budget numeric(12, 2) not null default 0,
    actual_cost numeric(12, 2) not null default 0,
    progress integer not null default 0 check (progress between 0 and 100),
    description text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.invoices (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    invoice_number text not null,
    client_name text not null,
    client_email text,
    contact_id uuid,
    project_id uuid,
    issue_date date not null,
    due_date date,
    line_items jsonb not null default '[]'::jsonb,
    subtotal numeric(12, 2) not null default 0,
    tax_rate numeric(7, 4) not null default 0,
    tax_amount numeric(12, 2) not null default 0,
    discount_amount numeric(12, 2) not null default 0,
    total_amount numeric(12, 2) not null default 0,
    amount_paid numeric(12, 2) not null default 0,
    status text not null default 'draft' check (status in
        ('draft', 'sent', 'viewed', 'partial', 'paid', 'overdue', 'cancelled')),
    notes text,
    terms text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.appointments (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    title text not null,
    client_name text,
    contact_id uuid,
    project_id uuid,
    appointment_type text not null default 'estimate' check (appointment_type in
        ('estimate', 'consultation', 'site_visit', 'job', 'follow_up', 'other')),
    start_time timestamptz not null,
    end_time timestamptz not null,
    location text,
    status text not null default 'scheduled' check (status in
        ('scheduled', 'confirmed', 'completed', 'cancelled', 'no_show')),
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.proposals (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    proposal_number text not null,
    title text not null,
    client_name text not null,
    client_email text,
    contact_id uuid,
    project_id uuid,
    line_items jsonb not null default '[]'::jsonb,
    subtotal numeric(12, 2) not null default 0,
    tax_rate numeric(7, 4) not null default 0,
    tax_amount numeric(12, 2) not null default 0,
    discount_amount numeric(12, 2) not null default 0,
    total_amount numeric(12, 2) not null default 0,
    status text not null default 'draft' check (status in
        ('draft', 'sent', 'viewed', 'accepted', 'rejected', 'expired')),
    valid_until date,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.reviews (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    reviewer_name text not null,
    rating integer not null check (rating between 1 and 5),
    comment text,
    platform text not null default 'google' check (platform in
        ('google', 'yelp', 'facebook', 'houzz', 'angi', 'website', 'other')),
    review_date date not null,
    response text,
    responded_at timestamptz,
    project_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.campaigns (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    name text not null,
    channel text not null default 'email' check (channel in
        ('email', 'sms', 'social', 'direct_mail')),
    status text not null default 'draft' check (status in
        ('draft', 'scheduled', 'active', 'sent', 'paused', 'completed', 'cancelled')),
    audience text,
    subject text,
    content text,
    scheduled_at timestamptz,
    sent_at timestamptz,
    recipients_count integer not null default 0,
    opens_count integer not null default 0,
    clicks_count integer not null default 0,
    conversions_count integer not null default 0,
    budget numeric(12, 2) not null default 0,
    spent numeric(12, 2) not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.tasks (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    title text not null,
    description text,
    status text not null default 'todo' check (status in
        ('todo', 'in_progress', 'done', 'cancelled')),
    priority text not null default 'medium' check (priority in
        ('low', 'medium', 'high', 'urgent')),
    due_date date,
    completed_at timestamptz,
    project_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists api.goals (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid(),
    title text not null,
    metric text not null default 'custom' check (metric in
        ('revenue', 'jobs_completed', 'new_clients', 'average_rating', 'proposals_won',
         'custom')),
    target_value numeric(14, 2) not null,
    current_value numeric(14, 2) not null default 0,
    unit text,
    period_start date,
    period_end date,
    status text not null default 'active' check (status in
        ('active', 'achieved', 'missed', 'paused')),
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- One row per user: the business profile the settings agent manages and the prompt describes.
create table if not exists api.business_settings (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() unique,
    business_name text,
    owner_name text,
    email text,
    phone text,
    address text,
    service_area text,
    services text,
    hourly_rate numeric(12, 2),
    default_tax_rate numeric(7, 4) not null default 0,
    payment_terms_days integer not null default 30,
    working_hours_start text not null default '08:00',
    working_hours_end text not null default '17:00',
    timezone text not null default 'America/New_York',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Tables created before this migration (by hand, in an older project) may lack the owner or
-- the timestamps: add them, default the owner to the caller, and require it. Rows without an
-- owner cannot be given one here, so the migration stops and names the table instead.
do $$
declare
    t text;
    orphans bigint;
begin
    foreach t in array array['contacts', 'projects', 'invoices', 'appointments', 'proposals',
                             'reviews', 'campaigns', 'tasks', 'goals', 'business_settings']
    loop
        execute format('alter table api.%I add column if not exists user_id uuid', t);
        execute format('alter table api.%I alter column user_id set default auth.uid()', t);
        execute format('alter table api.%I add column if not exists created_at timestamptz'
                       ' not null default now()', t);
        execute format('alter table api.%I add column if not exists updated_at timestamptz'
                       ' not null default now()', t);
        execute format('select count(*) from api.%I where user_id is null', t) into orphans;
        if orphans > 0 then
            raise exception 'api.% has % rows without user_id; assign or delete them first',
                t, orphans;
        end if;
        execute format('alter table api.%I alter column user_id set not null', t);
        execute format('create or replace trigger %I before update on api.%I for each row'
                       ' execute function canvalo_private.set_updated_at()',
                       t || '_set_updated_at', t);
    end loop;
end;
$$;

create index if not exists contacts_user on api.contacts (user_id);
create index if not exists projects_user on api.projects (user_id);
create index if not exists invoices_user on api.invoices (user_id, status);
create index if not exists appointments_user on api.appointments (user_id, start_time);
create index if not exists proposals_user on api.proposals (user_id, status);
create index if not exists reviews_user on api.reviews (user_id);
create index if not exists campaigns_user on api.campaigns (user_id, status);
create index if not exists tasks_user on api.tasks (user_id, status);
create index if not exists goals_user on api.goals (user_id, status);
-- A no-op when the table was created above (its unique constraint owns this very name).
create unique index if not exists business_settings_user_id_key
    on api.business_settings (user_id);
