"""A counter that every change to the conditions table raises, by database trigger (migration
0003), in the transaction that makes the change. Caches of whole lists key on it: one primary
key read tells a worker whether anything listed may have changed."""

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ContentVersion(Base):
    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # a single row, id 1
    version: Mapped[int] = mapped_column(BigInteger)
