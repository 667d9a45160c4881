"""Rows loaded with .only() (shanghai_experts.models.ListedRows) are whole model instances."""

from applications.models import Application
from bases.models import Assessment

from .factories import ApplicationFactory, AssessmentFactory


def test_a_partly_loaded_application_behaves_as_django_builds_it(call, django_assert_num_queries):
    made = ApplicationFactory(call=call, name="甲服务团", service_field="医疗卫生")
    with django_assert_num_queries(1):
        row = Application.objects.only("id", "name", "call_id", "unit_id", "state").get()
    assert row == made and row.pk == made.pk and str(row) == "甲服务团"
    assert not row._state.adding and row._state.db == "default"
    assert "service_field" in row.get_deferred_fields()
    assert row.reference == made.reference  # the call loads by its key
    with django_assert_num_queries(1):
        assert row.service_field == "医疗卫生"  # a deferred field loads on access
    row.name = "乙服务团"
    row.save(update_fields=["name"])
    assert Application.objects.get().name == "乙服务团"
    full = Application.objects.get()  # every column: Django's own path
    assert full.get_deferred_fields() == set() and full.service_field == "医疗卫生"


def test_a_partly_loaded_assessment_behaves_as_django_builds_it(call):
    made = AssessmentFactory(call=call)
    row = Assessment.objects.only("id", "state", "base_id").select_related("base").get()
    assert row == made and row.base == made.base and row.state == made.state
    assert row.industry == made.industry
