from django.apps import AppConfig


class EsignConfig(AppConfig):
    name = "esign"
    verbose_name = "E-signature and sealing"

    def ready(self):
        from porting import hooks

        from . import selectors, services

        hooks.LOA_SIGNATURE.register(selectors.has_sealed_signature)
        hooks.LOA_SIGNATURE_RECORD.register(selectors.sealed_signature)
        hooks.LOA_SEALED_PDF.register(selectors.sealed_pdf_bytes)
        hooks.LOA_ROWS.register(selectors.with_signatures)
        hooks.LOA_PREPARED.register(services.resolve_corrections)
        hooks.ORDER_PAGE.register(selectors.order_signing)
