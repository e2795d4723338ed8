"""Process settings read from the environment, with embedded defaults.

No `MONGODB_URL`: `partnergraph dev`/`seed` start a local MongoDB-protocol server whose data
lives under `PARTNERGRAPH_DATA_DIR`. No `REDIS_URL`: events run on an in-process stream.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    mongodb_url: str | None
    redis_url: str | None
    data_dir: Path
    host: str = "127.0.0.1"
    gateway_port: int = 4000
    stream_maxlen: int = 100_000

    # The bundled subgraphs listen on the three ports after the gateway's.
    @property
    def partners_port(self) -> int:
        return self.gateway_port + 1

    @property
    def deals_port(self) -> int:
        return self.gateway_port + 2

    @property
    def inventory_port(self) -> int:
        return self.gateway_port + 3

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            mongodb_url=env.get("MONGODB_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            data_dir=Path(env.get("PARTNERGRAPH_DATA_DIR", ".partnergraph")).resolve(),
            host=env.get("PARTNERGRAPH_HOST", "127.0.0.1"),
            gateway_port=int(env.get("PARTNERGRAPH_PORT", "4000")),
            stream_maxlen=int(env.get("PARTNERGRAPH_STREAM_MAXLEN", "100000")),
        )

    def __str__(self) -> str:
        mongo = "MONGODB_URL" if self.mongodb_url else f"embedded ({self.data_dir / 'mongo'})"
        redis = "REDIS_URL" if self.redis_url else "in-process stream"
        return f"MongoDB: {mongo}; events: {redis}; data: {self.data_dir}"
