from .admin_base import MembershipAdmin, OrganizationAdmin  # noqa: F401  (registers them)
