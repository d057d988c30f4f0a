"""Slugs and name normalisation, one definition for the seed, the imports and the look-ups."""

import re

from slugify import slugify

MAX_SLUG_LENGTH = 200


def normalised_name(name: str) -> str:
    """Lowercase ASCII words joined by hyphens: names equal under it are the same name
    ("Cystic fibrosis" and "CYSTIC FIBROSIS" and "Cystic  fibrosis")."""
    return str(slugify(name))


def slug_for(name: str) -> str:
    """The slug of a name: its normalised form, cut at a word boundary to fit the column; empty
    when the name has no letters or digits."""
    return str(slugify(name, max_length=MAX_SLUG_LENGTH, word_boundary=True))


def suffixed_slug(slug: str, code: str) -> str:
    """The slug with a code appended ("hp:0001250" as "-hp-0001250"), cut to fit the column:
    the slug of a name that another record or term already has."""
    suffix = "-" + code.lower().replace(":", "-")
    return slug[: MAX_SLUG_LENGTH - len(suffix)] + suffix


# A name shouts when it has no lowercase letter and a word longer than acronyms run, or two
# words longer than most do (OMIM titles such as "ANOSMIA", "HAIRY EARS, Y-LINKED");
# "MELAS" or "COG8-CDG" do not.
_LONG_WORD = re.compile(r"[A-Z]{7,}")
_WORD_OF_FOUR = re.compile(r"[A-Z]{4,}")
_WORD = re.compile(r"[A-Za-z0-9]+")
# Short words of titles that are words, not acronyms, in the shouted OMIM titles.
_SMALL_WORDS = {"of", "to", "and", "or", "the", "in", "on", "by", "for", "due", "low", "not"}


def shouts(name: str) -> bool:
    if any(char.islower() for char in name):
        return False
    return bool(_LONG_WORD.search(name)) or len(_WORD_OF_FOUR.findall(name)) >= 2


def display_name(name: str) -> str:
    """The name as a screen should show it: verbatim, unless it shouts; then in sentence case,
    keeping what looks like an acronym or a gene symbol (up to three letters, or letters with
    digits: "CLL", "B-cell", "COG8") as written."""
    if not shouts(name):
        return name

    def cased(word: re.Match[str]) -> str:
        text = word[0]
        keep = any(char.isdigit() for char in text) or len(text) <= 3
        return text if keep and text.lower() not in _SMALL_WORDS else text.lower()

    lowered = _WORD.sub(cased, name)
    first = next((i for i, char in enumerate(lowered) if char.isalpha()), None)
    if first is None:
        return lowered
    return lowered[:first] + lowered[first].upper() + lowered[first + 1 :]
