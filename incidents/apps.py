from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self):
        from incidents import references

        references.register()  # what incidents refer to in the inventory, so its deletes are refused
