"""Outgoing webhooks (seed 003's Zapier-style integration): endpoints, signed deliveries, retries."""
