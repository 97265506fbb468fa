"""A compound's roster of units from a spreadsheet: reading, checking, all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import User
from common.errors import PermissionDeniedError
from communities.models import AuditEvent, Building, Unit, UnitOwnership
from communities.unit_import import (
    MAX_ROWS,
    UnitImportError,
    building_name,
    entrance_name,
    floor_area,
    template_csv,
    units_import,
    units_import_plan,
)
from tests.communities.helpers import row_counts

HEAD = "楼栋,单元,房号,建筑面积\n"


def csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def do_import(world, data: bytes, actor=None, name="roster.csv"):
    return units_import(compound=world.a, data=data, file_name=name, actor=actor or world.official)


def refused(world, data: bytes, actor=None) -> list[tuple]:
    before = row_counts()
    with pytest.raises(UnitImportError) as exc_info:
        do_import(world, data, actor)
    assert row_counts() == before, "a refused file wrote something"
    return [(p.row, p.column) for p in exc_info.value.problems]


def units_of(world) -> set[str]:
    return {u.label for u in Unit.objects.filter(compound=world.a).select_related("building")}


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "text,expected",
    [("3栋", "3栋"), ("3", "3栋"), ("3号楼", "3栋"), ("03", "3栋"), ("３栋", "3栋"), (" 3# ", "3栋"),
     ("三栋", "3栋"), ("十二号楼", "12栋"), ("Building 7", "7栋"), ("A座", "A座")],
)  # fmt: skip
def test_building_names_follow_the_house_convention(text, expected):
    assert building_name(text) == expected


@pytest.mark.parametrize(
    "text,expected", [("2", "2"), ("02", "2"), ("2单元", "2"), ("二单元", "2"), ("２", "2")]
)
def test_entrances_are_numbers(text, expected):
    assert entrance_name(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("89.5", "89.50"), ("89.50㎡", "89.50"), ("89.50 m²", "89.50"), ("８９.５", "89.50"), ("120", "120.00"),
     ("89.50平方米", "89.50"), (" 89.5\t", "89.50")],
)  # fmt: skip
def test_floor_areas_are_read_exactly(text, expected):
    assert floor_area(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["0", "-3", "89.555", "abc", "", "2000.01", "1,089.50", "89.5.1"])
def test_bad_floor_areas_are_refused(text):
    with pytest.raises(ValueError):
        floor_area(text)


# --------------------------------------------------------------------------- reading


def test_a_utf8_csv_adds_its_units_with_their_buildings(world):
    data = csv(HEAD + "1栋,1,201,89.50\n3号楼,2,1502,120\n3,2,1503,100.25㎡\n")
    plan = do_import(world, data)
    assert (plan.rows, plan.new_units, plan.existing_units, plan.written) == (3, 3, 0, True)
    assert plan.new_buildings == ["3栋"]
    assert {"1栋1单元201", "3栋2单元1502", "3栋2单元1503"} <= units_of(world)
    assert Unit.objects.get(building__compound=world.a, number="1503").floor_area == Decimal("100.25")
    assert Building.objects.get(compound=world.a, name="3栋").sort_key == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_bom_and_gbk_csv_are_read(world, encoding):
    plan = do_import(world, csv(HEAD + "2栋,1,101,66.6\n", encoding))
    assert plan.new_units == 1
    assert "2栋1单元101" in units_of(world)


def test_xlsx_with_numbers_as_numbers(world):
    data = xlsx([["楼栋", "单元", "房号", "建筑面积"], [5, 1, 301, 89.5], ["5栋", "1单元", "302", "90.00"]])
    plan = do_import(world, data, name="roster.xlsx")
    assert plan.new_units == 2
    assert Unit.objects.get(building__name="5栋", number="301").floor_area == Decimal("89.50")


def test_english_headers_padding_full_width_and_a_title_line(world):
    data = csv(
        "尚城国际 房屋清单,,,\n Building , Entrance ,Room,Floor area (m²)\n　４栋　,１,　２０１ ,８９.５０\n,,,\n"
    )
    plan = do_import(world, data)
    assert plan.new_units == 1
    assert "4栋1单元201" in units_of(world)


def test_the_template_imports(world):
    plan = do_import(world, template_csv())
    assert plan.new_units == 1 and plan.new_owner_links == 1


# --------------------------------------------------------------------------- problems name row and column


def test_missing_columns_are_named(world):
    with pytest.raises(UnitImportError) as exc_info:
        do_import(world, csv("楼栋,房号\n1栋,101\n"))
    [problem] = exc_info.value.problems
    assert problem.row == 1
    assert "单元" in problem.message and "建筑面积" in problem.message


def test_every_bad_cell_is_named_by_row_and_column(world):
    data = csv(
        HEAD
        + "1栋,1,301,89.5\n"  # row 2 fine
        + ",1,302,89.5\n"  # row 3: building empty
        + "1栋,,303,89.5\n"  # row 4: entrance empty
        + "1栋,1,,89.5\n"  # row 5: room empty
        + "1栋,1,306,0\n"  # row 6: area zero
        + "1栋,1,307,89.555\n"  # row 7: three decimals
        + "1栋,1,308,大\n"  # row 8: not a number
    )
    assert refused(world, data) == [
        (3, "楼栋"),
        (4, "单元"),
        (5, "房号"),
        (6, "建筑面积"),
        (7, "建筑面积"),
        (8, "建筑面积"),
    ]


def test_english_header_names_are_used_in_problems(world):
    assert refused(world, csv("building,entrance,room,floor_area\n1,1,401,-1\n")) == [(2, "floor_area")]


def test_a_bad_row_57_writes_nothing(world):
    lines = [f"9栋,1,{100 + n},88.00" for n in range(1, 80)]
    lines[55] = "9栋,1,156,eighty"  # the 56th data row is row 57 of the sheet
    assert refused(world, csv(HEAD + "\n".join(lines) + "\n")) == [(57, "建筑面积")]
    assert not Building.objects.filter(compound=world.a, name="9栋").exists()


def test_duplicates_inside_the_file_name_both_rows(world):
    with pytest.raises(UnitImportError) as exc_info:
        do_import(world, csv(HEAD + "2栋,1,101,80\n2号楼,01,101,80\n"))
    [problem] = exc_info.value.problems
    assert problem.row == 3 and "2" in problem.message


def test_too_many_rows_are_refused(world):
    body = "".join(f"7栋,1,{n},80\n" for n in range(MAX_ROWS + 1))
    assert refused(world, csv(HEAD + body)) == [(None, None)]


def test_an_empty_file_and_a_header_only_file_are_refused(world):
    assert refused(world, b"") == [(None, None)]
    assert refused(world, csv(HEAD)) == [(None, None)]


def test_a_file_that_is_no_csv_is_refused(world):
    assert refused(world, b"\x00\x01\x02 binary") == [(None, None)]


# --------------------------------------------------------------------------- existing units


def test_re_importing_the_same_file_adds_nothing(world):
    data = csv(HEAD + "1栋,1,101,89.50\n1栋,1,103,70\n")  # 101 is already there with 89.50
    first = do_import(world, data)
    assert (first.new_units, first.existing_units) == (1, 1)
    count = Unit.objects.count()
    second = do_import(world, data)
    assert (second.new_units, second.existing_units) == (0, 2)
    assert Unit.objects.count() == count
    assert AuditEvent.objects.filter(action="units.import", compound=world.a).count() == 2


def test_a_different_floor_area_for_an_existing_unit_is_refused(world):
    assert refused(world, csv(HEAD + "1栋,1,102,120.00\n1栋,1,101,90.00\n")) == [(3, None)]
    assert Unit.objects.get(pk=world.unit_a.pk).floor_area == Decimal("89.50")


# --------------------------------------------------------------------------- owners


def test_owners_become_owner_links_and_accounts_without_password(world):
    data = csv(
        "楼栋,单元,房号,建筑面积,业主姓名,联系电话\n6栋,1,101,80,张三,138 0013 8000\n6栋,1,102,80,张三,13800138000\n6栋,1,103,80,,\n"
    )
    plan = do_import(world, data)
    assert (plan.new_owner_links, plan.new_accounts) == (2, 1)
    user = User.objects.get(phone="+8613800138000")
    assert user.display_name == "张三" and not user.has_usable_password()
    assert UnitOwnership.objects.filter(user=user, compound=world.a).count() == 2
    assert plan.preview[0]["owner_phone"] == "138****8000"


def test_an_existing_account_is_linked_and_keeps_its_name(world):
    data = csv(f"楼栋,单元,房号,建筑面积,业主,手机\n1栋,1,102,120.00,别名,{world.committee.phone}\n")
    plan = do_import(world, data)
    assert (plan.new_owner_links, plan.new_accounts, plan.existing_units) == (1, 0, 1)
    world.committee.refresh_from_db()
    assert world.committee.display_name == "李委员"
    assert UnitOwnership.objects.filter(user=world.committee, unit__number="102").exists()
    again = do_import(world, data)
    assert (again.new_owner_links, again.existing_owner_links) == (0, 1)


def test_owner_problems_are_named(world):
    data = csv(
        "楼栋,单元,房号,建筑面积,业主姓名,联系电话\n"
        "6栋,1,101,80,张三,12345\n"  # row 2: not a mobile number
        "6栋,1,102,80,李四,\n"  # row 3: a name without a number
        "1栋,1,101,89.50,王五,13900000001\n"  # row 4: the unit has another owner
    )
    assert refused(world, data) == [(2, "联系电话"), (3, "联系电话"), (4, None)]


def test_one_number_for_two_names_is_refused(world):
    data = csv(
        "楼栋,单元,房号,建筑面积,业主姓名,联系电话\n6栋,1,101,80,张三,13800138000\n6栋,1,102,80,李四,13800138000\n"
    )
    assert refused(world, data) == [(3, None)]


# --------------------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["official", "manager", "street_admin"])
def test_unit_managers_may_import(world, who):
    assert do_import(world, csv(HEAD + "8栋,1,101,80\n"), actor=getattr(world, who)).new_units == 1


@pytest.mark.parametrize(
    "who", ["resident", "staff", "committee", "chair", "secretary", "outsider", "inspector"]
)
def test_others_may_not_import_nor_preview(world, who):
    before = row_counts()
    actor = getattr(world, who)
    with pytest.raises(PermissionDeniedError):
        do_import(world, csv(HEAD + "8栋,1,101,80\n"), actor=actor)
    with pytest.raises(PermissionDeniedError):
        units_import_plan(compound=world.a, data=csv(HEAD + "8栋,1,101,80\n"), file_name="x.csv", actor=actor)
    assert row_counts() == before


def test_the_preview_writes_nothing_and_the_import_one_audit_event(world):
    data = csv(HEAD + "8栋,1,101,80\n8栋,1,102,81\n")
    before = row_counts()
    plan = units_import_plan(compound=world.a, data=data, file_name="x.csv", actor=world.official)
    assert row_counts() == before
    assert (plan.new_units, plan.written) == (2, False)
    assert [p["status"] for p in plan.preview] == ["new", "new"]
    events = AuditEvent.objects.filter(action="units.import")
    do_import(world, data)
    [event] = events
    assert event.actor == world.official and event.compound == world.a
    assert event.after["new_units"] == 2 and event.after["sha256"] == plan.sha256


def test_messages_are_in_chinese(world):
    with translation.override("zh-hans"), pytest.raises(UnitImportError) as exc_info:
        do_import(world, csv(HEAD + "1栋,1,301,大\n"))
    assert "第 2 行" in str(exc_info.value.problems[0]) or "行" in exc_info.value.message


def test_the_property_company_imports_units_but_links_no_owner(world):
    data = csv("楼栋,单元,房号,建筑面积,业主姓名,联系电话\n6栋,1,101,80,,\n6栋,1,102,80,王经理,13800138000\n")
    assert refused(world, data, actor=world.manager) == [(3, "联系电话")]
    assert do_import(world, csv(HEAD + "6栋,1,101,80\n"), actor=world.manager).new_units == 1


def test_nobody_links_themselves(world):
    data = csv(f"楼栋,单元,房号,建筑面积,业主姓名,联系电话\n6栋,1,101,80,周书记,{world.official.phone}\n")
    assert refused(world, data, actor=world.official) == [(2, "联系电话")]
    assert do_import(world, data, actor=world.street_admin).new_owner_links == 1
