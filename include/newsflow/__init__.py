"""newsflow: a news-processing pipeline (ingest, clean, dedup, stories, entities, Parquet lake).

All logic lives here, importable and testable without Airflow; the DAG files in
``dags/`` only wire these stage functions together.
"""

__version__ = "0.1.0"
