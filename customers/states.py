"""USPS two-letter codes for states, DC and territories (facts, not code)."""

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip

# All-party (two-party) consent states for call recording; later compliance rules use it.
ALL_PARTY_CONSENT_STATES = frozenset({"CA", "DE", "FL", "IL", "MD", "MA", "MI", "MT", "NV",
                                      "NH", "PA", "WA"})  # fmt: skip


def parse_state_list(value) -> list[str]:
    """'tx, CA ;ny' or ['TX','CA'] -> ['CA','NY','TX']; raises ValueError naming bad codes."""
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
    else:
        parts = list(value or [])
    codes = sorted({p.strip().upper() for p in parts})
    bad = [c for c in codes if c not in US_STATES]
    if bad:
        raise ValueError(f"Unknown state code(s): {', '.join(bad)}. Use USPS codes such as TX.")
    return codes
