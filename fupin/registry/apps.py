from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "fupin.registry"
    label = "registry"

    def ready(self):
        # Imported here, once the apps are loaded: the region tree's page shows the registry's counts per
        # region.
        from fupin.regions import views as region_views

        from . import codes, selectors

        region_views.provide_counts(
            columns=["households", "persons", *codes.HouseholdStatus.values],
            breakdown=selectors.region_breakdown,
        )
        # import jobs are background work the worker watches and the 后台任务 page lists
        from fupin.core import work as core_work

        from . import work

        core_work.register_work(work.KIND)
        # its lists to Excel (fupin.core.table_exports)
        from fupin.core.table_exports import register_table

        from . import tables

        register_table(tables.HOUSEHOLDS)
        register_table(tables.NATIONAL_FORM)
        register_table(tables.HISTORY)  # a household's operation record
