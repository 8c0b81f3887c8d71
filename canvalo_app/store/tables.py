"""The tables and columns the store knows: anything not listed here never reaches a query."""

from __future__ import annotations

#: Business tables the agents' tools may touch, with the columns a caller may filter,
#: sort or write. Anything not listed here never reaches SQL.
# fmt: off
BUSINESS_TABLES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "first_name", "last_name", "company", "email", "phone", "contact_type", "address",
        "notes"),
    "projects": (
        "name", "client_name", "contact_id", "address", "status", "start_date", "end_date",
        "budget", "actual_cost", "progress", "description", "crew", "materials",
        "completed_on"),
    "invoices": (
        "invoice_number", "client_name", "client_email", "contact_id", "project_id",
        "issue_date", "due_date", "line_items", "subtotal", "tax_rate", "tax_amount",
        "discount_amount", "total_amount", "amount_paid", "status", "notes", "terms", "sent_at"),
    "payments": ("invoice_id", "amount", "method", "paid_on", "notes"),
    "appointments": (
        "title", "client_name", "contact_id", "project_id", "appointment_type", "start_time",
        "end_time", "location", "status", "notes"),
    "proposals": (
        "proposal_number", "title", "client_name", "client_email", "contact_id", "project_id",
        "line_items", "subtotal", "tax_rate", "tax_amount", "discount_amount", "total_amount",
        "status", "valid_until", "notes", "sections", "terms", "sent_at", "accepted_at"),
    "reviews": (
        "reviewer_name", "rating", "comment", "platform", "review_date", "response",
        "responded_at", "project_id", "draft_response"),
    "campaigns": (
        "name", "channel", "status", "audience", "subject", "content", "scheduled_at",
        "sent_at", "recipients_count", "opens_count", "clicks_count", "conversions_count",
        "budget", "spent"),
    "tasks": (
        "title", "description", "status", "priority", "due_date", "completed_at", "project_id",
        "assignee"),
    "goals": (
        "title", "metric", "target_value", "current_value", "unit", "period_start",
        "period_end", "status", "notes"),
    "business_settings": (
        "business_name", "owner_name", "email", "phone", "address", "service_area", "services",
        "hourly_rate", "default_tax_rate", "payment_terms_days", "working_hours_start",
        "working_hours_end", "timezone", "email_notifications"),
}
# fmt: on
#: Columns holding JSON documents (stored as TEXT in SQLite, jsonb in PostgreSQL).
JSON_COLUMNS = frozenset(
    {"line_items", "metadata", "input", "result", "sections", "crew", "materials", "feedback"}
)
#: Columns holding instants (timestamptz in PostgreSQL), stored as UTC ISO 8601 text.
TIMESTAMP_COLUMNS = frozenset(
    {
        "created_at",
        "updated_at",
        "last_message_at",
        "expires_at",
        "resolved_at",
        "start_time",
        "end_time",
        "responded_at",
        "scheduled_at",
        "sent_at",
        "completed_at",
        "accepted_at",
    }
)
#: Columns every table has and that only the store writes.
SYSTEM_COLUMNS = ("id", "created_at", "updated_at")


def check_columns(table: str, columns) -> None:
    """Refuse any table or column not in `BUSINESS_TABLES` before it can reach a query."""
    allowed = BUSINESS_TABLES.get(table)
    if allowed is None:
        raise ValueError(f"unknown table {table!r}")
    for column in columns:
        if column not in allowed and column not in SYSTEM_COLUMNS:
            raise ValueError(f"unknown column {table}.{column}")
