"""The declared requirements are the ones CI tests, and README's commands are CI's."""

import re
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python >= 3.11")


def _floors(requirements):
    """{name: floor} of requirements written 'name>=X' (with any upper bound)."""
    floors = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)(,<[0-9.]+)?", requirement)
        if match:
            floors[match[1].lower()] = Version(match[2])
    return floors


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = Version(version)
    return pins


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_pandas_is_a_required_dependency(project):
    assert "pandas" in _floors(project["dependencies"])
    assert "pandas" not in project["optional-dependencies"]


def test_the_minimum_environment_installs_the_declared_floors(project):
    # .ci/run installs .ci/minimum.txt as constraints and runs the suite: the
    # floors that pyproject claims are the releases CI runs. torch is left
    # out (only 2.13.0 can be installed here; see .ci/minimum.txt).
    floors = _floors(project["dependencies"])
    for extra in ("imblearn", "parquet"):
        floors.update(_floors(project["optional-dependencies"][extra]))
    del floors["torch"]
    assert _pins(ROOT / ".ci" / "minimum.txt") == floors


def test_ci_runs_the_readme_commands_verbatim():
    # .ci/run reads README's first code block: the main job, then the tests.
    block = (ROOT / "README.md").read_text().split("```")[1]
    commands = [
        line
        for line in block.splitlines()[1:]
        if line.strip() and not line.startswith("#")
    ]
    assert len(commands) == 2
    assert commands[0].startswith("pip install torch==2.13.0 && ")
    assert commands[0].endswith("python -m skgan demo")
    assert commands[1].endswith('pip install -e ".[test]" && python -m pytest')
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'bash -euo pipefail -c "$main_job"' in ci
    assert 'bash -euo pipefail -c "$test_command"' in ci
