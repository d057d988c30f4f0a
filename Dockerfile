# Condition Content API: migrates, seeds and imports the open data at start (skipped when
# unchanged), then serves on port 8000.
# DATABASE_URL defaults to SQLite in the /data volume; set it to a PostgreSQL URL in production.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/conditions.sqlite3 \
    SEED_DIR=/app/seed_data \
    API_HOST=0.0.0.0 \
    API_PORT=8000

RUN groupadd --system app && useradd --system --gid app --home-dir /app app \
    && mkdir -p /data && chown app:app /data

# The dependencies in their own layer, from pyproject's list at constraints.txt's versions:
# a change to the code reuses this layer instead of reinstalling everything.
WORKDIR /src
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt

# Then the package alone (its migrations inside it), without touching the dependencies.
COPY README.md ./
COPY app app
RUN pip install --no-deps . && rm -rf build ./*.egg-info

# Commands run from /app, which holds the seed files (SEED_DIR) and no copy of the code: the
# installed package is the one that runs, and it finds its migrations itself.
WORKDIR /app
COPY seed_data seed_data

USER app
VOLUME ["/data"]
EXPOSE 8000
# The first start migrates, seeds and imports the open data before it serves (50-70 s on
# SQLite on an idle 2-CPU machine, measured by deploy/container-check; longer on PostgreSQL,
# and several times that on a busy or smaller machine), and /healthz answers only then:
# failures in the first 300 s do not count.
HEALTHCHECK --interval=30s --timeout=3s --start-period=300s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}/healthz\", timeout=2)"]

CMD ["sh", "-c", "python -m app migrate && python -m app seed && python -m app import all --quiet && exec python -m app serve"]
