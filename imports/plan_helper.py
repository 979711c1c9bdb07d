"""`python -m imports.plan_helper FOLDER`: the planner's helper process.

It reads the guardian and staff files of a large feed while the planner reads the pupils' (see
`Planner._helper_start`), stages their records to files in FOLDER and writes back what the
planner needs. A plain subprocess rather than multiprocessing: nothing of the caller (a Celery
worker, a management command, pytest) is imported again or inherited.
"""

import pickle
import sys
from pathlib import Path


def main(folder: Path) -> None:
    import django

    django.setup()
    from imports.plan import stage_in_helper

    # Our own files, in a folder only this user can read (tempfile.mkdtemp).
    job = pickle.loads((folder / "job").read_bytes())  # noqa: S301
    (folder / "result").write_bytes(pickle.dumps(stage_in_helper(job)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
