"""In Chromium on a phone-sized screen: a community official uploads a GBK roster, reads the
preview (nothing written yet), confirms, and finds the new building on the members' page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from communities.models import Unit

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_official_imports_a_roster_on_a_phone(world, browser, live_server, tmp_path):
    roster = tmp_path / "尚城国际房屋清单.csv"
    rows = ["楼栋,单元,房号,建筑面积,业主姓名,联系电话"]
    rows += [f"12号楼,{e},{f}0{n},{88 + n}.50㎡,," for e in (1, 2) for f in (1, 2, 3) for n in (1, 2)]
    rows.append("12号楼,1,1901,120.00,张三,13800138000")
    roster.write_bytes(("\n".join(rows) + "\n").encode("gbk"))

    client = Client()
    client.force_login(world.official, backend="django.contrib.auth.backends.ModelBackend")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"/c/{world.a.slug}/members/")
    page.click(f"a[href='/c/{world.a.slug}/units/import/']")
    page.set_input_files("input[name=file]", str(roster))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("[data-testid=new-units]")
    assert page.inner_text("[data-testid=new-units]") == "13"
    assert "12栋1单元101" in page.content()
    assert "138****8000" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not Unit.objects.filter(compound=world.a, building__name="12栋").exists()

    page.click("form.actions button[type=submit]")
    page.wait_for_url(re.compile(rf"/c/{world.a.slug}/members/$"))
    assert Unit.objects.filter(compound=world.a, building__name="12栋").count() == 13
    assert "12栋" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
