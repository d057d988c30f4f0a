from sqlalchemy import inspect, text
from sqlalchemy.orm import Session


def schema_revision(session: Session) -> str | None:
    """The Alembic revision the database is at (None when it was never migrated). Raises when
    the database cannot be reached."""
    connection = session.connection()
    if not inspect(connection).has_table("alembic_version"):
        return None
    revision: str | None = session.scalar(text("SELECT version_num FROM alembic_version"))
    return revision
