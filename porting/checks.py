"""From a port order's rows to the LOA-vs-CSR check's plain facts (porting.loa_checks)."""

from tenancy import clock

from . import loa_checks as lc


def _address(line1, line2, city, state, postal_code):
    return lc.Address(line1 or "", line2 or "", city or "", state or "", postal_code or "")


def facts_for_order(order):
    """(LoaFacts, CsrFacts, other_open_orders) for the order's current LOA, or None."""
    from .models import PortOrder

    loa = order.current_loa()
    if loa is None:
        return None
    account = order.carrier_account
    purposes = {str(n.number): n.purpose for n in order.numbers.all()}
    loa_facts = lc.LoaFacts(
        business_name=loa.business_name,
        service_address=_address(
            loa.service_line1,
            loa.service_line2,
            loa.service_city,
            loa.service_state,
            loa.service_postal_code,
        ),
        account_number=loa.account_number,
        btn=str(loa.btn),
        authorized_person=loa.authorized_person,
        pin_provided=account.has_pin,
        numbers=[lc.NumberFact(e164, purposes.get(e164, "user_did")) for e164 in loa.numbers],
    )
    csr_facts = lc.CsrFacts(
        account_name=account.csr_account_name,
        authorized_person=account.csr_authorized_person,
        service_address=_address(
            account.csr_address_line1,
            account.csr_address_line2,
            account.csr_city,
            account.csr_state,
            account.csr_postal_code,
        ),
        account_number=account.account_number,
        btn=str(account.btn),
        has_pin=account.csr_has_pin,
        numbers_on_account=list(account.csr_numbers or []),
        csr_date=account.csr_date,
    )
    others = {}
    rows = (
        PortOrder.objects.filter(numbers__number__in=loa.numbers, state__in=PortOrder.OPEN_STATES)
        .exclude(pk=order.pk)
        .values_list("numbers__number", "pk")
    )
    for e164, pk in rows:
        if str(e164) in loa.numbers:
            others[str(e164)] = f"port order #{pk}"
    return loa_facts, csr_facts, others


def findings_for_order(order, *, today=None):
    facts = facts_for_order(order)
    if facts is None:
        return []
    loa_facts, csr_facts, others = facts
    return lc.check_loa(
        loa_facts, csr_facts, other_open_orders=others, today=today or clock.today()
    )
