"""Free text about a child as a column type: sealed with the case's data key.

A model declares each such field as its column and its attribute::

    reasons_sealed: Mapped[str] = sealed_text("reasons")
    reasons = Sealed("reasons_sealed")

the column, named ``reasons``, holds only ``c1.`` tokens (``SealedText`` refuses clear text); the
attribute reads opened and sets sealed.
The row finds its case's key through ``sealing_case()`` (the case itself, or the case a stage row
belongs to). Erasing the case's key (``protection.operations``) leaves every such value unreadable in
every table, as it leaves the identity and the events' sealed parts: a read gives ``None``.

The context each value is sealed under names its table, its field and its case, so a token copied to
another field or another case does not open there.
"""

from __future__ import annotations

from sqlalchemy import Text, select
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator

from caseflow.audit.sealing import Erased
from caseflow.sealing.identity import open_with_case, seal_with_case

#: a value sealed with its case's key, or (written after the case's erasure) with the master key
TOKEN_PREFIXES = ("c1.", "s1.")


class ClearTextRefused(ValueError):
    """A value about to be stored in clear in a sealed column."""


class SealedText(TypeDecorator):
    """Text sealed by its row before it reaches the database; clear text is refused here, so no path
    that forgets to seal can store it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value == "":
            return None  # no text is no text: never a sealed empty string
        if value is not None and not str(value).startswith(TOKEN_PREFIXES):
            raise ClearTextRefused("clear text bound to a sealed column")
        return value


class Sealed:
    """``row.reasons``: opened with the row's case key (None once erased); set, sealed with it."""

    def __init__(self, column_attr: str):
        self.column_attr, self.field = column_attr, column_attr.removesuffix("_sealed")

    def __set_name__(self, owner, name):
        self.field = name

    def _context(self, row, case) -> str:
        return f"{row.__tablename__}.{self.field}:{case.code}"

    def __get__(self, row, owner=None):
        if row is None:
            return self
        opened = row.__dict__.setdefault("_opened", {})  # field -> (token, text): re-opened when the
        token = getattr(row, self.column_attr)             # row is refreshed with another token
        if opened.get(self.field, (None,))[0] != token or self.field not in opened:
            value = None
            if token is not None:
                case = row.sealing_case()
                try:
                    value = open_with_case(case, token, self._context(row, case)).decode()
                except Erased:
                    value = None
            opened[self.field] = (token, value)
        return opened[self.field][1]

    def __set__(self, row, value):
        if value in (None, ""):
            token = None
        else:
            case = row.sealing_case()
            if case is None:
                raise ClearTextRefused(f"{row.__tablename__}.{self.field}: a sealed value needs its case first")
            token = seal_with_case(case, str(value).encode(), self._context(row, case))
        setattr(row, self.column_attr, token)
        row.__dict__.setdefault("_opened", {})[self.field] = (token, None if token is None else str(value))
        after = getattr(row, "after_sealed_set", None)
        if after is not None:
            after(self.field)


def forget_opened(session) -> None:
    """Drop the opened text every loaded row holds (after an erasure: it opens no more)."""
    for row in list(session.identity_map.values()):
        row.__dict__.pop("_opened", None)


def sealed_text(name: str, *, nullable: bool = True):
    """The column of a sealed field: declare ``<name>_sealed = sealed_text("<name>")`` beside
    ``<name> = Sealed("<name>_sealed")`` (on a ``SealedFields`` model)."""
    return mapped_column(name, SealedText, nullable=nullable)


class SealedFields:
    """A model with sealed fields: its constructor sets them after everything else (the case they
    are sealed for must be known first), and ``sealed_field_names`` lists them."""

    #: every model with sealed fields (``reseal_master_sealed`` visits them)
    models: list[type] = []

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        SealedFields.models.append(cls)

    def __init__(self, **kw):
        sealed = {k: kw.pop(k) for k in list(kw) if isinstance(type(self).__dict__.get(k), Sealed)}
        super().__init__(**kw)
        for k, v in sealed.items():
            setattr(self, k, v)

    @classmethod
    def sealed_field_names(cls) -> tuple[str, ...]:
        return tuple(k for klass in cls.__mro__ for k, v in vars(klass).items() if isinstance(v, Sealed))


def reseal_master_sealed(session, ring) -> int:
    """What was written about cases after their erasure is sealed with the master key (``s1.``):
    sealed again with the current one, so the previous key can go. Returns how many values."""
    count = 0
    for model in SealedFields.models:
        for name in model.sealed_field_names():
            attr = vars(model)[name].column_attr if name in vars(model) else None
            if attr is None:
                continue
            column = getattr(model, attr)
            for row in session.scalars(select(model).where(column.like("s1.%"))):
                token = getattr(row, attr)
                if ring.is_current(token):
                    continue
                context = vars(model)[name]._context(row, row.sealing_case())
                setattr(row, attr, ring.seal(ring.open(token, context), context))
                count += 1
    return count
