"""Static assets both apps serve (the shared stylesheet); no code, no Flask."""

from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent
