"""Builds the extraction pipeline from config.cfg and saves it: `make train-extraction`.

    python -m bot.nlp.pipeline.build [--out models/extraction] [--province P --city C]

Step 1 of issue 15 has no trained component, so building is assembling: the config is resolved
(`spacy.util.load_model_from_config`, as `spacy assemble` does) and the pipeline written out with
its tokenizer's dictionary. The deployment context comes from the settings unless given. The new
pipeline is written beside the old one and swapped in, so a process loading it never sees half.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

from spacy import util
from spacy.language import Language

from bot import __version__
from bot.config import PROJECT_ROOT

CONFIG = Path(__file__).with_name("config.cfg")
DEFAULT_OUT = PROJECT_ROOT / "models" / "extraction"

logger = logging.getLogger(__name__)


def assemble(*, province: str | None = None, city: str | None = None) -> Language:
    """The pipeline of config.cfg with this deployment context, not yet saved."""
    import bot.nlp.pipeline  # noqa: F401  (registers the tokenizer and the factories)

    overrides = {"components.gw_places.province": province, "components.gw_places.city": city}
    config = util.load_config(CONFIG, overrides=overrides, interpolate=False)
    nlp = util.load_model_from_config(config, auto_fill=True, validate=True)
    nlp.meta.update(
        name="greenwhistle_extraction",
        version=__version__,
        description="GreenWhistle complaint extraction: rules as spaCy components (issue 15)",
        license="Apache-2.0",
    )
    return nlp


def save(nlp: Language, out: Path) -> None:
    """Writes `nlp` to `out`, replacing what was there in one rename."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    fresh = out.with_name(out.name + ".new")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    nlp.to_disk(fresh)
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    fresh.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def deployment(province: str | None, city: str | None) -> tuple[str, str]:
    """The deployment's province and city: those given, else the settings'."""
    if province is None or city is None:
        from bot.config import get_settings

        settings = get_settings()
        province = province or settings.deployment_province
        city = city or settings.deployment_city
    return province, city


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to save the pipeline")
    ap.add_argument("--province", help="deployment province (default: the settings')")
    ap.add_argument("--city", help="deployment city (default: the settings')")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    province, city = deployment(args.province, args.city)
    nlp = assemble(province=province, city=city)
    save(nlp, args.out)
    print(f"extraction pipeline {nlp.pipe_names} ({province}{city}) saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
