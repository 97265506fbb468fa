"""``manage.py import_units SLUG FILE --as EMAIL [--dry-run] [--json]``: what scripts rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from communities.models import AuditEvent, Unit
from communities.testing import make_world
from tests.communities.helpers import row_counts

HEAD = "楼栋,单元,房号,建筑面积\n"


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_units", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def official(world):
    world.official.email = "official@example.org"
    world.official.save(update_fields=["email"])
    return world.official


@pytest.fixture
def roster(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes((HEAD + "3栋,1,101,89.50\n3号楼,1,102,90\n").encode("gbk"))
    return path


def test_it_imports_and_exits_0(world, official, roster):
    code, out, err = run(world.a.slug, str(roster), "--as", "Official@Example.org")
    assert (code, err) == (0, "")
    assert "roster.csv" in out
    assert Unit.objects.filter(compound=world.a, building__name="3栋").count() == 2
    assert AuditEvent.objects.filter(action="units.import", actor=official).count() == 1


def test_a_second_run_takes_the_file_and_adds_nothing(world, official, roster):
    run(world.a.slug, str(roster), "--as", official.email)
    code, out, err = run(world.a.slug, str(roster), "--as", official.email, "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["ok"], result["new_units"], result["existing_units"]) == (True, 0, 2)


def test_dry_run_writes_nothing(world, official, roster):
    before = row_counts()
    code, out, err = run(world.a.slug, str(roster), "--as", official.email, "--dry-run", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["dry_run"], result["written"], result["new_units"]) == (True, False, 2)
    assert result["preview"][0]["unit"] == "3栋1单元101"
    assert row_counts() == before


def test_a_bad_file_exits_1_naming_row_and_column_on_stderr(world, official, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEAD + "3栋,1,101,89.50\n3栋,1,102,abc\n", encoding="utf-8")
    before = row_counts()
    code, out, err = run(world.a.slug, str(path), "--as", official.email, "--json")
    assert code == 1
    assert "3" in err and "建筑面积" in err
    result = json.loads(out)
    assert result["ok"] is False
    assert [(p["row"], p["column"]) for p in result["problems"]] == [(3, "建筑面积")]
    assert row_counts() == before


@pytest.mark.parametrize("who", ["resident", "staff", "committee", "secretary"])
def test_a_person_without_the_role_is_refused_like_on_the_page(world, tmp_path, roster, who):
    user = getattr(world, who)
    user.email = f"{who}@example.org"
    user.save(update_fields=["email"])
    code, out, err = run(world.a.slug, str(roster), "--as", user.email)
    assert code == 1 and out == ""
    assert world.a.slug in err
    assert not Unit.objects.filter(compound=world.a, building__name="3栋").exists()


def test_another_compound_answers_like_a_missing_one(world, official, roster):
    _code, _out, err_other = run(world.b.slug, str(roster), "--as", official.email)
    code, _out, err_missing = run("no-such-compound", str(roster), "--as", official.email)
    assert code == 1
    assert err_other.replace(world.b.slug, "X") == err_missing.replace("no-such-compound", "X")


def test_an_unknown_email_and_a_missing_file_are_refused(world, official, roster, tmp_path):
    code, _out, err = run(world.a.slug, str(roster), "--as", "nobody@example.org")
    assert code == 1 and "nobody@example.org" in err
    code, _out, err = run(world.a.slug, str(tmp_path / "missing.csv"), "--as", official.email)
    assert code == 1 and "missing.csv" in err


def test_the_real_process_exit_status_and_stderr(transactional_db, tmp_path):
    """What a scheduler sees: the process's exit status and its stderr."""
    world = make_world()
    world.official.email = "official@example.org"
    world.official.save(update_fields=["email"])
    good = tmp_path / "good.csv"
    good.write_text(HEAD + "3栋,1,101,89.50\n", encoding="utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEAD + "3栋,1,101,0\n", encoding="utf-8")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "LANGUAGE": "en",
    }
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the child process must see the test database")
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    cmd = [sys.executable, manage, "import_units", world.a.slug]
    done = subprocess.run(
        [*cmd, str(good), "--as", "official@example.org"], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    refused = subprocess.run(
        [*cmd, str(bad), "--as", "official@example.org"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "3栋1单元101" not in refused.stdout
    assert "2" in refused.stderr and "建筑面积" in refused.stderr


def test_as_also_takes_a_mobile_number(world, roster):
    code, _out, err = run(world.a.slug, str(roster), "--as", world.official.phone.removeprefix("+86"))
    assert (code, err) == (0, "")
