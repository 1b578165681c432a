# syntax=docker/dockerfile:1
#
# One image for every process of the portal: gunicorn (the default command), the Celery worker and beat,
# the migrate job, and the sandbox of the demo (docker-compose.demo.yml). docker-compose.yml picks the command per service.

FROM python:3.11-slim

# STATIC_ROOT: collected files belong to the image, not to the /app/var volume; a named volume is only
# seeded from the image when it is empty, so after an upgrade it would keep serving the old manifest.
# WEB_CONCURRENCY: gunicorn reads it as its default number of workers.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORTAL_DATA_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3

# A fixed uid, so the operator can give ./secrets/* to it (chown 10001) instead of making them world-readable.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, read from pyproject.toml alone: this layer is rebuilt only when they change,
# not on every source edit. (Only [project].dependencies: the dev extras never reach the image.)
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --no-cache-dir --root-user-action=ignore -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Named paths rather than `COPY . .`: there is no .dockerignore, and the build context will hold .env,
# ./secrets/, .venv and var/, none of which may end up in an image layer.
COPY README.md manage.py ./
COPY portal/ portal/
COPY catalog/ catalog/
COPY orders/ orders/
COPY billing/ billing/
COPY partnercenter/ partnercenter/
COPY sandbox/ sandbox/
COPY templates/ templates/
COPY static/ static/
RUN pip install --no-cache-dir --root-user-action=ignore --no-deps . \
 && rm -rf build ./*.egg-info

# Run the code from /app, never from the copy `pip install .` put in site-packages: settings.py finds
# templates/ and static/ beside its own package, and `celery` (unlike gunicorn and manage.py) does not
# keep the working directory on sys.path, so it would import portal from /app and the other apps from
# site-packages. Set only now, so that the install above cannot mistake /app for an installed copy.
ENV PYTHONPATH=/app

# Settings refuse to load without a secret key when DEBUG is off, so collectstatic gets a throwaway one
# on this line only. The throwaway data folder keeps what settings create on import (an embedded broker
# queue, since REDIS_URL is unset here) out of the image. The result stays root-owned: read-only at run time.
RUN DJANGO_SECRET_KEY=build-only-not-secret DJANGO_DEBUG=false PORTAL_DATA_DIR=/tmp/build-data \
        python manage.py collectstatic --noinput \
 && rm -rf /tmp/build-data

# The only writable place. It must exist, owned by the app user, before a named volume is mounted on it:
# Docker copies this ownership into the volume when it first creates it.
# /app/var/sandbox is where the demo's sandbox keeps its state (its own volume, seeded with this ownership).
RUN mkdir -p /app/var/sandbox && chown -R app:app /app/var

USER app

EXPOSE 8000

# /healthz is exempt from the HTTPS redirect, so a plain-HTTP probe works inside the container.
# Its Host header is 127.0.0.1, which DJANGO_ALLOWED_HOSTS must accept (docker-compose.yml adds it).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5).status == 200 else 1)"]

# Exec form, so gunicorn receives SIGTERM itself and shuts down gracefully.
# Workers come from WEB_CONCURRENCY. Slow work belongs in Celery tasks: a request still running after 60 s
# is taken as stuck, and its worker is replaced.
# /dev/shm for the worker heartbeat files: the container's own filesystem can stall them.
CMD ["gunicorn", "portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--timeout", "60", \
     "--worker-tmp-dir", "/dev/shm"]
