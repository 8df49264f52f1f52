"""The FastAPI + uvicorn baseline for `neuralake serve` (bench/api/api_bench.sh).

Serves GET /api/v1/tables/demo/events?event_id=N[&_size=N][&_format=ndjson] and /api/v1/health over
the same Delta table on MinIO, with Polars (scan_delta) or DataFusion (over the pyarrow dataset of the active files)
as the engine: NEURALAKE_PEER_ENGINE=polars|datafusion, NEURALAKE_PEER_TABLE=s3://... . Run as
  uvicorn api_peer:app --workers 2 --port P
The table is opened once per worker and never refreshed (the peer is favoured: it never lists the
log, while neuralake checks for new commits at most 1 s apart).
"""
import io
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

ENGINE = os.environ.get("NEURALAKE_PEER_ENGINE", "polars")
TABLE = os.environ["NEURALAKE_PEER_TABLE"]
STORAGE = {
    "AWS_ENDPOINT_URL": os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000"),
    "AWS_ACCESS_KEY_ID": os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
    "AWS_SECRET_ACCESS_KEY": os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}

app = FastAPI()

if ENGINE == "polars":
    import polars as pl

    LAZY = pl.scan_delta(TABLE, storage_options=STORAGE)

    def query(event_id, size):
        frame = LAZY
        if event_id is not None:
            frame = frame.filter(pl.col("event_id") == event_id)
        if size is not None:
            frame = frame.head(size)
        return frame.collect()

    def to_json_rows(frame):
        return frame.write_json()

    def to_ndjson(frame):
        return frame.write_ndjson()
else:
    import datafusion
    from deltalake import DeltaTable

    CONTEXT = datafusion.SessionContext()
    DELTA = DeltaTable(TABLE, storage_options=STORAGE)
    # delta-rs's DataFusion table provider cannot reach MinIO through this SessionContext (it finds
    # no object store for s3://), so the table is registered as the pyarrow dataset of its active
    # files (delta-rs lists them; DataFusion scans them with pyarrow's S3 filesystem).
    CONTEXT.register_dataset("events", DELTA.to_pyarrow_dataset())

    def query(event_id, size):
        sql = "SELECT * FROM events"
        if event_id is not None:
            sql += f" WHERE event_id = {int(event_id)}"
        if size is not None:
            sql += f" LIMIT {int(size)}"
        return CONTEXT.sql(sql).to_polars()

    def to_json_rows(frame):
        return frame.write_json()

    def to_ndjson(frame):
        return frame.write_ndjson()


@app.get("/api/v1/health")
def health():
    return {"status": "ok"}


@app.get("/api/v1/tables/demo/events")
def rows(request: Request):
    params = request.query_params
    event_id = int(params["event_id"]) if "event_id" in params else None
    fmt = params.get("_format", "json")
    size = int(params["_size"]) if "_size" in params else (100 if fmt == "json" else None)
    frame = query(event_id, size)
    if fmt == "ndjson":
        return Response(to_ndjson(frame), media_type="application/x-ndjson")
    if fmt == "csv":
        return Response(frame.write_csv(), media_type="text/csv")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet")
    return Response('{"rows": ' + to_json_rows(frame) + "}", media_type="application/json")
