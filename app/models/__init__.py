"""All ORM models, imported together so Alembic sees one metadata."""

from app.models.annotation import PhenotypeAnnotation, PhenotypeCoverage
from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.code import Code
from app.models.code_entry import CodeEntry, SourceImport
from app.models.condition import Condition
from app.models.condition_type import ConditionTerm, ConditionType
from app.models.content_version import ContentVersion
from app.models.gene import ConditionGene, Gene
from app.models.history import ConditionChange, ConditionRevision, SlugRedirect
from app.models.release import Release
from app.models.section import Section, SectionItem
from app.models.source import Source, condition_sources, section_sources
from app.models.term import Term, term_ancestors, term_parents

__all__ = [
    "ApiKey",
    "Base",
    "Code",
    "CodeEntry",
    "Condition",
    "ConditionChange",
    "ConditionGene",
    "ConditionRevision",
    "ConditionTerm",
    "ConditionType",
    "ContentVersion",
    "Gene",
    "PhenotypeAnnotation",
    "PhenotypeCoverage",
    "Release",
    "Section",
    "SectionItem",
    "SlugRedirect",
    "Source",
    "SourceImport",
    "Term",
    "condition_sources",
    "section_sources",
    "term_ancestors",
    "term_parents",
]
