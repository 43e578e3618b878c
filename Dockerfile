# The service image. The database is a separate PostGIS (see compose.yaml): inside the container
# ZONING_DATABASE_URL must be set, the project-managed local cluster is for bare machines.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/zoning

# The CJK TrueType font embedded in PDF screening reports.
RUN apt-get update -q && apt-get install -y -q --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY zoning ./zoning
COPY geodata ./geodata
COPY migrations ./migrations
RUN pip install --no-compile . && useradd --system --home /srv/zoning zoning
USER zoning

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# Migrate, load the bundled dataset (idempotent), then serve on all interfaces of the container.
CMD ["sh", "-c", "zoning load && zoning serve --host 0.0.0.0 --port 8000"]
