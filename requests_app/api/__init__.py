"""The REST API, ``/api/v1/`` (Django REST framework, OpenAPI 3 by drf-spectacular).

Every endpoint calls the services, selectors and permission checks the pages call; nothing here
decides a rule of its own. ``openapi.yaml`` is the committed schema (``make api-schema`` writes it).
"""
