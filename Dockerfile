# One image for every role: `vigie migrate`, `vigie serve --roles api --workers N`, `vigie serve --roles collect,alert`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/vigie
# Pango (and the fonts it pulls in) for WeasyPrint's PDF reports, HarfBuzz-subset to embed only the glyphs used
# (WeasyPrint warns without it); nothing else is compiled or linked at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY app ./app
COPY collectors ./collectors
COPY alerts ./alerts
COPY migrations ./migrations
COPY examples ./examples
RUN pip install . && useradd --system --home /srv/vigie vigie && chown -R vigie /srv/vigie
USER vigie
EXPOSE 8000
CMD ["vigie", "serve", "--host", "0.0.0.0"]
