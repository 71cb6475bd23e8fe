"""Shared building blocks: clock, domain errors, base models, text helpers."""
