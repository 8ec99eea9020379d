from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "CPEC Project Registry"

    def ready(self):
        from registry import (
            cors,  # noqa: F401  (connects the CORS policy)
            data_version,
        )

        data_version.connect()
