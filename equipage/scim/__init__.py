"""SCIM 2.0 provisioning: scim2-server behind one Django view, over our own actions."""
