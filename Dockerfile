# The console image: the same code runs as web (gunicorn), worker and beat.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CONSOLE_EMBEDDED=0
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && \
    DJANGO_SECRET_KEY=build-only CONSOLE_ENCRYPTION_KEYS=ZmFrZS1rZXktZm9yLWNvbGxlY3RzdGF0aWMtMDAwMDA= \
    python manage.py collectstatic --noinput && \
    useradd --system --uid 10001 console && mkdir -p /staging && chown console /staging
USER console
EXPOSE 8000
CMD ["gunicorn", "console.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
