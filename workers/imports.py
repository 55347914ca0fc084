"""RQ job: a CSV import from the dashboard or the API (hotline/reminders/import_jobs.py).

It carries the import id (its own job id) and the name of the schedule for rows without one; the file
waits in Redis under the id. Progress goes to the job's meta after each batch, the report is its result.
"""

from __future__ import annotations

from rq import get_current_job

from hotline.reminders.import_jobs import ImportJobs
from hotline.reminders.service import Reminders
from hotline.services import connect_redis
from hotline.settings import Settings


def run_import(import_id: str, schedule: str) -> dict[str, object]:
    settings = Settings.from_env()
    connection = connect_redis(settings)
    try:
        return ImportJobs(Reminders(settings, connection)).run(import_id, schedule, get_current_job())
    finally:
        connection.close()
