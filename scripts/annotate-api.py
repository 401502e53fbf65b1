#!/usr/bin/env python3
"""Marks every function declared in the public headers with EMO_API.

usage: scripts/annotate-api.py [--check] [HEADER...]   (default: include/emoscope/*.h)

A declaration is a statement at file scope (outside braces, comments and
preprocessor lines) that starts at column 0, holds a parenthesis, ends with
';' and is not a typedef: its first line gets the prefix "EMO_API ". Each
annotated header also gets #include <emoscope/export.h>. Running it again
changes nothing, so it can be re-run after header changes are merged.
The headers it changed are printed. --check changes nothing: it prints
the headers it would change and exits 1 if there are any.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPORT_INCLUDE = "#include <emoscope/export.h>"
SKIP = {"export.h"}


def strip_comments(line, in_comment):
    """The code of one line without comments, and whether a block comment
    is still open at its end."""
    out, i = [], 0
    while i < len(line):
        if in_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_comment = end + 2, False
        elif line.startswith("/*", i):
            in_comment, i = True, i + 2
        elif line.startswith("//", i):
            break
        elif line[i] == '"':
            end = i + 1
            while end < len(line) and line[end] != '"':
                end += 2 if line[end] == "\\" else 1
            out.append(line[i:end + 1])
            i = end + 1
        else:
            out.append(line[i])
            i += 1
    return "".join(out), in_comment


def declaration_starts(lines):
    """Indices of the first lines of the function declarations."""
    starts, depth, in_comment, stmt, cplusplus = [], 0, False, None, False
    for n, line in enumerate(lines):
        code, in_comment = strip_comments(line, in_comment)
        # The C++ guard's braces (extern "C" { and its }) enclose the whole
        # header: what is inside is still at file scope.
        if cplusplus and code.strip() in ('extern "C" {', "}"):
            continue
        cplusplus = code.strip() == "#ifdef __cplusplus"
        if depth == 0 and stmt is None and code.lstrip().startswith("#"):
            continue
        if depth == 0 and stmt is None and re.match(r"[A-Za-z_]", code):
            stmt = (n, "")
        if stmt is not None:
            stmt = (stmt[0], stmt[1] + " " + code)
        depth += code.count("{") - code.count("}")
        if stmt is not None and (";" in code or "{" in code) and depth == 0:
            first, text = stmt
            stmt = None
            text = text.strip()
            if ("(" in text and "{" not in text and text.endswith(";")
                    and not re.match(r"(typedef|extern\s+\"C\")\b", text)):
                starts.append(first)
        elif stmt is not None and depth > 0:
            stmt = None  # a definition with a body (struct, enum, extern "C")
    return starts


def add_export_include(text):
    if EXPORT_INCLUDE in text:
        return text
    # Beside the other emoscope includes, else after the include guard.
    m = re.search(r"^#include <emoscope/[a-z_]+\.h>\n", text, re.M)
    if m:
        includes = [x for x in re.finditer(r"^#include <emoscope/([a-z_]+)\.h>\n", text, re.M)]
        before = [x for x in includes if x.group(1) < "export"]
        pos = before[-1].end() if before else includes[0].start()
        return text[:pos] + EXPORT_INCLUDE + "\n" + text[pos:]
    system = list(re.finditer(r"^#include <[a-z_/]+\.h>\n", text, re.M))
    if system:
        pos = system[-1].end()
        return text[:pos] + "\n" + EXPORT_INCLUDE + "\n" + text[pos:]
    m = re.search(r"^#define EMOSCOPE_[A-Z_]+_H\n", text, re.M)
    return text[:m.end()] + "\n" + EXPORT_INCLUDE + "\n" + text[m.end():]


def annotate(path, check):
    with open(path) as f:
        text = f.read()
    lines = text.split("\n")
    changed = False
    for n in declaration_starts(lines):
        if not lines[n].startswith("EMO_API "):
            lines[n] = "EMO_API " + lines[n]
            changed = True
    new = "\n".join(lines)
    if declaration_starts(lines):
        new = add_export_include(new)
    if new != text and not check:
        with open(path, "w") as f:
            f.write(new)
    return new != text or changed


def main(argv):
    check = "--check" in argv[1:]
    paths = [a for a in argv[1:] if a != "--check"]
    paths = paths or sorted(glob.glob(os.path.join(ROOT, "include", "emoscope", "*.h")))
    todo = 0
    for p in paths:
        if os.path.basename(p) in SKIP:
            continue
        if annotate(p, check):
            print(os.path.relpath(p, ROOT) + (": not annotated (run scripts/annotate-api.py)" if check else ""))
            todo += 1
    return 1 if check and todo else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
