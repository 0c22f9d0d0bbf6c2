"""Write a synthetic long Parquet table of predictions one row group at a time (the table is never held whole).

Used by the sampling-memory bench and test: `python tools/write_synthetic_parquet.py PATH N_REQUESTS N_ITEMS
[ROWS_PER_GROUP]` writes request_id, item_id and five task columns t0..t4 (uniform, seed 0).
"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write(path: str, n_req: int, n_items: int, group_rows: int = 100_000) -> None:
    "N_REQUESTS x N_ITEMS rows; request ids spread out (q * 7919 + 13) so they are not row numbers"
    rng = np.random.default_rng(0)
    tasks = [(f"t{t}", pa.float64()) for t in range(5)]
    schema = pa.schema([("request_id", pa.int64()), ("item_id", pa.int64())] + tasks)
    per = max(1, group_rows // n_items)
    with pq.ParquetWriter(path, schema) as w:
        for q0 in range(0, n_req, per):
            q = np.arange(q0, min(n_req, q0 + per))
            rid = np.repeat(q * 7919 + 13, n_items)
            items = np.tile(np.arange(n_items), len(q))
            cols = [pa.array(rid), pa.array(items)] + [pa.array(rng.random(len(rid))) for _ in range(5)]
            w.write_table(pa.Table.from_arrays(cols, schema=schema))


if __name__ == "__main__":
    path, n_req, n_items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    write(path, n_req, n_items, int(sys.argv[4]) if len(sys.argv) > 4 else 100_000)
