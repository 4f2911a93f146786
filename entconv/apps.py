from django.apps import AppConfig
from django_tasks_db.apps import TasksAppConfig


class EntconvConfig(AppConfig):
    # Not the tasks config below nor the one it imports: this module holds three.
    default = True
    name = "entconv"
    verbose_name = "entconv"

    def ready(self):
        from entconv import checks  # noqa: F401 (registers the deployment checks)


class TasksDatabaseConfig(TasksAppConfig):
    """django_tasks_db, named in French in the admin ("Tasks Database Backend" otherwise)."""

    verbose_name = "Tâches d'arrière-plan"

    def ready(self):
        super().ready()
        # The admin's names only: Meta.original_attrs, which migrations read, stay as shipped.
        opts = self.get_model("DBTaskResult")._meta
        opts.verbose_name = "résultat de tâche"
        opts.verbose_name_plural = "résultats de tâches"
