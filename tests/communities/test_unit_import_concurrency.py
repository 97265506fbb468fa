"""Two imports of one roster at the same time: the compound lock makes the second find
every unit already there, so no unit is added twice and neither import fails."""

from __future__ import annotations

import threading

from django.db import connection

from communities.models import Unit
from communities.testing import make_world
from communities.unit_import import units_import


def test_two_concurrent_imports_add_each_unit_once(transactional_db):
    world = make_world()
    data = ("楼栋,单元,房号,建筑面积\n" + "".join(f"7栋,1,{n},80\n" for n in range(101, 141))).encode()
    start = threading.Barrier(2)
    results, errors = [], []

    def run(actor):
        try:
            start.wait()
            results.append(units_import(compound=world.a, data=data, file_name="r.csv", actor=actor))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(actor,)) for actor in (world.official, world.street_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(plan.new_units for plan in results) == [0, 40]
    assert Unit.objects.filter(compound=world.a, building__name="7栋").count() == 40
