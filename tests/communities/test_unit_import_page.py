"""The page /c/<slug>/units/import/: upload → preview (nothing written) → confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities.models import AuditEvent, Unit
from tests.communities.helpers import row_counts

HEAD = "楼栋,单元,房号,建筑面积,业主姓名,联系电话\n"
GOOD = (HEAD + "3栋,1,101,89.50,张三,13800138000\n3号楼,1,102,90,,\n").encode("gbk")


def url(compound) -> str:
    return reverse("compound-units-import", args=[compound.slug])


def upload(client, compound, data: bytes, name="roster.csv"):
    return client.post(url(compound), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


@pytest.fixture
def official(client, world):
    client.force_login(world.official)
    return client


def test_it_previews_without_writing_then_confirms(official, world):
    before = row_counts()
    response = upload(official, world.a, GOOD)
    assert response.status_code == 200
    assert row_counts() == before
    plan = response.context["plan"]
    assert (plan.rows, plan.new_units, plan.new_owner_links) == (2, 2, 1)
    body = response.content.decode()
    assert "3栋1单元101" in body and "138****8000" in body and "13800138000" not in body
    response = official.post(url(world.a), {"sha256": plan.sha256})
    assert response.status_code == 302
    assert Unit.objects.filter(compound=world.a, building__name="3栋").count() == 2
    assert AuditEvent.objects.filter(action="units.import", compound=world.a).count() == 1
    # the preview is used up: a second confirm imports nothing more
    again = official.post(url(world.a), {"sha256": plan.sha256}, follow=True)
    assert AuditEvent.objects.filter(action="units.import", compound=world.a).count() == 1
    assert again.status_code == 200


def test_problems_are_listed_by_row_and_column_and_nothing_is_written(official, world):
    before = row_counts()
    response = upload(official, world.a, (HEAD + "3栋,1,101,89.50,,\n3栋,1,102,abc,,\n").encode())
    assert response.status_code == 200
    assert response.context["plan"] is None
    assert [(p["row"], p["column"]) for p in response.context["problems"]] == [(3, "建筑面积")]
    assert "建筑面积" in response.content.decode()
    assert row_counts() == before


def test_a_confirm_must_name_the_previewed_file(official, world):
    upload(official, world.a, GOOD)
    response = official.post(url(world.a), {"sha256": "0" * 64})
    assert response.status_code == 302
    assert not Unit.objects.filter(compound=world.a, building__name="3栋").exists()


def test_a_confirm_without_a_preview_writes_nothing(official, world):
    response = official.post(url(world.a), {"sha256": "a" * 64})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="units.import").exists()


def test_xlsx_uploads(official, world):
    from tests.communities.test_unit_import import xlsx

    data = xlsx([["building", "entrance", "room", "floor_area"], ["4", "2", "1502", 120.5]])
    response = upload(official, world.a, data, name="roster.xlsx")
    assert response.context["plan"].new_units == 1


def test_the_template_downloads_and_imports(official, world):
    response = official.get(reverse("compound-units-import-template", args=[world.a.slug]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.content
    assert data.decode("utf-8-sig").splitlines()[0] == "楼栋,单元,房号,建筑面积,业主姓名,业主电话"
    assert upload(official, world.a, data).context["plan"].new_units == 1


def test_the_members_page_links_to_it_for_unit_managers_only(client, world):
    members = reverse("compound-members", args=[world.a.slug])
    client.force_login(world.official)
    assert url(world.a) in client.get(members).content.decode()
    client.force_login(world.committee)
    assert url(world.a) not in client.get(members).content.decode()


@pytest.mark.parametrize(
    "who,status",
    [("outsider", 404), ("stranger", 404), ("resident", 403), ("staff", 403), ("committee", 403),
     ("manager", 200), ("official", 200), ("street_admin", 200)],
)  # fmt: skip
def test_who_may_upload(client, world, who, status):
    client.force_login(getattr(world, who))
    before = row_counts()
    response = upload(client, world.a, GOOD)
    assert response.status_code == status
    if status != 200:
        assert row_counts() == before


def test_another_compound_is_not_found(official, world):
    response = upload(official, world.b, GOOD)
    assert response.status_code == 404
    assert not Unit.objects.filter(compound=world.b, building__name="3栋").exists()
