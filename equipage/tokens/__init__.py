"""Per-organization API and SCIM tokens: scoped, stored hashed, shown once, revocable."""
