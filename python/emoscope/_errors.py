"""The library's error codes as Python exceptions.

Every failure of a library call becomes an :class:`Error` that carries the
code (``EMO_E*``, negative), its name and the library's own message (what
its logger said, e.g. the file, line and key of a bad setting). Subclasses
also derive from the builtin exception that fits, so ``except ValueError``
and ``except FileNotFoundError`` work as a caller expects.
"""

# The codes of include/emoscope/core.h.
EAGAIN, EINVAL, ENOMEM, EIO, ENOENT, EFORMAT, EUNSUPPORTED, EOF, ETIMEDOUT = range(-1, -10, -1)
ECLOSED, ENODEV, ECHECKSUM, EINTR, ENET, EINTERNAL = range(-10, -16, -1)

_NAMES = {
    EAGAIN: "EMO_EAGAIN", EINVAL: "EMO_EINVAL", ENOMEM: "EMO_ENOMEM", EIO: "EMO_EIO",
    ENOENT: "EMO_ENOENT", EFORMAT: "EMO_EFORMAT", EUNSUPPORTED: "EMO_EUNSUPPORTED",
    EOF: "EMO_EOF", ETIMEDOUT: "EMO_ETIMEDOUT", ECLOSED: "EMO_ECLOSED", ENODEV: "EMO_ENODEV",
    ECHECKSUM: "EMO_ECHECKSUM", EINTR: "EMO_EINTR", ENET: "EMO_ENET", EINTERNAL: "EMO_EINTERNAL",
}


class Error(Exception):
    """A library call failed: ``code`` (negative EMO_E* value), ``name``, ``message``."""

    def __init__(self, message, code=EINTERNAL):
        super().__init__(message)
        self.code = code
        self.name = _NAMES.get(code, str(code))
        self.message = message


class SettingError(Error, ValueError):
    """A setting's name or value was refused (EMO_EINVAL)."""


class NotFoundError(Error, FileNotFoundError):
    """An input, model file or device does not exist (EMO_ENOENT, EMO_ENODEV)."""

    def __init__(self, message, code=ENOENT):
        Error.__init__(self, message, code)


class FormatError(Error, ValueError):
    """A video, model or data file is corrupt or unsupported (EMO_EFORMAT, EMO_ECHECKSUM, EMO_EUNSUPPORTED)."""


class IOFailure(Error, OSError):
    """Reading or writing failed (EMO_EIO, EMO_ENET, EMO_ETIMEDOUT)."""

    def __init__(self, message, code=EIO):
        Error.__init__(self, message, code)


class Interrupted(Error):
    """The work was interrupted (EMO_EINTR)."""


_CLASSES = {
    EINVAL: SettingError,
    ENOENT: NotFoundError, ENODEV: NotFoundError,
    EFORMAT: FormatError, ECHECKSUM: FormatError, EUNSUPPORTED: FormatError,
    EIO: IOFailure, ENET: IOFailure, ETIMEDOUT: IOFailure,
    EINTR: Interrupted,
}


def error_for(code, message):
    """The exception for a library error code, not raised."""
    return _CLASSES.get(code, Error)(message, code)
