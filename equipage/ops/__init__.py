"""Running Equipage in production: probes, metrics, request logs, heartbeats, backups."""
