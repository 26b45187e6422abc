"""Background tasks: a worker that outlives the window it reports to ends quietly."""

from __future__ import annotations

import threading

import pytest
import shiboken6

from studio.ui import tasks

pytestmark = pytest.mark.qt


def test_a_worker_reporting_after_its_receiver_is_gone_ends_without_a_traceback(qapp, capfd):
    started, release = threading.Event(), threading.Event()

    def work(ctx: tasks.TaskContext) -> str:
        started.set()
        release.wait(10)
        ctx.progress(1.0, "still here")  # the window (and the signals object) went away meanwhile
        return "done"

    handle = tasks.submit("network", work, name="late-reporter")
    assert started.wait(10)
    shiboken6.delete(handle.signals)  # what quitting does to the object the worker reports through
    release.set()
    assert handle.done.wait(10)
    assert tasks.pool("network").waitForDone(10_000)
    assert handle.result == "done" and handle.error is None
    err = capfd.readouterr().err
    assert "Traceback" not in err and "has been deleted" not in err, err
