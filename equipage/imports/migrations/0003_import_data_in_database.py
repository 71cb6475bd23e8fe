"""Import jobs keep their file, reports and progress in the database (issue #14).

An uploaded file still waiting on a node's disk (``MEDIA_ROOT/imports``) is
copied into the job's rows, then every import file of the old layout is
removed from the disk: a preview's whole report left there is dropped (the
job's row keeps its counts and first lines).
"""

import contextlib
from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

WAITING = ("previewing", "previewed", "queued")
CHUNK = 1 << 20


def files_into_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    job_model = apps.get_model("imports", "ImportJob")
    chunk_model = apps.get_model("imports", "ImportChunk")
    for job in job_model.objects.exclude(file_path="").iterator():
        path = Path(job.file_path)
        if job.status in WAITING:
            size = 0
            try:
                with path.open("rb") as fh:
                    for seq, block in enumerate(iter(lambda: fh.read(CHUNK), b"")):
                        chunk_model.objects.create(job=job, part="upload", seq=seq, data=block)
                        size += len(block)
            except OSError:
                continue
            job_model.objects.filter(pk=job.pk).update(file_size=size)
    folder = Path(settings.MEDIA_ROOT) / "imports"
    if folder.is_dir():
        for name in ("*.csv", "*.xlsx", "progress-*.json", "report-*.json", "*.tmp"):
            for old in folder.glob(name):
                with contextlib.suppress(OSError):
                    old.unlink()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_import_job_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="file_size",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importjob",
            name="progress_phase",
            field=models.CharField(blank=True, default="", max_length=12),
        ),
        migrations.AddField(
            model_name="importjob",
            name="progress_done",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importjob",
            name="progress_total",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="ImportChunk",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("part", models.CharField(max_length=24)),
                ("seq", models.PositiveIntegerField()),
                ("data", models.BinaryField()),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chunks",
                        to="imports.importjob",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("job", "part", "seq"), name="one_import_chunk_per_seq"
                    )
                ],
            },
        ),
        migrations.RunPython(files_into_rows, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="importjob",
            name="file_path",
        ),
    ]
