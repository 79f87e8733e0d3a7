"""Workbooks with identifying data are encrypted (ECMA-376 agile encryption, the password protection
Excel and LibreOffice open natively, written by msoffcrypto-tool) with a random passphrase that is
shown once to the person who asked, and kept nowhere else. Chosen over a zip or age container: the
auditor opens the file in the spreadsheet program they already use, typing the passphrase, with
nothing to install; pseudonymised workbooks stay plain."""

from __future__ import annotations

import os
import secrets
import tempfile

import msoffcrypto
from msoffcrypto.format.ooxml import OOXMLFile

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class WrongPassphrase(ValueError):
    """The workbook is encrypted and this passphrase (or none) does not open it."""


def new_passphrase() -> str:
    """Six groups of four (about 119 bits), easy to read out and type."""
    return "-".join("".join(secrets.choice(ALPHABET) for _c in range(4)) for _g in range(6))


def encrypt_in_place(path: str, passphrase: str) -> None:
    fd, out = tempfile.mkstemp(suffix=".xlsx", dir=os.path.dirname(path) or None)
    os.close(fd)
    try:
        with open(path, "rb") as plain, open(out, "wb") as sealed:
            OOXMLFile(plain).encrypt(passphrase, sealed)
        os.replace(out, path)
    finally:
        if os.path.exists(out):
            os.unlink(out)


def is_encrypted(path) -> bool:
    try:
        with open(path, "rb") as fh:
            return msoffcrypto.OfficeFile(fh).is_encrypted()
    except Exception:  # noqa: BLE001 - not an OLE file: a plain workbook (or not a workbook at all)
        return False


def decrypted_copy(path, passphrase: str | None) -> str:
    """A temporary plain copy of an encrypted workbook (the caller deletes it)."""
    if not passphrase:
        raise WrongPassphrase("this workbook is encrypted (it holds identifying data): give its passphrase")
    fd, out = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        with open(path, "rb") as fh, open(out, "wb") as plain:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=passphrase)
            office.decrypt(plain)
    except Exception as exc:
        os.unlink(out)
        raise WrongPassphrase("the passphrase does not open this workbook") from exc
    return out
