"""The benchmark's parts (``python manage.py bench``): page measurements, the web load run and its locustfile."""
