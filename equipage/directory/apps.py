from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "equipage.directory"
    label = "directory"

    def ready(self) -> None:
        """Register the SQLite name collation on every connection and the statistics job."""
        from django.db.backends.signals import connection_created

        import equipage.directory.statistics  # noqa: F401  (registers its periodic jobs)
        from equipage.accounts.collation import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="directory_eq_name")
