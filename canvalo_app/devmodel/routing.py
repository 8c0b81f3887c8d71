"""Keyword routing for the offline supervisor: which domain agents own a request."""

from __future__ import annotations

import re
from functools import cache

_DAY_WORDS = (
    "today",
    "tomorrow",
    "next",
    "this",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
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
        "revenue",
        "income",
        "collect",
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
        "walk through",
        "site visit",
        "estimate visit",
        "estimate appointment",
        "consultation",
        "consultations",
        "free slot",
        "free slots",
        "available",
        "availability",
        "booked",
        "conflict",
        # An estimate moved to a day is a visit on the calendar, not a quote.
        *(f"estimate to {day}" for day in _DAY_WORDS),
    ),
    "projects": (
        "project",
        "projects",
        "job",
        "jobs",
        "budget",
        "progress",
        "in progress",
        "how far along",
        "crew",
        "material",
        "materials",
        "supplies",
    ),
    "proposals": (
        "proposal",
        "proposals",
        "quote",
        "quotes",
        "estimate",
        "estimates",
        "bid",
        "bids",
        "pro-",
        "pipeline",
        "win rate",
    ),
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
        "new client",
        "new customer",
    ),
    "reviews": (
        "review",
        "reviews",
        "rating",
        "ratings",
        "stars",
        "testimonial",
        "feedback",
        "reply",
        "replies",
    ),
    "campaigns": (
        "campaign",
        "campaigns",
        "marketing",
        "promo",
        "promotion",
        "newsletter",
        "open rate",
        "click rate",
        # A campaign named for what it reminds people of, not a task ("reminder").
        "touch-up reminder",
        "holiday reminder",
    ),
    "tasks": (
        "task",
        "tasks",
        "to-do",
        "todo",
        "to do",
        "reminder",
        "remind me",
        "checklist",
        "assigned to",
    ),
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
        "on track",
        "revenue target",
        "revenue goal",
        "overview",
        "how is the business",
        "how's the business",
        "how is business",
        "how's business",
        "business doing",
        "notification",
        "notifications",
    ),
}
#: Words that name a domain only when the clause names no other: "which clients haven't left
#: a review?" is about reviews, "schedule the cabinet campaign" about a campaign. Each maps to
#: the domains it gives way to (None: any other).
YIELDING: dict[str, frozenset[str] | None] = {
    "clients": None,
    "customer": None,
    "customers": None,
    **dict.fromkeys(("schedule", "reschedule", "book"), frozenset(("campaigns", "tasks"))),
    # "set the tax rate on INV-1005 to 8%" changes the invoice, not the business's default.
    "tax rate": frozenset(("invoices", "proposals")),
    "budget": frozenset(("campaigns",)),
    # "delete the rating goal", "raise the new clients goal to 15": goals are settings.
    **dict.fromkeys(("rating", "ratings", "new client"), frozenset(("settings",))),
}
#: Requests that name no keyword but say whose record they are about: a contact's details
#: ("update Priya Shah's phone", "make Priya Shah a client", "who is 555-0190?"), and the
#: business's own ("update my phone to 555-0199").
PATTERNS: dict[str, re.Pattern] = {
    "contacts": re.compile(
        r"[a-z]['’]s\s+(?:phone|cell|mobile|e-?mail|address)\b"
        r"|\b(?:make|mark)\b.*\b(?:an?|as\s+an?)\s+(?:client|lead|vendor|partner|subcontractor)\b"
        r"|^\W*who(?:['’]s|\s+is)\s+[\d(+]",
        re.I,
    ),
    "settings": re.compile(
        r"\bmy\s+(?:business\s+)?(?:phone|e-?mail|address)\b(?!\s+(?:campaign|list))", re.I
    ),
}
CLARIFYING_QUESTION = (
    "I can help with invoices, appointments, projects, proposals, contacts, reviews, "
    "campaigns, tasks, and your goals and settings. Which of these is your question about?"
)
#: Follow-ups that name no domain, and the agent whose question they answer: the reviews
#: agent shows a drafted reply and asks whether to save it ("yes, save it").
FOLLOW_UPS = {
    "reviews": re.compile(
        r"^\W*(?:(?:yes|yeah|yep|ok|okay|sure|great|perfect|please)\W+)*save\b", re.I
    )
}
_CLAUSES = re.compile(
    r"\s*(?:,?\s+and then\s+|,?\s+then\s+|;\s*|\.\s+|,?\s+and\s+(?=[a-z]+\b))", re.IGNORECASE
)


@cache
def _keyword(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(keyword)}")


def _hits(clause: str) -> list[tuple[int, int, str, str]]:
    """Every keyword in the clause: (position, -length, domain, keyword), earliest first."""
    lowered = clause.lower()
    hits = [
        (match.start(), -len(keyword), domain, keyword)
        for domain, keywords in KEYWORDS.items()
        for keyword in keywords
        if (match := _keyword(keyword).search(lowered))
    ]
    hits += [
        (match.start(), 0, domain, "")
        for domain, pattern in PATTERNS.items()
        if (match := pattern.search(clause))
    ]
    return sorted(hits)


def _first_hit(clause: str) -> str | None:
    """The domain whose keyword appears earliest in the clause (ties: the longer keyword),
    unless that keyword gives way to another domain's (`YIELDING`)."""
    hits = _hits(clause)
    if not hits:
        return None
    _, _, domain, keyword = hits[0]
    if keyword in YIELDING and not any(hit[2] == domain and hit[3] not in YIELDING for hit in hits):
        others = YIELDING[keyword]
        later = [
            hit[2] for hit in hits if hit[2] != domain and (others is None or hit[2] in others)
        ]
        return later[0] if later else domain
    return domain


def route(text: str) -> tuple[list[str], str]:
    """The agents to run, in order, and why; no agents means the request is unclear."""
    agents: list[str] = []
    for clause in _CLAUSES.split(text):
        domain = _first_hit(clause)
        if domain and domain not in agents:
            agents.append(domain)
    if not agents:
        follow_up = [domain for domain, pattern in FOLLOW_UPS.items() if pattern.search(text)]
        if follow_up:
            return follow_up[:1], f"A follow-up for {follow_up[0]}."
        return [], "No domain keyword found."
    return agents, "Matched keywords for " + ", ".join(agents) + "."
