"""Capped counts (shanghai_experts.paging): the tabs' figures in one statement."""

from django.core.paginator import Paginator
from django.template import RequestContext, Template

from applications.models import Application
from bases.models import Assessment
from shanghai_experts.paging import CappedPaginator, Concatenated, capped_count, capped_counts

from .factories import ApplicationFactory, AssessmentFactory


def test_capped_counts_give_each_lists_capped_count_in_one_query(call, django_assert_num_queries):
    ApplicationFactory.create_batch(3, call=call)
    AssessmentFactory.create_batch(2, call=call)
    apps, assessments = Application.objects.all(), Assessment.objects.all()
    with django_assert_num_queries(1):
        assert capped_counts(apps, assessments) == [3, 2]
    with django_assert_num_queries(1):
        assert capped_counts(apps, assessments, cap=1) == [2, 2]  # cap + 1: "1+"
    assert capped_counts(apps.filter(name="无此项目"), assessments) == [0, 2]
    assert capped_count(apps, cap=2) == capped_counts(apps, cap=2)[0] == 3


def test_a_list_that_can_match_nothing_counts_zero_without_asking(call, django_assert_num_queries):
    ApplicationFactory(call=call)
    with django_assert_num_queries(1):
        assert capped_counts(Application.objects.filter(pk__in=[]), Application.objects.all()) == [
            0,
            1,
        ]
    with django_assert_num_queries(0):
        assert capped_counts(Application.objects.none()) == [0]


def test_concatenated_pages_read_across_the_two_parts():

    rows = Concatenated(["甲", "乙", "丙"], ["丁", "戊", "己", "庚"], 3)
    assert rows[0:2] == ["甲", "乙"]
    assert rows[2:4] == ["丙", "丁"]
    assert rows[3:5] == ["丁", "戊"]
    assert rows[6:8] == ["庚"]
    pages = CappedPaginator(rows, 2, count_of=7)
    assert [list(pages.page(n)) for n in pages.page_range] == [
        ["甲", "乙"],
        ["丙", "丁"],
        ["戊", "己"],
        ["庚"],
    ]
    assert Concatenated([], ["丁"], 0)[0:50] == ["丁"]


def test_one_pager_for_plain_and_capped_lists(rf):
    """上一页 / 下一页 keep the list's filters; a plain list counts 条, a capped one says
    2000+ and asks to be narrowed."""
    template = Template("{% load ui %}{% pager page unit %}")
    request = rf.get("/", {"state": "submitted", "page": "2"})

    def render(page, unit="条"):
        return template.render(RequestContext(request, {"page": page, "unit": unit}))

    plain = render(Paginator(list(range(5)), 2).page(2))
    assert "第 2 / 3 页，共 5 条" in plain and "仅列出" not in plain
    assert 'href="?state=submitted&amp;page=1">上一页' in plain
    assert 'href="?state=submitted&amp;page=3">下一页' in plain
    capped = render(CappedPaginator(list(range(5)), 2, count_of=3, cap=2).page(1), "项")
    assert "第 1 / 1 页，共 2+ 项（仅列出前 2 项，请用筛选缩小范围）" in capped
    assert "上一页" not in capped and "下一页" not in capped
