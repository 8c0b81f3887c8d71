"""Priced lines in the offline model's words: "3 rooms, $450 each", "2 doors at $85 each
plus trim for $300", "trim for $300", "3 rooms for $1,350" (one line for the lot)."""

from __future__ import annotations

import re

# fmt: off
_COUNTS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
           "eleven", "twelve")
# fmt: on
_PRICE = re.compile(r"\$\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(\s*k\b)?", re.I)
#: Where one priced line ends and the next begins (not at the comma of "3 rooms, $450").
_PARTS = re.compile(r"\s*(?:\bplus\b|\band\b|\balso\b|;|\+|,(?!\s*\$|\d))\s*", re.I)
_LEAD = re.compile(r"^.*(?:\bfor\b|:|\bof\b|\bwith\b|\bincluding\b|\bquote\b)", re.I | re.S)
_LINKER = re.compile(r"[\s,:@-]*(?:\b(?:at|for|is|costs?)\b)?[\s,:@-]*$", re.I)
_WORDS = r"[a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)*"
_QUANTITY = re.compile(rf"(?:^|\s)(\d+(?:\.\d+)?|(?i:{'|'.join(_COUNTS)}))\s+({_WORDS})\s*$")
_THING = re.compile(rf"(?:^|\s)({_WORDS})\s*$")
_EACH = re.compile(r"^\s*(?:each|apiece|a\s+piece|per\s+\w+|/\s*\w+)", re.I)


def priced_lines(text: str) -> list[dict] | None:
    """The priced lines the words name, or None unless every price has a description."""
    parts = [part for part in _PARTS.split(text) if _PRICE.search(part)]
    lines = [_line(part) for part in parts]
    return lines if lines and all(lines) else None


def _line(part: str) -> dict | None:
    """One priced line: "3 rooms, $450 each", "2 doors at $85 each", "trim for $300"."""
    price = _PRICE.search(part)
    amount = float(price[1].replace(",", "")) * (1000 if price[2] else 1)
    linker = _LINKER.search(part[: price.start()])
    said = _LEAD.sub("", part[: linker.start()])
    each = bool(_EACH.match(part[price.end() :]))
    if counted := _QUANTITY.search(said):
        count, thing = counted[1].lower(), counted[2]
        quantity = float(count) if count[0].isdigit() else _COUNTS.index(count) + 1.0
    elif found := _THING.search(said):
        thing, quantity = found[1], 1.0
    else:
        return None
    thing = re.sub(r"^(?:(?:add|the|a|an|some)\s+)+", "", thing.strip())
    if quantity != 1 and not each and "for" in linker[0].lower():  # "3 rooms for $1,350"
        thing, quantity = f"{quantity:g} {thing}", 1.0
    return {"description": thing[0].upper() + thing[1:], "quantity": quantity, "unit_price": amount}


def listed(lines: list[dict] | None) -> str:
    """ "Doors and trim": what the lines price, as a title."""
    words = [line["description"].lower() for line in lines or []]
    text = (
        ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + (words[-1] if words else "")
    )
    return text[:1].upper() + text[1:]


def plain(document: dict) -> list[dict]:
    """A document's lines as a tool takes them: description, quantity and unit price."""
    keys = ("description", "quantity", "unit_price")
    return [{key: line[key] for key in keys if key in line} for line in document["line_items"]]
