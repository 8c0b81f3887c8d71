-- The embedded store's schema as it was before versioned migrations (the old schema.sql);
-- `flask db upgrade` applies it and then every later file here. Every statement is
-- IF NOT EXISTS, so a database made by the old `init-db` upgrades cleanly. The Supabase
-- migrations in migrations/ define the same tables and columns for PostgreSQL;
-- tests/test_schema.py checks that the two agree.

CREATE TABLE IF NOT EXISTS agent_conversations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT 'New conversation',
    metadata TEXT NOT NULL DEFAULT '{}',
    message_count INTEGER NOT NULL DEFAULT 0,
    last_message_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_conversations_user_activity
    ON agent_conversations (user_id, last_message_at DESC, updated_at DESC);

CREATE TABLE IF NOT EXISTS agent_messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES agent_conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL DEFAULT '',
    agent_type TEXT,
    status TEXT NOT NULL DEFAULT 'complete'
        CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
    metadata TEXT NOT NULL DEFAULT '{}',
    client_message_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_messages_history ON agent_messages (conversation_id, created_at);
CREATE INDEX IF NOT EXISTS agent_messages_streaming ON agent_messages (status) WHERE status = 'streaming';
-- One message per send: a copy of a send that reached the store second is refused. Files
-- written before this index may hold a client_message_id twice: the earliest message keeps it.
UPDATE agent_messages SET client_message_id = NULL
 WHERE client_message_id IS NOT NULL
   AND EXISTS (SELECT 1 FROM agent_messages AS earlier
                WHERE earlier.user_id = agent_messages.user_id
                  AND earlier.client_message_id = agent_messages.client_message_id
                  AND (earlier.created_at, earlier.rowid)
                      < (agent_messages.created_at, agent_messages.rowid));
CREATE UNIQUE INDEX IF NOT EXISTS agent_messages_user_client_message
    ON agent_messages (user_id, client_message_id) WHERE client_message_id IS NOT NULL;

-- Keep the conversation's activity counters current, as the PostgreSQL trigger does.
CREATE TRIGGER IF NOT EXISTS agent_messages_after_insert AFTER INSERT ON agent_messages
BEGIN
    UPDATE agent_conversations
       SET message_count = message_count + 1,
           last_message_at = NEW.created_at,
           updated_at = NEW.created_at
     WHERE id = NEW.conversation_id;
END;

CREATE TABLE IF NOT EXISTS agent_actions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    conversation_id TEXT REFERENCES agent_conversations (id) ON DELETE CASCADE,
    message_id TEXT,
    agent_type TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    input TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired', 'failed')),
    result TEXT,
    expires_at TEXT NOT NULL,
    resolved_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_actions_user ON agent_actions (user_id, status);

CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT,
    company TEXT,
    email TEXT,
    phone TEXT,
    contact_type TEXT NOT NULL DEFAULT 'lead'
        CHECK (contact_type IN ('lead', 'client', 'past_client', 'vendor', 'subcontractor', 'partner')),
    address TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_user ON contacts (user_id);

CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    client_name TEXT,
    contact_id TEXT,
    address TEXT,
    status TEXT NOT NULL DEFAULT 'planning'
        CHECK (status IN ('planning', 'in_progress', 'on_hold', 'completed', 'cancelled')),
    start_date TEXT,
    end_date TEXT,
    budget REAL NOT NULL DEFAULT 0,
    actual_cost REAL NOT NULL DEFAULT 0,
    progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_user ON projects (user_id);

CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    client_name TEXT NOT NULL,
    client_email TEXT,
    contact_id TEXT,
    project_id TEXT,
    issue_date TEXT NOT NULL,
    due_date TEXT,
    line_items TEXT NOT NULL DEFAULT '[]',
    subtotal REAL NOT NULL DEFAULT 0,
    tax_rate REAL NOT NULL DEFAULT 0,
    tax_amount REAL NOT NULL DEFAULT 0,
    discount_amount REAL NOT NULL DEFAULT 0,
    total_amount REAL NOT NULL DEFAULT 0,
    amount_paid REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'sent', 'viewed', 'partial', 'paid', 'overdue', 'cancelled')),
    notes TEXT,
    terms TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_user ON invoices (user_id, status);

CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT NOT NULL,
    client_name TEXT,
    contact_id TEXT,
    project_id TEXT,
    appointment_type TEXT NOT NULL DEFAULT 'estimate'
        CHECK (appointment_type IN ('estimate', 'consultation', 'site_visit', 'job', 'follow_up', 'other')),
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    location TEXT,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'confirmed', 'completed', 'cancelled', 'no_show')),
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS appointments_user ON appointments (user_id, start_time);

CREATE TABLE IF NOT EXISTS proposals (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    proposal_number TEXT NOT NULL,
    title TEXT NOT NULL,
    client_name TEXT NOT NULL,
    client_email TEXT,
    contact_id TEXT,
    project_id TEXT,
    line_items TEXT NOT NULL DEFAULT '[]',
    subtotal REAL NOT NULL DEFAULT 0,
    tax_rate REAL NOT NULL DEFAULT 0,
    tax_amount REAL NOT NULL DEFAULT 0,
    discount_amount REAL NOT NULL DEFAULT 0,
    total_amount REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'sent', 'viewed', 'accepted', 'rejected', 'expired')),
    valid_until TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS proposals_user ON proposals (user_id, status);

CREATE TABLE IF NOT EXISTS reviews (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    platform TEXT NOT NULL DEFAULT 'google'
        CHECK (platform IN ('google', 'yelp', 'facebook', 'houzz', 'angi', 'website', 'other')),
    review_date TEXT NOT NULL,
    response TEXT,
    responded_at TEXT,
    project_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_user ON reviews (user_id);

CREATE TABLE IF NOT EXISTS campaigns (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'email'
        CHECK (channel IN ('email', 'sms', 'social', 'direct_mail')),
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'active', 'sent', 'paused', 'completed', 'cancelled')),
    audience TEXT,
    subject TEXT,
    content TEXT,
    scheduled_at TEXT,
    sent_at TEXT,
    recipients_count INTEGER NOT NULL DEFAULT 0,
    opens_count INTEGER NOT NULL DEFAULT 0,
    clicks_count INTEGER NOT NULL DEFAULT 0,
    conversions_count INTEGER NOT NULL DEFAULT 0,
    budget REAL NOT NULL DEFAULT 0,
    spent REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS campaigns_user ON campaigns (user_id, status);

CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'todo'
        CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),
    priority TEXT NOT NULL DEFAULT 'medium'
        CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    due_date TEXT,
    completed_at TEXT,
    project_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_user ON tasks (user_id, status);

CREATE TABLE IF NOT EXISTS goals (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT NOT NULL,
    metric TEXT NOT NULL DEFAULT 'custom'
        CHECK (metric IN ('revenue', 'jobs_completed', 'new_clients', 'average_rating', 'proposals_won', 'custom')),
    target_value REAL NOT NULL,
    current_value REAL NOT NULL DEFAULT 0,
    unit TEXT,
    period_start TEXT,
    period_end TEXT,
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'achieved', 'missed', 'paused')),
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS goals_user ON goals (user_id, status);

-- One row per user: the business profile the settings agent manages and the prompt describes.
CREATE TABLE IF NOT EXISTS business_settings (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    business_name TEXT,
    owner_name TEXT,
    email TEXT,
    phone TEXT,
    address TEXT,
    service_area TEXT,
    services TEXT,
    hourly_rate REAL,
    default_tax_rate REAL NOT NULL DEFAULT 0,
    payment_terms_days INTEGER NOT NULL DEFAULT 30,
    working_hours_start TEXT NOT NULL DEFAULT '08:00',
    working_hours_end TEXT NOT NULL DEFAULT '17:00',
    timezone TEXT NOT NULL DEFAULT 'America/New_York',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
