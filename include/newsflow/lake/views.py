"""The published tables that are a sorted or aggregated view of a day's rows, as DuckDB
queries: DuckDB sorts out of core, so publish never holds a day's texts or entities.

``$name`` parameters are lists of Parquet files; publish and the repair of a later day
run the same queries, so a repaired day is ordered and counted exactly as a published one.
"""

ARTICLES_SQL = """
    SELECT {columns} FROM read_parquet($deduped, hive_partitioning = false) d
    LEFT JOIN read_parquet($stories, hive_partitioning = false) s USING (article_id)
    ORDER BY d.source, d.published_at, d.article_id"""

# A surname alone in one article ("Kishida", its key when the article never writes the
# full name) becomes the day's full name of that person ("Fumio Kishida") when exactly
# one PERSON key of the day ends with it: "Trump" stays "Trump" on a day with both
# "Donald Trump" and "Ivanka Trump". Only PERSON mentions are merged (the company "Ford"
# is not Harrison Ford); offsets, text and labels are untouched.
_MENTIONS = """
    e AS (SELECT * FROM read_parquet($entities, hive_partitioning = false)),
    surnames AS (
        SELECT regexp_extract(entity_key, '(\\S+)$', 1) AS surname, min(entity_key) AS full_key
        FROM (SELECT DISTINCT entity_key FROM e
              WHERE label = 'PERSON' AND entity_key LIKE '% %')
        GROUP BY surname HAVING count(*) = 1),
    keyed AS (
        SELECT e.article_id, e.start, e."end", e.text, e.label,
               coalesce(s.full_key, e.entity_key) AS entity_key, e.country
        FROM e LEFT JOIN surnames s ON e.label = 'PERSON' AND e.entity_key = s.surname)"""

ENTITIES_SQL = f"""
    WITH {_MENTIONS}
    SELECT * FROM keyed ORDER BY article_id, start"""

# One row per entity key, under the label most of the day's articles give it (then
# most mentions, then the label's name): "Helix" is one ORG in the top list, not an
# ORG, a PERSON and a NORP. Copies are not counted.
ENTITY_COUNTS_SQL = f"""
    WITH {_MENTIONS},
    m AS (
        SELECT entity_key, label, article_id FROM keyed
        WHERE article_id NOT IN (
            SELECT article_id FROM read_parquet($deduped, hive_partitioning = false)
            WHERE is_duplicate)),
    by_label AS (
        SELECT entity_key, label, count(DISTINCT article_id) AS a, count(*) AS n
        FROM m GROUP BY entity_key, label),
    best AS (
        SELECT entity_key, first(label ORDER BY a DESC, n DESC, label) AS label
        FROM by_label GROUP BY entity_key),
    totals AS (
        SELECT entity_key, count(DISTINCT article_id)::BIGINT AS articles,
               count(*)::BIGINT AS mentions
        FROM m GROUP BY entity_key)
    SELECT t.entity_key, b.label, t.articles, t.mentions
    FROM totals t JOIN best b USING (entity_key)
    ORDER BY articles DESC, mentions DESC, entity_key  -- a total order: same bytes"""


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
