"""`ThreadWork`: the one route from a thread worker's end to the code that uses its answer.

A tab, a details screen or the header runs its slow calls with
`run_in_thread(job, *args, done=..., group=...)`: a thread worker, exclusive in its group,
that never takes the app down. When it ends, the one `Worker.StateChanged` handler here
hands a result to `done` and a failure to `failed` (when given, for what the widget shows
itself) and then up to the app as one sentence (`WorkFailed`: a PrimeError's own words,
anything else a short generic sentence, its traceback in the log). So each widget says
only what to do with its result, never which worker a state change belongs to.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from textual.worker import Worker, WorkerState

from primetui.errors import PrimeError
from primetui.ui.messages import WorkFailed

T = TypeVar("T")

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


@dataclass(frozen=True)
class _Route:
    """Where one worker's end goes."""

    done: Callable[[Any], Any]
    failed: Callable[[BaseException | None], Any] | None
    after: Callable[[], Any] | None
    quiet_repeats: bool
    tell_app: bool


class ThreadWork:
    """Mixed into a widget or screen: `run_in_thread` and the handler that routes its end."""

    # Provided by the widget or screen this is mixed into.
    run_worker: Callable[..., Worker[Any]]
    post_message: Callable[[Any], bool]

    def run_in_thread(self, job: Callable[..., T], *args: Any, done: Callable[[T], Any],
                      group: str, failed: Callable[[BaseException | None], Any] | None = None,
                      after: Callable[[], Any] | None = None, quiet_repeats: bool = False,
                      tell_app: bool = True, description: str | None = None) -> Worker[T]:
        """Run `job(*args)` in a thread worker; its result goes to `done`, a failure to the app.

        - `group`: a new worker cancels the one still running in the same group.
        - `failed(error)`: what this widget shows itself when the job fails (a status line);
          the app is told as well.
        - `after()`: called first whichever way the worker ended (cancelled too).
        - `quiet_repeats`: the same PrimeError sentence twice in a row (a poll that keeps
          failing) is reported once, until the group succeeds again.
        - `tell_app=False`: `failed` alone shows the failure (a screen that is about it).
        - `description`: what the worker says it does; never the arguments, which may hold
          a passphrase (the job's name by default).
        """
        worker = self.run_worker(partial(job, *args) if args else job, name=job.__name__,
                                 group=group, description=description or job.__name__,
                                 exit_on_error=False, exclusive=True, thread=True)
        self._work_routes()[worker] = _Route(done, failed, after, quiet_repeats, tell_app)
        return worker

    def _work_routes(self) -> dict[Worker[Any], _Route]:
        routes: dict[Worker[Any], _Route] | None = getattr(self, "_thread_work_routes", None)
        if routes is None:
            routes = {}
            self._thread_work_routes = routes
        return routes

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one route: a result to its `done`, a failure to `failed` and then the app."""
        worker = event.worker
        routes = self._work_routes()
        route = routes.get(worker)
        if route is None or event.state not in FINISHED:
            return
        del routes[worker]
        if getattr(getattr(self, "app", None), "closing", False):
            return  # the app is leaving and taking its widgets apart: nothing to show it on
        last: dict[str, str | None] = self.__dict__.setdefault("_thread_work_failures", {})
        if route.after is not None:
            await _call(route.after)
        if event.state is WorkerState.SUCCESS:
            last.pop(worker.group, None)
            await _call(route.done, worker.result)
        elif event.state is WorkerState.ERROR:
            error = worker.error
            if route.failed is not None:
                await _call(route.failed, error)
            sentence = str(error) if isinstance(error, PrimeError) else None
            repeated = route.quiet_repeats and sentence is not None and \
                last.get(worker.group) == sentence
            last[worker.group] = sentence
            if route.tell_app and not repeated:
                self.post_message(WorkFailed(error, worker.group))


async def _call(handler: Callable[..., Any], *args: Any) -> None:
    """Call a handler, awaiting it when it is a coroutine."""
    result = handler(*args)
    if inspect.isawaitable(result):
        await result
