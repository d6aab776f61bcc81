"""Static file storage that never turns a missing manifest into a broken page."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ForgivingManifestStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed, cache-forever names after `collectstatic`; plain names before it.

    `grassroots serve` collects static files before it starts, so production gets the
    hashed names. A test run or a shell that never collected them still renders pages,
    and WhiteNoise (with finders on) serves the files from the apps' static folders.
    """

    manifest_strict = False

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError:
            return FileSystemStorage.url(self, name)
