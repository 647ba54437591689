"""TableJob, its history and OutputDownload now belong to requests_app (``requests_app.0008_production``).

State only: the tables stay as they are. The content types are relabelled, not
recreated, so the permissions on them (``check_tablejob``...) and the role
groups holding those permissions keep pointing at the same rows.
"""

from django.db import migrations

MOVED_MODELS = ("tablejob", "historicaltablejob", "outputdownload")


def relabel(apps, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue  # a fresh database whose permissions are not created yet
        # A content type created meanwhile under the new label (permissions created in between) holds
        # nothing granted yet: the relabelled one, with its permissions, replaces it.
        ContentType.objects.filter(app_label=target, model=model).delete()
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    relabel(apps, source="stats_app", target="requests_app")


def backwards(apps, schema_editor):
    relabel(apps, source="requests_app", target="stats_app")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        # The roles migration that grants the outputs' permissions reads them under their stats_app label.
        ("portal", "0006_roles_outputs"),
        ("requests_app", "0008_production"),
        ("stats_app", "0005_release_ledger"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="outputdownload", name="job"),
                migrations.RemoveField(model_name="outputdownload", name="user"),
                migrations.RemoveField(model_name="tablejob", name="checked_by"),
                migrations.RemoveField(model_name="tablejob", name="request"),
                migrations.RemoveField(model_name="tablejob", name="table"),
                migrations.DeleteModel(name="HistoricalTableJob"),
                migrations.DeleteModel(name="OutputDownload"),
                migrations.DeleteModel(name="TableJob"),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
