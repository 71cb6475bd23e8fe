"""Reading a Groupes / Étiquettes cell whose names may hold the separators it is split by.

An IdP names a group « Sales, EMEA »; the import splits cells by ``,`` ``;``
``|`` and line breaks. Consecutive pieces that together spell an existing name
(``core.text.list_name_key``: which separator and the spaces around it do not
count) are that one name, the longest first: with labels « A » and « A, B »,
the cell « A, B » is the label « A, B » alone. The export writes a cell that
would read otherwise (a member in « A » and « B ») one name per line: a name
never spans a line break.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from equipage.core.text import list_name_key
from equipage.imports.columns import LINE_BREAK, split_pieces

AMBIGUOUS = -1  # a key two groups (or labels) share, made before names were unique
_MEMO_LIMIT = 100_000


class ListNames:
    """An organization's group (or label) names, as the import reads a cell of them.

    Built once per import: a dict from key to id, and for the names holding
    separators, how many pieces the longest one starting with a given piece
    spans. A piece that starts no such name costs one dict lookup.
    """

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        self.by_key: dict[str, int] = {}
        self.span: dict[str, int] = {}  # first piece's key -> most pieces a name there spans
        self._keys: dict[str, str] = {}
        for name, pk in pairs:
            key = list_name_key(name)
            self.by_key[key] = AMBIGUOUS if key in self.by_key else pk
            if "," in key:
                first = key.split(",", 1)[0]
                pieces = max(len(split_pieces(name)), key.count(",") + 1)
                self.span[first] = max(self.span.get(first, 1), pieces)

    def _key(self, piece: str) -> str:
        found = self._keys.get(piece)
        if found is None:
            found = list_name_key(piece)
            if len(self._keys) < _MEMO_LIMIT:
                self._keys[piece] = found
        return found

    def read(self, pieces: Sequence[str]) -> list[tuple[str, int | None]]:
        """Return each name the pieces spell, once, as written, with its id (None: unknown)."""
        out: dict[str, int | None] = {}
        i, n = 0, len(pieces)
        while i < n:
            piece = pieces[i]
            if piece == LINE_BREAK:
                i += 1
                continue
            key = self._key(piece)
            span = self.span.get(key.split(",", 1)[0], 1) if self.span else 1
            taken = 1
            pk = None
            for length in range(min(span, n - i), 1, -1):
                chunk = pieces[i : i + length]
                if LINE_BREAK in chunk:
                    continue
                pk = self.by_key.get(list_name_key(",".join(chunk)))
                if pk is not None:
                    piece, taken = ", ".join(chunk), length
                    break
            if taken == 1:
                pk = self.by_key.get(key)
            out.setdefault(piece, pk)
            i += taken
        return list(out.items())

    def cell(self, names: Sequence[str]) -> str:
        """Return the export's cell for ``names``: comma-separated, or one a line if it misreads."""
        text = ", ".join(names)
        if not self.span or len(names) < 2:
            return text
        wanted = {self.by_key.get(self._key(n)) for n in names}
        if {pk for _n, pk in self.read(split_pieces(text))} == wanted:
            return text
        return "\n".join(names)
