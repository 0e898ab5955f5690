# CityMatch: one image for the web server (gunicorn), the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_MANIFEST=true

WORKDIR /app

# Wheels exist for every pinned package (psycopg2-binary, numpy), so no compiler is needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are served by WhiteNoise from the image, with hashed names.
RUN python manage.py collectstatic --no-input --verbosity 0 \
    && useradd --create-home --uid 1000 citymatch \
    && chown -R citymatch /app
USER citymatch

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health/', timeout=4)"

# The web server: apply migrations, then serve. docker-compose.yml runs the worker and beat
# from the same image with their own commands.
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn citymatch.wsgi:application --bind 0.0.0.0:8000 --workers ${GUNICORN_WORKERS:-3} --timeout ${GUNICORN_TIMEOUT:-120} --access-logfile -"]
