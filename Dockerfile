# The platform's image: daphne (web and WebSockets) and Celery workers run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY impacts ./impacts
COPY duels ./duels
COPY workshop ./workshop
RUN pip install -c constraints.txt .
COPY . .
# Static files are collected into the image; WhiteNoise serves them.
RUN DEBUG=0 ALLOWED_HOSTS=build REDIS_URL=redis://unused:6379/0 \
    SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    python manage.py collectstatic --noinput

# var/exports: the volume that workers write vote archives to and web processes serve from
# (docker-compose.yml); a new volume takes this folder's owner.
RUN useradd --create-home duels && mkdir -p /app/var/exports && chown -R duels /app/var
USER duels
EXPOSE 8000
CMD ["daphne", "--no-server-name", "--bind", "0.0.0.0", "--port", "8000", "config.asgi:application"]
