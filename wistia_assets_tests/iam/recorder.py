"""Records every botocore call with the process it is made for.

Hooks on every client botocore creates while installed (the code's own, dagster-aws's, any
session's): the caller's parameters (`provide-client-params`), the call (`before-call`) and its
answer (`after-call`). `acting_as` names the process (run task, code server, Glue job...)
whose role the calls made inside it are evaluated against; a call outside any process fails
the test.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

import botocore.client

from wistia_assets_tests.iam.actions import Call

_PROCESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("iam_process", default=None)
UNATTRIBUTED = "(no process: the test set it up)"
_UNRECORDED = "(a stand-in's own bookkeeping)"


class Recorder:
    def __init__(self):
        self.calls: list[Call] = []
        self._paused = False

    def _before(self, params, model, context, **kwargs):
        if self._paused or _PROCESS.get() == _UNRECORDED:
            return
        call = Call(
            service=model.service_model.signing_name,
            operation=model.name,
            params=dict(context.get("iam_params", {})),
            process=_PROCESS.get() or UNATTRIBUTED,
        )
        context["iam_call"] = call
        self.calls.append(call)

    def _params(self, params, model, context, **kwargs):
        # The caller's parameters, before botocore serializes them.
        context["iam_params"] = dict(params)

    def _after(self, http_response, parsed, model, context, **kwargs):
        call = context.get("iam_call")
        if call is not None:
            call.response = parsed

    @contextlib.contextmanager
    def installed(self) -> Iterator[Recorder]:
        original = botocore.client.ClientCreator.create_client
        recorder = self

        def create_client(creator, *args, **kwargs):
            client = original(creator, *args, **kwargs)
            events = client.meta.events
            events.register("provide-client-params.*.*", recorder._params)
            events.register("before-call.*.*", recorder._before)
            events.register("after-call.*.*", recorder._after)
            return client

        # Python 3.11 threads start with an empty context: a thread (the Pipes message reader
        # and writer, S3 transfers) makes its calls for the process that started it.
        original_start = threading.Thread.start

        def start(thread):
            context = contextvars.copy_context()
            inner = thread._bootstrap_inner
            thread._bootstrap_inner = lambda: context.run(inner)
            original_start(thread)

        botocore.client.ClientCreator.create_client = create_client
        threading.Thread.start = start
        try:
            yield self
        finally:
            botocore.client.ClientCreator.create_client = original
            threading.Thread.start = original_start

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Setup calls (creating buckets, seeding moto) that no deployed process makes."""
        self._paused = True
        try:
            yield
        finally:
            self._paused = False


@contextlib.contextmanager
def acting_as(process: str) -> Iterator[None]:
    token = _PROCESS.set(process)
    try:
        yield
    finally:
        _PROCESS.reset(token)


@contextlib.contextmanager
def unrecorded() -> Iterator[None]:
    """Calls a test's stand-in makes for itself (the Glue stand-in reading moto's records of the
    run it was asked to start), inside a process whose own calls are recorded."""
    with acting_as(_UNRECORDED):
        yield
