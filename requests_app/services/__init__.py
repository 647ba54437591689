"""Writes to cases. Views, admin actions, tasks and commands call these, and nothing else writes.

Every service is a keyword-only function that runs in a transaction and records
who made each change and why in the history. Status changes go through
``requests_app.workflow.transition``.

- ``intake``: the requester's drafts, tables and documents, submission, withdrawal;
- ``casework``: assignment, clarifications, the extension, messages, table adjustments;
- ``review``: the checklist, consultations of the data's owner, decisions and sign-off;
- ``amendments``: a change to a table of a signed decision, signed off by a second person;
- ``cai_review``: a review asked of the Commission d'accès à l'information (ss. 135, 137), what was sent, its outcome;
- ``calendar``: the holidays (I-16), and the open cases' due dates that follow them.
"""

from requests_app.services.amendments import *  # noqa: F403
from requests_app.services.cai_review import *  # noqa: F403
from requests_app.services.calendar import *  # noqa: F403
from requests_app.services.casework import *  # noqa: F403
from requests_app.services.intake import *  # noqa: F403
from requests_app.services.register import *  # noqa: F403
from requests_app.services.review import *  # noqa: F403
