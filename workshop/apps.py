from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopConfig(AppConfig):
    name = "workshop"
    verbose_name = _("Ateliers")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from duels.models import AIModel, Endpoint, Maker
        from workshop import snapshots

        # The panel's list of models a live question may pit follows the catalogue.
        for model in (AIModel, Endpoint, Maker):
            post_save.connect(snapshots.forget_askable_models, sender=model)
            post_delete.connect(snapshots.forget_askable_models, sender=model)
