"""Entity tagging (spaCy) and normalisation (keys, countries)."""

from newsflow.entities.normalise import Mention, normalise
from newsflow.entities.tagger import tag

__all__ = ["Mention", "normalise", "tag"]
