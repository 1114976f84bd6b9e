# syntax=docker/dockerfile:1
#
# Production image of the clinic system: gunicorn serves clinic.wsgi, whitenoise serves the static
# files collected at build time, the same image runs the Celery worker and beat (docker-compose.yml).
# How to run it: docs/production.md.

ARG PYTHON_VERSION=3.11
ARG NODE_VERSION=22

# --- Front-end packages (bootstrap, bootstrap-icons, htmx) from the npm registry -----------------
FROM node:${NODE_VERSION}-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error


# --- The application ----------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# gettext: compilemessages (msgfmt).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 clinic \
    && useradd --system --uid 10001 --gid clinic --create-home --home-dir /home/clinic \
       --shell /usr/sbin/nologin clinic

WORKDIR /app

# Runtime requirements only: everything above the "# Tests and tooling" line of requirements.txt
# (pytest, playwright, ruff, mypy... stay out of the image). If that line ever goes away, sed keeps
# the whole file, so the image still gets every runtime package.
COPY requirements.txt ./
RUN sed '/^# Tests and tooling/,$d' requirements.txt > /tmp/requirements-runtime.txt \
    && pip install --no-cache-dir -r /tmp/requirements-runtime.txt \
    && rm /tmp/requirements-runtime.txt \
    && gunicorn --version && celery --version

COPY --from=assets /build/node_modules ./node_modules
COPY . .

# Translations and static files, at build time. Settings must import for that, and they import
# without talking to any server once DATABASE_URL and REDIS_URL are set; production mode is used so
# that collectstatic writes the whitenoise manifest (CompressedManifestStaticFilesStorage) the
# running production settings read. Every value below is a throw-away that exists only in this RUN
# (no ENV, so nothing is left in the image); the real ones come from the environment at run time.
RUN mkdir -p locale \
    && env \
       CLINIC_ENV=production \
       SECRET_KEY=build-only-not-a-secret \
       BLIND_INDEX_KEY=build-only-not-a-secret \
       FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
       ALLOWED_HOSTS=build.invalid \
       DATABASE_URL=postgres://build.invalid/none \
       REDIS_URL=redis://build.invalid:6379/0 \
       EMAIL_URL=smtp://build.invalid:25 \
       sh -c 'python manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var --verbosity=1 \
              && python manage.py collectstatic --noinput --verbosity=1' \
    && mkdir -p /app/var /app/private-media \
    && chown clinic:clinic /app/var /app/private-media

# The image is production-shaped: without the secrets it refuses to start instead of falling back
# to development defaults (embedded servers, generated keys).
ENV CLINIC_ENV=production \
    PRIVATE_MEDIA_ROOT=/app/private-media \
    WEB_CONCURRENCY=3

# Patient documents live in /app/private-media: mount a persistent volume there, shared by web and
# worker (docker-compose.yml does). No VOLUME line, so one-shot containers get no stray volumes.

USER clinic:clinic
EXPOSE 8000

# gunicorn: WEB_CONCURRENCY worker processes (default 3) x 4 threads each. GUNICORN_CMD_ARGS can add
# options not given here (the command line wins over it); to change one of these, override the
# command. Each thread may hold one database connection (CONN_MAX_AGE). The access log goes to stdout without query strings or referrers, which can
# carry patient names or CPF numbers from searches (%(U)s is the path only).
CMD ["gunicorn", "clinic.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--threads", "4", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--keep-alive", "5", \
     "--max-requests", "2000", \
     "--max-requests-jitter", "200", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--error-logfile", "-", \
     "--access-logformat", "%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s \"%(m)s %(U)s %(H)s\" %(s)s %(B)s %(L)s \"%(a)s\""]
