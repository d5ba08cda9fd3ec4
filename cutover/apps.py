from django.apps import AppConfig


class CutoverConfig(AppConfig):
    name = "cutover"
    verbose_name = "Cutover"

    def ready(self):
        from cutover.go.selectors import port_day_preflight_refusal, preflight_fix
        from cutover.steps.services import cancel_steps, generate_steps
        from porting.hooks import FOC_SET, ORDER_CANCELLED, PORT_DAY_GATES
        from tenancy.rules import Rule

        # No number ports while its phone has not passed pre-flight.
        PORT_DAY_GATES.register(
            Rule(
                "preflight_passed", port_day_preflight_refusal,
                fix=lambda order: preflight_fix(order.migration),
            )
        )  # fmt: skip
        # The dated steps follow each order's FOC, and stop with the order.
        FOC_SET.register(generate_steps)
        ORDER_CANCELLED.register(cancel_steps)
