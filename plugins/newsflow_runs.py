"""How news_daily runs read in the Airflow UI: each run's note names the day it
processes, and a refused trigger says in plain words which field is wrong and why.

- A listener (run by the scheduler when a run starts) writes "Day 2023-11-27" as the
  run's note. A manual run's list entry shows only its trigger time; the task SDK
  gives a task no way to write its own run's note, the scheduler's session does. A
  note the user typed in the trigger form is kept, below the day.
- A root middleware of the api-server rewrites Airflow's 400 for a Param the JSON
  schema refuses ("Invalid input for param inbox: '/x/../etc' does not match
  '^(?!.*(?:^|/)\\.\\.(?:/|$))...'", the schema dumped after it) into one sentence:
  "Inbox: '/x/../etc' is refused; it must be a folder path, or a file://, s3:// or
  memory:// URL, with no '..' parts, or left empty." It only rewrites responses Airflow
  already refused, after Airflow checked who is asking; the patterns stay the check.

The words come from ``newsflow.registry.PARAM_WORDS`` via
``newsflow.orchestration.explain_refusal`` and ``run_note``, unit-tested without Airflow.
"""

from __future__ import annotations

import json
import logging
import sys

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin
from newsflow.orchestration import explain_refusal, run_note
from newsflow.registry import DAG_ID

log = logging.getLogger("newsflow.plugin")

TRIGGER_PATH = f"/api/v2/dags/{DAG_ID}/dagRuns"
NOTE_LIMIT = 1000  # the dag_run_note column's size


@hookimpl
def on_dag_run_running(dag_run, msg: str) -> None:
    """Note the day a starting news_daily run processes (scheduler, in its session)."""
    if dag_run.dag_id != DAG_ID:
        return
    note = run_note(
        dag_run.conf,
        dag_run.logical_date,
        dag_run.data_interval_start,
        getattr(dag_run, "run_after", None),
    )
    if note is None or (dag_run.note or "").startswith(note):
        return
    dag_run.note = f"{note}\n\n{dag_run.note}"[:NOTE_LIMIT] if dag_run.note else note


class PlainRefusals:
    """ASGI middleware: Airflow's 400 for a refused news_daily Param, in plain words."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") == TRIGGER_PATH
        ):
            await self.app(scope, receive, send)
            return
        request = bytearray()
        start: dict | None = None
        body = bytearray()

        async def receive_and_keep():
            message = await receive()
            if message["type"] == "http.request":
                request.extend(message.get("body", b""))
            return message

        async def send_or_rewrite(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 400:
                start = message  # held until the whole body is read
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            payload = _rewritten(bytes(body), bytes(request))
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(payload)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": payload})

        await self.app(scope, receive_and_keep, send_or_rewrite)


def _rewritten(response: bytes, request: bytes) -> bytes:
    """The 400's body with its detail in plain words, or unchanged when it is not a
    Param refusal (or either body is not the JSON expected)."""
    try:
        detail = json.loads(response)["detail"]
        conf = json.loads(request).get("conf") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return response
    plain = explain_refusal(detail, conf) if isinstance(detail, str) else None
    if plain is None:
        return response
    log.info("trigger of %s refused: %s", DAG_ID, plain)
    return json.dumps({"detail": plain}).encode()


class NewsflowRunsPlugin(AirflowPlugin):
    name = "newsflow_runs"
    listeners = [sys.modules[__name__]]
    fastapi_root_middlewares = [{"middleware": PlainRefusals, "name": "newsflow plain refusals"}]
