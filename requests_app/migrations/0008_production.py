"""Production moves into the case's app: TableJob, its history and OutputDownload become requests_app's.

State only: the tables keep their names (``stats_app_tablejob``, ...) and no row
moves. ``stats_app.0006_production_moved`` then removes the models from
stats_app's state and relabels their content types, so that permissions and
the role groups that hold them follow.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0007_queue_indexes"),
        ("stats_app", "0005_release_ledger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HistoricalTableJob",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("ready_for_checking", "Ready for checking"),
                                    ("failed", "Failed"),
                                    ("returned", "Returned by the output checker"),
                                    ("released", "Released"),
                                ],
                                default="queued",
                                max_length=20,
                                verbose_name="state",
                            ),
                        ),
                        (
                            "stage",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("computing", "Computing the table in the warehouse"),
                                    ("protecting", "Applying disclosure control"),
                                    ("auditing", "Auditing the protection"),
                                    ("writing", "Writing the files"),
                                ],
                                max_length=20,
                                verbose_name="stage",
                            ),
                        ),
                        ("specification", models.JSONField(default=dict, verbose_name="specification as run")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("run", models.PositiveSmallIntegerField(default=1, verbose_name="run")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("queued_at", models.DateTimeField(verbose_name="queued at")),
                        ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        ("output_path", models.CharField(blank=True, max_length=300, verbose_name="output folder")),
                        ("files", models.JSONField(blank=True, default=dict, verbose_name="files")),
                        ("summary", models.JSONField(blank=True, default=dict, verbose_name="summary")),
                        ("checked_at", models.DateTimeField(blank=True, null=True, verbose_name="checked at")),
                        ("return_reason", models.TextField(blank=True, verbose_name="reason for returning")),
                        ("released_at", models.DateTimeField(blank=True, null=True, verbose_name="released at")),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.TextField(null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "checked_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="checked by",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "request",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="requests_app.datarequest",
                                verbose_name="request",
                            ),
                        ),
                        (
                            "table",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="requests_app.tablespecification",
                                verbose_name="table",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical table job",
                        "verbose_name_plural": "historical table jobs",
                        "db_table": "stats_app_historicaltablejob",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="TableJob",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("ready_for_checking", "Ready for checking"),
                                    ("failed", "Failed"),
                                    ("returned", "Returned by the output checker"),
                                    ("released", "Released"),
                                ],
                                default="queued",
                                max_length=20,
                                verbose_name="state",
                            ),
                        ),
                        (
                            "stage",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("computing", "Computing the table in the warehouse"),
                                    ("protecting", "Applying disclosure control"),
                                    ("auditing", "Auditing the protection"),
                                    ("writing", "Writing the files"),
                                ],
                                max_length=20,
                                verbose_name="stage",
                            ),
                        ),
                        ("specification", models.JSONField(default=dict, verbose_name="specification as run")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("run", models.PositiveSmallIntegerField(default=1, verbose_name="run")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("queued_at", models.DateTimeField(verbose_name="queued at")),
                        ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        ("output_path", models.CharField(blank=True, max_length=300, verbose_name="output folder")),
                        ("files", models.JSONField(blank=True, default=dict, verbose_name="files")),
                        ("summary", models.JSONField(blank=True, default=dict, verbose_name="summary")),
                        ("checked_at", models.DateTimeField(blank=True, null=True, verbose_name="checked at")),
                        ("return_reason", models.TextField(blank=True, verbose_name="reason for returning")),
                        ("released_at", models.DateTimeField(blank=True, null=True, verbose_name="released at")),
                        (
                            "checked_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="checked by",
                            ),
                        ),
                        (
                            "request",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="table_jobs",
                                to="requests_app.datarequest",
                                verbose_name="request",
                            ),
                        ),
                        (
                            "table",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="jobs",
                                to="requests_app.tablespecification",
                                verbose_name="table",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "table job",
                        "verbose_name_plural": "table jobs",
                        "db_table": "stats_app_tablejob",
                        "ordering": ["request", "pk"],
                        "permissions": [("check_tablejob", "Can check and release outputs")],
                    },
                ),
                migrations.CreateModel(
                    name="OutputDownload",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("file_name", models.CharField(max_length=100, verbose_name="file")),
                        ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                        ("downloaded_at", models.DateTimeField(auto_now_add=True, verbose_name="downloaded at")),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "job",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="downloads",
                                to="requests_app.tablejob",
                                verbose_name="job",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "output download",
                        "verbose_name_plural": "output downloads",
                        "db_table": "stats_app_outputdownload",
                        "ordering": ["-downloaded_at", "-pk"],
                    },
                ),
                migrations.AddIndex(
                    model_name="tablejob",
                    index=models.Index(fields=["state", "queued_at"], name="tablejob_state_queued"),
                ),
                migrations.AddConstraint(
                    model_name="tablejob",
                    constraint=models.UniqueConstraint(fields=("table",), name="tablejob_one_per_table"),
                ),
                migrations.AddConstraint(
                    model_name="tablejob",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("checked_at__isnull", True), ("checked_by__isnull", True)),
                            models.Q(("checked_at__isnull", False), ("checked_by__isnull", False)),
                            _connector="OR",
                        ),
                        name="tablejob_checked_by_and_at",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="tablejob",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state", "released"), _negated=True),
                            models.Q(
                                ("checked_by__isnull", False), ("files__isnull", False), ("released_at__isnull", False)
                            ),
                            _connector="OR",
                        ),
                        name="tablejob_released_was_checked",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="tablejob",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state", "returned"), _negated=True),
                            models.Q(("return_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="tablejob_returned_with_reason",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="tablejob",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state__in", ["ready_for_checking", "released"]), _negated=True),
                            models.Q(("output_path", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="tablejob_checkable_has_files",
                    ),
                ),
            ],
        ),
    ]
