"""The published tables that are a sorted or aggregated view of a day's rows, as DuckDB
queries: DuckDB sorts out of core, so publish never holds a day's texts or entities.

``$name`` parameters are lists of Parquet files; publish and the repair of a later day
run the same queries, so a repaired day is ordered and counted exactly as a published one.
"""

ARTICLES_SQL = """
    SELECT {columns} FROM read_parquet($deduped, hive_partitioning = false) d
    LEFT JOIN read_parquet($stories, hive_partitioning = false) s USING (article_id)
    ORDER BY d.source, d.published_at, d.article_id"""

ENTITIES_SQL = """
    SELECT * FROM read_parquet($entities, hive_partitioning = false)
    ORDER BY article_id, start"""

ENTITY_COUNTS_SQL = """
    SELECT entity_key, label, count(DISTINCT article_id)::BIGINT AS articles,
           count(*)::BIGINT AS mentions
    FROM read_parquet($entities, hive_partitioning = false)
    WHERE article_id NOT IN (
        SELECT article_id FROM read_parquet($deduped, hive_partitioning = false)
        WHERE is_duplicate)
    GROUP BY entity_key, label
    ORDER BY articles DESC, mentions DESC, entity_key, label  -- a total order: same bytes"""


STORIES_SQL = """
    SELECT {columns} FROM read_parquet($story_index, hive_partitioning = false)
    ORDER BY story_id"""


def stories_sql(names: list[str]) -> str:
    """The stories table (``names``: its columns) from the stories stage's index rows:
    the same rows without the vectors the cross-day index keeps."""
    return STORIES_SQL.format(columns=", ".join(f'"{c}"' for c in names))


def articles_sql(names: list[str]) -> str:
    """The articles query selecting ``names`` (the published columns, in order): every
    column from the deduped rows but ``story_id``, which the stories stage assigned."""
    columns = ", ".join("s.story_id" if c == "story_id" else f'd."{c}"' for c in names)
    return ARTICLES_SQL.format(columns=columns)
