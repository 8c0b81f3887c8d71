"""Deterministic extraction helpers shared by every offline rules module.

Pure functions over the user's words: amounts, percentages, names, document numbers,
statuses, quoted text, what a document is for, e-mail addresses and phone numbers. Dates,
times and durations are in `dates.py`. (Phrasing values back — `money`, `day`, `clock`,
`plural` — is `canvalo_app.agents.formatting`, shared with the tools.)
"""

from __future__ import annotations

import re
from functools import cache

from .dates import _MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS, _words

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


# Numbers ---------------------------------------------------------------------------------
_AMOUNT = re.compile(
    rf"\$\s*(?P<a>{_NUM})(?P<ak>\s*(?:k|thousand)\b)?"
    rf"|\b(?P<b>{_NUM})(?P<bk>\s*(?:k|thousand))?\s*(?:dollars|bucks|usd)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|pct\b)", re.IGNORECASE)


def amounts(text: str) -> list[float]:
    """Money amounts in order: "$1,250", "$1,250.50", "1250 dollars", "$3.5k"."""
    values = []
    for match in _AMOUNT.finditer(text):
        number = float((match["a"] or match["b"]).replace(",", ""))
        values.append(number * 1000 if match["ak"] or match["bk"] else number)
    return values


def percent(text: str) -> float | None:
    """The first percentage: "7%", "7.5 percent"."""
    match = _PERCENT.search(text)
    return float(match[1]) if match else None


# Names, numbers and words ----------------------------------------------------------------
_NAME_WORD = re.compile(r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z]'[A-Z][a-z]+)(?:-[A-Z][a-z]+)*")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*|[^\sA-Za-z]+")
_STOP_WORDS = frozenset(
    WEEKDAYS
    + MONTHS
    + _MONTH_ABBREVIATIONS
    + _words(
        """today tonight tomorrow yesterday next this last week month what which how when where
        who why whose do does did is are was can could would will should please i my me the a
        an any all hi hello hey thanks thank yes no ok okay also and or for with on at in to let
        there it we our you your"""
        # Domain words: "the Henderson invoice" names Henderson, not an invoice.
        """ invoice invoices project projects proposal proposals appointment appointments
        contact contacts client clients lead leads vendor vendors task tasks review reviews
        campaign campaigns goal goals estimate estimates quote quotes payment payments calendar
        budget walk-through walkthrough job jobs inv pro"""
    )
)
#: Verbs that open a request; only at the start of a sentence are they not names ("Mark").
_COMMANDS = frozenset(
    _words(
        """book show mark list create add delete remove cancel find record schedule set update send
    make draft get give tell look search bill change move reschedule new check pay log write
    email call text plan start void prepare ask help"""
    )
)


def _name_word(token: str, sentence_start: bool) -> str | None:
    """The token as a name word (possessive dropped), or None."""
    bare = re.sub(r"['’]s$", "", token)
    if not _NAME_WORD.fullmatch(bare) or bare.lower() in _STOP_WORDS:
        return None
    return None if sentence_start and bare.lower() in _COMMANDS else bare


def names(text: str) -> list[str]:
    """Capitalised person or company names in order, without repeats: "Maria Lopez",
    "Henderson", "Smith Dental". Weekdays, months, question and domain words never count;
    request verbs ("Book", "Mark") do not count at the start of a sentence."""
    found, run, sentence_start = [], [], True
    for token in _TOKEN.findall(text) + ["."]:
        word = _name_word(token, sentence_start)
        if word:
            run.append(word)
        if run and (not word or word != token):  # a possessive ends the name too
            if " ".join(run) not in found:
                found.append(" ".join(run))
            run = []
        sentence_start = bool(re.fullmatch(r"[.!?]+", token))
    return found


def invoice_number(text: str) -> str | None:
    """ "INV-1002" (any case, "inv 1002" too), returned as INV-1002."""
    match = re.search(r"\binv[-\s#]*(\d{3,6})\b", text, re.IGNORECASE)
    return f"INV-{match[1]}" if match else None


def proposal_number(text: str) -> str | None:
    """ "PRO-201" (any case), returned as PRO-201."""
    match = re.search(r"\bpro[-\s#]*(\d{2,6})\b", text, re.IGNORECASE)
    return f"PRO-{match[1]}" if match else None


@cache
def _phrase(phrase: str) -> re.Pattern:
    """The phrase as whole words, with spaces, underscores or dashes between them."""
    words = r"[\s_-]+".join(map(re.escape, re.split(r"[\s_-]+", phrase)))
    return re.compile(rf"(?<![\w-]){words}(?![\w-])")


def status_in(text: str, choices, synonyms: dict[str, str] | None = None) -> str | None:
    """The status the text names first: a choice ("in progress" finds in_progress) or a
    synonym phrase mapped to a choice ({"unpaid": "sent", "late": "overdue"})."""
    phrases = {choice: choice for choice in choices} | {
        phrase.lower(): choice for phrase, choice in (synonyms or {}).items()
    }
    lowered, best = text.lower(), None
    for phrase, choice in phrases.items():
        match = _phrase(phrase).search(lowered)
        if match and (best is None or (match.start(), -len(phrase)) < best[:2]):
            best = (match.start(), -len(phrase), choice)
    return best[2] if best else None


_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|‘([^’]+)’|(?<!\w)'([^']+)'(?!\w)")


def quoted(text: str) -> str | None:
    """The text inside "...", '...' or “...”."""
    match = _QUOTED.search(text)
    return next(group for group in match.groups() if group).strip() if match else None


def work(text: str, client: str = "", default: str = "Painting services") -> str:
    """What a document is for: the quoted text, else the last "for ..." phrase that names no
    amount and not the client ("an invoice for Nina Brooks for $1,250 for trim painting"
    gives "Trim painting"). Anything from "due" on is ignored."""
    if said := quoted(text):
        return said
    text = re.split(r"\bdue\b", text, maxsplit=1, flags=re.IGNORECASE)[0]
    for part in reversed(re.split(r"\bfor\b", text)[1:]):
        part = part.strip(" .,;!?")
        names_client = bool(client) and client.lower() in part.lower()
        if part and not names_client and not re.search(r"[$\d]", part):
            return part[0].upper() + part[1:]
    return default


def unquoted(text: str) -> str:
    """The text with its quoted parts removed (titles in quotes are not names)."""
    return _QUOTED.sub(" ", text)


def email(text: str) -> str | None:
    match = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    return match[0] if match else None


def phone(text: str) -> str | None:
    """A phone number: "555-0101", "(555) 123-4567", "+1 555 123 4567"."""
    match = re.search(
        r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])?\d{3}[\s.-]\d{4}(?![\w-])", text
    )
    return match[0] if match else None
