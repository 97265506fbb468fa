"""Revising a compound's duty list from its page: a success is a new version; a bad
list is answered next to the right row or field and nothing is written."""

from __future__ import annotations

import pytest

from communities import selectors
from communities.models import AuditEvent, DutyListVersion
from tests.pages.helpers import client_for, duty_post_data, page_urls


@pytest.fixture
def edit(world):
    """(client, url, post data) for the community official of compound A."""
    return client_for(world.official), page_urls(world.a)["duties_edit"], duty_post_data(world.a)


def _versions(compound) -> int:
    return DutyListVersion.objects.filter(compound=compound).count()


def _row_errors(response) -> dict[int, list[str]]:
    """Errors shown on each row, by 1-based row number."""
    formset = response.context["formset"]
    return {i: list(form.non_field_errors()) for i, form in enumerate(formset.forms, 1) if form.errors}


def test_it_shows_the_current_list_in_the_form(world, edit):
    client, url, _ = edit
    response = client.get(url)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 20  # 19 duties and one blank row
    assert formset.forms[3].initial["title"] == "共管账户管理"


def test_it_saves_a_revision_as_a_new_version(world, edit):
    client, url, data = edit
    data["duties-13-title"] = "报修投诉受理、跟踪与回访"
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == page_urls(world.a)["members"]
    current = selectors.current_duty_list(world.a)
    assert current.version == 2
    assert current.reason == "联席会议决定调整"
    assert current.created_by == world.official
    assert [d.number for d in current.duties.all()] == list(range(1, 20))
    assert current.duties.get(number=14).title == "报修投诉受理、跟踪与回访"
    assert AuditEvent.objects.filter(
        action="duty_list.revise", compound=world.a, actor=world.official
    ).exists()
    # Earlier versions stay readable.
    assert (
        DutyListVersion.objects.get(compound=world.a, version=1).duties.get(number=14).title
        == "报修投诉受理与回访"
    )


def test_it_adds_a_duty_from_the_blank_row(world, edit):
    client, url, data = edit
    data.update(
        {
            "duties-19-number": "20",
            "duties-19-title": "电动车充电管理",
            "duties-19-description": "物业负责充电设施的日常巡查，社区督促整改隐患。",
            "duties-19-by_company": "on",
            "duties-19-cadence": "weekly",
        }
    )
    assert client.post(url, data).status_code == 302
    assert selectors.current_duty_list(world.a).duties.count() == 20


def test_it_removes_a_duty_when_the_rest_is_renumbered(world, edit):
    client, url, data = edit
    data["duties-18-DELETE"] = "on"  # the 19th item
    assert client.post(url, data).status_code == 302
    assert selectors.current_duty_list(world.a).duties.count() == 18


def test_it_refuses_a_gap_in_the_numbering(world, edit):
    client, url, data = edit
    data["duties-4-DELETE"] = "on"  # item 5 goes, 6..19 keep their numbers
    response = client.post(url, data)
    assert response.status_code == 200
    [error] = response.context["list_errors"]
    assert "1" in error and "18" in error
    assert error in response.content.decode()
    assert _versions(world.a) == 1


def test_it_refuses_a_repeated_number(world, edit):
    client, url, data = edit
    data["duties-5-number"] = "5"
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["list_errors"]
    assert _versions(world.a) == 1


def test_it_shows_a_missing_title_on_its_row(world, edit):
    client, url, data = edit
    data["duties-2-title"] = "   "
    response = client.post(url, data)
    assert response.status_code == 200
    errors = _row_errors(response)
    assert list(errors) == [3]
    assert "title" in errors[3][0]
    html = response.content.decode()
    assert 'data-row="3"' in html and errors[3][0] in html
    assert _versions(world.a) == 1


def test_it_shows_a_duty_without_a_party_on_its_row(world, edit):
    client, url, data = edit
    for flag in ("by_community", "by_committee", "by_company"):
        data.pop(f"duties-9-{flag}", None)
    response = client.post(url, data)
    assert response.status_code == 200
    assert list(_row_errors(response)) == [10]
    assert _versions(world.a) == 1


def test_it_shows_a_missing_reason_on_the_reason_field_and_the_rows_too(world, edit):
    client, url, data = edit
    data["reason"] = ""
    data["duties-0-title"] = ""
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["reason_form"].errors["reason"]
    assert list(_row_errors(response)) == [1]
    assert _versions(world.a) == 1


def test_it_shows_a_number_that_is_not_a_number_on_its_row(world, edit):
    client, url, data = edit
    data["duties-6-number"] = "七"
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["formset"].forms[6].errors["number"]
    assert _versions(world.a) == 1


def test_it_ignores_an_untouched_blank_row(world, edit):
    client, url, data = edit
    response = client.post(url, data)
    assert response.status_code == 302
    assert selectors.current_duty_list(world.a).duties.count() == 19


def test_it_lets_the_street_admin_revise_too(world):
    response = client_for(world.street_admin).post(page_urls(world.a)["duties_edit"], duty_post_data(world.a))
    assert response.status_code == 302
    assert _versions(world.a) == 2


def test_it_leaves_compound_b_alone(world, edit):
    client, url, data = edit
    client.post(url, data)
    assert _versions(world.b) == 1


def test_it_does_not_save_over_a_version_saved_meanwhile(world, edit):
    client, url, data = edit
    client_for(world.secretary).post(url, duty_post_data(world.a, reason="秘书先保存"))
    assert _versions(world.a) == 2
    response = client.post(url, data)  # still based on version 1
    assert response.status_code == 200
    assert response.context["list_errors"]
    assert _versions(world.a) == 2
    # The form now carries version 2: a second submit is deliberate and goes through.
    assert 'name="based_on" value="2"' in response.content.decode()
    assert client.post(url, {**data, "based_on": "2"}).status_code == 302
    assert _versions(world.a) == 3
