"""bench --db: two runs with different names never share a database (issue 17)."""

import pytest

from bench import BENCH_DB_ENV, bench_db


def test_a_module_alone_keeps_its_own_name(monkeypatch):
    monkeypatch.delenv(BENCH_DB_ENV, raising=False)
    assert bench_db("gg_bench_payouts") == "gg_bench_payouts"


def test_under_the_runner_a_module_names_its_database_after_the_runners(monkeypatch):
    monkeypatch.setenv(BENCH_DB_ENV, "run_a")
    names_a = {bench_db(n) for n in ("gg_bench_payouts", "gg_bench_street", "gg_bench_meetings")}
    monkeypatch.setenv(BENCH_DB_ENV, "run_b")
    names_b = {bench_db(n) for n in ("gg_bench_payouts", "gg_bench_street", "gg_bench_meetings")}
    assert names_a == {"run_a_payouts", "run_a_street", "run_a_meetings"}
    assert not names_a & names_b


@pytest.mark.parametrize("name", ["Bad-Name", "x; DROP DATABASE postgres", "a" * 60])
def test_the_runner_refuses_a_name_it_could_not_quote(monkeypatch, name, capsys):
    from bench.__main__ import main

    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", name])
    assert exit_info.value.code == 2
    assert "--db" in capsys.readouterr().err
