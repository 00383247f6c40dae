"""The pipeline's stages: plain functions over one day's partitions.

Each stage reads the previous stage's Parquet for one day under ``LAKE/_work`` and
writes its own, so any stage can be re-run alone (from the CLI or as an Airflow task on
another worker) and all hand-over happens through files, never memory. ``publish``
writes the public tables and the run manifest, then removes the day's work files.

One module per stage (``ingest``, ``clean``, ``dedup``, ``tag``, ``stories``,
``publish``); ``runner`` runs them under the day's lock:

    run(settings, day)                       every stage, as the CLI's ``newsflow run``
    run(settings, day, ("dedup",))           one stage
    plan(settings, day, "clean")             the shards of a sharded stage (DAG)
    run_shard(settings, day, "clean", i, n)  one shard (a DAG mapped task)
"""

from newsflow.registry import STAGES
from newsflow.stages.common import StageResult
from newsflow.stages.runner import plan, run, run_shard

__all__ = ["STAGES", "StageResult", "plan", "run", "run_shard"]
