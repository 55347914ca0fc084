"""Worker behaviour every RQ worker of the hotline shares, without the app imports of workers.worker."""

from __future__ import annotations

from rq.worker import SimpleWorker


class PromptExit:
    """Stop the worker's pubsub listener without waiting a minute for it.

    RQ 2.12 listens for commands in a thread that blocks up to 60 s per read, and on the way out sends
    UNSUBSCRIBE, then calls the thread's stop(). Since redis-py 8, stop() joins the thread: when the
    thread read the UNSUBSCRIBE reply before the stop flag was cleared, it next waits up to 60 s for a
    new subscription, and the worker with it. A burst worker took 60 s to exit on about half its runs
    (two CI failures), and a SIGTERM'd worker could outlive a platform's 30 s grace period.
    Clearing the flag first, then unsubscribing, lets the reply that wakes the thread also end it.
    """

    def unsubscribe(self) -> None:
        thread = getattr(self, "pubsub_thread", None)
        if thread is None:
            return
        self.log.info("Worker %s: unsubscribing from channel %s", self.name, self.pubsub_channel_name)  # type: ignore[attr-defined]
        thread.stop(timeout=0)  # clears the run flag; join(0) does not wait
        self.pubsub.unsubscribe()  # type: ignore[attr-defined]
        thread.join(timeout=5)
        self.pubsub.close()  # type: ignore[attr-defined]


class InlineWorker(PromptExit, SimpleWorker):
    """Runs jobs in its own process, no work-horse: for tests that kill a worker mid-job, and debugging."""
