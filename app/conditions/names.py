"""Slugs and name normalisation, one definition for the seed, the imports and the look-ups."""

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
