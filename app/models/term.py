from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, SlugType


class Term(Base):
    """A symptom, drug, test or procedure shared across conditions, for reverse look-ups."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(SlugType)
    name: Mapped[str] = mapped_column(String(500))
