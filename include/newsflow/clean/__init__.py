"""Cleaning: raw documents to article rows (text, title, date, authors, language, ids)."""

from newsflow.clean.document import clean_document

__all__ = ["clean_document"]
