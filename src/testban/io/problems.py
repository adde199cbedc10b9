"""What could not be read, said precisely enough to find it again.

Every reader in :mod:`testban.io` returns its data together with a list of
:class:`ReadProblem`: a bad block is reported (file, record, station/channel, why) and
skipped, and the rest of the file is kept. Readers never raise on bad *content*; they
raise only on programming errors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """One thing a reader could not read or had to repair.

    ``record`` locates the problem inside ``file`` (e.g. ``"line 323"``,
    ``"block 17"``, ``"row 12"``); ``seed_id`` names the channel when known
    (``NET.STA.LOC.CHA``, parts may be empty). ``severity`` is ``"error"`` when data was
    dropped and ``"warning"`` when data was kept but altered or suspicious.
    """

    file: str
    message: str
    record: str = ""
    seed_id: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.record) if p)
        who = f" [{self.seed_id}]" if self.seed_id else ""
        return f"{self.severity}: {where}{who}: {self.message}"
