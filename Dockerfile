# Condition Content API: migrates, seeds and imports the open data at start (skipped when
# unchanged), then serves on port 8000.
# DATABASE_URL defaults to SQLite in the /data volume; set it to a PostgreSQL URL in production.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/conditions.sqlite3 \
    API_HOST=0.0.0.0 \
    API_PORT=8000

RUN groupadd --system app && useradd --system --gid app --home-dir /app app \
    && mkdir -p /data && chown app:app /data

WORKDIR /app
# Commands run from /app, where migrations/ and seed_data/ sit beside the package.
COPY pyproject.toml README.md alembic.ini constraints.txt ./
COPY app app
COPY migrations migrations
COPY seed_data seed_data
RUN pip install -c constraints.txt .

USER app
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}/healthz\", timeout=2)"]

CMD ["sh", "-c", "python -m app migrate && python -m app seed && python -m app import all --quiet && exec python -m app serve"]
