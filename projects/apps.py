from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_provinces(sender, using="default", **kwargs):
    """Keep the fixed province list present: ``flush`` empties every table and migrations do not run again."""
    from projects.choices import Province as ProvinceChoice
    from projects.models import Province

    existing = set(Province.objects.using(using).values_list("code", flat=True))
    missing = [Province(code=code, name=name) for code, name in ProvinceChoice.choices if code not in existing]
    if missing:
        Province.objects.using(using).bulk_create(missing)


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self):
        post_migrate.connect(ensure_provinces, sender=self, dispatch_uid="projects.ensure_provinces")
        from projects.feed import register_models

        register_models()
        import projects.api.schema  # noqa: F401 (registers the schema extensions)
