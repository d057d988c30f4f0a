from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONType
from app.models.kinds import SectionKind
from app.models.source import section_sources

if TYPE_CHECKING:
    from app.models.condition import Condition
    from app.models.source import Source
    from app.models.term import Term

_KINDS = ", ".join(f"'{kind.value}'" for kind in SectionKind)


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("condition_id", "kind"),
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)

    condition: Mapped["Condition"] = relationship(back_populates="sections", lazy="raise")
    items: Mapped[list["SectionItem"]] = relationship(
        back_populates="section",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="SectionItem.position",
    )
    sources: Mapped[list["Source"]] = relationship(
        secondary=section_sources,
        lazy="raise",
        order_by=section_sources.c.position,
        viewonly=True,  # rows are written with their position by the seeding service
    )


class SectionItem(Base):
    """One ordered entry of a section. Kind-specific fields (frequency, drug class...) live in
    `attributes`, validated by the item schema of the section's kind before they are written."""

    __tablename__ = "section_items"
    __table_args__ = (UniqueConstraint("section_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("terms.id", ondelete="SET NULL"), index=True
    )

    section: Mapped[Section] = relationship(back_populates="items", lazy="raise")
    term: Mapped["Term | None"] = relationship(lazy="raise")
