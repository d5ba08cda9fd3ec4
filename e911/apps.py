from django.apps import AppConfig


class E911Config(AppConfig):
    name = "e911"
    verbose_name = "E911"

    def ready(self):
        from e911.locations.selectors import port_day_e911_refusal
        from e911.readiness.selectors import readiness_fix
        from porting.hooks import PORT_DAY_GATES
        from tenancy.rules import Rule

        # No port day until every number is registered and every phone behind it located.
        PORT_DAY_GATES.register(
            Rule("e911_ready", port_day_e911_refusal, fix=lambda o: readiness_fix(o.migration))
        )
