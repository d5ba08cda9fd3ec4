"""What the apps built on porting add to it (tenancy/extensions.py).

Porting never imports e911, esign or cutover. They register here in their
`AppConfig.ready()`, and porting's services call these hooks at the step they belong to.
"""

from tenancy.extensions import Hook
from tenancy.rules import RuleRegistry

# Rules that must hold before port day starts, after the FOC rules (e911: every number
# registered and every endpoint located; cutover: every number's phone passed
# pre-flight). Each keeps its own code in refusals.
PORT_DAY_GATES = RuleRegistry("port-day gates")

# f(order, *, by): the order's FOC was recorded or moved (record_foc, reschedule,
# change_foc); whatever is scheduled from the FOC follows it.
FOC_SET = Hook("foc-set", "f(order, *, by) after the order's FOC was recorded or moved")

# f(order, *, by): the order was cancelled; what was scheduled for it stops.
ORDER_CANCELLED = Hook("order-cancelled", "f(order, *, by) after the order was cancelled")

# f(order, loa, *, by): a new LOA version was prepared (requests for corrections that
# it answers are resolved).
LOA_PREPARED = Hook("loa-prepared", "f(order, loa, *, by) after a new LOA version")

# f(loa) -> bool | None: whether the LOA version carries a signature made through the
# signing portal, sealed; None when the function does not know.
LOA_SIGNATURE = Hook("loa-signature", "f(loa) -> True when signed through the portal and sealed")

# f(loa) -> the portal signature's record (document_id, typed_name, typed_title,
# signed_at, document_sha256, sealed_sha256), or None: what the API shows of it.
LOA_SIGNATURE_RECORD = Hook("loa-signature-record", "f(loa) -> the sealed signature or None")

# f(order, *, user, loas) -> dict: what the order page shows beside porting's own
# (signing links, corrections); merged into the page's context. A dict may carry
# "order_sections": template names the page includes in order.
ORDER_PAGE = Hook("order-page", "f(order, *, user, loas) -> extra context for the order page")

# f(queryset) -> queryset: what an app loads along with LOA versions shown on a page
# (the signing app: each version's signature, so that no page asks once per version).
LOA_ROWS = Hook("loa-rows", "f(queryset of LOA versions) -> the queryset with more loaded")


def with_loa_rows(queryset):
    for function in LOA_ROWS:
        queryset = function(queryset)
    return queryset


# f(loa) -> bytes | None: the sealed, signed PDF of an LOA version (the signing app),
# what a carrier connection uploads as the provider's LOA document (porting.carriers).
LOA_SEALED_PDF = Hook("loa-sealed-pdf", "f(loa) -> the sealed signed PDF's bytes, or None")
