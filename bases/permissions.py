"""Who may do what with the bases and their 附件2 assessments: the rules their pages declare
(shanghai_experts.permissions explains the names and the 404)."""

import rules

from shanghai_experts.permissions import is_bureau, is_unit, owns_item, sees_item

#: 服务基地: the bureau's registry; a unit's own bases.
rules.add_perm("bases.see_bases", is_bureau | is_unit)
#: The registry is the bureau's: it records and edits the bases.
rules.add_perm("bases.register_base", is_bureau)
#: The bureau opens the assessments of the bases due in the call.
rules.add_perm("bases.open_assessments", is_bureau)
#: An assessment's page: the host unit; once submitted, its recommender and the bureau.
rules.add_perm("bases.see_assessment", sees_item)
#: The rectification report and its submission: the host unit (the state is told on the page).
rules.add_perm("bases.rectify_assessment", owns_item)
