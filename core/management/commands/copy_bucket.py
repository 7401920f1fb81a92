"""Copy the bucket to another one (the backup), or back from it (the restore)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

import boto3
from botocore.exceptions import ClientError


def bucket_client():
    """A client with the credentials and endpoint of the private storage's bucket."""
    options = settings.STORAGES["private"].get("OPTIONS", {})
    if not settings.S3_BUCKET or "bucket_name" not in options:
        raise CommandError("Set S3_BUCKET (and the S3_* variables) first.")
    return boto3.client(
        "s3",
        endpoint_url=options.get("endpoint_url"),
        aws_access_key_id=options.get("access_key"),
        aws_secret_access_key=options.get("secret_key"),
        region_name=options.get("region_name"),
    )


class Command(BaseCommand):
    help = (
        "Copy every object of S3_BUCKET to another bucket (--to, the daily backup) or of "
        "another bucket into S3_BUCKET (--from, a restore). Objects already there with the "
        "same size are skipped, so a copy can be repeated and resumed."
    )

    def add_arguments(self, parser):
        direction = parser.add_mutually_exclusive_group(required=True)
        direction.add_argument("--to", help="destination bucket (backup)")
        direction.add_argument("--from", dest="source", help="source bucket (restore)")

    def handle(self, *args, to=None, source=None, **options):
        client = bucket_client()
        source, destination = (settings.S3_BUCKET, to) if to else (source, settings.S3_BUCKET)
        try:
            client.head_bucket(Bucket=destination)
        except ClientError:
            client.create_bucket(Bucket=destination)
        copied = present = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=source):
            for item in page.get("Contents", []):
                key = item["Key"]
                try:
                    there = client.head_object(Bucket=destination, Key=key)["ContentLength"]
                except ClientError:
                    there = None
                if there == item["Size"]:
                    present += 1
                    continue
                client.copy_object(
                    Bucket=destination, Key=key, CopySource={"Bucket": source, "Key": key}
                )
                copied += 1
        self.stdout.write(f"{source} -> {destination}: {copied} copied, {present} already there")
