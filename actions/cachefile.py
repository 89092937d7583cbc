"""Writing a cache file beside the code, as Python writes its bytecode: whole or not at all.

Used by the generated-mapping cache (`actions/mapping_kit/compile.py`) and the report template cache
(`reports/`). Nothing is written where `PYTHONDONTWRITEBYTECODE` is set (`sys.dont_write_bytecode`), and a
folder that cannot be written just means no cache."""

from __future__ import annotations

import contextlib
import os
import sys
import threading


def write_whole(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` under a name of this process and thread, then rename it: a reader sees the old
    file or the new one, never a part. The file mode is that of any new file, like Python's bytecode."""
    if sys.dont_write_bytecode:
        return
    path = os.fspath(path)
    part = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with open(fd, "wb") as fh:
                fh.write(data)
            os.replace(part, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise
    except OSError:
        pass
