"""The API's default permission: model permissions for writes, anonymous reads."""

from rest_framework import permissions


class ModelPermissionsOrAnonReadOnly(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """DRF's ``DjangoModelPermissionsOrAnonReadOnly``, without building the view's queryset for a method that needs
    no permission (GET, HEAD, OPTIONS): DRF builds it only to learn the model, and a read needs none of its
    permissions, whoever asks (``has_perms([])`` is true for every user). Writes are checked as DRF does."""

    def has_permission(self, request, view):
        if request.user and request.method in self.perms_map and not self.perms_map[request.method]:
            return True
        return super().has_permission(request, view)
