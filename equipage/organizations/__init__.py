"""Organizations (tenants): settings, seats, tenant resolution."""
