"""The audit log: every change, who, what, when, from where, before/after."""
