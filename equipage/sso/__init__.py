"""Single sign-on with OpenID Connect, one identity provider per organization (issue #18.6)."""
