"""The REST API (django-ninja): thin routers over our selectors and actions."""
