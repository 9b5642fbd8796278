"""Write the Apache Bench payload corpus (loadgen/payloads/): one JSON body per file, seeded."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from questlog_core.paths import repo_root

from questlog_loadgen.catalog import ENEMIES, GUILDS, WEAPONS

COUNTS = {"weapon": 24, "guild": 14, "battle": 32}


def corpus(seed: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Return the seed-style bodies by kind; the user comes from the request's headers."""
    rng = random.Random(seed)  # noqa: S311 - a seeded corpus, not security
    weapons = []
    for _ in range(COUNTS["weapon"]):
        w = rng.choices(WEAPONS, weights=[x.weight for x in WEAPONS])[0]
        body: dict[str, Any] = {"weapon_type": w.name, "gold_cost": round(w.price * rng.uniform(0.8, 1.3))}
        if rng.random() < 0.85:
            body["damage"] = round(w.damage * rng.uniform(0.85, 1.15))
        weapons.append(body)
    guilds = []
    for _ in range(COUNTS["guild"]):
        g = rng.choices(GUILDS, weights=[x.weight for x in GUILDS])[0]
        guilds.append({"guild_name": g.name, **({"special_power": g.special_power} if rng.random() < 0.8 else {})})
    battles = []
    for _ in range(COUNTS["battle"]):
        e = rng.choices(ENEMIES, weights=[x.weight for x in ENEMIES])[0]
        battles.append({"enemy": e.name, "outcome": "won" if rng.random() < e.win_rate else "lost"})
    return {"weapon": weapons, "guild": guilds, "battle": battles}


def write(directory: Path, seed: int = 5) -> list[Path]:
    """Write the corpus as <dir>/<kind>/NN.json; return the files written."""
    written = []
    for kind, bodies in corpus(seed).items():
        folder = directory / kind
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):
            stale.unlink()
        for n, body in enumerate(bodies):
            path = folder / f"{n:02d}.json"
            path.write_text(json.dumps(body, sort_keys=True) + "\n")
            written.append(path)
    return written


def main() -> None:
    """Regenerate the corpus; it is checked in, so run this only to change it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=repo_root() / "loadgen" / "payloads")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    print(f"wrote {len(write(args.dir, args.seed))} payload files under {args.dir}")


if __name__ == "__main__":
    main()
