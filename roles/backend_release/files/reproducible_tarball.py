# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite a collection tarball so that the same content gives the same bytes: reproducible_tarball.py FILE.

`ansible-galaxy collection build` stamps MANIFEST.json, FILES.json and the gzip header with the build time, so
every build differs and an upload that compares checksums (amazon.aws.s3_object overwrite=different) would
upload, and report changed, on every release. The members keep their order, names, modes and content; their
times and owners are fixed, and the gzip header carries no time. ansible-galaxy verifies the collection by the
checksums inside MANIFEST.json and FILES.json, which this leaves untouched. Prints "changed" when it rewrote.
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile


def normalized(data: bytes) -> bytes:
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as src,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as dst,
    ):
        for member in src.getmembers():
            member.mtime = 0
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            member.pax_headers = {}
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return gzip.compress(out.getvalue(), mtime=0)


def main(path: str) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    result = normalized(data)
    if result != data:
        with open(path, "wb") as handle:
            handle.write(result)
        print("changed")


if __name__ == "__main__":
    main(sys.argv[1])
