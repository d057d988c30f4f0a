"""One typed settings object, read from the environment (and a `.env` file) once at start-up."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.ratelimit import parse_limit
from app.core.schemas import comma_separated

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "conditions.sqlite3"

LogLevel = Literal["debug", "info", "warning", "error", "critical"]


class Settings(BaseSettings):
    """Every setting of the service. Each one is documented in README.md (a test checks)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL of the database; SQLite file in var/ by default.",
    )
    database_read_url: str = Field(
        default="",
        description="PostgreSQL: a read replica (a hot standby of DATABASE_URL) that takes "
        "the reads while it is up, within READ_REPLICA_MAX_LAG_S and caught up with the "
        "latest write; empty: every read goes to DATABASE_URL.",
    )
    read_replica_max_lag_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="A read replica whose replay lags more than this many seconds takes no "
        "reads (they go to the primary) until it has caught up.",
    )
    api_host: str = Field(default="127.0.0.1", description="Interface `serve` binds to.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` listens on.")
    log_level: LogLevel = Field(default="info", description="Lowest level that is logged.")
    cors_origins: str = Field(
        default="*",
        description="Origins allowed to read the API from a browser: `*` or a comma list.",
    )
    compress_minimum_size: int = Field(
        default=1000,
        ge=0,
        description="Responses at least this many bytes are compressed (zstd, br, gzip).",
    )
    cache_max_age: int = Field(
        default=300,
        ge=0,
        description="Seconds clients and shared caches may reuse a response (Cache-Control).",
    )
    response_cache_mb: int = Field(
        default=64,
        ge=0,
        description="Size of each worker's cache of serialized records and sections; 0 is off.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description="Larger request bodies are refused with 413 before they are parsed.",
    )
    reads_require_key: bool = Field(
        default=False,
        description="Require an API key with the read scope on every /v1 read.",
    )
    statement_timeout_ms: int = Field(
        default=15_000,
        ge=0,
        description="PostgreSQL: the longest a statement of the serving app may run (0: no "
        "limit). Connecting is bounded at 5 s, and a silent network at 5 s too.",
    )
    read_staleness_s: float = Field(
        default=1.0,
        ge=0,
        le=300,
        description="PostgreSQL: each worker remembers its version checks until a change "
        "notification arrives, and at most this many seconds (the longest a read can lag a "
        "commit whose notification was lost; the writing worker itself is always exact). 0: "
        "every read asks the database.",
    )
    telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry (traces, metrics, logs) through the "
        "global providers. Off, a request skips looking the providers up.",
    )
    write_rate_limit: str = Field(
        default="60/minute",
        description="Writes allowed per API key and per client address, e.g. `60/minute`; "
        "empty is no limit.",
    )
    read_rate_limit: str = Field(
        default="",
        description="Reads allowed per client address (or key, when one is sent), e.g. "
        "`600/minute`; empty (the default) is no limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate limits are counted: `memory://` per worker, or a shared "
        "`redis://host:6379` or `memcached://host:11211` for every worker and machine.",
    )
    rate_limit_prefix: str = Field(
        default="condition-content-api",
        min_length=1,
        max_length=100,
        description="Prefix of the rate limits' keys in a shared Redis (so services can share "
        "one Redis).",
    )
    seed_dir: Path = Field(
        default=PROJECT_ROOT / "seed_data",
        description="Folder whose *.yaml files `seed` loads.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lowercase_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("write_rate_limit", "read_rate_limit")
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        parse_limit(value)  # a ValueError names the bad text
        return value

    @model_validator(mode="after")
    def _replica_of_postgres(self) -> "Settings":
        if self.database_read_url and not (
            self.database_url.startswith("postgresql")
            and self.database_read_url.startswith("postgresql")
        ):
            raise ValueError(
                "DATABASE_READ_URL is for a PostgreSQL replica of a PostgreSQL DATABASE_URL"
            )
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return comma_separated(self.cors_origins)

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _use_psycopg3(cls, value: str) -> str:
        # Plain postgres URLs (as hosting platforms hand them out) mean the psycopg 3 driver here.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
