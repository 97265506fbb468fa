# Gongguan: one image for web (gunicorn), worker and beat (Celery).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PYTHONPATH=/app

# WeasyPrint renders the PDFs (disclosures, settlements) with Pango and HarfBuzz;
# WenQuanYi Micro Hei gives it the Chinese glyphs. No compilers are needed: every
# Python dependency ships a wheel (psycopg[binary] brings its own libpq).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected at build time (whitenoise serves them with hashed names);
# the key only satisfies the settings check, it is not used for anything.
RUN SECRET_KEY=collectstatic-only-not-secret python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 gongguan \
    && mkdir -p var/media \
    && chown -R gongguan:gongguan var

USER gongguan
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py"]
