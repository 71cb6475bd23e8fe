from django.db import migrations, models


def drop_search_text_indexes(apps, schema_editor):
    """Drop the plain indexes on accounts_member.search_text, and nothing else.

    An AlterField would make SQLite rebuild the whole table, which drops the
    directory's search triggers and collated indexes; DROP INDEX touches only
    what we mean to remove.
    """
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_member")
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and info["columns"] == ["search_text"]:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="member",
                    name="search_text",
                    field=models.CharField(blank=True, default="", max_length=800),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_search_text_indexes, migrations.RunPython.noop),
            ],
        ),
    ]
