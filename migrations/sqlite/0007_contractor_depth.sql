-- The same change as migrations/0007_contractor_depth.sql: payments with their method and
-- date, sent invoices and proposals, when a proposal was accepted and a project completed,
-- proposal sections and terms, task assignees, a project's crew and materials, a review's
-- draft reply, and whether the business gets e-mail notifications.

CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    amount REAL NOT NULL CHECK (amount > 0),
    method TEXT NOT NULL DEFAULT 'other'
        CHECK (method IN ('cash', 'check', 'card', 'bank_transfer', 'other')),
    paid_on TEXT NOT NULL,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_user ON payments (user_id, paid_on);
CREATE INDEX IF NOT EXISTS payments_invoice ON payments (invoice_id);

ALTER TABLE invoices ADD COLUMN sent_at TEXT;
ALTER TABLE proposals ADD COLUMN sections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE proposals ADD COLUMN terms TEXT;
ALTER TABLE proposals ADD COLUMN sent_at TEXT;
ALTER TABLE proposals ADD COLUMN accepted_at TEXT;
ALTER TABLE tasks ADD COLUMN assignee TEXT;
ALTER TABLE projects ADD COLUMN crew TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN materials TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN completed_on TEXT;
ALTER TABLE reviews ADD COLUMN draft_response TEXT;
ALTER TABLE business_settings ADD COLUMN email_notifications INTEGER NOT NULL DEFAULT 1;
CREATE INDEX IF NOT EXISTS tasks_project ON tasks (user_id, project_id);

-- A project already completed is dated by its planned finish (else its last change), and a
-- proposal already accepted by its last change: the best dates there are for them.
UPDATE projects SET completed_on = COALESCE(end_date, substr(updated_at, 1, 10))
 WHERE status = 'completed' AND completed_on IS NULL;
UPDATE proposals SET accepted_at = updated_at
 WHERE status = 'accepted' AND accepted_at IS NULL;

-- Money already recorded on an invoice becomes one payment, dated when the invoice last changed.
INSERT INTO payments (id, user_id, invoice_id, amount, method, paid_on, notes, created_at, updated_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
             || '-8' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       i.user_id, i.id, i.amount_paid, 'other', substr(i.updated_at, 1, 10),
       'Recorded before payments were itemised', i.updated_at, i.updated_at
  FROM invoices i
 WHERE i.amount_paid > 0
   AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id);
