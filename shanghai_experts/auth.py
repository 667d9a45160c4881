"""Authentication backend: the user arrives with their organisation.

Every page asks which organisation the user acts for (scoping, navigation); loading it with the
user saves a query on every request.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

UserModel = get_user_model()


class OrganisationBackend(ModelBackend):
    def get_user(self, user_id):
        user = UserModel._default_manager.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
