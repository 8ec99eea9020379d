"""Who is an editor: a signed-in user with the permission named by the ``EDITOR_PERMISSION`` setting.

Editors read drafts and the editors' change feed; everyone else reads what is published. The apps decide what
"published" means for their records (``projects.visibility``); this module only says who may see past it.
"""

from django.conf import settings


def is_editor(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(settings.EDITOR_PERMISSION))
