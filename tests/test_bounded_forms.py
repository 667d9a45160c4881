"""A request costs what a full page costs, whatever row count it declares (issue 24, item 1).

附件1's four lists took the client's TOTAL_FORMS: 1,000 declared rows per list made a 2 KB POST
cost 40 s of CPU and a 14 MB page. Each list now has a cap (applications.forms.ROW_CAPS), and a
count beyond the cap plus shanghai_experts.formsets.SLACK is refused before a row is built.
Time is measured as this process's CPU time (the test client runs the view in-process), so a
busy machine does not make the bound flaky.
"""

import importlib
import pkgutil
import re
import time
from pathlib import Path

import pytest
from django.contrib import admin
from django.forms.formsets import BaseFormSet
from django.urls import reverse

from applications.forms import FORMSETS, ROW_CAPS, ApplicationBundle
from applications.models import Application, Expert
from applications.rules import ROW_SECTIONS
from bases.models import Assessment
from shanghai_experts.formsets import SLACK, BoundedRows
from shanghai_experts.states import State

from .factories import ApplicationFactory, AssessmentFactory, UserFactory
from .forms_data import form_data

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ["accounts", "applications", "bases", "portal", "reviews", "shanghai_experts"]

#: CPU seconds a refused request may take: a full page of 附件1 renders in about a tenth of it.
CPU_BOUND = 1.0
#: Bytes a refused answer may have (the full edit page with the capped rows).
PAGE_BOUND = 600_000


def _cpu(fn):
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


@pytest.fixture
def draft(client, call):
    app = ApplicationFactory(call=call, name="原来的名称")
    user = UserFactory(organisation=app.unit)
    client.force_login(user)
    client.get(reverse("applications:edit", args=[app.pk]))  # templates compiled, not measured
    return app, user


def _flood(app, section, total, *, initial=None, **extra):
    data = form_data(app, name="新填的服务团名称", **extra)
    data[f"{section}-TOTAL_FORMS"] = str(total)
    if initial is not None:
        data[f"{section}-INITIAL_FORMS"] = str(initial)
    data[f"{section}-0-{_first_field(section)}"] = "第一行填写的内容"
    return data


def _first_field(section):
    return {
        "experts": "name",
        "places": "county",
        "budget_items": "item",
        "funding_sources": "source",
    }[section]


# --- every formset in the project is bounded --------------------------------------------------


def _project_modules():
    for package in PROJECT_PACKAGES:
        root = importlib.import_module(package)
        yield root
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield importlib.import_module(info.name)


def _formset_classes(value):
    if isinstance(value, type) and issubclass(value, BaseFormSet):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _formset_classes(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _formset_classes(item)


def test_every_formset_class_in_the_project_is_bounded():
    found = {
        (module.__name__, name, cls)
        for module in _project_modules()
        for name, value in vars(module).items()
        for cls in _formset_classes(value)
        if not name.startswith("Base")
    }
    assert {cls for *_, cls in found} >= set(FORMSETS.values())
    for module, name, cls in found:
        assert issubclass(cls, BoundedRows), f"{module}.{name}"
        if hasattr(cls, "max_num"):  # else a base for admin inlines, which set their own
            assert cls.max_num <= 100, f"{module}.{name}"
            assert cls.absolute_max <= cls.max_num + SLACK, f"{module}.{name}"


def test_no_formset_factory_in_the_source_but_the_bounded_ones():
    """A formset made in a function (not a module-level name) would escape the test above."""
    factory = re.compile(r"\b(?:inline|model|generic_inline)?formset_factory\(")
    offenders = []
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "formsets.py" and path.parent.name == "shanghai_experts":
                continue  # the bounded factories themselves
            if factory.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_admin_inline_is_bounded():
    """The project's inlines (django_otp's own StaticTokenInline is left as the package has it)."""
    inlines = [
        inline
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
        if inline.__module__.split(".")[0] in PROJECT_PACKAGES
    ]
    assert len(inlines) >= 7
    for inline in inlines:
        assert issubclass(inline.formset, BoundedRows), inline.__name__
        assert inline.max_num is not None and inline.max_num <= 100, inline.__name__


def test_the_admin_refuses_a_flood_of_inline_rows_cheaply(client, draft):
    app, _ = draft
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:applications_application_change", args=[app.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {"unit": app.unit_id, "call": app.call_id, "_save": "保存"}
    for prefix in FORMSETS:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data["experts-TOTAL_FORMS"] = "1000000"
    response, cpu = _cpu(lambda: client.post(url, data))
    assert response.status_code == 200
    assert f"最多填写 {ROW_CAPS['experts']} 行，本次提交了 1000000 行" in response.content.decode()
    assert cpu < CPU_BOUND, f"{cpu:.2f} s of CPU"


def test_the_caps_are_the_ones_the_page_announces(client, draft):
    app, _ = draft
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    for cap in ROW_CAPS.values():
        assert f"最多 {cap} 行" in page
    assert {prefix: cls.max_num for prefix, cls in FORMSETS.items()} == ROW_CAPS
    assert {prefix: cls.absolute_max for prefix, cls in FORMSETS.items()} == {
        prefix: cap + SLACK for prefix, cap in ROW_CAPS.items()
    }


# --- 附件1: 保存草稿 ------------------------------------------------------------------------


@pytest.mark.parametrize("section", list(FORMSETS))
@pytest.mark.parametrize("declared", [1000, 1_000_000])
def test_save_declaring_too_many_rows_is_refused_cheaply(client, draft, section, declared):
    app, user = draft
    client.force_login(user)
    data = _flood(app, section, declared, action="save")
    response, cpu = _cpu(lambda: client.post(reverse("applications:edit", args=[app.pk]), data))
    page = response.content.decode()
    assert response.status_code == 200
    assert "未保存" in page
    assert (
        f"{ROW_SECTIONS[section]}：最多填写 {ROW_CAPS[section]} 行，本次提交了 {declared} 行"
        in page
    )
    # What was typed stays on the page: the main form and the rows within the cap.
    assert 'value="新填的服务团名称"' in page and "第一行填写的内容" in page
    assert page.count(f'name="{section}-') <= (ROW_CAPS[section] + 1) * 20
    assert len(response.content) < PAGE_BOUND
    assert cpu < CPU_BOUND, f"{cpu:.2f} s of CPU"
    assert Application.objects.get(pk=app.pk).version == app.version
    assert Application.objects.get(pk=app.pk).name == "原来的名称"
    assert not getattr(app, section).exists()


def test_all_four_lists_flooded_at_once_is_one_bounded_answer(client, draft):
    app, user = draft
    client.force_login(user)
    data = form_data(app, name="新填的服务团名称", action="save")
    for section in FORMSETS:
        data[f"{section}-TOTAL_FORMS"] = "1000"
    response, cpu = _cpu(lambda: client.post(reverse("applications:edit", args=[app.pk]), data))
    page = response.content.decode()
    for section, title in ROW_SECTIONS.items():
        assert f"{title}：最多填写 {ROW_CAPS[section]} 行，本次提交了 1000 行" in page
    assert len(response.content) < PAGE_BOUND
    assert cpu < CPU_BOUND, f"{cpu:.2f} s of CPU"


def test_the_worst_refused_request_costs_a_full_page(client, draft):
    """Declared rows with a box filled in each row up to the cap: the rows are shown again (so
    nothing typed is lost), and that costs what a full roster's page costs, no more."""
    app, user = draft
    client.force_login(user)
    cap = ROW_CAPS["experts"]
    data = _flood(app, "experts", 1_000_000, action="save")
    for i in range(cap + 100):
        data[f"experts-{i}-name"] = f"专家{i}"
    for i in range(4900 - len(data)):
        data[f"experts-{i % cap}-junk{i}"] = "x"  # nearly as many keys as a request may carry
    response, cpu = _cpu(lambda: client.post(reverse("applications:edit", args=[app.pk]), data))
    page = response.content.decode()
    assert f"服务专家名单：最多填写 {cap} 行，本次提交了 1000000 行" in page
    assert f'value="专家{cap - 1}"' in page and f'value="专家{cap}"' not in page
    assert len(response.content) < PAGE_BOUND
    assert cpu < 2 * CPU_BOUND, f"{cpu:.2f} s of CPU"


def test_initial_forms_beyond_the_total_is_refused(client, draft):
    app, user = draft
    client.force_login(user)
    data = _flood(app, "experts", 1, initial=1_000_000, action="save")
    response, cpu = _cpu(lambda: client.post(reverse("applications:edit", args=[app.pk]), data))
    page = response.content.decode()
    assert "服务专家名单：提交的行数无效，未保存" in page
    assert cpu < CPU_BOUND
    assert Application.objects.get(pk=app.pk).name == "原来的名称"


def test_negative_total_is_refused(client, draft):
    app, user = draft
    client.force_login(user)
    data = _flood(app, "places", -5, action="save")
    page = client.post(reverse("applications:edit", args=[app.pk]), data).content.decode()
    assert "活动地点：提交的行数无效，未保存" in page


def test_more_rows_than_the_cap_within_the_slack_say_so_in_chinese(client, draft):
    """Within the slack the rows are built (a few), and Django's own check counts those kept."""
    app, user = draft
    client.force_login(user)
    cap = ROW_CAPS["funding_sources"]
    data = form_data(app, action="save")
    data["funding_sources-TOTAL_FORMS"] = str(cap + 1)
    for i in range(cap + 1):
        data[f"funding_sources-{i}-source"] = f"来源{i}"
        data[f"funding_sources-{i}-amount"] = "1"
    page = client.post(reverse("applications:edit", args=[app.pk]), data).content.decode()
    assert f"经费来源：最多填写 {cap} 行，请删除多余的行后再保存。" in page
    assert "来源10" in page  # the extra row is still on the page
    assert not app.funding_sources.exists()


def test_a_full_list_with_rows_ticked_for_deletion_saves(client, draft):
    app, user = draft
    client.force_login(user)
    cap = ROW_CAPS["funding_sources"]
    data = form_data(app, action="save")
    data["funding_sources-TOTAL_FORMS"] = str(cap + SLACK)
    for i in range(cap + SLACK):
        data[f"funding_sources-{i}-source"] = f"来源{i}"
        data[f"funding_sources-{i}-amount"] = "1"
        if i >= cap:
            data[f"funding_sources-{i}-DELETE"] = "on"
    response = client.post(reverse("applications:edit", args=[app.pk]), data, follow=True)
    assert "草稿已保存。" in response.content.decode()
    assert app.funding_sources.count() == cap


def test_rows_saved_before_the_cap_can_still_be_shown_and_deleted(client, draft):
    """A list that already holds more rows than the cap (saved when it was higher) declares
    them all: the page asks for rows to be deleted, and lets them be."""
    app, user = draft
    cap = ROW_CAPS["experts"]
    Expert.objects.bulk_create(
        Expert(application=app, name=f"专家{i}", position=i) for i in range(cap + 15)
    )
    data = form_data(app, action="save")
    assert data["experts-TOTAL_FORMS"] == str(cap + 15)
    page = client.post(reverse("applications:edit", args=[app.pk]), data).content.decode()
    assert f"服务专家名单：最多填写 {cap} 行，请删除多余的行后再保存。" in page
    assert f'value="专家{cap + 14}"' in page  # every saved row is there to delete
    for i in range(cap, cap + 15):
        data[f"experts-{i}-DELETE"] = "on"
    response = client.post(reverse("applications:edit", args=[app.pk]), data, follow=True)
    assert "草稿已保存。" in response.content.decode()
    assert app.experts.count() == cap


def test_a_full_roster_at_the_cap_saves_and_costs_a_page(client, draft):
    app, user = draft
    client.force_login(user)
    cap = ROW_CAPS["experts"]
    data = form_data(app, action="save")
    data["experts-TOTAL_FORMS"] = str(cap)
    for i in range(cap):
        data[f"experts-{i}-name"] = f"专家{i}"
        data[f"experts-{i}-title"] = "教授"
    response, cpu = _cpu(
        lambda: client.post(reverse("applications:edit", args=[app.pk]), data, follow=True)
    )
    assert "草稿已保存。" in response.content.decode()
    assert app.experts.count() == cap
    assert cpu < 3 * CPU_BOUND, f"{cpu:.2f} s of CPU"


# --- 附件1: autosave -------------------------------------------------------------------------


@pytest.mark.parametrize("section", list(FORMSETS))
def test_autosave_declaring_too_many_rows_is_refused_cheaply(client, draft, section):
    app, user = draft
    client.force_login(user)
    data = _flood(app, section, 1_000_000, action="autosave")
    response, cpu = _cpu(lambda: client.post(reverse("applications:edit", args=[app.pk]), data))
    answer = response.json()
    assert answer["status"] == "invalid"
    assert f"{ROW_SECTIONS[section]}：最多填写 {ROW_CAPS[section]} 行" in answer["message"]
    assert len(response.content) < 2_000
    assert cpu < CPU_BOUND / 2, f"{cpu:.2f} s of CPU"
    assert Application.objects.get(pk=app.pk).version == app.version


def test_the_bundle_decides_without_building_a_row(draft):
    """The refusal is read from the management form: no row form exists when it is made."""
    app, _ = draft
    data = _flood(app, "experts", 1_000_000, action="autosave")
    bundle = ApplicationBundle(app, data=data)
    assert not bundle.is_valid()
    assert bundle.format_summary()[0].startswith("服务专家名单：最多填写")
    assert "forms" not in vars(bundle.formsets["experts"])  # the cached row list never made


# --- 附件2 and the rectification report -------------------------------------------------------
# Neither has a row list (the tests above prove no formset exists outside 附件1's four): a
# flood of declared rows and junk keys is ignored at the cost of one form.


@pytest.fixture
def assessment_user(db, call):
    item = AssessmentFactory(call=call)
    return item, UserFactory(organisation=item.unit)


def _row_junk(n=2000):
    junk = {f"rows-{i}-name": "x" for i in range(n)}
    junk.update({"rows-TOTAL_FORMS": "1000000", "rows-INITIAL_FORMS": "0"})
    return junk


@pytest.mark.parametrize("action", ["save", "autosave"])
def test_assessment_with_a_flood_of_declared_rows_costs_one_form(client, assessment_user, action):
    item, user = assessment_user
    client.force_login(user)
    data = {
        name: getattr(item, name) or ""
        for name in (*Assessment.CONTACT_FIELDS, "system_building", "activities")
        if name != "host_types"
    }
    data.update(recommender=item.recommender_id, version=item.version, action=action)
    data.update(_row_junk(), funding_use="经费用于专家差旅。")
    response, cpu = _cpu(
        lambda: client.post(reverse("bases:assessment_edit", args=[item.pk]), data)
    )
    assert response.status_code in (200, 302)
    assert len(response.content) < PAGE_BOUND
    assert cpu < CPU_BOUND / 2, f"{cpu:.2f} s of CPU"
    item.refresh_from_db()
    assert item.funding_use == "经费用于专家差旅。"


@pytest.mark.parametrize("action", ["save", "autosave"])
def test_rectification_with_a_flood_of_declared_rows_costs_one_form(
    client, assessment_user, action
):
    item, user = assessment_user
    Assessment.objects.filter(pk=item.pk).update(state=State.RECTIFYING)
    client.force_login(user)
    data = {"rectification_report": "已完善制度。", "version": item.version, "action": action}
    data.update(_row_junk())
    response, cpu = _cpu(lambda: client.post(reverse("bases:rectification", args=[item.pk]), data))
    assert response.status_code in (200, 302)
    assert cpu < CPU_BOUND / 2, f"{cpu:.2f} s of CPU"
    item.refresh_from_db()
    assert item.rectification_report == "已完善制度。"
