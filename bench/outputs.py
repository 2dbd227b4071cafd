"""Clearing a build's outputs between benchmark runs without measuring the deletion.

On ext4 without a journal (as on the reference machine), creating a file skips, one by
one, every inode of its block group freed in the last minute or more; a build that
starts right after thousands of files were deleted pays for that deletion in every file
it creates (0.5 s more for Hugo's 1,052 files at 1,000 pages, 0.9 s more for
loopbook's 2,321). That cost belongs to the benchmark's own clean-up, not to the tool
measured, so outputs are moved into a trash folder beside them and deleted only after
the last run.

Before each run the file system's dirty pages are also written back (`sync`): a build
that writes 500 MB leaves most of it in memory, and the next run otherwise pays for
writing it out while it builds (loopbook at 10,000 pages measured 9 s instead of 6.5 s
that way, and which run paid depended on timing).
"""
import os
import shutil
import tempfile
from pathlib import Path


def clear(paths, trash):
    """Moves each existing path into `trash` (deletes it at once when `trash` is None),
    then writes every dirty page back, so the run that follows starts with none."""
    for path in map(Path, paths):
        if not os.path.lexists(path):
            continue
        if trash is None:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            continue
        Path(trash).mkdir(parents=True, exist_ok=True)
        os.rename(path, Path(tempfile.mkdtemp(dir=trash)) / path.name)
    os.sync()


def purge(trash):
    """Deletes what `clear` moved aside."""
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
