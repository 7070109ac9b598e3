"""A small on-disk cache for provider catalogs (countries, services) with an expiry.

Catalog replies hold no secrets. Entries live as JSON files under `<state_dir>/cache/`,
named by a hash of the key; a broken or stale file is simply fetched again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_TTL = 24 * 3600.0


def cached(
    state_dir: str | Path,
    key: str,
    fetch: Callable[[], Any],
    *,
    ttl: float = DEFAULT_TTL,
    now: Callable[[], float] = time.time,
) -> Any:
    folder = Path(state_dir) / "cache"
    path = folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("key") == key and now() - float(doc["at"]) < ttl:
            return doc["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    value = fetch()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "at": now(), "value": value}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs a request next time
    return value
