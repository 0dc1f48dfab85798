"""Where extraction's data files live, and small cached loaders for them (data is data)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "extraction"


def data_path(name: str) -> Path:
    return DATA_DIR / name


@cache
def load_yaml(name: str) -> Any:
    """A YAML file under bot/data/extraction/, parsed once per process."""
    with data_path(name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def read_csv(name: str) -> list[dict[str, str]]:
    with data_path(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
