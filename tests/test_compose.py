"""docker-compose.yml, read as the deployment it describes (Docker is not on the build machines): it parses,
every VIGIE_* variable it sets or reads is a real setting, the required ones stop compose at once, the
services wait for the database and the migration, the api can be scaled behind the proxy, and each command is
one the `vigie` CLI accepts."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import main
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
REQUIRED = {"POSTGRES_PASSWORD", "VIGIE_PUBLIC_URL", "VIGIE_ADMIN_KEY"}
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, as compose interpolates them.
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SETTINGS = {f"VIGIE_{name.upper()}" for name in Settings.model_fields}


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # `<<: *vigie` merges are resolved here


def _header() -> str:
    """The comment block at the top of the file, where every variable must be explained."""
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    return "\n".join(lines[:end])


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation of one string: a missing required variable is an error naming it."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        found = env.get(name)
        unset = found is None or (found == "" and operator is not None and operator.startswith(":"))
        if operator in (":?", "?") and unset:
            raise ValueError(f"required variable {name} is missing a value: {argument}")
        if operator in (":-", "-") and unset:
            return argument
        return found or ""

    return _VARIABLE.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []


def _variables() -> dict[str, set[str]]:
    """Every interpolated variable -> the operators it is used with ('' for plain ${NAME})."""
    found: dict[str, set[str]] = {}
    for text in _strings(_compose()):
        for match in _VARIABLE.finditer(text):
            found.setdefault(match.group(1), set()).add(match.group(2) or "")
    return found


def _command(service: str, env: dict[str, str]) -> list[str]:
    command = _compose()["services"][service]["command"]
    parts = command if isinstance(command, list) else shlex.split(command)
    return [interpolate(part, env) for part in parts]


GOOD_ENV = {
    "POSTGRES_PASSWORD": "change-me",
    "VIGIE_PUBLIC_URL": "https://vigie.example.com",
    "VIGIE_ADMIN_KEY": "vg_" + "k" * 40,
}


def test_the_file_parses_and_has_the_five_services() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "api", "worker", "proxy"}


def test_every_vigie_variable_it_sets_is_a_setting() -> None:
    for name, service in _compose()["services"].items():
        environment = service.get("environment") or {}
        keys = environment if isinstance(environment, dict) else [e.split("=", 1)[0] for e in environment]
        unknown = sorted(k for k in keys if k.startswith("VIGIE_") and k not in SETTINGS)
        assert not unknown, f"service {name} sets {unknown}, which app/settings.py does not know"


def test_every_variable_it_reads_is_a_setting_or_a_compose_knob_and_is_explained_in_the_header() -> None:
    variables = _variables()
    unknown = sorted(v for v in variables if v.startswith("VIGIE_") and v not in SETTINGS)
    assert not unknown, f"{unknown}: a VIGIE_ name must be a setting; name compose-only knobs without the prefix"
    header = _header()
    for name in variables:
        documented = name in header or (name.startswith("VIGIE_SMTP_") and "VIGIE_SMTP_*" in header)
        assert documented, f"${{{name}}} is not explained in the comment at the top of docker-compose.yml"


def test_the_env_template_lists_every_variable_and_requires_what_compose_requires() -> None:
    text = (ROOT / "deploy" / "compose.env.example").read_text(encoding="utf-8")
    template = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.M))
    assert set(template) == set(_variables())
    assert {name for name, value in template.items() if value == ""} >= REQUIRED - {"VIGIE_PUBLIC_URL"}


def test_required_variables_fail_fast_and_name_themselves() -> None:
    variables = _variables()
    required = {name for name, operators in variables.items() if operators & {":?", "?"}}
    assert required == REQUIRED
    for name in REQUIRED:
        assert variables[name] == {":?"}, f"{name} must be required wherever it is used"
        with pytest.raises(ValueError, match=f"required variable {name} is missing"):
            for text in _strings(_compose()):
                interpolate(text, {k: v for k, v in GOOD_ENV.items() if k != name})
        with pytest.raises(ValueError, match=name):  # empty counts as missing (`:?`)
            for text in _strings(_compose()):
                interpolate(text, {**GOOD_ENV, name: ""})
    for text in _strings(_compose()):
        interpolate(text, GOOD_ENV)  # and with them all, nothing else is required


def test_the_environment_it_gives_vigie_makes_valid_settings() -> None:
    environment = _compose()["x-vigie"]["environment"]
    values = {k.removeprefix("VIGIE_").lower(): interpolate(str(v), GOOD_ENV) for k, v in environment.items()}
    settings = Settings(_env_file=None, **values)
    assert settings.database_url.startswith("postgresql+psycopg://vigie:change-me@postgres:5432/")
    assert settings.public_url == GOOD_ENV["VIGIE_PUBLIC_URL"]


def test_postgres_keeps_its_data_in_a_volume_and_says_when_it_is_ready() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert postgres["volumes"][0].split(":")[0] in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_migrate_runs_once_and_everything_vigie_waits_for_it() -> None:
    services = _compose()["services"]
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert interpolate(" ".join(_command("migrate", GOOD_ENV)), GOOD_ENV).count("vigie migrate") == 1
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_api_runs_several_workers_publishes_no_host_port_and_the_proxy_is_the_entry_point() -> None:
    services = _compose()["services"]
    api, proxy = services["api"], services["proxy"]
    assert "ports" not in api, "a fixed host port on api makes `--scale api=2` fail (the port is taken)"
    assert _command("api", GOOD_ENV)[-2:] == ["--workers", "2"]
    assert _command("api", {**GOOD_ENV, "VIGIE_API_WORKERS": "4"})[-2:] == ["--workers", "4"]
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert [interpolate(p, GOOD_ENV) for p in proxy["ports"]] == ["8000:8000"]
    assert proxy["depends_on"] == {"api": {"condition": "service_healthy"}}
    caddyfile = next(v.split(":")[0] for v in proxy["volumes"] if v.endswith("/etc/caddy/Caddyfile:ro"))
    text = (ROOT / caddyfile).read_text(encoding="utf-8")
    assert re.search(r"dynamic a \{\s*name api\s*port 8000", text), "the proxy must follow every api replica"


def test_worker_runs_the_collect_and_alert_roles() -> None:
    assert _command("worker", GOOD_ENV) == ["vigie", "serve", "--roles", "collect,alert"]


@pytest.mark.parametrize("service", ["api", "worker"])
def test_each_command_is_one_the_cli_accepts(service: str) -> None:
    command = _command(service, GOOD_ENV)
    assert command[:2] == ["vigie", "serve"]
    context = main.commands["serve"].make_context("serve", command[2:])  # an unknown option raises here
    assert context.params["roles"]


def test_the_image_holds_every_package_and_what_its_dependencies_need() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in dockerfile, f"the image misses the {package} package"
    dependencies = " ".join(project["project"]["dependencies"]).lower()
    if "weasyprint" in dependencies:  # PDF reports: WeasyPrint loads Pango at run time
        assert "libpango-1.0-0" in dockerfile and "libpangoft2-1.0-0" in dockerfile
