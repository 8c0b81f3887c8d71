"""Keyword routing for the offline supervisor: which domain agents own a request."""

from __future__ import annotations

import re
from functools import cache

KEYWORDS: dict[str, tuple[str, ...]] = {
    "invoices": (
        "invoice",
        "invoices",
        "bill",
        "billing",
        "overdue",
        "owe",
        "owes",
        "owed",
        "unpaid",
        "paid",
        "payment",
        "payments",
        "receivable",
        "inv-",
    ),
    "appointments": (
        "appointment",
        "appointments",
        "book",
        "schedule",
        "reschedule",
        "calendar",
        "meeting",
        "walk-through",
        "walkthrough",
        "site visit",
        "estimate visit",
        "free slot",
        "free slots",
        "available",
        "availability",
        "booked",
        "conflict",
    ),
    "projects": ("project", "projects", "job", "jobs", "budget", "progress", "in progress"),
    "proposals": ("proposal", "proposals", "quote", "quotes", "bid", "bids", "pro-"),
    "contacts": (
        "contact",
        "contacts",
        "client list",
        "clients",
        "customer",
        "customers",
        "lead",
        "leads",
        "vendor",
        "vendors",
        "subcontractor",
        "phone number",
        "email address",
    ),
    "reviews": ("review", "reviews", "rating", "ratings", "stars", "testimonial", "feedback"),
    "campaigns": (
        "campaign",
        "campaigns",
        "marketing",
        "promo",
        "promotion",
        "newsletter",
        "open rate",
        "click rate",
    ),
    "tasks": ("task", "tasks", "to-do", "todo", "to do", "reminder", "remind me", "checklist"),
    "settings": (
        "goal",
        "goals",
        "target",
        "targets",
        "settings",
        "business profile",
        "hourly rate",
        "tax rate",
        "working hours",
        "business hours",
        "business name",
    ),
}
CLARIFYING_QUESTION = (
    "I can help with invoices, appointments, projects, proposals, contacts, reviews, "
    "campaigns, tasks, and your goals and settings. Which of these is your question about?"
)
_CLAUSES = re.compile(
    r"\s*(?:,?\s+and then\s+|,?\s+then\s+|;\s*|\.\s+|,?\s+and\s+(?=[a-z]+\b))", re.IGNORECASE
)


@cache
def _keyword(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(keyword)}")


def _first_hit(clause: str) -> str | None:
    """The domain whose keyword appears earliest in the clause (ties: the longer keyword)."""
    lowered = clause.lower()
    best: tuple[int, int, str] | None = None
    for domain, keywords in KEYWORDS.items():
        for keyword in keywords:
            match = _keyword(keyword).search(lowered)
            if match and (best is None or (match.start(), -len(keyword)) < best[:2]):
                best = (match.start(), -len(keyword), domain)
    return best[2] if best else None


def route(text: str) -> tuple[list[str], str]:
    """The agents to run, in order, and why; no agents means the request is unclear."""
    agents: list[str] = []
    for clause in _CLAUSES.split(text):
        domain = _first_hit(clause)
        if domain and domain not in agents:
            agents.append(domain)
    if not agents:
        return [], "No domain keyword found."
    return agents, "Matched keywords for " + ", ".join(agents) + "."
