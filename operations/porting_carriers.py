"""`manage.py porting --action submit|sync|csr`: the carrier-connection actions of the
porting command (docs/cli.md, docs/carriers.md), over the same services as the pages and
the API (porting.carriers.services)."""

from django.core.exceptions import ValidationError

from tenancy.rules import TransitionRefused


def _iso(value):
    return value.isoformat() if value is not None else None


class CarrierActions:
    """Mixed into the porting command: its `_fail`, `_emit`, `_order`, `_account`,
    `_refused`, `_order_dict` and `_migration_dict` are used as they are."""

    def _submit(self, migration):
        """--action submit: submit the order through its carrier connection."""
        from porting.carriers.base import CarrierError
        from porting.carriers.services import submit_to_carrier

        o = self.options
        order = self._order(o["order"]) if o["order"] else self._only_open_order()
        try:
            order = submit_to_carrier(order, by=self.user, reason=o["reason"])
        except TransitionRefused as exc:
            self._refused(exc, order)
        except CarrierError as exc:
            self._fail(
                f"The carrier refused or failed, nothing changed here: {exc.message}",
                order=order.pk,
                carrier_error=self._carrier_error(exc),
            )
        except ValidationError as exc:
            self._fail(" ".join(exc.messages), order=order.pk)
        order.refresh_from_db()
        payload = {
            "ok": True,
            "migration": self._migration_dict(),
            "order": self._carrier_order(order),
        }
        foc = (
            f", requested FOC {order.requested_foc_at:%Y-%m-%d %H:%M} UTC"
            if order.requested_foc_at
            else ""
        )
        self._emit(
            payload,
            [
                self.style.SUCCESS(
                    f"Submitted port order #{order.pk} to {order.connection} (order "
                    f"{order.provider_order_id}){foc}: status {order.state}."
                )
            ],
        )

    def _sync(self, migration):
        """--action sync: read the carrier's order now and apply what changed."""
        from porting.carriers.base import CarrierError
        from porting.carriers.services import sync_order

        o = self.options
        order = self._order(o["order"]) if o["order"] else self._only_open_order()
        try:
            rows = sync_order(order, by=self.user)
        except TransitionRefused as exc:
            self._refused(exc, order)
        except CarrierError as exc:
            self._fail(
                f"The carrier could not be read: {exc.message}",
                order=order.pk,
                carrier_error=self._carrier_error(exc),
            )
        order.refresh_from_db()
        events = [
            {
                "event": r.provider_event_id,
                "type": r.event_type,
                "status": r.status,
                "reason": r.reason,
            }
            for r in rows
        ]
        payload = {
            "ok": True,
            "migration": self._migration_dict(),
            "order": self._carrier_order(order),
            "events": events,
        }
        lines = [
            self.style.SUCCESS(
                f"Synced port order #{order.pk}: the carrier says {order.provider_status}; the "
                f"order is {order.state}."
            )
        ]
        lines += [f"  {e['status']}: {e['reason']}" for e in events]
        self._emit(payload, lines)

    def _csr(self, migration):
        """--action csr: request the CSR of an account (--carrier, --account) from a carrier."""
        from porting.carriers.base import CarrierError, Operation
        from porting.carriers.services import active_connections, request_csr

        o = self.options
        if not o["carrier"]:
            self._fail(
                '--action csr needs --carrier "<losing carrier>" (and --account when it has '
                "several)."
            )
        account = self._account(o["carrier"], o["account"])
        usable = active_connections(migration.organization, Operation.CSR)
        wanted = (o["connection"] or "").strip()
        if wanted:
            usable = [c for c in usable if str(c.pk) == wanted or c.name.lower() == wanted.lower()]
        if len(usable) != 1:
            listed = ", ".join(
                f"{c.pk} {c.name}" for c in active_connections(migration.organization)
            )
            self._fail(
                "Name the carrier connection with --connection <name or id>"
                + (
                    f" (the organization's: {listed})."
                    if listed
                    else ": the organization has none."
                )
            )
        try:
            outcome = request_csr(account, usable[0], by=self.user)
        except TransitionRefused as exc:
            self._fail(f"Refused by rule {exc.rule}: {exc.message}", refused={"rule": exc.rule})
        except CarrierError as exc:
            self._fail(
                f"The carrier refused or failed: {exc.message}",
                carrier_error=self._carrier_error(exc),
            )
        account = outcome.account
        account.refresh_from_db()
        payload = {
            "ok": outcome.status != "failed",
            "migration": self._migration_dict(),
            "csr": {
                "status": outcome.status,
                "error": outcome.error or None,
                "account": {
                    "carrier": account.carrier_name,
                    "account_number": account.account_number,
                    "csr_account_name": account.csr_account_name,
                    "csr_numbers": account.csr_numbers,
                    "csr_source": account.csr_source,
                    "csr_received_at": _iso(account.csr_received_at),
                },
                "findings": {
                    str(pk): [
                        {"code": f.code, "severity": f.severity, "field": f.field} for f in fs
                    ]
                    for pk, fs in outcome.findings.items()
                },
            },
        }
        if outcome.status == "failed":
            self._fail(outcome.text, csr=payload["csr"])
        self._emit(payload, [self.style.SUCCESS(outcome.text)])

    @staticmethod
    def _carrier_error(exc):
        return {
            "status": exc.status_code,
            "code": exc.provider_code or None,
            "request_id": exc.request_id or None,
            "retryable": exc.retryable,
        }

    def _carrier_order(self, order):
        return {
            **self._order_dict(order),
            "connection": str(order.connection) if order.connection_id else None,
            "provider_order_id": order.provider_order_id or None,
            "provider_status": order.provider_status or None,
            "requested_foc_at": _iso(order.requested_foc_at),
            "provider_error": order.provider_error or None,
        }
