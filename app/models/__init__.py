"""All ORM models, imported together so Alembic sees one metadata."""

from app.models.base import Base
from app.models.code import Code
from app.models.condition import Condition
from app.models.section import Section, SectionItem
from app.models.source import Source, condition_sources, section_sources
from app.models.term import Term

__all__ = [
    "Base",
    "Code",
    "Condition",
    "Section",
    "SectionItem",
    "Source",
    "Term",
    "condition_sources",
    "section_sources",
]
