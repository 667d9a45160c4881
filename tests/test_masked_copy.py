"""The copy of 附件1 a 评审专家 reads: the form as submitted, contacts masked, nothing lost."""

import re

from django.urls import reverse

from applications.models import ServicePlace
from reviews import reviewers
from reviews.engine import workflow
from shanghai_experts.models import Organisation

from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory


def test_the_masked_copy_counts_the_places_it_lists(client, call):
    """覆盖 N 个地市、N 个区县 on the reviewer's copy, derived from the places as on the item
    page (issue 23: the counts were missing, "覆盖 个地市、 个区县")."""
    unit = UnitFactory()
    district = UserFactory(organisation=unit.district)
    app = CompleteApplicationFactory(call=call, unit=unit)
    ServicePlace.objects.create(
        application=app, province="云南省", city="文山壮族苗族自治州", county="富宁县", position=1
    )
    ServicePlace.objects.create(
        application=app, province="贵州省", city="遵义市", county="正安县", position=2
    )
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=district)
    app = workflow.transition(app, "recommend", user=district, comment="同意")
    panel = Organisation.objects.create(kind=Organisation.Kind.REVIEWERS, name="评审专家组")
    expert = UserFactory(organisation=panel, username="expert0", first_name="专家")
    reviewers.assign([app], [expert], user=UserFactory(organisation=BureauFactory()))
    client.force_login(expert)
    page = client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    cell = re.search(r'data-testid="places">([^<]*)', page).group(1)
    cities, counties = app.place_counts()  # the counting rule is the model's; here: shown
    assert cities >= 2 and counties == 3
    assert cell.startswith(f"覆盖 {cities} 个地市、{counties} 个区县，分别是：")
    assert "13812345678" not in page  # still the masked copy
