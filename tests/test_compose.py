"""docker-compose.yml, the Dockerfile and gunicorn.conf.py cannot drift from the code.

There is no Docker engine here, so these files are read, not run: every variable compose
sets is one the settings (or gunicorn.conf.py) read, every command names a module that
exists, the staging volume is shared by the processes that touch staged bytes, and the
image's CMD is the web service's server command.
"""

from __future__ import annotations

import importlib
import json
import re
import runpy
import shlex
from pathlib import Path

import pytest
import yaml

from console.settings import database_from_url

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
CONSOLE_SERVICES = ["web", "worker", "beat"]
READERS = r"(?:env|env_bool|env_list|_int|os\.environ\.get|os\.getenv)\(\s*\"([A-Z][A-Z0-9_]+)\""


def variables_read(path: Path) -> set[str]:
    return set(re.findall(READERS, path.read_text()))


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [tuple(line.split(None, 1)) for line in lines]


def instruction(name: str) -> list[str]:
    return [args for op, args in dockerfile() if op == name]


def exec_form(args: str) -> list[str]:
    return json.loads(args[args.index("["):])


def command(service: str) -> list[str]:
    cmd = SERVICES[service]["command"]
    words = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if words[:2] == ["sh", "-c"]:
        # "a && exec b": the last step is the long-running process.
        words = shlex.split(words[2].split("&&")[-1])
    return [w for w in words if w != "exec"]


def test_every_variable_compose_sets_is_read_by_the_settings_or_gunicorn():
    known = variables_read(ROOT / "console" / "settings.py") | variables_read(ROOT / "gunicorn.conf.py")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    for name in CONSOLE_SERVICES:
        environment = SERVICES[name]["environment"]
        assert environment, name
        for variable in environment:
            assert variable in known, f"{name} sets {variable}, which nothing reads"
            assert variable in documented, f"{variable} is missing from .env.example"
    for env in instruction("ENV"):
        for variable in re.findall(r"([A-Z][A-Z0-9_]+)=", env):
            if not variable.startswith(("PYTHON", "PIP_")):
                assert variable in known, f"the Dockerfile sets {variable}, which nothing reads"


def test_the_database_and_broker_addresses_point_at_compose_services():
    environment = SERVICES["web"]["environment"]
    database = database_from_url(environment["DATABASE_URL"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] in SERVICES
    db_env = SERVICES[database["HOST"]]["environment"]
    assert (database["USER"], database["PASSWORD"], database["NAME"]) == (
        db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"], db_env["POSTGRES_DB"])
    broker = environment["CELERY_BROKER_URL"]
    assert broker.startswith("redis://") and broker.split("//")[1].split(":")[0] in SERVICES
    for host in environment["CONSOLE_ENDPOINT_ALLOWLIST"].split(","):
        assert host.strip() in SERVICES
    assert environment["CONSOLE_EMBEDDED"] == "0"


def test_the_staging_volume_is_mounted_where_web_and_workers_look_for_it():
    declared = set(COMPOSE["volumes"])
    for name in ("web", "worker"):
        service = SERVICES[name]
        staging = service["environment"]["CONSOLE_STAGING_DIR"]
        mounts = dict(reversed(v.split(":")[:2]) for v in service["volumes"])
        assert staging in mounts, f"{name} does not mount {staging}"
        assert mounts[staging] in declared, "a named volume, so every replica shares it"
    # The image makes the directory its user may write to.
    assert "/staging" in " ".join(instruction("RUN"))
    assert "CONSOLE_STAGING_DIR=/staging" in " ".join(instruction("ENV"))


def test_console_services_build_this_image_and_wait_for_their_dependencies():
    for name in CONSOLE_SERVICES:
        service = SERVICES[name]
        assert service["build"] == "."
        for dependency in service["depends_on"]:
            assert dependency in SERVICES
    assert (ROOT / "Dockerfile").exists()


def test_web_runs_gunicorn_with_the_config_file_and_the_image_cmd_is_the_same():
    web = command("web")
    assert web[0] == "gunicorn"
    config = web[web.index("--config") + 1]
    assert (ROOT / config).exists()
    app_module = web[-1]
    assert hasattr(importlib.import_module(app_module), "application")
    [cmd] = instruction("CMD")
    assert exec_form(cmd) == web
    assert "migrate" in SERVICES["web"]["command"]


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_services_name_the_console_app(service):
    words = command(service)
    assert words[:3] == ["celery", "-A", "console"]
    assert words[3] == {"worker": "worker", "beat": "beat"}[service]
    assert importlib.import_module(words[2]).celery_app.main == "console"


def test_ports_are_published_on_loopback_only_and_match_the_image():
    [expose] = instruction("EXPOSE")
    bind = next(arg for arg in " ".join(instruction("ENV")).split() if arg.startswith("CONSOLE_BIND="))
    assert bind.endswith(":" + expose)
    for service in SERVICES.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    assert SERVICES["web"]["ports"] == [f"127.0.0.1:8000:{expose}"]


def test_the_image_runs_as_a_user_and_probes_liveness_with_a_module_that_exists():
    [user] = instruction("USER")
    assert user not in {"root", "0"}
    [check] = instruction("HEALTHCHECK")
    probe = exec_form(check)
    assert probe[:3] == ["python", "-m", "console.health"]
    assert importlib.import_module(probe[2]).probe
    assert probe[3] in {"live", "ready"}
    # Worker and beat run no web server: they must not inherit the web probe.
    assert "celery" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert SERVICES["beat"]["healthcheck"] == {"disable": True}


def test_the_image_installs_no_demo_or_test_extra():
    installs = [run for run in instruction("RUN") if "pip install" in run]
    assert installs and all("[" not in run for run in installs), installs
    pyproject = (ROOT / "pyproject.toml").read_text()
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "moto" not in runtime
    assert "moto" in pyproject.split("demo = [", 1)[1].split("]", 1)[0]
    makefile = (ROOT / "Makefile").read_text()
    assert "'.[demo,test]'" in makefile


def test_dockerignore_keeps_history_environments_state_and_tests_out_of_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for entry in (".git", ".venv", "var", "tests", "bench", "docs/screenshots", ".env", "test-artifacts"):
        assert entry in ignored, entry


def test_gunicorn_runs_threads_with_timeouts_for_long_streams(monkeypatch):
    for name in ("CONSOLE_BIND", "PORT", "CONSOLE_WEB_WORKERS", "CONSOLE_WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    assert config["threads"] >= 4 and config["workers"] >= 2
    assert config["graceful_timeout"] >= 60
    assert config["timeout"] >= 30
    assert config["bind"] == "127.0.0.1:8000", "loopback unless the image says otherwise"
    monkeypatch.setenv("CONSOLE_WEB_THREADS", "16")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"] == 16
