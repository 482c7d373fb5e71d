# The console image: the same code runs as web (gunicorn), worker and beat.
# Production dependencies only: moto (the `demo` extra) and the test tools stay out.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONSOLE_EMBEDDED=0 CONSOLE_BIND=0.0.0.0:8000 CONSOLE_LOG_FORMAT=json \
    CONSOLE_STAGING_DIR=/staging CONSOLE_VAR_DIR=/app/var
WORKDIR /app
# Dependencies first (the project installs no package of its own, see pyproject.toml), so a
# code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_SECRET_KEY=build-only CONSOLE_ENCRYPTION_KEYS=ZmFrZS1rZXktZm9yLWNvbGxlY3RzdGF0aWMtMDAwMDA= \
    python manage.py collectstatic --noinput && \
    useradd --system --uid 10001 --no-create-home console && \
    mkdir -p /staging /app/var && chown console /staging /app/var
# Not root: the code and static files stay read-only to the process that serves them.
USER console
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "console.health", "live"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "console.wsgi"]
