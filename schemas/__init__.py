"""JSON Schemas of every record type and of the wire format; the source of truth for fields.

The files sit beside this module so that a non-editable install carries them as package data.
"""

from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
