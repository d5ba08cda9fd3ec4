# Dispatchable locations, registrations and 933 evidence arrive with the E911 issue.
# The seam today: sites.Site keeps the civic address (raw and USPS-normalized) and
# sites.Endpoint.is_remote_worker marks the endpoints that will need a home location.
