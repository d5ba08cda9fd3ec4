"""Facts of the North American Numbering Plan the app relies on (pure: no Django, so the
LOA check can use them too)."""

# The toll-free area codes (FCC, 47 CFR §52.101 ff.): a toll-free number always ports on
# an order of its own, through a RespOrg change (docs/domain-rules.md).
TOLL_FREE_NPAS = frozenset({"800", "888", "877", "866", "855", "844", "833"})
