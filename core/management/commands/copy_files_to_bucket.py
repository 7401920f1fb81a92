"""Copy the files of the local folders into the bucket, when moving to object storage."""

from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from core.storage import can_presign


class Command(BaseCommand):
    help = (
        "Copy PRIVATE_STORAGE_ROOT and MEDIA_ROOT into the S3 bucket under the same names. "
        "Idempotent and resumable: a file already in the bucket with the same size is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, copy nothing")

    def handle(self, *args, dry_run=False, **options):
        if not settings.S3_BUCKET or not can_presign(storages["private"]):
            raise CommandError("Set S3_BUCKET (and the S3_* variables) to copy files into it.")
        copied = present = 0
        folders = [
            (Path(settings.PRIVATE_STORAGE_ROOT), storages["private"]),
            (Path(settings.MEDIA_ROOT), storages["default"]),
        ]
        for root, storage in folders:
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                name = path.relative_to(root).as_posix()
                size = path.stat().st_size
                if storage.exists(name) and storage.size(name) == size:
                    present += 1
                    continue
                self.stdout.write(f"{'would copy' if dry_run else 'copy'} {name} ({size} B)")
                if not dry_run:
                    with path.open("rb") as handle:
                        # _save writes under this exact name: save() would pick another name
                        # when a partial or different object is already there.
                        storage._save(name, File(handle, name=name))
                copied += 1
        self.stdout.write(f"{copied} copied, {present} already there")
