"""A content release: the content as it stood after a seed or import run that changed it, with
the versions of the sources it was built from. Editors' writes between runs are not releases;
the change feed carries them (a release's content version is a position in that feed)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, UTCDateTime, utcnow


class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_version: Mapped[int] = mapped_column(BigInteger, unique=True)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    made_by: Mapped[str] = mapped_column(String(40))  # "seed", "import:hpo", "import:icd10cm"
    # Every source as it stood: key, title, version, retrieved (see app.releases.schemas).
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    conditions: Mapped[int] = mapped_column(Integer)  # published records
