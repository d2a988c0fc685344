"""Reading a customer's reply: a score from 1 to 5 ("5, great!" is 5, "55" is not), STOP/START, or what went wrong."""
from __future__ import annotations

import re
from dataclasses import dataclass

# The keywords carriers of SMS honour for opting out and back in (Twilio's defaults, also used by most shops' mail).
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "opt out", "revoke"})
START_WORDS = frozenset({"start", "unstop", "yes", "subscribe", "optin", "opt in"})
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
REASONS = {  # in the order the follow-up names them; each with the words customers use for it
    "late": ("late", "slow", "delay", "took too long", "took ages", "waited", "not on time", "too long"),
    "damaged": ("damage", "broken", "broke", "crushed", "smashed", "wet", "dented", "torn", "spilled", "leak"),
    "wrong_place": ("wrong place", "wrong address", "wrong door", "wrong house", "neighbour", "neighbor", "left outside",
                    "wrong", "place", "address", "not delivered", "missing", "never arrived", "lost"),
    "driver": ("driver", "rude", "courier", "attitude", "unfriendly", "careless", "threw"),
}
REASON_LABELS = {"late": "Late", "damaged": "Damaged", "wrong_place": "Wrong place", "driver": "Driver",
                 "other": "Other"}
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
_OUT_OF = re.compile(r"(\d+)\s*(?:/|out of|of)\s*5\b")
_WORD = re.compile(r"[a-z]+")
_QUOTE_START = re.compile(r"^(on .+wrote:|-----\s*original message|from:\s|sent from my)", re.I)


@dataclass(frozen=True)
class Reply:
    """What a reply says: kind is score, stop, start, reason or unreadable."""

    kind: str
    score: int | None = None
    reason: str = ""
    comment: str = ""


def own_words(text: str) -> str:
    """The customer's own lines of an email reply: quoted lines ("> ...") and the quoted message below "On ... wrote:"
    left out."""
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if _QUOTE_START.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(stripped)
    return "\n".join(kept).strip()


def _keyword(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def parse_score(text: str) -> int | None:
    """1-5 from a reply, forgivingly; None when the reply holds no one clear score ("55", "4.5", "3 or 4", "10")."""
    lowered = text.lower().strip()
    stars = lowered.count("⭐") + lowered.count("★")
    lowered = _OUT_OF.sub(r"\1", lowered)  # "4/5", "4 out of 5" -> "4"
    numbers = _DIGITS.findall(lowered)
    if numbers:
        if len(set(numbers)) != 1 or not numbers[0].isdigit():
            return None
        value = int(numbers[0])
        return value if 1 <= value <= 5 else None
    if 1 <= stars <= 5 and not _WORD.search(lowered.replace("⭐", "").replace("★", "")):
        return stars
    words = _WORD.findall(lowered)
    # A number word counts only when it leads the reply ("Five stars!", "four"): "no one was home" is no score.
    if words and words[0] in NUMBER_WORDS and (len(words) == 1 or words[1] in ("star", "stars", "out", "of")):
        return NUMBER_WORDS[words[0]]
    return None


def parse_reason(text: str) -> str:
    """What went wrong, from the reply to the follow-up: the reason named first, else "other"."""
    lowered = " ".join(text.lower().split())
    found = []
    for reason, words in REASONS.items():
        positions = [lowered.find(word) for word in words if word in lowered]
        if positions:
            found.append((min(positions), reason))
    return min(found)[1] if found else "other"


def parse_reply(text: str, *, expecting: str = "rating") -> Reply:
    """A reply to a rating question (expecting="rating") or to the follow-up (expecting="followup")."""
    words = own_words(text)
    keyword = _keyword(words)
    if keyword in STOP_WORDS:
        return Reply("stop")
    if keyword in START_WORDS:
        return Reply("start")
    if expecting == "followup":
        return Reply("reason", reason=parse_reason(words), comment=words[:500]) if words else Reply("unreadable")
    score = parse_score(words)
    if score is None:
        return Reply("unreadable", comment=words[:500])
    return Reply("score", score=score, comment=words[:500])
