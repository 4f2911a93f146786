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
        model = self.get_model("DBTaskResult")
        opts = model._meta
        opts.verbose_name = "résultat de tâche"
        opts.verbose_name_plural = "résultats de tâches"
        # Likewise the fields' labels: migrations read the verbose name given to the field
        # (kept in _verbose_name), not this one.
        for name, label in FIELD_LABELS.items():
            opts.get_field(name).verbose_name = label
        # The default "DBTaskResult object (…)" titled its page and breadcrumb.
        model.__str__ = task_result_str


FIELD_LABELS = {
    "status": "statut",
    "enqueued_at": "mise en file le",
    "started_at": "commencée le",
    "finished_at": "terminée le",
    "priority": "priorité",
    "queue_name": "file d'attente",
}


def task_result_str(result):
    from conventions.templatetags.dates import long_datetime

    return f"Tâche mise en file le {long_datetime(result.enqueued_at)}"
