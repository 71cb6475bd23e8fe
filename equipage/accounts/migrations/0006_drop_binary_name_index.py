from django.db import migrations


class Migration(migrations.Migration):
    """Drop the binary (organization, last name, first name, id) index ``member_org_name``.

    Every listing by name now orders accent-insensitively on the directory's
    name-walk index ``directory_member_name_cover`` (directory/ordering.py), so
    this one only cost a second index entry per inserted member (about 3.4 s of
    server time for a million on PostgreSQL). RemoveIndex is a plain DROP INDEX on
    both engines (checked with sqlmigrate): SQLite does not rebuild the table, so
    the directory's raw-SQL triggers and indexes on accounts_member stay.
    """

    dependencies = [("accounts", "0005_member_state_index_to_directory")]

    operations = [migrations.RemoveIndex(model_name="member", name="member_org_name")]
