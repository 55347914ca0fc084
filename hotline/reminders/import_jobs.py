"""CSV imports from the web run as RQ jobs: a 2 MB file is about 150,000 rows, too long for a request.

The request checks the file as a whole (imports.check_csv: an obviously wrong file is refused at once),
keeps its text in Redis for the job (keys.upload, at most UPLOAD_TTL; never on disk) and enqueues
workers.imports.run_import on the hotline's queue, with the import id as the job id and the only thing
the job carries besides the schedule's name. The job enrolls the rows in batches (Reminders.import_csv),
and after each batch saves its progress in the job's meta (rows done of all rows, counts, the first
LISTED_ERRORS bad rows with their line numbers); its return value is the final report. The dashboard's
import page and GET /api/enrollments/import/{id} read both through ImportJobs.status(). RQ keeps a
finished or failed import's job, meta and result for REPORT_TTL.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from hotline.reminders.imports import LISTED_ERRORS, MAX_IMPORT_BYTES, ImportReport, check_csv, without_number
from hotline.reminders.service import Reminders
from hotline.store import keys

log = logging.getLogger(__name__)

IMPORT_JOB = "workers.imports.run_import"
UPLOAD_TTL = 3600  # an upload waits at most an hour for a worker (the job expires from the queue with it)
REPORT_TTL = 24 * 3600  # how long staff can come back to an import's page
JOB_TIMEOUT = 900  # a 2 MB file took 26 s on the development machine (docs/imports.md); RQ stops a job after this
IMPORT_ID = re.compile(r"imp-[0-9a-f]{32}\Z")


def upload_key(import_id: str) -> str:
    return keys.upload(import_id)


@dataclass(frozen=True)
class ImportStatus:
    """An import as staff see it: state (queued, running, finished, failed), progress, and the report."""

    id: str
    state: str
    filename: str
    schedule: str
    rows_total: int | None  # None until a worker has read the file
    rows_done: int
    imported: int
    duplicates: int
    error_count: int
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first LISTED_ERRORS bad rows
    failure: str | None = None  # why a failed import stopped, in words for staff
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed")

    @property
    def seconds(self) -> float | None:
        """How long the worker took, once it has finished."""
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None

    def to_dict(self) -> dict[str, object]:
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {"id": self.id, "status": self.state, "filename": self.filename, "schedule": self.schedule,
                "rows_total": self.rows_total, "rows_done": self.rows_done, "imported": self.imported,
                "duplicates": self.duplicates, "error_count": self.error_count, "errors": self.errors,
                "failure": self.failure, "enqueued_at": when(self.enqueued_at),
                "started_at": when(self.started_at), "ended_at": when(self.ended_at), "seconds": self.seconds}


# RQ's job statuses as staff read them; any other (failed, stopped, canceled) is "failed".
STATES = {JobStatus.QUEUED.value: "queued", JobStatus.DEFERRED.value: "queued", JobStatus.SCHEDULED.value: "queued",
          JobStatus.CREATED.value: "queued", JobStatus.STARTED.value: "running", JobStatus.FINISHED.value: "finished"}


class ImportJobs:
    def __init__(self, reminders: Reminders) -> None:
        self.reminders = reminders
        self.redis = reminders.redis
        self.queue = reminders.queue

    def start(self, raw: bytes, schedule: str, filename: str = "", *, max_bytes: int = MAX_IMPORT_BYTES) -> str:
        """Check the file (ImportRefused says what is wrong), keep it for the job, enqueue it; the import id."""
        text = check_csv(raw, schedule, self.reminders.schedules, max_bytes)
        import_id = f"imp-{uuid.uuid4().hex}"
        self.redis.set(upload_key(import_id), text.encode(), ex=UPLOAD_TTL)
        self.queue.enqueue(
            IMPORT_JOB, import_id, schedule, job_id=import_id, description="enrollment import",
            job_timeout=JOB_TIMEOUT, ttl=UPLOAD_TTL, result_ttl=REPORT_TTL, failure_ttl=REPORT_TTL,
            meta={"import": {"filename": filename[:200], "schedule": schedule}})
        log.info("import %s queued (%d bytes, rows without a schedule go to %s)", import_id, len(raw), schedule)
        return import_id

    def run(self, import_id: str, schedule: str, job: Job | None) -> dict[str, object]:
        """The job: enroll the rows in batches, saving progress in the job's meta; returns the report."""
        raw = self.redis.get(upload_key(import_id))
        if raw is None:
            self._save(job, failure="the file waited more than an hour for a worker and was dropped; "
                                    "import it again")
            raise RuntimeError(f"import {import_id}: the upload has expired")
        saved = self._saver(job)
        report = self.reminders.import_csv(raw.decode(), schedule, progress=saved)
        self.redis.delete(upload_key(import_id))
        log.info("import %s: %d row(s), %d enrolled, %d already enrolled, %d refused", import_id,
                 report.rows_total, report.imported, report.duplicates, len(report.errors))
        return report.to_dict(LISTED_ERRORS)

    def _saver(self, job: Job | None) -> Callable[[ImportReport], None]:
        def save(report: ImportReport) -> None:
            self._save(job, **report.to_dict(LISTED_ERRORS))

        return save

    @staticmethod
    def _save(job: Job | None, **progress: object) -> None:
        if job is None:  # run outside RQ (a test or a shell): nothing to report to
            return
        job.meta.setdefault("import", {}).update(progress)
        job.save_meta()

    def status(self, import_id: str) -> ImportStatus | None:
        """Where an import is; None for an unknown id, another job's id, or one older than REPORT_TTL."""
        if not IMPORT_ID.match(import_id):
            return None
        try:
            job = Job.fetch(import_id, connection=self.redis)
        except NoSuchJobError:
            return None
        if job.func_name != IMPORT_JOB:
            return None
        info: dict[str, Any] = dict(job.meta.get("import", {}))
        rq_status = job.get_status(refresh=False)
        state = STATES.get(str(getattr(rq_status, "value", rq_status)), "failed")
        if state == "finished":
            info.update(job.return_value() or {})
        failure = None
        if state == "failed":
            failure = info.get("failure") or (
                f"the import stopped after {info.get('rows_done', 0):,} of {info.get('rows_total') or 0:,} rows "
                "(the rows before were imported); import the file again: numbers already enrolled are not "
                "added twice")
        return ImportStatus(
            id=import_id, state=state, filename=str(info.get("filename") or ""),
            schedule=str(info.get("schedule") or ""), rows_total=info.get("rows_total"),
            rows_done=int(info.get("rows_done") or 0), imported=int(info.get("imported") or 0),
            duplicates=int(info.get("duplicates") or 0), error_count=int(info.get("error_count") or 0),
            errors=list(info.get("errors") or []), failure=failure, enqueued_at=job.enqueued_at,
            started_at=job.started_at, ended_at=job.ended_at)

    def forget(self, number: str) -> int:
        """Blank `number`'s rows in the files still waiting for a worker (`hotline forget`); how many files.

        A file a worker is already importing has been read: an enrollment it makes after this is erased by
        running `hotline forget` again.
        """
        from hotline.phone import normalize_number

        region = self.reminders.settings.default_region
        last_digits = number[-7:]

        def is_number(value: str) -> bool:
            if value == number:
                return True
            # Parsing every row of a large file is slow: only a value ending in the same digits can match.
            return re.sub(r"\D", "", value).endswith(last_digits) and normalize_number(value, region) == number

        changed = 0
        for key in self.redis.scan_iter(match=upload_key("imp-*"), count=500):
            raw = self.redis.get(key)
            kept = without_number(raw.decode(), is_number) if raw else None
            if kept is not None:
                self.redis.set(key, kept.encode(), keepttl=True)
                changed += 1
        return changed
