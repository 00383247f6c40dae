"""A real S3 HTTP endpoint on 127.0.0.1 for the object-store lake tests.

moto's server speaks the S3 REST API over HTTP; s3fs/botocore talk to it exactly as they
talk to MinIO or AWS (signing, multipart uploads, listings), so the lake code under test
is the production code path. AWS itself is outside this machine; this stands in for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def s3_server(bucket: str = "news") -> Iterator[dict[str, str]]:
    """Start the server, create ``bucket``, export the AWS_* variables that s3fs reads
    (so child processes use it too); yields them and restores the environment after."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps its buckets in process-wide state: start every server empty
    import httpx

    httpx.post(f"http://{host}:{port}/moto-api/reset", timeout=10).raise_for_status()
    env = {
        "AWS_ACCESS_KEY_ID": "newsflow-test",
        "AWS_SECRET_ACCESS_KEY": "newsflow-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()
        s3fs.S3FileSystem(skip_instance_cache=True).mkdir(bucket)
        yield env
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()
