"""Two-factor authentication: TOTP with recovery codes, the organization's requirement."""
