"""Who may do what with a 附件1 application: the rules its pages declare
(shanghai_experts.permissions explains the names and the 404)."""

import rules

from shanghai_experts.permissions import is_editable, is_unit, owns_item, sees_item

#: 新建申报: a unit (the call and the unit's limit are refused with a message, not a 404).
rules.add_perm("applications.create_application", is_unit)
#: Its page: the unit; once submitted, its recommender and the bureau.
rules.add_perm("applications.see_application", sees_item)
#: 专家名单导入: only while the unit may change the form.
rules.add_perm("applications.replace_roster", owns_item & is_editable)
