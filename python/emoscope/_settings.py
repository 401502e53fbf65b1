"""Settings by keyword, with the INI names of `emoscope config --dump`.

``face__max_faces=2`` is ``face.max_faces=2`` (a double underscore stands
for the dot, also in ``model__NAME__weight``); ``settings={'face.max_faces':
2}`` gives the same by the dotted name, and ``config='file.ini'`` reads an
INI file first. Values are written as in the INI: True/False become
true/false, lists and tuples comma-separated lists. The library checks every
name and value; what it refuses raises :class:`emoscope.SettingError` (a
ValueError) with its message.
"""
import os

from ._lib import ffi, lib, Messages, REPO, LIB_PATH

_TABLE = None


def _table():
    global _TABLE
    if _TABLE is None:
        rows, d = {}, lib.emo_config_table()
        i = 0
        while d[i].section != ffi.NULL:
            name = "%s.%s" % (ffi.string(d[i].section).decode(), ffi.string(d[i].key).decode())
            rows[name] = d + i
            i += 1
        _TABLE = rows
    return _TABLE


def setting_names():
    """Every setting's dotted name, in the table's order."""
    return list(_table())


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(_value(x) for x in v)
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    return str(v)


def assignments(settings=None, **kw):
    """The ("section.key", "value") pairs of a settings dict and keywords, in order."""
    out = []
    for k, v in (settings or {}).items():
        out.append((str(k), _value(v)))
    for k, v in kw.items():
        out.append((k.replace("__", "."), _value(v)))
    return out


def _default_models_dir():
    # In place, the repository's models/ (what `make models` fills); installed,
    # PREFIX/share/emoscope/models beside PREFIX/lib where the library was found.
    if REPO and os.path.isdir(os.path.join(REPO, "models")):
        return os.path.join(REPO, "models")
    libdir = os.path.dirname(os.path.realpath(LIB_PATH)) if os.sep in LIB_PATH else ""
    for up in ("..", os.path.join("..", "..")):
        d = os.path.normpath(os.path.join(libdir, up, "share", "emoscope", "models"))
        if libdir and os.path.isdir(d):
            return d
    return "models"


class Settings:
    """An EmoConfig of the library: the defaults, an INI file, then the assignments."""

    def __init__(self, settings=None, config=None, **kw):
        self.messages = Messages()
        p = ffi.new("EmoConfig **")
        self.messages.check(lib.emo_config_new(p), "emoscope settings")
        self.ptr = ffi.gc(p[0], lambda c: lib.emo_config_free(ffi.new("EmoConfig **", c)))
        self.config = os.fspath(config) if config is not None else None
        self.pairs = assignments(settings, **kw)
        lg = self.messages.logger
        if self.config is not None:
            self.messages.check(lib.emo_config_load(self.ptr, os.fsencode(self.config), lg),
                                "emoscope: settings file %s" % self.config)
        for name, value in self.pairs:
            err = lib.emo_config_set(self.ptr, ("%s=%s" % (name, value)).encode(), lg)
            self.messages.check(err, "emoscope: setting %s=%s" % (name, value))

    def get(self, name):
        """A setting's current value as the INI writes it (secrets as ***)."""
        d = _table().get(name)
        if d is None:
            raise KeyError(name)
        buf = ffi.new("char[]", 4096)
        lib.emo_config_format(self.ptr, d, buf, len(buf))
        return ffi.string(buf).decode()

    def field(self, name, ctype):
        """A pointer of type ctype to the field a setting sits at the start of."""
        d = _table()[name]
        return ffi.cast(ctype, ffi.cast("char *", self.ptr) + d.offset)

    def models_dir(self):
        """The models folder the library would use: general.models_dir, $EMOSCOPE_MODELS_DIR, the default."""
        buf = ffi.new("char[]", 4096)
        lib.emo_models_dir(buf, len(buf), self.get("general.models_dir").encode(),
                           os.fsencode(_default_models_dir()))
        return ffi.string(buf).decode()

    def to_dict(self):
        """What rebuilds these settings elsewhere (a Dask worker): the file and the assignments."""
        return {"config": self.config, "settings": dict(self.pairs)}
